package client

import (
	"context"
	"fmt"
	"strconv"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// sendBack returns a message the listener failed on to the broker, which
// redelivers it through the group's retry topic after a delay growing
// with its reconsume count, or moves it to the dead-letter topic after
// MaxReconsumeTimes (CONSUMER_SEND_MSG_BACK). When that call fails the
// message is sent to the retry topic as a new message instead.
func (c *PushConsumer) sendBack(ctx context.Context, m *MessageExt, brokerName string) error {
	addr := c.in.routes.masterAddr(brokerName)
	if addr == "" {
		addr = m.StoreHost.String()
	}
	max := int32(c.opts.MaxReconsumeTimes)
	ext := protocol.EncodeHeader(&protocol.ConsumerSendMsgBackRequestHeader{
		Offset:            m.CommitLogOffset,
		Group:             c.opts.Group,
		DelayLevel:        0, // the broker picks 3 + reconsume count
		OriginMsgID:       m.MsgID(),
		OriginTopic:       m.Topic,
		MaxReconsumeTimes: &max,
	})
	_, err := c.in.invokeOK(ctx, "send back "+m.MsgID(), addr, remoting.NewRequest(protocol.ReqConsumerSendMsgBack, ext, nil))
	if err == nil {
		return nil
	}
	c.in.log.Warn("client: send back failed; sending to the retry topic", "msgId", m.MsgID(), "err", err)
	m.ReconsumeTimes++
	defer func() { m.ReconsumeTimes-- }()
	return c.sendToRetryTopic(ctx, m)
}

// sendToRetryTopic sends a copy of m to the group's retry topic with
// m.ReconsumeTimes as its reconsume count and the delay level that count
// earns; past MaxReconsumeTimes the broker puts it in the dead-letter
// topic instead (upstream's fallback in sendMessageBack).
func (c *PushConsumer) sendToRetryTopic(ctx context.Context, m *MessageExt) error {
	props := make(map[string]string, len(m.Properties)+3)
	for k, v := range m.Properties {
		props[k] = v
	}
	if props[protocol.PropertyOriginMessageID] == "" {
		props[protocol.PropertyOriginMessageID] = m.MsgID()
	}
	props[protocol.PropertyRetryTopic] = m.Topic
	props[protocol.PropertyDelayTimeLevel] = strconv.Itoa(3 + int(m.ReconsumeTimes))
	delete(props, protocol.PropertyTransactionPrepared)
	delete(props, protocol.PropertyReconsumeTime)
	delete(props, protocol.PropertyMaxReconsumeTimes)
	msg := &Message{Topic: protocol.RetryTopic(c.opts.Group), Flag: m.Flag, Body: m.Body, Properties: props}
	p := c.inner
	info, o, err := p.begin(ctx, msg)
	if err != nil {
		return err
	}
	max := int32(c.opts.MaxReconsumeTimes)
	o.reconsumeTimes = m.ReconsumeTimes
	o.maxReconsumeTimes = &max
	if _, err := p.sendSync(ctx, o, info, p.opts.Retries); err != nil {
		return fmt.Errorf("client: send %s to %s: %w", m.MsgID(), msg.Topic, err)
	}
	return nil
}
