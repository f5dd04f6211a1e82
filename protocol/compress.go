package protocol

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
)

// CompressionType is the codec named by SYSFLAG bits 8-10 (4.9.4+).
type CompressionType int32

const (
	CompressionLZ4  CompressionType = 1
	CompressionZSTD CompressionType = 2
	CompressionZlib CompressionType = 3
)

func (c CompressionType) String() string {
	switch c {
	case CompressionLZ4:
		return "LZ4"
	case CompressionZSTD:
		return "ZSTD"
	case CompressionZlib:
		return "ZLIB"
	}
	return "compression type " + fmt.Sprint(int32(c))
}

// DefaultCompressLevel is the zlib level producers use (Java and Go).
const DefaultCompressLevel = 5

// CompressBodyOver is the body size from which producers compress a
// single (non-batch) message (compressMsgBodyOverHowmuch).
const CompressBodyOver = 4096

// DefaultMaxDecompressedSize bounds what a compressed body may expand to,
// so a small hostile record cannot make a reader allocate without limit.
const DefaultMaxDecompressedSize = 64 << 20

// ErrUnsupportedCompression is returned for bodies compressed with a
// codec this package cannot decode (ZSTD, unknown types).
var ErrUnsupportedCompression = errors.New("unsupported body compression")

// CompressionTypeOf returns the codec of a compressed body from its sysFlag.
// Producers before 4.9.4 set no type bits, which means zlib.
func CompressionTypeOf(sysFlag int32) (CompressionType, error) {
	switch t := CompressionType(sysFlag&SysFlagCompressionMask) >> 8; t {
	case 0, CompressionZlib:
		return CompressionZlib, nil
	case CompressionLZ4, CompressionZSTD:
		return t, nil
	default:
		return 0, fmt.Errorf("%w: unknown type %d in sysFlag %#x", ErrUnsupportedCompression, t, sysFlag)
	}
}

// CompressBody compresses body as a zlib stream (RFC 1950), what a 4.x
// producer sends. The caller sets SysFlagCompressed|SysFlagCompressionZlib.
func CompressBody(body []byte, level int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(body)/2 + 64)
	w, err := zlib.NewWriterLevel(&buf, level)
	if err != nil {
		return nil, fmt.Errorf("compress body: %w", err)
	}
	if _, err := w.Write(body); err != nil {
		return nil, fmt.Errorf("compress body: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("compress body: %w", err)
	}
	return buf.Bytes(), nil
}

// DecompressBody expands a body stored with SysFlagCompressed set, using
// the codec the sysFlag names. It refuses output larger than limit bytes
// (DefaultMaxDecompressedSize when limit <= 0).
func DecompressBody(sysFlag int32, body []byte, limit int) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultMaxDecompressedSize
	}
	ct, err := CompressionTypeOf(sysFlag)
	if err != nil {
		return nil, err
	}
	switch ct {
	case CompressionZlib:
		return inflateZlib(body, limit)
	case CompressionLZ4:
		return decodeLZ4Frame(body, limit)
	default:
		return nil, fmt.Errorf("%w: %v bodies cannot be decompressed by RocketGo (sysFlag %#x)", ErrUnsupportedCompression, ct, sysFlag)
	}
}

func inflateZlib(body []byte, limit int) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("decompress zlib body: %w", err)
	}
	defer r.Close()
	var out bytes.Buffer
	out.Grow(min(len(body)*4, limit))
	n, err := io.Copy(&out, io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return nil, fmt.Errorf("decompress zlib body: %w", err)
	}
	if n > int64(limit) {
		return nil, fmt.Errorf("decompress zlib body: expands past the %d-byte limit", limit)
	}
	return out.Bytes(), nil
}
