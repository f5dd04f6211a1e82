package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// DecodeOptions tune DecodeMessage. The zero value is what a consumer
// wants: bodies copied and decompressed, CRC not checked (as the Java
// client does).
type DecodeOptions struct {
	// VerifyBodyCRC recomputes the masked CRC32 of the stored body and
	// fails on a mismatch.
	VerifyBodyCRC bool
	// KeepCompressed leaves a compressed body as stored, so that
	// re-encoding gives the same bytes.
	KeepCompressed bool
	// SkipBody leaves Body nil (upstream readBody=false).
	SkipBody bool
	// MaxDecompressedSize bounds decompressed bodies;
	// DefaultMaxDecompressedSize when 0.
	MaxDecompressedSize int
}

// ErrBodyCRC is returned by DecodeMessage with VerifyBodyCRC when the
// stored body does not match BODYCRC.
var ErrBodyCRC = errors.New("body CRC mismatch")

// DecodeMessage decodes the record at the start of b and returns it with
// its size. After decompression Body holds the plain bytes while SysFlag
// still says how the body was stored, as in the Java client.
func DecodeMessage(b []byte, opts DecodeOptions) (*MessageExt, int, error) {
	m := new(MessageExt)
	n, err := decodeInto(m, b, opts)
	if err != nil {
		return nil, 0, err
	}
	return m, n, nil
}

func decodeInto(m *MessageExt, b []byte, opts DecodeOptions) (int, error) {
	rec, err := ParseMessageRecord(b)
	if err != nil {
		return 0, err
	}
	if opts.VerifyBodyCRC {
		if crc := BodyCRC(rec.Body); crc != rec.BodyCRC {
			return 0, fmt.Errorf("%w: BODYCRC is %d, the body hashes to %d", ErrBodyCRC, rec.BodyCRC, crc)
		}
	}
	*m = MessageExt{
		Message: Message{
			Flag: rec.Flag,
		},
		QueueID:                   rec.QueueID,
		StoreSize:                 rec.TotalSize,
		QueueOffset:               rec.QueueOffset,
		CommitLogOffset:           rec.PhysicalOffset,
		SysFlag:                   rec.SysFlag,
		BodyCRC:                   rec.BodyCRC,
		ReconsumeTimes:            rec.ReconsumeTimes,
		PreparedTransactionOffset: rec.PreparedTransactionOffset,
		BornTimestamp:             rec.BornTimestamp,
		StoreTimestamp:            rec.StoreTimestamp,
		BornHost:                  rec.BornHost,
		StoreHost:                 rec.StoreHost,
	}
	if !opts.SkipBody && len(rec.Body) > 0 {
		if rec.SysFlag&SysFlagCompressed != 0 && !opts.KeepCompressed {
			m.Body, err = DecompressBody(rec.SysFlag, rec.Body, opts.MaxDecompressedSize)
			if err != nil {
				return 0, fmt.Errorf("body of %d bytes: %w", len(rec.Body), err)
			}
		} else {
			m.Body = append([]byte(nil), rec.Body...)
		}
	}
	// Topic and properties are adjacent (only PROPERTIESLEN between them),
	// so one string conversion serves both and every property.
	if len(rec.Properties) == 0 {
		m.Topic = string(rec.Topic)
	} else {
		end := int(rec.TotalSize)
		start := end - len(rec.Properties) - 2 - len(rec.Topic)
		s := string(b[start:end])
		m.Topic = s[:len(rec.Topic)]
		m.Properties = ParsePropertiesString(s[len(rec.Topic)+2:])
	}
	return int(rec.TotalSize), nil
}

// DecodeMessages decodes records laid back to back, as in a pull,
// query or view response body, with the zero DecodeOptions.
func DecodeMessages(b []byte) ([]*MessageExt, error) {
	return DecodeMessagesWith(b, DecodeOptions{})
}

// DecodeMessagesWith decodes records laid back to back. On a bad record it
// returns the messages before it and an error naming the record's index
// and byte offset. The messages share one backing array.
func DecodeMessagesWith(b []byte, opts DecodeOptions) ([]*MessageExt, error) {
	count := countRecords(b)
	if count == 0 {
		return nil, nil
	}
	store := make([]MessageExt, count)
	msgs := make([]*MessageExt, 0, count)
	off := 0
	for i := range store {
		n, err := decodeInto(&store[i], b[off:], opts)
		if err != nil {
			return msgs, fmt.Errorf("decode message %d at offset %d: %w", i, off, err)
		}
		msgs = append(msgs, &store[i])
		off += n
	}
	return msgs, nil
}

// countRecords walks the TOTALSIZE fields; a bad one counts as a record
// so that decoding reaches it and reports it.
func countRecords(b []byte) int {
	n := 0
	for off := 0; off < len(b); n++ {
		if len(b)-off < 4 {
			return n + 1
		}
		size := int(int32(binary.BigEndian.Uint32(b[off:])))
		if size < MinRecordSize || size > len(b)-off {
			return n + 1
		}
		off += size
	}
	return n
}

// AppendMessageExt appends m in the stored layout (v1 magic), with its
// properties encoded by AppendProperties. StoreSize is ignored and
// recomputed; BodyCRC and Body are written as given, so a compressed
// message must carry its compressed body.
func AppendMessageExt(dst []byte, m *MessageExt) ([]byte, error) {
	rec := MessageRecord{
		Magic:                     MagicMessageV1,
		BodyCRC:                   m.BodyCRC,
		QueueID:                   m.QueueID,
		Flag:                      m.Flag,
		QueueOffset:               m.QueueOffset,
		PhysicalOffset:            m.CommitLogOffset,
		SysFlag:                   m.SysFlag,
		BornTimestamp:             m.BornTimestamp,
		BornHost:                  m.BornHost,
		StoreTimestamp:            m.StoreTimestamp,
		StoreHost:                 m.StoreHost,
		ReconsumeTimes:            m.ReconsumeTimes,
		PreparedTransactionOffset: m.PreparedTransactionOffset,
		Body:                      m.Body,
	}
	dst, err := appendRecordHead(dst, &rec, m.Topic, PropertiesSize(m.Properties))
	if err != nil {
		return dst, fmt.Errorf("topic %q: %w", m.Topic, err)
	}
	return AppendProperties(dst, m.Properties), nil
}

// EncodeMessageExt is AppendMessageExt into a new slice.
func EncodeMessageExt(m *MessageExt) ([]byte, error) {
	sysFlag := m.SysFlag | HostSysFlags(m.BornHost, m.StoreHost)
	size := MessageRecordSize(sysFlag, len(m.Body), len(m.Topic), PropertiesSize(m.Properties))
	return AppendMessageExt(make([]byte, 0, size), m)
}
