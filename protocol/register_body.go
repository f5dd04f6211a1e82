package protocol

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"sort"
)

// RegisterBrokerBody is the REGISTER_BROKER body of brokers since V3_0_11:
// {"filterServerList":[],"topicConfigSerializeWrapper":{...}}.
type RegisterBrokerBody struct {
	FilterServerList            []string                    `json:"filterServerList"`
	TopicConfigSerializeWrapper TopicConfigSerializeWrapper `json:"topicConfigSerializeWrapper"`
}

// maxRegisterBodyInflated caps the inflated size of a compressed
// registration so a small hostile body cannot make us allocate without bound.
const maxRegisterBodyInflated = 64 << 20

// RegisterBodyCRC32 is the bodyCrc32 header value of a registration body:
// IEEE CRC32 masked to 31 bits, as upstream's UtilAll.crc32 computes it.
func RegisterBodyCRC32(body []byte) int32 {
	return int32(crc32.ChecksumIEEE(body) & 0x7FFFFFFF)
}

// Encode returns the body as plain JSON or, with compressed, as the zlib
// stream brokers send with compressedRegister=true.
func (b *RegisterBrokerBody) Encode(compressed bool) ([]byte, error) {
	if !compressed {
		cp := *b
		if cp.FilterServerList == nil {
			cp.FilterServerList = []string{}
		}
		if cp.TopicConfigSerializeWrapper.TopicConfigTable == nil {
			cp.TopicConfigSerializeWrapper.TopicConfigTable = map[string]TopicConfig{}
		}
		return jsonMarshal(&cp)
	}
	var buf bytes.Buffer
	zw, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		return nil, err
	}
	writeChunk := func(p []byte) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		zw.Write(n[:]) // errors surface from Close: bytes.Buffer does not fail
		zw.Write(p)
	}
	wrapper := &b.TopicConfigSerializeWrapper
	writeChunk(wrapper.DataVersion.Encode())
	names := make([]string, 0, len(wrapper.TopicConfigTable))
	for name := range wrapper.TopicConfigTable {
		names = append(names, name)
	}
	sort.Strings(names)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(names)))
	zw.Write(n[:])
	for _, name := range names {
		writeChunk([]byte(wrapper.TopicConfigTable[name].compactText()))
	}
	writeChunk(jsonAppendStrings(nil, b.FilterServerList))
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress RegisterBrokerBody: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeRegisterBrokerBody decodes a registration body, plain or compressed
// as the request header's compressed flag says.
func DecodeRegisterBrokerBody(data []byte, compressed bool) (*RegisterBrokerBody, error) {
	if !compressed {
		var b RegisterBrokerBody
		if err := DecodeJSON(data, &b); err != nil {
			return nil, fmt.Errorf("decode RegisterBrokerBody: %w", err)
		}
		if b.TopicConfigSerializeWrapper.TopicConfigTable == nil {
			b.TopicConfigSerializeWrapper.TopicConfigTable = map[string]TopicConfig{}
		}
		return &b, nil
	}
	b, err := decodeCompressedRegisterBody(data)
	if err != nil {
		return nil, fmt.Errorf("decode compressed RegisterBrokerBody: %w", err)
	}
	return b, nil
}

func decodeCompressedRegisterBody(data []byte) (*RegisterBrokerBody, error) {
	zr, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	r := &io.LimitedReader{R: zr, N: maxRegisterBodyInflated + 1}
	readInt := func(what string) (int, error) {
		var n [4]byte
		if _, err := io.ReadFull(r, n[:]); err != nil {
			return 0, fmt.Errorf("%s: %w", what, inflateErr(err, r))
		}
		v := int32(binary.BigEndian.Uint32(n[:]))
		if v < 0 {
			return 0, fmt.Errorf("%s: negative value %d", what, v)
		}
		return int(v), nil
	}
	readChunk := func(what string) ([]byte, error) {
		size, err := readInt(what + " length")
		if err != nil {
			return nil, err
		}
		// Read through a limit instead of allocating size bytes up front:
		// the length is untrusted.
		p, err := io.ReadAll(io.LimitReader(r, int64(size)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, inflateErr(err, r))
		}
		if len(p) != size {
			return nil, fmt.Errorf("%s: %w", what, inflateErr(io.ErrUnexpectedEOF, r))
		}
		return p, nil
	}

	body := &RegisterBrokerBody{FilterServerList: []string{}}
	wrapper := &body.TopicConfigSerializeWrapper
	wrapper.TopicConfigTable = map[string]TopicConfig{}
	dv, err := readChunk("data version")
	if err != nil {
		return nil, err
	}
	if wrapper.DataVersion, err = DecodeDataVersion(dv); err != nil {
		return nil, err
	}
	count, err := readInt("topic count")
	if err != nil {
		return nil, err
	}
	for i := 0; i < count; i++ {
		text, err := readChunk(fmt.Sprintf("topic %d", i))
		if err != nil {
			return nil, err
		}
		tc, err := parseTopicCompactText(string(text))
		if err != nil {
			return nil, err
		}
		wrapper.TopicConfigTable[tc.TopicName] = tc
	}
	filters, err := readChunk("filter server list")
	if err != nil {
		return nil, err
	}
	if err := DecodeJSON(filters, &body.FilterServerList); err != nil {
		return nil, fmt.Errorf("filter server list: %w", err)
	}
	if body.FilterServerList == nil {
		body.FilterServerList = []string{}
	}
	return body, nil
}

// inflateErr explains a short read: either the stream ended or the size cap hit.
func inflateErr(err error, r *io.LimitedReader) error {
	if r.N <= 0 {
		return fmt.Errorf("inflated body larger than %d bytes", maxRegisterBodyInflated)
	}
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
