package broker

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/store"
)

// handleSendBack answers CONSUMER_SEND_MSG_BACK: a consumer gives a message
// back for a later retry. The message is copied into %RETRY%<group> (or
// %DLQ%<group> once it used up its retries, or when the client asks with a
// negative level), as upstream does.
//
// Deviation: upstream routes retries through the delay queues (10 s, 30 s,
// ...), which RocketGo does not deliver yet, so the copy is stored for
// immediate redelivery and the first retry of each group logs a warning.
// Refusing instead would lose the message with rocketmq-client-go v2.1.2,
// which treats any reply to a send-back as success.
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
	if !protocol.PermWritable(int32(b.cfg.BrokerPermission)) {
		return fail(protocol.RespNoPermission, "the broker[%s] sending message is forbidden", b.cfg.BrokerName)
	}
	if group.RetryQueueNums <= 0 {
		return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
	}
	view, err := b.store.SelectOneMessageByOffset(h.Offset, 0)
	if err != nil {
		return fail(protocol.RespSystemError, "look message by offset failed, %d: %v", h.Offset, err)
	}
	msg, _, err := protocol.DecodeMessage(view.Bytes, protocol.DecodeOptions{KeepCompressed: true})
	view.Release()
	if err != nil {
		return fail(protocol.RespSystemError, "decode message at offset %d: %v", h.Offset, err)
	}
	if msg.Properties == nil {
		msg.Properties = map[string]string{}
	}
	if _, ok := msg.Properties[protocol.PropertyRetryTopic]; !ok {
		msg.Properties[protocol.PropertyRetryTopic] = msg.Topic
	}
	maxTimes := group.RetryMaxTimes
	if h.MaxReconsumeTimes != nil && req.Version >= protocol.VersionV3_4_9 {
		maxTimes = *h.MaxReconsumeTimes
	}
	topic := protocol.RetryTopic(h.Group)
	queues, queueID := max(group.RetryQueueNums, 1), int32(0)
	if msg.ReconsumeTimes >= maxTimes || h.DelayLevel < 0 {
		topic, queues = protocol.DLQTopic(h.Group), 1
	} else {
		queueID = rand.Int32N(queues)
		if _, warned := b.retryWarned.LoadOrStore(h.Group, true); !warned {
			b.log.Warn("retry delays are not implemented yet: messages given back are redelivered at once, not after the delay level's time",
				"group", h.Group)
		}
	}
	if _, err := b.topics.ensureInternal(topic, queues, protocol.PermRead|protocol.PermWrite, 0); err != nil {
		return fail(protocol.RespSystemError, "create topic %s: %v", topic, err)
	}
	if _, ok := msg.Properties[protocol.PropertyOriginMessageID]; !ok {
		origin := h.OriginMsgID
		if origin == "" {
			origin = msg.OffsetMsgID()
		}
		msg.Properties[protocol.PropertyOriginMessageID] = origin
	}
	delete(msg.Properties, protocol.PropertyDelayTimeLevel)
	msg.Properties[protocol.PropertyCluster] = b.cfg.BrokerClusterName
	in := store.MessageInput{
		Topic: topic, QueueID: queueID, Flag: msg.Flag,
		SysFlag:       msg.SysFlag &^ (protocol.SysFlagBornHostV6 | protocol.SysFlagStoreHostV6),
		BornTimestamp: msg.BornTimestamp, BornHost: msg.BornHost, StoreHost: b.storeHost,
		ReconsumeTimes: msg.ReconsumeTimes + 1, Body: msg.Body, Properties: protocol.EncodeProperties(msg.Properties),
	}
	res := b.store.PutMessage(&in)
	if !res.Status.Stored() {
		return fail(protocol.RespSystemError, "store retry message: %s %s", res.Status, res.Remark)
	}
	b.log.Debug("message given back", "group", h.Group, "to", topic, "reconsumeTimes", strconv.Itoa(int(in.ReconsumeTimes)))
	return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
}
