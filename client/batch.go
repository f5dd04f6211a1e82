package client

import (
	"context"
	"fmt"
	"strings"

	"github.com/rocketgo/rocketgo/protocol"
)

// DefaultBatchLimit is the body size SplitBatch keeps each batch under: the
// broker's default maxMessageSize, which a batch's body must not exceed.
const DefaultBatchLimit = 4 << 20

// SendBatch sends msgs, all for one topic and without delay levels, in one
// request and waits for the broker to store them (retried like Send). Each
// message gets a UNIQ_KEY if it has none; the result's MsgID lists them
// comma-joined. A batch whose encoded body exceeds MaxMessageSize is
// refused: cut it with SplitBatch first.
func (p *Producer) SendBatch(ctx context.Context, msgs []*Message) (*SendResult, error) {
	if err := p.life.ready(); err != nil {
		return nil, err
	}
	if err := protocol.CheckBatch(msgs); err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	topic := msgs[0].Topic
	if err := checkTopic(topic); err != nil {
		return nil, err
	}
	if protocol.IsNotAllowedSendTopic(topic) {
		return nil, fmt.Errorf("client: sending to topic %q is not allowed", topic)
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		if len(m.Body) == 0 {
			return nil, fmt.Errorf("client: batch message %d has an empty body", i)
		}
		for k, v := range m.Properties {
			if err := protocol.CheckProperty(k, v); err != nil {
				return nil, fmt.Errorf("client: batch message %d: %w", i, err)
			}
		}
		if ids[i] = m.UniqKey(); ids[i] == "" {
			ids[i] = uniqIDs().Next()
			m.SetProperty(protocol.PropertyUniqClientMessageID, ids[i])
		}
	}
	body, err := protocol.EncodeBatch(msgs)
	if err != nil {
		return nil, fmt.Errorf("client: %w", err)
	}
	if len(body) > p.opts.MaxMessageSize {
		return nil, fmt.Errorf("client: batch of %d messages is %d bytes, over the %d-byte limit (MaxMessageSize): split it with SplitBatch",
			len(msgs), len(body), p.opts.MaxMessageSize)
	}
	info, err := p.publishInfo(ctx, topic)
	if err != nil {
		return nil, err
	}
	o := &outgoing{
		topic: topic,
		body:  body,
		props: protocol.EncodeProperties(map[string]string{
			protocol.PropertyWaitStoreMsgOK: fmt.Sprint(msgs[0].WaitStoreMsgOK()),
		}),
		batch: true,
		msgID: strings.Join(ids, ","),
	}
	return p.sendSync(ctx, o, info, p.opts.Retries)
}

// SplitBatch cuts msgs into consecutive batches whose encoded bodies stay
// within limit bytes (DefaultBatchLimit when limit <= 0), the job of seed
// 004's ListSplitter. Sizes are exact: each message's batch record,
// counting the UNIQ_KEY SendBatch will add. A message too big to fit any
// batch is put in one of its own, so sending it reports the problem.
func SplitBatch(msgs []*Message, limit int) [][]*Message {
	if limit <= 0 {
		limit = DefaultBatchLimit
	}
	var out [][]*Message
	start, size := 0, 0
	for i, m := range msgs {
		n := batchRecordSize(m)
		if i > start && size+n > limit {
			out = append(out, msgs[start:i:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(msgs) {
		out = append(out, msgs[start:len(msgs):len(msgs)])
	}
	return out
}

// batchRecordSize is the size of m's record in a batch body once it has a
// UNIQ_KEY.
func batchRecordSize(m *Message) int {
	props := protocol.PropertiesSize(m.Properties)
	if m.UniqKey() == "" {
		if props > 0 {
			props++ // separator
		}
		props += len(protocol.PropertyUniqClientMessageID) + 1 + uniqIDLen()
	}
	return protocol.BatchRecordSize(len(m.Body), props)
}

func uniqIDLen() int { return len(uniqIDs().Next()) }
