package client

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// outgoing is a message ready to go on the wire, the same for every
// attempt of one send.
type outgoing struct {
	topic   string
	body    []byte
	props   string
	sysFlag int32
	flag    int32
	batch   bool
	msgID   string // for the SendResult
	// For messages to a retry topic: the counts that travel in the header
	// rather than in the properties (upstream moves them there).
	reconsumeTimes    int32
	maxReconsumeTimes *int32
}

// uniqIDs makes client message ids for every producer in the process.
var uniqIDs = sync.OnceValue(protocol.NewLocalUniqIDGenerator)

var propsBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// prepare gives msg a client id (UNIQ_KEY) if it has none, which Send
// leaves on msg as upstream does, encodes the properties and compresses
// a large body.
func (p *Producer) prepare(msg *Message) (*outgoing, error) {
	id := msg.UniqKey()
	if id == "" {
		id = uniqIDs().Next()
		msg.SetProperty(protocol.PropertyUniqClientMessageID, id)
	}
	o := &outgoing{topic: msg.Topic, body: msg.Body, flag: msg.Flag, msgID: id}
	if p.opts.CompressOver > 0 && len(msg.Body) > p.opts.CompressOver {
		z, err := protocol.CompressBody(msg.Body, p.opts.CompressLevel)
		if err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
		o.body = z
		o.sysFlag |= protocol.SysFlagCompressed | protocol.SysFlagCompressionZlib
	}
	if msg.Property(protocol.PropertyTransactionPrepared) == "true" {
		o.sysFlag |= protocol.SysFlagTransactionPrepared
	}
	bp := propsBufs.Get().(*[]byte)
	buf := protocol.AppendProperties((*bp)[:0], msg.Properties)
	o.props = string(buf)
	*bp = buf
	propsBufs.Put(bp)
	return o, nil
}

// request builds the send request of o to mq, in the V2 (one-letter keys)
// or V1 layout; batches always use V2 keys, as every client and broker
// expects. A fresh command per attempt: a sent command belongs to its
// connection.
func (p *Producer) request(o *outgoing, mq MessageQueue) *remoting.Command {
	code := protocol.ReqSendMessageV2
	keys := &sendKeysV2
	switch {
	case o.batch:
		code = protocol.ReqSendBatchMessage
	case p.opts.SendV1:
		code = protocol.ReqSendMessage
		keys = &sendKeysV1
	}
	ext := make(map[string]string, 14)
	ext[keys[0]] = p.opts.Group
	ext[keys[1]] = o.topic
	ext[keys[2]] = p.opts.CreateTopicKey
	ext[keys[3]] = strconv.Itoa(p.opts.DefaultTopicQueueNums)
	ext[keys[4]] = strconv.Itoa(int(mq.QueueID))
	ext[keys[5]] = strconv.Itoa(int(o.sysFlag))
	ext[keys[6]] = strconv.FormatInt(time.Now().UnixMilli(), 10)
	ext[keys[7]] = strconv.Itoa(int(o.flag))
	ext[keys[8]] = o.props
	ext[keys[9]] = strconv.Itoa(int(o.reconsumeTimes))
	ext[keys[10]] = "false"
	if o.maxReconsumeTimes != nil {
		ext[keys[11]] = strconv.Itoa(int(*o.maxReconsumeTimes))
	}
	ext[keys[12]] = strconv.FormatBool(o.batch)
	ext[keys[13]] = mq.BrokerName
	return remoting.NewRequest(code, ext, o.body)
}

// Send header keys in the order producerGroup, topic, defaultTopic,
// defaultTopicQueueNums, queueId, sysFlag, bornTimestamp, flag,
// properties, reconsumeTimes, unitMode, maxReconsumeTimes, batch, and the
// broker name (4.9.5+).
var (
	sendKeysV2 = [14]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n"}
	sendKeysV1 = [14]string{"producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums", "queueId", "sysFlag",
		"bornTimestamp", "flag", "properties", "reconsumeTimes", "unitMode", "maxReconsumeTimes", "batch", "bname"}
)

// sendResponse turns a send reply into a SendResult (upstream
// processSendResponse): SUCCESS and the three stored-but codes give a
// result, anything else a *ResponseError.
func sendResponse(resp *remoting.Command, addr string, mq MessageQueue, msgID string) (*SendResult, error) {
	var status SendStatus
	switch resp.Code {
	case protocol.RespSuccess:
		status = SendOK
	case protocol.RespFlushDiskTimeout:
		status = SendFlushDiskTimeout
	case protocol.RespFlushSlaveTimeout:
		status = SendFlushSlaveTimeout
	case protocol.RespSlaveNotAvailable:
		status = SendSlaveNotAvailable
	default:
		return nil, responseError("send to "+mq.Topic, addr, resp.Code, resp.Remark)
	}
	ext := resp.ExtFields
	queueID, err := strconv.ParseInt(ext["queueId"], 10, 32)
	if err != nil {
		return nil, fmt.Errorf("client: send reply from %s: bad queueId %q", addr, ext["queueId"])
	}
	offset, err := strconv.ParseInt(ext["queueOffset"], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("client: send reply from %s: bad queueOffset %q", addr, ext["queueOffset"])
	}
	r := &SendResult{
		Status:        status,
		MsgID:         msgID,
		OffsetMsgID:   ext["msgId"],
		Queue:         MessageQueue{Topic: mq.Topic, BrokerName: mq.BrokerName, QueueID: int32(queueID)},
		QueueOffset:   offset,
		TransactionID: ext["transactionId"],
		RegionID:      ext[protocol.PropertyMsgRegion],
		TraceOn:       ext[protocol.PropertyTraceSwitch] != "false",
	}
	if r.RegionID == "" {
		r.RegionID = "DefaultRegion"
	}
	return r, nil
}

// retryable reports whether a failed send may be tried again elsewhere:
// transport failures, and the broker refusals upstream retries.
func retryable(err error) bool {
	code, ok := ResponseCode(err)
	if !ok {
		return !errors.Is(err, context.Canceled)
	}
	switch code {
	case protocol.RespTopicNotExist, protocol.RespServiceNotAvailable, protocol.RespSystemError,
		protocol.RespNoPermission, protocol.RespNoBuyerID, protocol.RespNotInCurrentUnit:
		return true
	}
	return false
}

// brokerAddrFor returns mq's master, refreshing the topic's route once
// when the broker is not known.
func (p *Producer) brokerAddrFor(ctx context.Context, mq MessageQueue) (string, error) {
	if addr := p.in.routes.masterAddr(mq.BrokerName); addr != "" {
		return addr, nil
	}
	if _, err := p.in.updateRoute(ctx, mq.Topic); err != nil && !errors.Is(err, ErrNoRoute) {
		return "", err
	}
	if addr := p.in.routes.masterAddr(mq.BrokerName); addr != "" {
		return addr, nil
	}
	return "", fmt.Errorf("client: broker %s (topic %s) has no master address", mq.BrokerName, mq.Topic)
}

// sendOnce sends o to mq and waits at most timeout for the reply.
func (p *Producer) sendOnce(ctx context.Context, o *outgoing, mq MessageQueue, timeout time.Duration) (*SendResult, error) {
	addr, err := p.brokerAddrFor(ctx, mq)
	if err != nil {
		return nil, err
	}
	resp, err := p.in.rc.InvokeSync(ctx, addr, p.request(o, mq), timeout)
	if err != nil {
		return nil, fmt.Errorf("client: send to %s at %s: %w", mq, addr, err)
	}
	return sendResponse(resp, addr, mq, o.msgID)
}

// sendSync sends o to the queues of info, trying up to 1+Retries times
// within SendTimeout, each retry on another broker when there is one.
func (p *Producer) sendSync(ctx context.Context, o *outgoing, info *publishInfo, retries int) (*SendResult, error) {
	start := time.Now()
	var lastBroker string
	var lastErr error
	var notOK *SendResult
	attempts := 1 + retries
	for i := range attempts {
		left := p.opts.SendTimeout - time.Since(start)
		if left <= 0 {
			lastErr = fmt.Errorf("client: send to %s: %w after %d attempts (SendTimeout %v)", o.topic, remoting.ErrTimeout, i, p.opts.SendTimeout)
			break
		}
		if fresh := p.in.routes.publish(o.topic); fresh != nil {
			info = fresh // a refresh after a failure may have changed it
		}
		mq := selectQueue(info, lastBroker, p.fault)
		lastBroker = mq.BrokerName
		t0 := time.Now()
		res, err := p.sendOnce(ctx, o, mq, left)
		if p.fault != nil {
			p.fault.update(mq.BrokerName, time.Since(t0), err != nil)
		}
		if err == nil {
			if res.Status != SendOK && p.opts.RetryAnotherBrokerWhenNotStoreOK && i+1 < attempts {
				notOK = res
				continue
			}
			return res, nil
		}
		lastErr = err
		if ctx.Err() != nil || !retryable(err) {
			break
		}
		p.in.refreshSoon(o.topic)
		p.in.log.Debug("client: send failed; retrying", "topic", o.topic, "queue", mq, "attempt", i+1, "err", err)
	}
	if notOK != nil {
		return notOK, nil
	}
	return nil, lastErr
}

// begin does what every send starts with: check the producer and the
// message, find the topic's queues, and prepare the message for the wire.
func (p *Producer) begin(ctx context.Context, msg *Message) (*publishInfo, *outgoing, error) {
	if err := p.life.ready(); err != nil {
		return nil, nil, err
	}
	if err := checkMessage(msg, p.opts.MaxMessageSize); err != nil {
		return nil, nil, err
	}
	info, err := p.publishInfo(ctx, msg.Topic)
	if err != nil {
		return nil, nil, err
	}
	o, err := p.prepare(msg)
	if err != nil {
		return nil, nil, err
	}
	return info, o, nil
}

// Send sends msg and waits until the broker has stored it, retrying on
// another broker when a broker cannot be reached or refuses it in a way
// upstream retries (see ProducerOptions.Retries). It sets msg's UNIQ_KEY
// property when msg has none.
func (p *Producer) Send(ctx context.Context, msg *Message) (*SendResult, error) {
	info, o, err := p.begin(ctx, msg)
	if err != nil {
		return nil, err
	}
	return p.sendSync(ctx, o, info, p.opts.Retries)
}

// SendToQueue sends msg to the given queue, once, without retries (the
// queue was chosen on purpose).
func (p *Producer) SendToQueue(ctx context.Context, msg *Message, mq MessageQueue) (*SendResult, error) {
	if msg != nil && mq.Topic != msg.Topic {
		return nil, fmt.Errorf("client: message topic %q differs from the queue's %q", msg.Topic, mq.Topic)
	}
	_, o, err := p.begin(ctx, msg)
	if err != nil {
		return nil, err
	}
	return p.sendOnce(ctx, o, mq, p.opts.SendTimeout)
}

// QueueSelector picks the queue of a message from the topic's writable
// queues (upstream MessageQueueSelector); arg is what was given to
// SendSelect. The slice is the caller's to keep.
type QueueSelector func(queues []MessageQueue, msg *Message, arg any) MessageQueue

// SendSelect sends msg to the queue sel picks, once, without retries
// (which would break the order the selector exists for).
func (p *Producer) SendSelect(ctx context.Context, msg *Message, sel QueueSelector, arg any) (*SendResult, error) {
	if sel == nil {
		return nil, fmt.Errorf("client: SendSelect needs a selector")
	}
	info, o, err := p.begin(ctx, msg)
	if err != nil {
		return nil, err
	}
	mq := sel(append([]MessageQueue(nil), info.queues...), msg, arg)
	if mq.Topic != msg.Topic || mq.BrokerName == "" {
		return nil, fmt.Errorf("client: selector returned %s, not a queue of %s", mq, msg.Topic)
	}
	return p.sendOnce(ctx, o, mq, p.opts.SendTimeout)
}

// SendOneway sends msg without waiting for any reply: no result, no
// retry, the cheapest and least reliable way (logs and metrics).
func (p *Producer) SendOneway(ctx context.Context, msg *Message) error {
	info, o, err := p.begin(ctx, msg)
	if err != nil {
		return err
	}
	mq := selectQueue(info, "", p.fault)
	addr, err := p.brokerAddrFor(ctx, mq)
	if err != nil {
		return err
	}
	if err := p.in.rc.InvokeOneway(ctx, addr, p.request(o, mq)); err != nil {
		if p.fault != nil {
			p.fault.update(mq.BrokerName, 0, true)
		}
		return fmt.Errorf("client: oneway send to %s at %s: %w", mq, addr, err)
	}
	return nil
}

// SendAsync sends msg and returns at once; cb runs exactly once, in a
// goroutine of its own, with the result or the error after up to
// AsyncRetries retries on other brokers. SendAsync may block while it
// fetches a topic's route the first time. An error returned by SendAsync
// means cb will not run.
func (p *Producer) SendAsync(ctx context.Context, msg *Message, cb func(*SendResult, error)) error {
	if cb == nil {
		return fmt.Errorf("client: SendAsync needs a callback")
	}
	info, o, err := p.begin(ctx, msg)
	if err != nil {
		return err
	}
	p.asyncMu.RLock()
	if err := p.life.ready(); err != nil {
		p.asyncMu.RUnlock()
		return err
	}
	p.inflight.Add(1)
	p.asyncMu.RUnlock()
	a := &asyncSend{p: p, ctx: ctx, o: o, info: info, cb: cb, left: 1 + p.opts.AsyncRetries, start: time.Now()}
	go a.try("") // the first dial to a broker blocks; keep it off the caller
	return nil
}

// asyncSend is one SendAsync in flight.
type asyncSend struct {
	p     *Producer
	ctx   context.Context
	o     *outgoing
	info  *publishInfo
	cb    func(*SendResult, error)
	left  int // attempts left
	start time.Time
}

func (a *asyncSend) try(lastBroker string) {
	p := a.p
	a.left--
	timeout := p.opts.SendTimeout - time.Since(a.start)
	if timeout <= 0 {
		a.finish(nil, fmt.Errorf("client: async send to %s: %w (SendTimeout %v)", a.o.topic, remoting.ErrTimeout, p.opts.SendTimeout))
		return
	}
	if fresh := p.in.routes.publish(a.o.topic); fresh != nil {
		a.info = fresh
	}
	mq := selectQueue(a.info, lastBroker, p.fault)
	addr, err := p.brokerAddrFor(a.ctx, mq)
	if err != nil {
		a.failed(mq, err)
		return
	}
	t0 := time.Now()
	err = p.in.rc.InvokeAsync(a.ctx, addr, p.request(a.o, mq), timeout, func(resp *remoting.Command, err error) {
		var res *SendResult
		if err == nil {
			res, err = sendResponse(resp, addr, mq, a.o.msgID)
		} else {
			err = fmt.Errorf("client: async send to %s at %s: %w", mq, addr, err)
		}
		if p.fault != nil {
			p.fault.update(mq.BrokerName, time.Since(t0), err != nil)
		}
		if err != nil {
			a.failed(mq, err)
			return
		}
		a.finish(res, nil)
	})
	if err != nil {
		a.failed(mq, fmt.Errorf("client: async send to %s at %s: %w", mq, addr, err))
	}
}

func (a *asyncSend) failed(mq MessageQueue, err error) {
	if a.left > 0 && a.ctx.Err() == nil && retryable(err) && a.p.life.running() {
		a.p.in.refreshSoon(a.o.topic)
		a.try(mq.BrokerName)
		return
	}
	a.finish(nil, err)
}

func (a *asyncSend) finish(res *SendResult, err error) {
	defer a.p.inflight.Done()
	a.cb(res, err)
}
