package broker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/store"
)

// handleSendBack answers CONSUMER_SEND_MSG_BACK: a consumer gives a message
// back for a later retry. As upstream, a copy goes to %RETRY%<group> with
// DELAY = the level the client asks for, or 3 + reconsumeTimes (so the
// store keeps it in the delay queues: 10 s, 30 s, 1 m, ... 2 h), or to
// %DLQ%<group> once it has used up maxReconsumeTimes (the client's, else
// the group's retryMaxTimes) or when the client asks with a negative
// level. The copy keeps body, flags, born time and hosts, counts one more
// reconsume and carries RETRY_TOPIC (the topic it was first consumed
// from) and ORIGIN_MESSAGE_ID (the first delivery's offset id).
//
// The consumer's reconsume count lives in the record's reconsumeTimes
// field, which is what clients read; the RECONSUME_TIME property is only
// used by client-built retry messages (send.go's checkRetry reads it from
// the send header), so it is not added here, as upstream 4.9.8 does not.
func (b *Broker) handleSendBack(conn *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.ConsumerSendMsgBackRequestHeader
	if resp := decodeOrFail(req, &h); resp != nil {
		return resp, nil
	}
	// Failures are logged too: some clients ignore the reply's code.
	fail := func(code int32, format string, args ...any) (*remoting.Command, error) {
		remark := fmt.Sprintf(format, args...)
		b.log.Warn("consumer send-back refused", "group", h.Group, "offset", h.Offset, "peer", conn.RemoteAddr(), "why", remark)
		return remoting.NewResponse(req, code, remark), nil
	}
	group, ok, err := b.groups.find(h.Group)
	if err != nil {
		b.log.Error("create subscription group", "group", h.Group, "err", err)
	}
	if !ok {
		return fail(protocol.RespSubscriptionGroupNotExist, "subscription group not exist, %s", h.Group)
	}
	if !protocol.PermWritable(int32(b.conf().BrokerPermission)) {
		return fail(protocol.RespNoPermission, "the broker[%s] sending message is forbidden", b.conf().BrokerName)
	}
	if group.RetryQueueNums <= 0 {
		return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
	}
	topic := protocol.RetryTopic(h.Group)
	tc, err := b.topics.ensureInternal(topic, group.RetryQueueNums, protocol.PermRead|protocol.PermWrite, 0)
	if err != nil {
		return fail(protocol.RespSystemError, "create topic %s: %v", topic, err)
	}
	if !protocol.PermWritable(tc.Perm) {
		return fail(protocol.RespNoPermission, "the topic[%s] sending message is forbidden", topic)
	}
	view, err := b.store.SelectOneMessageByOffset(h.Offset, 0)
	if err != nil {
		return fail(protocol.RespSystemError, "look message by offset failed, %d: %v", h.Offset, err)
	}
	defer view.Release()
	rec, err := protocol.ParseMessageRecord(view.Bytes)
	if err != nil {
		return fail(protocol.RespSystemError, "decode message at offset %d: %v", h.Offset, err)
	}
	props := protocol.ParseProperties(rec.Properties)
	if _, ok := props[protocol.PropertyRetryTopic]; !ok {
		props[protocol.PropertyRetryTopic] = string(rec.Topic)
	}
	if _, ok := props[protocol.PropertyOriginMessageID]; !ok {
		props[protocol.PropertyOriginMessageID] = protocol.EncodeOffsetMsgID(rec.StoreHost, rec.PhysicalOffset)
	}
	maxTimes := group.RetryMaxTimes
	if h.MaxReconsumeTimes != nil && req.Version >= protocol.VersionV3_4_9 {
		maxTimes = *h.MaxReconsumeTimes
	}
	queueID := rand.Int32N(group.RetryQueueNums)
	level := h.DelayLevel
	if rec.ReconsumeTimes >= maxTimes || level < 0 {
		topic, queueID, level = protocol.DLQTopic(h.Group), 0, 0
		// One queue, read and write: nobody subscribes to it
		// automatically, so its messages wait for someone to look.
		if _, err := b.topics.ensureInternal(topic, 1, protocol.PermRead|protocol.PermWrite, 0); err != nil {
			return fail(protocol.RespSystemError, "create topic %s: %v", topic, err)
		}
		b.log.Info("message used up its retries; stored in the dead letter queue", "group", h.Group,
			"reconsumeTimes", rec.ReconsumeTimes, "max", maxTimes, "asked", h.DelayLevel)
	} else if level == 0 {
		level = 3 + rec.ReconsumeTimes
	}
	props[protocol.PropertyDelayTimeLevel] = strconv.Itoa(int(level))
	props[protocol.PropertyCluster] = b.conf().BrokerClusterName
	in := redelivery(&rec, topic, queueID, props)
	in.ReconsumeTimes = rec.ReconsumeTimes + 1
	// Send-backs run on the send pool: under SYNC_FLUSH they are answered
	// by the flusher, like sends, instead of holding a worker for the disk.
	put := func(done store.PutDone) { b.store.PutMessageAsync(&in, done) }
	return b.answerWhenStored(conn, req, topic, put, func(res *store.PutResult) *remoting.Command {
		if !res.Status.Stored() {
			return remoting.NewResponse(req, protocol.RespSystemError, fmt.Sprintf("%s: %s", res.Status, res.Remark))
		}
		b.stats.recordSendBack(props[protocol.PropertyRetryTopic], h.Group, level > 0, res)
		b.log.Debug("message given back", "group", h.Group, "to", topic, "level", level, "reconsumeTimes", in.ReconsumeTimes)
		return remoting.NewResponse(req, protocol.RespSuccess, "")
	}), nil
}

// consumeDirectlyHeader is upstream's ConsumeMessageDirectlyResultRequestHeader.
type consumeDirectlyHeader struct {
	ConsumerGroup string `ext:"consumerGroup,required"`
	ClientID      string `ext:"clientId"`
	MsgID         string `ext:"msgId"`
	BrokerName    string `ext:"brokerName"`
}

// handleConsumeDirectly relays CONSUME_MESSAGE_DIRECTLY to one consumer of
// the group with the record the offset message id names as the body; the
// consumer runs its listener on it and its answer is returned as it is.
// This is how consoles resend a dead letter to its group.
func (b *Broker) handleConsumeDirectly(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h consumeDirectlyHeader
	if resp := decodeOrFail(req, &h); resp != nil {
		return resp, nil
	}
	_, phy, err := protocol.DecodeOffsetMsgID(h.MsgID)
	if err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, fmt.Sprintf("msgId %q is not an offset message id: %v", h.MsgID, err)), nil
	}
	view, err := b.store.SelectOneMessageByOffset(phy, 0)
	if err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, fmt.Sprintf("no message at offset %d (msgId %s): %v", phy, h.MsgID, err)), nil
	}
	body := append([]byte(nil), view.Bytes...)
	view.Release()
	ch, ok := b.clients.findConsumer(h.ConsumerGroup, h.ClientID)
	if !ok {
		return remoting.NewResponse(req, protocol.RespSystemError, fmt.Sprintf("The Consumer <%s> <%s> not online", h.ConsumerGroup, h.ClientID)), nil
	}
	if ch.version < 62 { // V3_1_8_SNAPSHOT
		return remoting.NewResponse(req, protocol.RespSystemError,
			fmt.Sprintf("The Consumer <%s> Version <%d> too low to finish, please upgrade it", h.ClientID, ch.version)), nil
	}
	ext := make(map[string]string, len(req.ExtFields)+1)
	for k, v := range req.ExtFields {
		ext[k] = v
	}
	ext["brokerName"] = b.conf().BrokerName
	ctx, cancel := context.WithTimeout(context.Background(), consumerRelayTimeout)
	defer cancel()
	answer, err := ch.conn.InvokeSync(ctx, remoting.NewRequest(protocol.ReqConsumeMessageDirectly, ext, body))
	switch {
	case errors.Is(err, remoting.ErrTimeout) || errors.Is(err, context.DeadlineExceeded):
		return remoting.NewResponse(req, protocol.RespConsumeMsgTimeout, fmt.Sprintf("consumer %s did not answer: %v", h.ClientID, err)), nil
	case err != nil:
		return remoting.NewResponse(req, protocol.RespSystemError, fmt.Sprintf("relay to consumer %s: %v", h.ClientID, err)), nil
	}
	resp := remoting.NewResponse(req, answer.Code, answer.Remark)
	resp.ExtFields, resp.Body = answer.ExtFields, answer.Body
	return resp, nil
}
