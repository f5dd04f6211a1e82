package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
)

// A SEND_BATCH_MESSAGE body is one compact record per message, back to back:
//
//	TOTALSIZE 4 | MAGICCODE 4 (0) | BODYCRC 4 (0) | FLAG 4 |
//	BODYLEN 4 | BODY | PROPERTIESLEN 2 | PROPERTIES
//
// Topic, queue, sysFlag, born time and host come from the request header.
const batchRecordOverhead = 4 + 4 + 4 + 4 + 4 + 2

// BatchRecordSize is the TOTALSIZE of one batch record.
func BatchRecordSize(bodyLen, propertiesLen int) int {
	return batchRecordOverhead + bodyLen + propertiesLen
}

// BatchRecord is a zero-copy view of one message of a batch body.
type BatchRecord struct {
	Flag       int32
	Body       []byte
	Properties []byte // encoded properties string
}

// ErrMalformedBatch is wrapped by every error about a batch body's bytes.
var ErrMalformedBatch = errors.New("malformed batch body")

// ParseBatchRecord parses the batch record at the start of b and returns
// it with its size. MAGICCODE and BODYCRC are ignored (clients write 0);
// TOTALSIZE must match the lengths inside the record.
func ParseBatchRecord(b []byte) (BatchRecord, int, error) {
	var rec BatchRecord
	if len(b) < batchRecordOverhead {
		return rec, 0, fmt.Errorf("%w: a record needs at least %d bytes, %d left", ErrMalformedBatch, batchRecordOverhead, len(b))
	}
	be := binary.BigEndian
	total := int64(int32(be.Uint32(b)))
	rec.Flag = int32(be.Uint32(b[12:]))
	bodyLen := int64(int32(be.Uint32(b[16:])))
	if bodyLen < 0 || bodyLen > int64(len(b)-batchRecordOverhead) {
		return rec, 0, fmt.Errorf("%w: BODYLEN at +16: %d, but %d bytes are left", ErrMalformedBatch, bodyLen, len(b)-20)
	}
	rec.Body = b[20 : 20+bodyLen : 20+bodyLen]
	p := 20 + int(bodyLen)
	propsLen := int(int16(be.Uint16(b[p:])))
	if propsLen < 0 || propsLen > len(b)-p-2 {
		return rec, 0, fmt.Errorf("%w: PROPERTIESLEN at +%d: %d, but %d bytes are left", ErrMalformedBatch, p, propsLen, len(b)-p-2)
	}
	rec.Properties = b[p+2 : p+2+propsLen : p+2+propsLen]
	size := p + 2 + propsLen
	if total != int64(size) {
		return rec, 0, fmt.Errorf("%w: TOTALSIZE at +0: %d, but the fields take %d bytes", ErrMalformedBatch, total, size)
	}
	return rec, size, nil
}

// AppendBatchMessage appends m as one batch record, as a producer does.
func AppendBatchMessage(dst []byte, m *Message) ([]byte, error) {
	propsLen := PropertiesSize(m.Properties)
	if propsLen > MaxPropertiesSize {
		return dst, fmt.Errorf("properties are %d bytes, a record allows %d", propsLen, MaxPropertiesSize)
	}
	size := BatchRecordSize(len(m.Body), propsLen)
	if size > math.MaxInt32 {
		return dst, fmt.Errorf("record would be %d bytes, more than TOTALSIZE can hold", size)
	}
	be := binary.BigEndian
	dst = be.AppendUint32(dst, uint32(size))
	dst = be.AppendUint32(dst, 0) // MAGICCODE: the broker does not read it
	dst = be.AppendUint32(dst, 0) // BODYCRC: the broker computes it
	dst = be.AppendUint32(dst, uint32(m.Flag))
	dst = be.AppendUint32(dst, uint32(len(m.Body)))
	dst = append(dst, m.Body...)
	dst = be.AppendUint16(dst, uint16(propsLen))
	return AppendProperties(dst, m.Properties), nil
}

// EncodeBatch encodes msgs as a SEND_BATCH_MESSAGE body. It does not apply
// the batching rules; call CheckBatch first.
func EncodeBatch(msgs []*Message) ([]byte, error) {
	n := 0
	for _, m := range msgs {
		n += BatchRecordSize(len(m.Body), PropertiesSize(m.Properties))
	}
	b := make([]byte, 0, n)
	for i, m := range msgs {
		var err error
		if b, err = AppendBatchMessage(b, m); err != nil {
			return nil, fmt.Errorf("batch message %d: %w", i, err)
		}
	}
	return b, nil
}

// DecodeBatch decodes a SEND_BATCH_MESSAGE body into messages of the given
// topic (the header's). Errors name the message index and byte offset.
func DecodeBatch(b []byte, topic string) ([]*Message, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: the body is empty", ErrMalformedBatch)
	}
	var msgs []*Message
	for off := 0; off < len(b); {
		rec, n, err := ParseBatchRecord(b[off:])
		if err != nil {
			return nil, fmt.Errorf("batch message %d at offset %d: %w", len(msgs), off, err)
		}
		msgs = append(msgs, &Message{
			Topic:      topic,
			Flag:       rec.Flag,
			Body:       append([]byte(nil), rec.Body...),
			Properties: ParseProperties(rec.Properties),
		})
		off += n
	}
	return msgs, nil
}

// CheckBatch applies the rules a 4.x producer enforces before it sends a
// batch (upstream MessageBatch.generateFromList): at least one message,
// one topic, not a retry topic, no delay level, and the same WAIT choice.
// The error names the first offending message.
func CheckBatch(msgs []*Message) error {
	if len(msgs) == 0 {
		return errors.New("batch has no messages")
	}
	first := msgs[0]
	for i, m := range msgs {
		switch {
		case m.DelayLevel() > 0:
			return fmt.Errorf("batch message %d: delay level %d is not supported for batching", i, m.DelayLevel())
		case strings.HasPrefix(m.Topic, RetryTopicPrefix):
			return fmt.Errorf("batch message %d: retry topic %q is not supported for batching", i, m.Topic)
		case m.Topic != first.Topic:
			return fmt.Errorf("batch message %d: topic %q differs from the batch's %q", i, m.Topic, first.Topic)
		case m.WaitStoreMsgOK() != first.WaitStoreMsgOK():
			return fmt.Errorf("batch message %d: WAIT differs from the first message's", i)
		}
	}
	return nil
}

// AppendMergedProperties appends the stored properties of one batch
// message: its own properties, then the batch-level ones (the header's
// properties plus what the broker adds), with a 0x02 between them when
// the inner string does not already end with one.
func AppendMergedProperties(dst, inner, batch []byte) []byte {
	dst = append(dst, inner...)
	if len(inner) > 0 && len(batch) > 0 && inner[len(inner)-1] != PropertySeparator {
		dst = append(dst, PropertySeparator)
	}
	return append(dst, batch...)
}
