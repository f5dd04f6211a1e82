package remoting

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The ROCKETMQ binary header (RocketMQSerializable):
//
//	code int16 | language byte | version int16 | opaque int32 | flag int32 |
//	remarkLen int32 | remark | extLen int32 | ext entries
//
// and each ext entry is keyLen int16 | key | valueLen int32 | value.
// Everything is big-endian; the fixed part is 21 bytes.

const binaryFixedLen = 2 + 1 + 2 + 4 + 4 + 4 + 4

var errNotInt16 = errors.New("does not fit the int16 field of the ROCKETMQ header")

// appendBinaryHeader appends c's header in the ROCKETMQ layout. Codes and
// versions that do not fit int16 (5.x codes such as POP_MESSAGE 200050) are an
// error: truncating them would send a different code.
func appendBinaryHeader(dst []byte, c *Command) ([]byte, error) {
	if c.Code < math.MinInt16 || c.Code > math.MaxInt16 {
		return dst, fmt.Errorf("remoting: encode: code %d %w", c.Code, errNotInt16)
	}
	if c.Version < math.MinInt16 || c.Version > math.MaxInt16 {
		return dst, fmt.Errorf("remoting: encode: version %d %w", c.Version, errNotInt16)
	}
	dst = binary.BigEndian.AppendUint16(dst, uint16(c.Code))
	dst = append(dst, byte(c.Language))
	dst = binary.BigEndian.AppendUint16(dst, uint16(c.Version))
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.Opaque))
	dst = binary.BigEndian.AppendUint32(dst, uint32(c.Flag))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(c.Remark)))
	dst = append(dst, c.Remark...)

	extAt := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	var scratch [32]string
	for _, k := range sortedKeys(c.ExtFields, scratch[:0]) {
		if len(k) > math.MaxInt16 {
			return dst, fmt.Errorf("remoting: encode: extFields key of %d bytes does not fit int16", len(k))
		}
		v := c.ExtFields[k]
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(k)))
		dst = append(dst, k...)
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(v)))
		dst = append(dst, v...)
	}
	extLen := len(dst) - extAt - 4
	if extLen > math.MaxInt32 {
		return dst, fmt.Errorf("%w: extFields of %d bytes", ErrFrameTooLarge, extLen)
	}
	binary.BigEndian.PutUint32(dst[extAt:], uint32(extLen))
	return dst, nil
}

// decodeBinaryHeader fills c from a ROCKETMQ header. Strings are substrings
// of one copy of the header. Bytes after the ext map are ignored, as the Java
// decoder ignores them.
func decodeBinaryHeader(hdr []byte, c *Command) error {
	if len(hdr) < binaryFixedLen {
		return fmt.Errorf("%w: ROCKETMQ header of %d bytes, need at least %d", ErrMalformedFrame, len(hdr), binaryFixedLen)
	}
	s := string(hdr)
	c.Code = int32(int16(binary.BigEndian.Uint16(hdr[0:])))
	c.Language = LanguageCode(hdr[2])
	c.Version = int32(int16(binary.BigEndian.Uint16(hdr[3:])))
	c.Opaque = int32(binary.BigEndian.Uint32(hdr[5:]))
	c.Flag = int32(binary.BigEndian.Uint32(hdr[9:]))
	p := 13

	remarkLen := int64(int32(binary.BigEndian.Uint32(hdr[p:])))
	p += 4
	if remarkLen < 0 || remarkLen > int64(len(hdr)-p-4) {
		return fmt.Errorf("%w: ROCKETMQ header: remark length %d, %d bytes left", ErrMalformedFrame, remarkLen, len(hdr)-p-4)
	}
	c.Remark = s[p : p+int(remarkLen)]
	p += int(remarkLen)

	extLen := int64(int32(binary.BigEndian.Uint32(hdr[p:])))
	p += 4
	if extLen < 0 || extLen > int64(len(hdr)-p) {
		return fmt.Errorf("%w: ROCKETMQ header: ext length %d, %d bytes left", ErrMalformedFrame, extLen, len(hdr)-p)
	}
	if extLen == 0 {
		return nil
	}
	end := p + int(extLen)
	var stack [24][2]string // see jsonScanner.extFields: size the map once
	pairs := stack[:0]
	for p < end {
		if end-p < 2 {
			return fmt.Errorf("%w: ROCKETMQ header: truncated ext key length", ErrMalformedFrame)
		}
		kl := int(int16(binary.BigEndian.Uint16(hdr[p:])))
		p += 2
		if kl < 0 || kl > end-p-4 {
			return fmt.Errorf("%w: ROCKETMQ header: ext key length %d, %d bytes left", ErrMalformedFrame, kl, end-p)
		}
		k := s[p : p+kl]
		p += kl
		vl := int64(int32(binary.BigEndian.Uint32(hdr[p:])))
		p += 4
		if vl < 0 || vl > int64(end-p) {
			return fmt.Errorf("%w: ROCKETMQ header: ext value length %d for key %q, %d bytes left", ErrMalformedFrame, vl, k, end-p)
		}
		pairs = append(pairs, [2]string{k, s[p : p+int(vl)]})
		p += int(vl)
	}
	c.ExtFields = pairMap(pairs)
	return nil
}
