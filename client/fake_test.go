package client

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// The fakes below are just enough name server and broker, on 127.0.0.1:0,
// for the client's unit tests: routes, send, pull with holding, offsets,
// heartbeats, consumer lists, queue locks and send-back. Each can be told
// to fail. The end-to-end tests use the real servers.

func TestMain(m *testing.M) {
	// Keep the client's info lines (queues gained and lost) out of test
	// output; warnings stay.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	os.Exit(m.Run())
}

func startServer(t *testing.T) *remoting.Server {
	t.Helper()
	s := remoting.NewServer(remoting.ServerConfig{Addr: "127.0.0.1:0", Version: protocol.CurrentVersion})
	return s
}

func runServer(t *testing.T, s *remoting.Server) string {
	t.Helper()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("fake server shutdown: %v", err)
		}
	})
	return s.Addr().String()
}

type fakeNamesrv struct {
	addr       string
	mu         sync.Mutex
	routes     map[string]*protocol.TopicRouteData
	routeCalls map[string]int
}

func startFakeNamesrv(t *testing.T) *fakeNamesrv {
	n := &fakeNamesrv{routes: map[string]*protocol.TopicRouteData{}, routeCalls: map[string]int{}}
	s := startServer(t)
	s.Handle(protocol.ReqGetRouteInfoByTopic, nil, func(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
		topic := req.ExtFields["topic"]
		n.mu.Lock()
		defer n.mu.Unlock()
		n.routeCalls[topic]++
		r := n.routes[topic]
		if r == nil {
			return remoting.NewResponse(req, protocol.RespTopicNotExist, "No topic route info in name server for the topic: "+topic), nil
		}
		resp := remoting.NewResponse(req, protocol.RespSuccess, "")
		resp.Body = r.Encode(protocol.StandardForm)
		return resp, nil
	})
	n.addr = runServer(t, s)
	return n
}

// addTopic routes topic to the given brokers with queues queues each.
func (n *fakeNamesrv) addTopic(topic string, queues int32, brokers ...*fakeBroker) {
	r := &protocol.TopicRouteData{FilterServerTable: map[string][]string{}}
	for _, b := range brokers {
		r.BrokerDatas = append(r.BrokerDatas, protocol.BrokerData{
			Cluster: "DefaultCluster", BrokerName: b.name, BrokerAddrs: map[int64]string{0: b.addr},
		})
		r.QueueDatas = append(r.QueueDatas, protocol.QueueData{
			BrokerName: b.name, Perm: protocol.PermRead | protocol.PermWrite, ReadQueueNums: queues, WriteQueueNums: queues,
		})
		b.createTopic(topic, queues)
	}
	n.mu.Lock()
	n.routes[topic] = r
	n.mu.Unlock()
}

func (n *fakeNamesrv) calls(topic string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.routeCalls[topic]
}

type fakeBroker struct {
	t    *testing.T
	name string
	addr string
	ns   *fakeNamesrv
	host netip.AddrPort

	// failSends makes the next sends fail with failCode (SYSTEM_ERROR by
	// default); sends counts every send request.
	failSends atomic.Int32
	failCode  atomic.Int32
	sends     atomic.Int32
	// holdPulls is how long a pull with nothing new is held.
	holdPulls time.Duration

	mu         sync.Mutex
	queues     map[string][][]*protocol.MessageExt // topic -> queue id -> messages
	nextPhys   int64
	offsets    map[string]int64 // group@topic@queue -> committed offset
	consumers  map[string]map[string]*consumerConn
	locks      map[string]string // topic@queue -> client id
	sendCodes  []int32
	heartbeats int
	unregs     []string
	waiters    []*heldPull
}

type consumerConn struct {
	conn *remoting.Conn
	subs map[string]protocol.SubscriptionData
}

type heldPull struct {
	conn  *remoting.Conn
	req   *remoting.Command
	h     protocol.PullMessageRequestHeader
	timer *time.Timer
	done  bool
}

func startFakeBroker(t *testing.T, name string, ns *fakeNamesrv) *fakeBroker {
	b := &fakeBroker{
		t: t, name: name, ns: ns, holdPulls: 300 * time.Millisecond,
		queues: map[string][][]*protocol.MessageExt{}, offsets: map[string]int64{},
		consumers: map[string]map[string]*consumerConn{}, locks: map[string]string{},
	}
	s := startServer(t)
	for _, code := range []int32{protocol.ReqSendMessage, protocol.ReqSendMessageV2, protocol.ReqSendBatchMessage} {
		s.Handle(code, nil, b.handleSend)
	}
	s.Handle(protocol.ReqPullMessage, nil, b.handlePull)
	s.Handle(protocol.ReqHeartBeat, nil, b.handleHeartbeat)
	s.Handle(protocol.ReqUnregisterClient, nil, b.handleUnregister)
	s.Handle(protocol.ReqGetConsumerListByGroup, nil, b.handleConsumerList)
	s.Handle(protocol.ReqQueryConsumerOffset, nil, b.handleQueryOffset)
	s.Handle(protocol.ReqUpdateConsumerOffset, nil, b.handleUpdateOffset)
	s.Handle(protocol.ReqGetMaxOffset, nil, b.handleMaxOffset)
	s.Handle(protocol.ReqGetMinOffset, nil, b.handleMinOffset)
	s.Handle(protocol.ReqSearchOffsetByTimestamp, nil, b.handleSearchOffset)
	s.Handle(protocol.ReqLockBatchMQ, nil, b.handleLock)
	s.Handle(protocol.ReqUnlockBatchMQ, nil, b.handleUnlock)
	s.Handle(protocol.ReqConsumerSendMsgBack, nil, b.handleSendBack)
	s.OnConnClose(b.connClosed)
	b.addr = runServer(t, s)
	b.host = netip.MustParseAddrPort(b.addr)
	t.Cleanup(b.releaseHeld)
	return b
}

func (b *fakeBroker) createTopic(topic string, queues int32) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.createTopicLocked(topic, queues)
}

func (b *fakeBroker) createTopicLocked(topic string, queues int32) {
	if _, ok := b.queues[topic]; !ok {
		b.queues[topic] = make([][]*protocol.MessageExt, queues)
	}
}

func ok(req *remoting.Command) *remoting.Command {
	return remoting.NewResponse(req, protocol.RespSuccess, "")
}

func (b *fakeBroker) handleSend(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	b.sends.Add(1)
	h, err := protocol.DecodeSendMessageRequest(req.ExtFields, req.Code != protocol.ReqSendMessage)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.sendCodes = append(b.sendCodes, req.Code)
	b.mu.Unlock()
	if b.failSends.Add(-1) >= 0 {
		code := b.failCode.Load()
		if code == 0 {
			code = protocol.RespSystemError
		}
		return remoting.NewResponse(req, code, "injected failure"), nil
	}
	b.failSends.Store(0)
	var msgs []*protocol.Message
	if req.Code == protocol.ReqSendBatchMessage {
		if msgs, err = protocol.DecodeBatch(req.Body, h.Topic); err != nil {
			return nil, err
		}
	} else {
		msgs = []*protocol.Message{{Topic: h.Topic, Flag: h.Flag, Body: req.Body, Properties: protocol.ParsePropertiesString(h.Properties)}}
	}
	reconsume := int32(0)
	if h.ReconsumeTimes != nil {
		reconsume = *h.ReconsumeTimes
	}
	b.mu.Lock()
	if _, exists := b.queues[h.Topic]; !exists {
		if h.DefaultTopic == "" {
			b.mu.Unlock()
			return remoting.NewResponse(req, protocol.RespTopicNotExist, "topic not exist"), nil
		}
		b.createTopicLocked(h.Topic, h.DefaultTopicQueueNums)
		if b.ns != nil {
			b.mu.Unlock()
			b.ns.addTopic(h.Topic, h.DefaultTopicQueueNums, b)
			b.mu.Lock()
		}
	}
	qs := b.queues[h.Topic]
	if h.QueueID < 0 || int(h.QueueID) >= len(qs) {
		b.mu.Unlock()
		return remoting.NewResponse(req, protocol.RespSystemError, fmt.Sprintf("bad queue id %d", h.QueueID)), nil
	}
	var ids []string
	first := int64(len(qs[h.QueueID]))
	for _, m := range msgs {
		me := b.storeLocked(m, h.Topic, h.QueueID, h.SysFlag, reconsume)
		me.BornTimestamp = h.BornTimestamp
		ids = append(ids, me.OffsetMsgID())
	}
	b.mu.Unlock()
	b.wakeHeld()
	resp := ok(req)
	resp.ExtFields = (&protocol.SendMessageResponseHeader{MsgID: strings.Join(ids, ","), QueueID: h.QueueID, QueueOffset: first}).Encode()
	return resp, nil
}

func (b *fakeBroker) storeLocked(m *protocol.Message, topic string, queueID int32, sysFlag, reconsume int32) *protocol.MessageExt {
	q := b.queues[topic][queueID]
	me := &protocol.MessageExt{
		Message:         protocol.Message{Topic: topic, Flag: m.Flag, Properties: m.Properties, Body: m.Body},
		QueueID:         queueID,
		QueueOffset:     int64(len(q)),
		CommitLogOffset: b.nextPhys,
		SysFlag:         sysFlag,
		BodyCRC:         protocol.BodyCRC(m.Body),
		ReconsumeTimes:  reconsume,
		StoreTimestamp:  time.Now().UnixMilli(),
		BornHost:        b.host,
		StoreHost:       b.host,
	}
	b.nextPhys += 1000
	b.queues[topic][queueID] = append(q, me)
	return me
}

// put stores a message directly, as if sent.
func (b *fakeBroker) put(topic string, queueID int32, tags, body string) {
	b.mu.Lock()
	m := &protocol.Message{Topic: topic, Body: []byte(body), Properties: map[string]string{}}
	if tags != "" {
		m.Properties[protocol.PropertyTags] = tags
	}
	m.Properties[protocol.PropertyUniqClientMessageID] = uniqIDs().Next()
	b.storeLocked(m, topic, queueID, 0, 0)
	b.mu.Unlock()
	b.wakeHeld()
}

func (b *fakeBroker) count(topic string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, q := range b.queues[topic] {
		n += len(q)
	}
	return n
}

func tagSet(sub string) map[string]bool {
	if sub == "" || sub == "*" {
		return nil
	}
	set := map[string]bool{}
	for _, t := range strings.Split(sub, "||") {
		if t = strings.TrimSpace(t); t != "" {
			set[t] = true
		}
	}
	return set
}

func (b *fakeBroker) handlePull(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.PullMessageRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	return b.pull(c, req, h, true), nil
}

func (b *fakeBroker) pull(c *remoting.Conn, req *remoting.Command, h protocol.PullMessageRequestHeader, mayHold bool) *remoting.Command {
	b.mu.Lock()
	defer b.mu.Unlock()
	var tags map[string]bool
	if h.SysFlag&protocol.PullFlagSubscription != 0 {
		tags = tagSet(h.Subscription)
	} else {
		var found bool
		for _, cc := range b.consumers[h.ConsumerGroup] {
			if sd, ok := cc.subs[h.Topic]; ok {
				tags, found = tagSet(sd.SubString), true
				break
			}
		}
		if !found {
			return remoting.NewResponse(req, protocol.RespSubscriptionNotExist, "no subscription; send a heartbeat first")
		}
	}
	if h.SysFlag&protocol.PullFlagCommitOffset != 0 && h.CommitOffset >= 0 {
		b.offsets[offsetKey(h.ConsumerGroup, h.Topic, h.QueueID)] = h.CommitOffset
	}
	qs, ok := b.queues[h.Topic]
	if !ok || h.QueueID < 0 || int(h.QueueID) >= len(qs) {
		return remoting.NewResponse(req, protocol.RespTopicNotExist, "no such queue")
	}
	q := qs[h.QueueID]
	max := int64(len(q))
	hdr := protocol.PullMessageResponseHeader{MinOffset: 0, MaxOffset: max}
	respond := func(code int32, next int64, body []byte) *remoting.Command {
		hdr.NextBeginOffset = next
		resp := remoting.NewResponse(req, code, "")
		resp.ExtFields = hdr.Encode()
		resp.Body = body
		return resp
	}
	switch {
	case h.QueueOffset > max || h.QueueOffset < 0:
		return respond(protocol.RespPullOffsetMoved, max, nil)
	case h.QueueOffset == max:
		if mayHold && h.SysFlag&protocol.PullFlagSuspend != 0 {
			hp := &heldPull{conn: c, req: req, h: h}
			hp.timer = time.AfterFunc(b.holdPulls, func() { b.release(hp) })
			b.waiters = append(b.waiters, hp)
			return nil
		}
		return respond(protocol.RespPullNotFound, max, nil)
	}
	var body []byte
	n := int32(0)
	off := h.QueueOffset
	for ; off < max && n < h.MaxMsgNums; off++ {
		m := q[off]
		if tags != nil && !tags[m.Tags()] {
			continue
		}
		enc, err := protocol.EncodeMessageExt(m)
		if err != nil {
			b.t.Errorf("fake broker: encode: %v", err)
			return remoting.NewResponse(req, protocol.RespSystemError, err.Error())
		}
		body = append(body, enc...)
		n++
	}
	if n == 0 {
		return respond(protocol.RespPullRetryImmediately, off, nil)
	}
	return respond(protocol.RespSuccess, off, body)
}

func (b *fakeBroker) release(hp *heldPull) {
	b.mu.Lock()
	if hp.done {
		b.mu.Unlock()
		return
	}
	hp.done = true
	b.waiters = slices.DeleteFunc(b.waiters, func(w *heldPull) bool { return w == hp })
	b.mu.Unlock()
	if resp := b.pull(hp.conn, hp.req, hp.h, false); resp != nil {
		hp.conn.Respond(resp)
	}
}

func (b *fakeBroker) wakeHeld() {
	b.mu.Lock()
	held := slices.Clone(b.waiters)
	b.mu.Unlock()
	for _, hp := range held {
		hp.timer.Stop()
		b.release(hp)
	}
}

func (b *fakeBroker) releaseHeld() {
	b.mu.Lock()
	held := b.waiters
	b.waiters = nil
	for _, hp := range held {
		hp.done = true
		hp.timer.Stop()
	}
	b.mu.Unlock()
}

func (b *fakeBroker) handleHeartbeat(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	hb, err := protocol.DecodeHeartbeatData(req.Body)
	if err != nil {
		return nil, err
	}
	var notify []*remoting.Conn
	b.mu.Lock()
	b.heartbeats++
	for _, cd := range hb.ConsumerDataSet {
		group := b.consumers[cd.GroupName]
		if group == nil {
			group = map[string]*consumerConn{}
			b.consumers[cd.GroupName] = group
		}
		subs := map[string]protocol.SubscriptionData{}
		for _, sd := range cd.SubscriptionDataSet {
			subs[sd.Topic] = sd
		}
		if _, known := group[hb.ClientID]; !known {
			for id, other := range group {
				if id != hb.ClientID {
					notify = append(notify, other.conn)
				}
			}
		}
		group[hb.ClientID] = &consumerConn{conn: c, subs: subs}
	}
	b.mu.Unlock()
	b.notify(notify, hb.ConsumerDataSet)
	return ok(req), nil
}

func (b *fakeBroker) notify(conns []*remoting.Conn, cds []protocol.ConsumerData) {
	for _, c := range conns {
		for _, cd := range cds {
			n := remoting.NewRequest(protocol.ReqNotifyConsumerIDsChanged, map[string]string{"consumerGroup": cd.GroupName}, nil)
			c.InvokeOneway(n)
		}
	}
}

func (b *fakeBroker) handleUnregister(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.UnregisterClientRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	var notify []*remoting.Conn
	b.mu.Lock()
	b.unregs = append(b.unregs, h.ClientID)
	if h.ConsumerGroup != "" {
		group := b.consumers[h.ConsumerGroup]
		delete(group, h.ClientID)
		for _, cc := range group {
			notify = append(notify, cc.conn)
		}
		for k, id := range b.locks {
			if id == h.ClientID {
				delete(b.locks, k)
			}
		}
	}
	b.mu.Unlock()
	b.notify(notify, []protocol.ConsumerData{{GroupName: h.ConsumerGroup}})
	return ok(req), nil
}

func (b *fakeBroker) connClosed(c *remoting.Conn) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, group := range b.consumers {
		for id, cc := range group {
			if cc.conn == c {
				delete(group, id)
			}
		}
	}
}

func (b *fakeBroker) handleConsumerList(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	b.mu.Lock()
	var ids []string
	for id := range b.consumers[req.ExtFields["consumerGroup"]] {
		ids = append(ids, id)
	}
	b.mu.Unlock()
	resp := ok(req)
	resp.Body, _ = protocol.EncodeBody(&protocol.ConsumerListBody{ConsumerIDList: ids})
	return resp, nil
}

func offsetKey(group, topic string, queue int32) string {
	return group + "@" + topic + "@" + strconv.Itoa(int(queue))
}

func (b *fakeBroker) committed(group, topic string, queue int32) (int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	off, ok := b.offsets[offsetKey(group, topic, queue)]
	return off, ok
}

func (b *fakeBroker) handleQueryOffset(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.QueryConsumerOffsetRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	off, found := b.committed(h.ConsumerGroup, h.Topic, h.QueueID)
	if !found {
		return remoting.NewResponse(req, protocol.RespQueryNotFound, "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first"), nil
	}
	resp := ok(req)
	resp.ExtFields = map[string]string{"offset": strconv.FormatInt(off, 10)}
	return resp, nil
}

func (b *fakeBroker) handleUpdateOffset(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.UpdateConsumerOffsetRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.offsets[offsetKey(h.ConsumerGroup, h.Topic, h.QueueID)] = h.CommitOffset
	b.mu.Unlock()
	return ok(req), nil
}

func (b *fakeBroker) queueLen(topic string, queue int32) (int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	qs, ok := b.queues[topic]
	if !ok || queue < 0 || int(queue) >= len(qs) {
		return 0, false
	}
	return int64(len(qs[queue])), true
}

func offsetResponse(req *remoting.Command, off int64) *remoting.Command {
	resp := ok(req)
	resp.ExtFields = map[string]string{"offset": strconv.FormatInt(off, 10)}
	return resp
}

func (b *fakeBroker) handleMaxOffset(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.QueueRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	n, found := b.queueLen(h.Topic, h.QueueID)
	if !found {
		return remoting.NewResponse(req, protocol.RespSystemError, "no such queue"), nil
	}
	return offsetResponse(req, n), nil
}

func (b *fakeBroker) handleMinOffset(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	return offsetResponse(req, 0), nil
}

func (b *fakeBroker) handleSearchOffset(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.SearchOffsetRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[h.Topic][h.QueueID]
	for i, m := range q {
		if m.StoreTimestamp >= h.Timestamp {
			return offsetResponse(req, int64(i)), nil
		}
	}
	return offsetResponse(req, int64(len(q))), nil
}

func (b *fakeBroker) handleLock(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var body protocol.LockBatchRequestBody
	if err := protocol.DecodeJSON(req.Body, &body); err != nil {
		return nil, err
	}
	var locked []protocol.MessageQueue
	b.mu.Lock()
	for _, mq := range body.MQSet {
		k := mq.Topic + "@" + strconv.Itoa(int(mq.QueueID))
		if owner, held := b.locks[k]; !held || owner == body.ClientID {
			b.locks[k] = body.ClientID
			locked = append(locked, mq)
		}
	}
	b.mu.Unlock()
	resp := ok(req)
	resp.Body, _ = protocol.EncodeBody(&protocol.LockBatchResponseBody{LockOKMQSet: locked})
	return resp, nil
}

func (b *fakeBroker) handleUnlock(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var body protocol.LockBatchRequestBody
	if err := protocol.DecodeJSON(req.Body, &body); err != nil {
		return nil, err
	}
	b.mu.Lock()
	for _, mq := range body.MQSet {
		k := mq.Topic + "@" + strconv.Itoa(int(mq.QueueID))
		if b.locks[k] == body.ClientID {
			delete(b.locks, k)
		}
	}
	b.mu.Unlock()
	return ok(req), nil
}

// handleSendBack moves a message to the group's retry topic (queue 0, no
// delay) or, past maxReconsumeTimes, to its DLQ.
func (b *fakeBroker) handleSendBack(c *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.ConsumerSendMsgBackRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, err
	}
	b.mu.Lock()
	var orig *protocol.MessageExt
	for _, qs := range b.queues {
		for _, q := range qs {
			for _, m := range q {
				if m.CommitLogOffset == h.Offset {
					orig = m
				}
			}
		}
	}
	if orig == nil {
		b.mu.Unlock()
		return remoting.NewResponse(req, protocol.RespSystemError, "no message at that offset"), nil
	}
	max := int32(16)
	if h.MaxReconsumeTimes != nil {
		max = *h.MaxReconsumeTimes
	}
	props := map[string]string{}
	for k, v := range orig.Properties {
		props[k] = v
	}
	if props[protocol.PropertyRetryTopic] == "" {
		props[protocol.PropertyRetryTopic] = orig.Topic
	}
	topic := protocol.RetryTopic(h.Group)
	if orig.ReconsumeTimes+1 > max {
		topic = protocol.DLQTopic(h.Group)
	}
	b.createTopicLocked(topic, 1)
	b.storeLocked(&protocol.Message{Topic: topic, Body: orig.Body, Properties: props}, topic, 0, 0, orig.ReconsumeTimes+1)
	b.mu.Unlock()
	if b.ns != nil {
		b.ns.mu.Lock()
		_, routed := b.ns.routes[topic]
		b.ns.mu.Unlock()
		if !routed {
			b.ns.addTopic(topic, 1, b)
		}
	}
	b.wakeHeld()
	return ok(req), nil
}

// messages returns the bodies stored in topic, queue by queue.
func (b *fakeBroker) messages(topic string) []*protocol.MessageExt {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*protocol.MessageExt
	for _, q := range b.queues[topic] {
		out = append(out, q...)
	}
	return out
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
