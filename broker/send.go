package broker

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/store"
)

// sendRequest is a decoded send with what the checks resolved.
type sendRequest struct {
	h     protocol.SendMessageRequestHeader
	topic protocol.TopicConfig
	props string // properties to store: the client's plus CLUSTER
	timer bool   // stored in the timer topic until TIMER_OUT_MS (timersend.go)
	half  bool   // a prepared transactional message (transaction.go)
}

// handleSend answers SEND_MESSAGE, SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE.
func (b *Broker) handleSend(conn *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	h, err := protocol.DecodeSendMessageRequest(req.ExtFields, req.Code != protocol.ReqSendMessage)
	if err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, "bad send request header: "+err.Error()), nil
	}
	sr := sendRequest{h: h}
	if resp := b.checkSend(conn, req, &sr); resp != nil {
		return resp, nil
	}
	bornHost := addrPortOf(conn.RemoteAddr())
	if h.Batch {
		if resp := b.checkBatchRequest(req, &sr); resp != nil {
			return resp, nil
		}
		in := store.BatchInput{
			Topic: sr.h.Topic, QueueID: sr.h.QueueID, SysFlag: sr.h.SysFlag, BornTimestamp: sr.h.BornTimestamp,
			BornHost: bornHost, StoreHost: b.storeHost, Properties: sr.props, WaitStoreMsgOK: waitStoreMsgOK(sr.h.Properties),
		}
		body := req.Body
		for len(body) > 0 {
			rec, n, err := protocol.ParseBatchRecord(body)
			if err != nil {
				return remoting.NewResponse(req, protocol.RespMessageIllegal, fmt.Sprintf("batch message %d: %v", len(in.Messages), err)), nil
			}
			if isHalf(rec.Properties, 0) {
				return remoting.NewResponse(req, protocol.RespMessageIllegal, fmt.Sprintf("batch message %d: %s", len(in.Messages), remarkTxBatch)), nil
			}
			if _, ok := protocol.LookupProperty(rec.Properties, protocol.PropertyDelayTimeLevel); ok || hasTimerProperty(rec.Properties) {
				return remoting.NewResponse(req, protocol.RespMessageIllegal, fmt.Sprintf("batch message %d has a delay level or delivery time; a batch cannot hold delayed messages", len(in.Messages))), nil
			}
			in.Messages = append(in.Messages, store.BatchMessage{Flag: rec.Flag, Body: rec.Body, Properties: string(rec.Properties)})
			body = body[n:]
		}
		if len(in.Messages) == 0 {
			return remoting.NewResponse(req, protocol.RespMessageIllegal, "the batch body holds no message"), nil
		}
		return b.answerPut(conn, req, &sr, in.Topic, func(done store.PutDone) { b.store.PutMessagesAsync(&in, done) }), nil
	}
	reconsume := int32(0)
	if sr.h.ReconsumeTimes != nil {
		reconsume = *sr.h.ReconsumeTimes
	}
	in := store.MessageInput{
		Topic: sr.h.Topic, QueueID: sr.h.QueueID, Flag: sr.h.Flag, SysFlag: sr.h.SysFlag,
		BornTimestamp: sr.h.BornTimestamp, BornHost: bornHost, StoreHost: b.storeHost,
		ReconsumeTimes: reconsume, Body: req.Body, Properties: sr.props,
	}
	if sr.half {
		return b.trans.prepare(conn, req, &sr, &in), nil
	}
	if sr.timer {
		in.Topic, in.QueueID = timerTopic, 0
	}
	return b.answerPut(conn, req, &sr, storedTopic(in.Topic, in.Properties), func(done store.PutDone) { b.store.PutMessageAsync(&in, done) }), nil
}

// blockingSends makes send and transaction workers wait for their own
// flush again, as before asynchronous puts; benchmarks set it to measure
// the difference.
var blockingSends = false

// Where an asynchronous put stands, for answerPut.
const (
	putRunning  = iota // put has not returned
	putDeferred        // put returned first: the answer goes out with Respond
	putAnswered        // the answer came first: the handler returns it
)

// answerPut runs put and answers req with its result. A result known
// before put returns (a refusal, ASYNC_FLUSH, WAIT=false) is the handler's
// response; otherwise the handler returns nil at once and the store's
// flusher, once its group commit covers the message (or the flush times
// out), hands the response to conn's writer with Respond. So under
// SYNC_FLUSH no send worker waits for the disk, and one fsync answers every
// send it covered, however few workers there are. A stored message counts
// in the statistics under statsTopic, the topic it is stored in.
func (b *Broker) answerPut(conn *remoting.Conn, req *remoting.Command, sr *sendRequest, statsTopic string, put func(store.PutDone)) *remoting.Command {
	return b.answerWhenStored(conn, req, sr.h.Topic, put, func(res *store.PutResult) *remoting.Command {
		b.stats.recordPut(statsTopic, res)
		return b.sendResponse(req, sr, res)
	})
}

// answerWhenStored runs put and answers req with respond(result): at once
// when the result is known before put returns, else later through conn
// (the handler then returns nil). Every request that stores a message and
// must not hold a worker for the flush goes through it.
func (b *Broker) answerWhenStored(conn *remoting.Conn, req *remoting.Command, topic string, put func(store.PutDone), respond func(*store.PutResult) *remoting.Command) *remoting.Command {
	return b.answerLater(conn, req, topic, func(answer func(*remoting.Command)) {
		put(func(res store.PutResult) { answer(respond(&res)) })
	})
}

// answerLater runs start, which calls answer exactly once with req's
// response: before start returns (the handler returns it) or later from
// the store's flusher (the response goes out through conn, the handler
// returns nil). topic is for logs.
func (b *Broker) answerLater(conn *remoting.Conn, req *remoting.Command, topic string, start func(answer func(*remoting.Command))) *remoting.Command {
	if blockingSends {
		answered := make(chan *remoting.Command, 1)
		start(func(resp *remoting.Command) { answered <- resp })
		return <-answered
	}
	var state atomic.Int32
	var answer *remoting.Command
	start(func(resp *remoting.Command) {
		answer = resp
		if state.CompareAndSwap(putRunning, putAnswered) || req.IsOneway() {
			return
		}
		// This runs in the store's flusher, which answers every connection's
		// sends: a peer that stopped reading must not stall it, so a full
		// write queue hands this one answer to a goroutine of its own.
		err := conn.TryRespond(resp)
		if errors.Is(err, remoting.ErrWriteQueueFull) {
			go func() {
				if err := conn.Respond(resp); err != nil && !errors.Is(err, remoting.ErrConnClosed) {
					b.log.Warn("answer after flush", "peer", conn.RemoteAddr(), "topic", topic, "err", err)
				}
			}()
			return
		}
		if err != nil && !errors.Is(err, remoting.ErrConnClosed) {
			b.log.Warn("answer after flush", "peer", conn.RemoteAddr(), "topic", topic, "err", err)
		}
	})
	if state.CompareAndSwap(putRunning, putDeferred) {
		return nil
	}
	return answer
}

// checkSend runs upstream's send checks in order; the first failure is
// the answer. On success it fills sr.topic, sr.props and a real queue id.
func (b *Broker) checkSend(conn *remoting.Conn, req *remoting.Command, sr *sendRequest) *remoting.Command {
	h := &sr.h
	fail := func(code int32, format string, args ...any) *remoting.Command {
		return remoting.NewResponse(req, code, fmt.Sprintf(format, args...))
	}
	if ts := b.conf().StartAcceptSendRequestTimeStamp; ts > b.now().UnixMilli() {
		return fail(protocol.RespSystemError, "broker unable to service, until %d", ts)
	}
	if !protocol.PermWritable(int32(b.conf().BrokerPermission)) {
		return fail(protocol.RespNoPermission, "the broker[%s] sending message is forbidden", b.conf().BrokerName)
	}
	if remark := protocol.ValidateTopicName(h.Topic); remark != "" {
		return fail(protocol.RespSystemError, "%s topic=%s", remark, quoteTrunc(h.Topic))
	}
	if protocol.IsNotAllowedSendTopic(h.Topic) {
		return fail(protocol.RespNoPermission, "Sending message to topic[%s] is forbidden.", h.Topic)
	}
	tc, ok := b.topics.get(h.Topic)
	if !ok {
		var err error
		if strings.HasPrefix(h.Topic, protocol.RetryTopicPrefix) {
			tc, err = b.topics.ensureInternal(h.Topic, 1, protocol.PermRead|protocol.PermWrite, 0)
			ok = err == nil
		} else if h.DefaultTopic != "" {
			tc, ok, err = b.topics.createOnSend(h.Topic, h.DefaultTopic, h.DefaultTopicQueueNums, 0)
			if ok {
				b.log.Info("topic created on first send", "topic", h.Topic, "template", h.DefaultTopic,
					"queues", tc.WriteQueueNums, "producer", conn.RemoteAddr())
			}
		}
		if err != nil {
			b.log.Error("create topic on send", "topic", h.Topic, "err", err)
		}
		if !ok {
			why := "and autoCreateTopicEnable is off"
			if b.conf().AutoCreateTopicEnable {
				why = fmt.Sprintf("and the default topic %s cannot create it", quoteTrunc(h.DefaultTopic))
			}
			return fail(protocol.RespTopicNotExist, "topic[%s] not exist on broker %s %s; create it first (mqadmin updateTopic)", h.Topic, b.conf().BrokerName, why)
		}
	}
	sr.topic = tc
	if !protocol.PermWritable(tc.Perm) {
		return fail(protocol.RespNoPermission, "the topic[%s] sending message is forbidden", h.Topic)
	}
	if n := max(tc.WriteQueueNums, tc.ReadQueueNums); h.QueueID >= n {
		return fail(protocol.RespSystemError, "request queueId[%d] is illegal, %s, producer: %s", h.QueueID, topicConfigString(tc), conn.RemoteAddr())
	}
	if h.QueueID < 0 {
		h.QueueID = rand.Int32N(max(tc.WriteQueueNums, 1))
	}
	if tc.TopicFilterType == protocol.MultiTag {
		h.SysFlag |= protocol.SysFlagMultiTags
	}
	props := []byte(h.Properties)
	if resp := b.checkRetry(req, sr, &props); resp != nil {
		return resp
	}
	if isHalf(props, h.SysFlag) {
		if resp := b.checkHalf(req, sr, props); resp != nil {
			return resp
		}
	}
	if resp := b.checkTimer(req, sr, &props); resp != nil {
		return resp
	}
	if len(req.Body) > b.conf().MaxMessageSize {
		return fail(protocol.RespMessageIllegal, "the message body size %d exceeds maxMessageSize %d", len(req.Body), b.conf().MaxMessageSize)
	}
	props = protocol.AppendProperty(props, protocol.PropertyCluster, b.conf().BrokerClusterName)
	if len(props) > protocol.MaxPropertiesSize {
		return fail(protocol.RespMessageIllegal, "the message properties size %d exceeds %d", len(props), protocol.MaxPropertiesSize)
	}
	sr.props = string(props)
	return nil
}

// checkRetry handles sends to %RETRY%<group>: the group must exist, and a
// message that has used up its retries goes to %DLQ%<group> instead.
func (b *Broker) checkRetry(req *remoting.Command, sr *sendRequest, props *[]byte) *remoting.Command {
	h := &sr.h
	group, ok := strings.CutPrefix(h.Topic, protocol.RetryTopicPrefix)
	if !ok {
		return nil
	}
	gc, ok, err := b.groups.find(group)
	if err != nil {
		b.log.Error("create subscription group", "group", group, "err", err)
	}
	if !ok {
		return remoting.NewResponse(req, protocol.RespSubscriptionGroupNotExist, "subscription group not exist, "+group)
	}
	maxTimes := gc.RetryMaxTimes
	if h.MaxReconsumeTimes != nil && req.Version >= protocol.VersionV3_4_9 {
		maxTimes = *h.MaxReconsumeTimes
	}
	reconsume := int32(0)
	if h.ReconsumeTimes != nil {
		reconsume = *h.ReconsumeTimes
	}
	if reconsume < maxTimes {
		return nil
	}
	dlq := protocol.DLQTopic(group)
	tc, err := b.topics.ensureInternal(dlq, 1, protocol.PermRead|protocol.PermWrite, 0)
	if err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, "create dead letter topic "+dlq+": "+err.Error())
	}
	b.log.Info("message used up its retries; stored in the dead letter queue", "group", group, "reconsumeTimes", reconsume, "max", maxTimes)
	h.Topic, h.QueueID, sr.topic = dlq, 0, tc
	if _, ok := protocol.LookupProperty(*props, protocol.PropertyDelayTimeLevel); ok {
		m := protocol.ParseProperties(*props)
		delete(m, protocol.PropertyDelayTimeLevel)
		*props = protocol.AppendProperties(nil, m)
	}
	return nil
}

// checkBatchRequest applies the batch-only rules.
func (b *Broker) checkBatchRequest(req *remoting.Command, sr *sendRequest) *remoting.Command {
	if strings.HasPrefix(sr.h.Topic, protocol.RetryTopicPrefix) {
		return remoting.NewResponse(req, protocol.RespMessageIllegal, "batch messages cannot be sent to a retry topic")
	}
	return nil
}

// sendResponse maps a put result to the reply.
func (b *Broker) sendResponse(req *remoting.Command, sr *sendRequest, res *store.PutResult) *remoting.Command {
	var code int32
	switch res.Status {
	case store.PutOK:
		code = protocol.RespSuccess
	case store.FlushDiskTimeout:
		code = protocol.RespFlushDiskTimeout
	case store.FlushSlaveTimeout:
		code = protocol.RespFlushSlaveTimeout
	case store.SlaveNotAvailable:
		code = protocol.RespSlaveNotAvailable
	case store.ServiceNotAvailable:
		return remoting.NewResponse(req, protocol.RespServiceNotAvailable, "service not available now: "+res.Remark)
	case store.MessageIllegal, store.PropertiesSizeExceeded:
		return remoting.NewResponse(req, protocol.RespMessageIllegal, "the message is illegal: "+res.Remark)
	case store.OSPageCacheBusy:
		return remoting.NewResponse(req, protocol.RespSystemError, res.Remark)
	default:
		b.log.Error("put message", "topic", sr.h.Topic, "status", res.Status.String(), "remark", res.Remark)
		return remoting.NewResponse(req, protocol.RespSystemError, res.Status.String()+": "+res.Remark)
	}
	resp := remoting.NewResponse(req, code, res.Remark)
	rh := protocol.SendMessageResponseHeader{
		MsgID: res.MsgID(), QueueID: sr.h.QueueID, QueueOffset: res.QueueOffset,
		MsgRegion: b.conf().RegionID, TraceOn: strconv.FormatBool(b.conf().TraceOn),
	}
	resp.ExtFields = rh.Encode()
	return resp
}

// waitStoreMsgOK reads the WAIT property: absent or "true" means wait.
func waitStoreMsgOK(props string) bool {
	v, ok := protocol.LookupProperty([]byte(props), protocol.PropertyWaitStoreMsgOK)
	return !ok || strings.EqualFold(string(v), "true")
}

// addrPortOf parses a connection's "ip:port" for the born host field.
func addrPortOf(s string) netip.AddrPort {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func topicConfigString(tc protocol.TopicConfig) string {
	return fmt.Sprintf("TopicConfig [topicName=%s, readQueueNums=%d, writeQueueNums=%d, perm=%s, topicFilterType=%s, topicSysFlag=%d, order=%t]",
		tc.TopicName, tc.ReadQueueNums, tc.WriteQueueNums, protocol.PermString(tc.Perm), tc.TopicFilterType, tc.TopicSysFlag, tc.Order)
}
