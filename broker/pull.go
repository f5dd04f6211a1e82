package broker

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/filter"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/store"
)

// handlePull answers PULL_MESSAGE, or holds it (long polling) when there
// is nothing new yet and the client allows it.
func (b *Broker) handlePull(conn *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.PullMessageRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, "bad pull request header: "+err.Error()), nil
	}
	return b.pull(conn, req, &h, true), nil
}

// repull runs a held pull again, without the right to be held, and sends
// its answer.
func (b *Broker) repull(hp *heldPull) {
	resp := b.pull(hp.conn, hp.req, &hp.hdr, false)
	if resp == nil {
		return
	}
	if err := hp.conn.Respond(resp); err != nil && !errors.Is(err, remoting.ErrConnClosed) {
		b.log.Warn("answer held pull", "peer", hp.conn.RemoteAddr(), "err", err)
	}
}

// pull is upstream's PullMessageProcessor.processRequest. It returns the
// response, or nil when the request was held for later.
func (b *Broker) pull(conn *remoting.Conn, req *remoting.Command, h *protocol.PullMessageRequestHeader, allowSuspend bool) *remoting.Command {
	begin := time.Now()
	fail := func(code int32, format string, args ...any) *remoting.Command {
		return remoting.NewResponse(req, code, fmt.Sprintf(format, args...))
	}
	if !protocol.PermReadable(int32(b.conf().BrokerPermission)) {
		return fail(protocol.RespNoPermission, "the broker[%s] pulling message is forbidden", b.conf().BrokerName)
	}
	group, ok, err := b.groups.find(h.ConsumerGroup)
	if err != nil {
		b.log.Error("create subscription group", "group", h.ConsumerGroup, "err", err)
	}
	if !ok {
		return fail(protocol.RespSubscriptionGroupNotExist, "subscription group [%s] does not exist and autoCreateSubscriptionGroup is off", h.ConsumerGroup)
	}
	if !group.ConsumeEnable {
		return fail(protocol.RespNoPermission, "subscription group [%s] is not allowed to consume (consumeEnable=false)", h.ConsumerGroup)
	}
	tc, ok := b.topics.get(h.Topic)
	if !ok {
		return fail(protocol.RespTopicNotExist, "topic[%s] not exist, apply first please!", h.Topic)
	}
	if !protocol.PermReadable(tc.Perm) {
		return fail(protocol.RespNoPermission, "the topic[%s] pulling message is forbidden", h.Topic)
	}
	if h.QueueID < 0 || h.QueueID >= tc.ReadQueueNums {
		return fail(protocol.RespSystemError, "queueId[%d] is illegal, topic:[%s] topicConfig.readQueueNums:[%d] consumer:[%s]",
			h.QueueID, h.Topic, tc.ReadQueueNums, conn.RemoteAddr())
	}

	var sel *filter.Selector
	if h.SysFlag&protocol.PullFlagSubscription != 0 {
		sel, err = b.clients.selectors.compile(h.ConsumerGroup, h.Topic, h.SubVersion, h.ExpressionType, h.Subscription)
		if err != nil {
			return fail(protocol.RespSubscriptionParseFailed, "parse the consumer's subscription[%s] failed, group: %s: %v", truncate(h.Subscription), h.ConsumerGroup, err)
		}
	} else {
		sub, model, known := b.clients.subscription(h.ConsumerGroup, h.Topic)
		switch {
		case !known:
			return fail(protocol.RespSubscriptionNotExist, "the consumer's group info not exist, group: %s (send a heartbeat first)", h.ConsumerGroup)
		case model == protocol.Broadcasting && !group.ConsumeBroadcastEnable:
			return fail(protocol.RespNoPermission, "the consumer group[%s] can not consume by broadcast way", h.ConsumerGroup)
		case sub == nil:
			return fail(protocol.RespSubscriptionNotExist, "the consumer's subscription not exist, group: %s topic: %s", h.ConsumerGroup, h.Topic)
		case sub.data.SubVersion < h.SubVersion:
			return fail(protocol.RespSubscriptionNotLatest, "the consumer's subscription not latest, group: %s topic: %s", h.ConsumerGroup, h.Topic)
		case sub.err != nil:
			return fail(protocol.RespSubscriptionParseFailed, "the consumer's subscription[%s] cannot be served, group: %s: %v",
				truncate(sub.data.SubString), h.ConsumerGroup, sub.err)
		}
		sel = sub.sel
	}
	if sel.NeedsProperties() && !b.conf().EnablePropertyFilter {
		return fail(protocol.RespSystemError, "%s%s", propertyFilterOff, protocol.ExpressionTypeSQL92)
	}

	mf := newMessageFilter(sel)
	if b.conf().FilterSupportRetry && b.conf().EnablePropertyFilter && strings.HasPrefix(h.Topic, protocol.RetryTopicPrefix) {
		mf.filterRetry(b.clients, h.Topic)
	}
	res, err := b.store.GetMessage(h.ConsumerGroup, h.Topic, h.QueueID, h.QueueOffset, int(max(h.MaxMsgNums, 1)), 0, mf.storeFilter())
	if err != nil {
		return fail(protocol.RespSystemError, "read messages: %v", err)
	}
	rh := protocol.PullMessageResponseHeader{
		NextBeginOffset: res.NextBeginOffset, MinOffset: res.MinOffset, MaxOffset: res.MaxOffset,
	}
	if b.conf().SlaveReadEnable && res.SuggestPullingFromSlave {
		rh.SuggestWhichBrokerID = group.WhichBrokerWhenConsumeSlowly
	} else if b.conf().SlaveReadEnable {
		rh.SuggestWhichBrokerID = group.BrokerID
	}
	code := pullCode(res.Status, h.QueueOffset)
	if allowSuspend && h.SysFlag&protocol.PullFlagCommitOffset != 0 {
		b.offsets.commit(h.ConsumerGroup, h.Topic, h.QueueID, h.CommitOffset)
	}

	switch code {
	case protocol.RespSuccess:
		b.stats.recordPull(h.Topic, h.ConsumerGroup, len(res.Messages), res.BufferTotalSize, time.Since(begin))
		resp := remoting.NewResponse(req, code, res.Status.String())
		resp.ExtFields = rh.Encode()
		resp.BodyParts = res.Messages
		resp.Release = res.Release
		return resp
	case protocol.RespPullNotFound:
		if allowSuspend && h.SysFlag&protocol.PullFlagSuspend != 0 {
			d := time.Duration(h.SuspendTimeoutMillis) * time.Millisecond
			if !b.conf().LongPollingEnable {
				d = time.Duration(b.conf().ShortPollingTimeMills) * time.Millisecond
			}
			hp := &heldPull{conn: conn, req: req, hdr: *h, filter: mf, key: queueKey{h.Topic, h.QueueID}}
			if b.holds.hold(hp, d) {
				res.Release()
				return nil
			}
		}
	case protocol.RespPullOffsetMoved:
		b.log.Info("pull offset moved", "group", h.ConsumerGroup, "topic", h.Topic, "queue", h.QueueID,
			"requested", h.QueueOffset, "next", res.NextBeginOffset, "min", res.MinOffset, "max", res.MaxOffset)
		b.offsetMovedEvent(h, res.NextBeginOffset)
	}
	res.Release()
	resp := remoting.NewResponse(req, code, res.Status.String())
	resp.ExtFields = rh.Encode()
	return resp
}

// pullCode maps a store read status to the pull response code (master).
func pullCode(s store.GetStatus, requested int64) int32 {
	switch s {
	case store.Found:
		return protocol.RespSuccess
	case store.NoMatchedMessage, store.MessageWasRemoving:
		return protocol.RespPullRetryImmediately
	case store.NoMatchedLogicQueue, store.NoMessageInQueue:
		if requested != 0 {
			return protocol.RespPullOffsetMoved
		}
		return protocol.RespPullNotFound
	case store.OffsetFoundNull, store.OffsetOverflowOne:
		return protocol.RespPullNotFound
	case store.OffsetOverflowBadly, store.OffsetTooSmall:
		return protocol.RespPullOffsetMoved
	}
	return protocol.RespSystemError
}

// truncate shortens a client-supplied string for a remark.
func truncate(s string) string {
	if len(s) > 128 {
		return s[:128] + "..."
	}
	return s
}

// offsetMovedEvent records a moved offset in OFFSET_MOVED_EVENT (queue 0,
// tag = group) as upstream does, for tools that watch consumers reset.
func (b *Broker) offsetMovedEvent(h *protocol.PullMessageRequestHeader, next int64) {
	ev := struct {
		ConsumerGroup string                `json:"consumerGroup"`
		MessageQueue  protocol.MessageQueue `json:"messageQueue"`
		OffsetNew     int64                 `json:"offsetNew"`
		OffsetRequest int64                 `json:"offsetRequest"`
	}{h.ConsumerGroup, protocol.MessageQueue{Topic: h.Topic, BrokerName: b.conf().BrokerName, QueueID: h.QueueID}, next, h.QueueOffset}
	body, err := protocol.EncodeBody(&ev)
	if err != nil {
		return
	}
	now := b.now().UnixMilli()
	res := b.store.PutMessage(&store.MessageInput{
		Topic: protocol.TopicOffsetMovedEvent, QueueID: 0, BornTimestamp: now, BornHost: b.storeHost, StoreHost: b.storeHost, Body: body,
		Properties: protocol.EncodeProperties(map[string]string{protocol.PropertyTags: h.ConsumerGroup, protocol.PropertyCluster: b.conf().BrokerClusterName}),
	})
	if !res.Status.Stored() {
		b.log.Warn("store offset moved event", "status", res.Status.String(), "remark", res.Remark)
	}
}
