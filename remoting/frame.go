package remoting

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// Frame: length int32 | serializeType byte | headerLen uint24 | header | body.
// length counts everything after itself: 4 + headerLen + bodyLen.

const maxHeaderLen = 1<<24 - 1

// appendHead appends the length prefix, the serialize type and header length,
// and the encoded header of c: everything of the frame except the body.
// maxFrame (<= 0 means DefaultMaxFrameSize) bounds the whole frame including
// the length prefix, as the Java decoder counts it.
func appendHead(dst []byte, c *Command, maxFrame int) ([]byte, error) {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0, 0, 0)
	var err error
	switch c.SerializeType {
	case SerializeJSON:
		dst = appendJSONHeader(dst, c)
	case SerializeRocketMQ:
		dst, err = appendBinaryHeader(dst, c)
	default:
		err = fmt.Errorf("remoting: encode: unknown serialize type %d", c.SerializeType)
	}
	if err != nil {
		return dst[:start], err
	}
	headerLen := len(dst) - start - 8
	if headerLen > maxHeaderLen {
		return dst[:start], fmt.Errorf("%w: header of %d bytes exceeds the 24-bit header length", ErrFrameTooLarge, headerLen)
	}
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrameSize
	}
	total := int64(8) + int64(headerLen) + int64(c.BodyLen())
	if total > int64(maxFrame) || total > math.MaxInt32 {
		return dst[:start], fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, total, maxFrame)
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(total-4))
	binary.BigEndian.PutUint32(dst[start+4:], uint32(c.SerializeType)<<24|uint32(headerLen))
	return dst, nil
}

// Encode returns c as one whole frame, length prefix included, with Body and
// BodyParts copied in. Connections do not use it: they write the body with
// writev instead of copying it.
func Encode(c *Command) ([]byte, error) {
	buf, err := appendHead(make([]byte, 0, 256+c.BodyLen()), c, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	buf = append(buf, c.Body...)
	for _, p := range c.BodyParts {
		buf = append(buf, p...)
	}
	return buf, nil
}

// Decode decodes one frame given WITHOUT its 4-byte length prefix (the length
// is len(frame)). The returned Body aliases frame.
func Decode(frame []byte) (*Command, error) {
	if len(frame) < 4 {
		return nil, fmt.Errorf("%w: %d bytes, need at least 4", ErrMalformedFrame, len(frame))
	}
	st, headerLen := splitHeaderWord(binary.BigEndian.Uint32(frame))
	if headerLen > len(frame)-4 {
		return nil, fmt.Errorf("%w: header length %d exceeds frame length %d", ErrMalformedFrame, headerLen, len(frame))
	}
	c := new(Command)
	if err := decodeHeader(st, frame[4:4+headerLen], c); err != nil {
		return nil, err
	}
	if body := frame[4+headerLen:]; len(body) > 0 {
		c.Body = body
	}
	return c, nil
}

func splitHeaderWord(w uint32) (SerializeType, int) {
	return SerializeType(w >> 24), int(w & maxHeaderLen)
}

func decodeHeader(st SerializeType, hdr []byte, c *Command) error {
	c.SerializeType = st
	switch st {
	case SerializeJSON:
		return decodeJSONHeader(hdr, c)
	case SerializeRocketMQ:
		return decodeBinaryHeader(hdr, c)
	}
	return fmt.Errorf("%w: unknown serialize type %d", ErrMalformedFrame, byte(st))
}

// ReadCommand reads one length-prefixed frame from r and decodes it. maxFrame
// (<= 0 means DefaultMaxFrameSize) bounds the frame including its length
// prefix. It returns io.EOF when r ends cleanly between frames,
// io.ErrUnexpectedEOF when it ends inside one, and errors wrapping
// ErrFrameTooLarge or ErrMalformedFrame for bad input.
func ReadCommand(r io.Reader, maxFrame int) (*Command, error) {
	var fr frameReader
	return fr.read(r, maxFrame)
}

// frameReader reads frames from one stream, keeping a scratch buffer for
// headers between calls: a header is decoded into fresh strings, so its bytes
// need not outlive the call.
type frameReader struct {
	word    [8]byte
	scratch []byte
}

// bodyChunk is the most a frame reader allocates before the bytes arrive, so
// a peer that announces 16 MiB and sends nothing costs 1 MiB, not 16.
const bodyChunk = 1 << 20

// maxScratch is the largest header buffer kept for the next frame.
const maxScratch = 64 << 10

func (fr *frameReader) read(r io.Reader, maxFrame int) (*Command, error) {
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrameSize
	}
	if _, err := io.ReadFull(r, fr.word[:4]); err != nil {
		return nil, err
	}
	length := int64(int32(binary.BigEndian.Uint32(fr.word[:4])))
	if length < 4 {
		return nil, fmt.Errorf("%w: frame length %d, need at least 4", ErrMalformedFrame, length)
	}
	if length+4 > int64(maxFrame) {
		return nil, fmt.Errorf("%w: frame length %d, limit %d", ErrFrameTooLarge, length+4, maxFrame)
	}
	if _, err := io.ReadFull(r, fr.word[4:8]); err != nil {
		return nil, unexpected(err)
	}
	st, headerLen := splitHeaderWord(binary.BigEndian.Uint32(fr.word[4:8]))
	if st != SerializeJSON && st != SerializeRocketMQ {
		return nil, fmt.Errorf("%w: unknown serialize type %d", ErrMalformedFrame, byte(st))
	}
	if int64(headerLen) > length-4 {
		return nil, fmt.Errorf("%w: header length %d exceeds frame length %d", ErrMalformedFrame, headerLen, length)
	}
	hdr := fr.scratch[:0]
	hdr, err := readGrowing(r, hdr, headerLen)
	if cap(hdr) <= maxScratch {
		fr.scratch = hdr
	}
	if err != nil {
		return nil, unexpected(err)
	}
	c := new(Command)
	if err := decodeHeader(st, hdr, c); err != nil {
		return nil, err
	}
	if n := int(length) - 4 - headerLen; n > 0 {
		if c.Body, err = readGrowing(r, nil, n); err != nil {
			return nil, unexpected(err)
		}
	}
	return c, nil
}

// readGrowing reads exactly n bytes into buf (reusing its capacity) and
// returns buf[:n]. Beyond bodyChunk it grows the buffer as the bytes arrive
// instead of trusting the announced length up front.
func readGrowing(r io.Reader, buf []byte, n int) ([]byte, error) {
	if n <= bodyChunk || n <= cap(buf) {
		buf = slices.Grow(buf[:0], n)[:n]
		_, err := io.ReadFull(r, buf)
		return buf, err
	}
	buf = slices.Grow(buf[:0], bodyChunk)
	for len(buf) < n {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(cap(buf), n-len(buf)))
		}
		end := min(cap(buf), n)
		m, err := io.ReadFull(r, buf[len(buf):end])
		buf = buf[:len(buf)+m]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// unexpected turns a clean EOF in the middle of a frame into ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
