package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
)

func testOptions(ns *fakeNamesrv) ClientOptions {
	return ClientOptions{NameServers: []string{ns.addr}}
}

func startProducer(t *testing.T, opts ProducerOptions) *Producer {
	t.Helper()
	p, err := NewProducer(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := p.Shutdown(ctx); err != nil {
			t.Errorf("producer shutdown: %v", err)
		}
	})
	return p
}

func TestSendResultString(t *testing.T) {
	r := &SendResult{
		Status:      SendOK,
		MsgID:       "7F00000100002A9F0000000000000000",
		OffsetMsgID: "7F00000100002A9F0000000000000C4E",
		Queue:       MessageQueue{Topic: "TopicTest", BrokerName: "broker-a", QueueID: 3},
		QueueOffset: 42,
	}
	want := "SendResult [sendStatus=SEND_OK, msgId=7F00000100002A9F0000000000000000, offsetMsgId=7F00000100002A9F0000000000000C4E, " +
		"messageQueue=MessageQueue [topic=TopicTest, brokerName=broker-a, queueId=3], queueOffset=42]"
	if got := r.String(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	for s, name := range map[SendStatus]string{SendFlushDiskTimeout: "FLUSH_DISK_TIMEOUT", SendFlushSlaveTimeout: "FLUSH_SLAVE_TIMEOUT", SendSlaveNotAvailable: "SLAVE_NOT_AVAILABLE"} {
		if s.String() != name {
			t.Errorf("%d prints %s, want %s", s, s, name)
		}
	}
}

func TestProducerSendRoundRobin(t *testing.T) {
	for _, v1 := range []bool{false, true} {
		t.Run(fmt.Sprintf("V1=%v", v1), func(t *testing.T) {
			ns := startFakeNamesrv(t)
			b := startFakeBroker(t, "broker-a", ns)
			ns.addTopic("T", 4, b)
			p := startProducer(t, ProducerOptions{ClientOptions: testOptions(ns), Group: "pg", SendV1: v1})
			seen := map[int32]int{}
			for i := range 8 {
				msg := NewMessage("T", "TagA", []byte(fmt.Sprintf("Hello RocketMQ %d", i)))
				res, err := p.Send(context.Background(), msg)
				if err != nil {
					t.Fatal(err)
				}
				if res.Status != SendOK || len(res.MsgID) != protocol.UniqIDLenV4 || res.MsgID != msg.UniqKey() {
					t.Fatalf("result %s; message UNIQ_KEY %q", res, msg.UniqKey())
				}
				host, _, err := protocol.DecodeOffsetMsgID(res.OffsetMsgID)
				if err != nil || host != b.host {
					t.Fatalf("offset msg id %s: host %v, err %v; want %v", res.OffsetMsgID, host, err, b.host)
				}
				seen[res.Queue.QueueID]++
			}
			for q := int32(0); q < 4; q++ {
				if seen[q] != 2 {
					t.Errorf("queue %d got %d messages, want 2 (round robin): %v", q, seen[q], seen)
				}
			}
			want := protocol.ReqSendMessageV2
			if v1 {
				want = protocol.ReqSendMessage
			}
			b.mu.Lock()
			codes := b.sendCodes
			b.mu.Unlock()
			for _, c := range codes[:8] {
				if c != want {
					t.Fatalf("send used code %d, want %d", c, want)
				}
			}
			// Batches go as SEND_BATCH_MESSAGE with V2 keys either way.
			if _, err := p.SendBatch(context.Background(), []*Message{NewMessage("T", "", []byte("b1")), NewMessage("T", "", []byte("b2"))}); err != nil {
				t.Fatalf("batch: %v", err)
			}
			stored := b.messages("T")
			if len(stored) != 10 || stored[0].Tags() != "TagA" || !strings.HasPrefix(string(stored[0].Body), "Hello RocketMQ") {
				t.Fatalf("broker stored %d messages, first %+v", len(stored), stored[0])
			}
		})
	}
}

func TestProducerRetrySkipsFailedBroker(t *testing.T) {
	ns := startFakeNamesrv(t)
	a := startFakeBroker(t, "broker-a", ns)
	b := startFakeBroker(t, "broker-b", ns)
	ns.addTopic("T", 2, a, b)
	a.failSends.Store(1000)
	p := startProducer(t, ProducerOptions{ClientOptions: testOptions(ns)})
	for i := range 10 {
		res, err := p.Send(context.Background(), NewMessage("T", "", []byte("x")))
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if res.Queue.BrokerName != "broker-b" {
			t.Fatalf("send %d stored on %s", i, res.Queue.BrokerName)
		}
	}
	// The first send that picked broker-a failed there and was retried on
	// broker-b; after that broker-a is avoided (latency fault tolerance).
	if n := a.sends.Load(); n != 1 {
		t.Errorf("broker-a got %d send attempts, want 1", n)
	}
	if n := b.count("T"); n != 10 {
		t.Errorf("broker-b stored %d, want 10", n)
	}
}

func TestProducerRetryWithoutFaultTolerance(t *testing.T) {
	ns := startFakeNamesrv(t)
	a := startFakeBroker(t, "broker-a", ns)
	b := startFakeBroker(t, "broker-b", ns)
	ns.addTopic("T", 1, a, b)
	a.failSends.Store(1000)
	p := startProducer(t, ProducerOptions{ClientOptions: testOptions(ns), DisableLatencyFault: true})
	for i := range 6 {
		res, err := p.Send(context.Background(), NewMessage("T", "", []byte("x")))
		if err != nil || res.Queue.BrokerName != "broker-b" {
			t.Fatalf("send %d: %v %v", i, res, err)
		}
	}
	// Without fault tolerance nothing remembers broker-a's failures: each
	// attempt advances the round robin, so after the first send (queue
	// b0) every send lands on a0 first and is retried on b0.
	if n := a.sends.Load(); n != 5 {
		t.Errorf("broker-a got %d attempts, want 5", n)
	}
}

func TestProducerDoesNotRetryRefusal(t *testing.T) {
	ns := startFakeNamesrv(t)
	a := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 1, a)
	a.failSends.Store(1)
	a.failCode.Store(protocol.RespMessageIllegal)
	p := startProducer(t, ProducerOptions{ClientOptions: testOptions(ns)})
	_, err := p.Send(context.Background(), NewMessage("T", "", []byte("x")))
	if code, ok := ResponseCode(err); !ok || code != protocol.RespMessageIllegal {
		t.Fatalf("err %v, want a MESSAGE_ILLEGAL ResponseError", err)
	}
	if n := a.sends.Load(); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
	// All attempts failing gives the last error.
	a.failSends.Store(100)
	a.failCode.Store(protocol.RespSystemError)
	_, err = p.Send(context.Background(), NewMessage("T", "", []byte("x")))
	if code, _ := ResponseCode(err); code != protocol.RespSystemError {
		t.Fatalf("err %v", err)
	}
	if n := a.sends.Load(); n != 1+3 {
		t.Errorf("%d attempts in all, want 4 (1 + 1 + 2 retries)", n)
	}
}

func TestProducerAutoCreateTopic(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic(protocol.TopicAutoCreate, 8, b)
	p := startProducer(t, ProducerOptions{ClientOptions: testOptions(ns), DefaultTopicQueueNums: 3})
	res, err := p.Send(context.Background(), NewMessage("NewTopic", "", []byte("first")))
	if err != nil {
		t.Fatal(err)
	}
	if res.Queue.QueueID >= 3 {
		t.Errorf("queue %d; the default route offers 3 queues", res.Queue.QueueID)
	}
	if _, ok := b.queueLen("NewTopic", 2); !ok {
		t.Error("broker did not create NewTopic with 3 queues")
	}
}

func TestProducerRouteRefresh(t *testing.T) {
	ns := startFakeNamesrv(t)
	a := startFakeBroker(t, "broker-a", ns)
	b := startFakeBroker(t, "broker-b", ns)
	ns.addTopic("T", 2, a)
	opts := testOptions(ns)
	opts.PollNameServerInterval = 20 * time.Millisecond
	p := startProducer(t, ProducerOptions{ClientOptions: opts})
	if _, err := p.Send(context.Background(), NewMessage("T", "", []byte("x"))); err != nil {
		t.Fatal(err)
	}
	ns.addTopic("T", 2, a, b)
	waitFor(t, "the new broker in the route", 5*time.Second, func() bool {
		info := p.in.routes.publish("T")
		return info != nil && len(info.queues) == 4
	})
	for range 4 {
		if _, err := p.Send(context.Background(), NewMessage("T", "", []byte("x"))); err != nil {
			t.Fatal(err)
		}
	}
	if b.count("T") == 0 {
		t.Error("no message reached the broker added by the refresh")
	}
}

func TestProducerRefreshesRouteAfterFailure(t *testing.T) {
	ns := startFakeNamesrv(t)
	a := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 1, a)
	p := startProducer(t, ProducerOptions{ClientOptions: testOptions(ns), Retries: -1})
	if _, err := p.Send(context.Background(), NewMessage("T", "", []byte("x"))); err != nil {
		t.Fatal(err)
	}
	before := ns.calls("T")
	a.failSends.Store(1)
	if _, err := p.Send(context.Background(), NewMessage("T", "", []byte("x"))); err == nil {
		t.Fatal("send succeeded against a failing broker with no retries")
	}
	waitFor(t, "a route refresh after the failure", 5*time.Second, func() bool { return ns.calls("T") > before })
}

func TestProducerAsyncAndOneway(t *testing.T) {
	ns := startFakeNamesrv(t)
	a := startFakeBroker(t, "broker-a", ns)
	b := startFakeBroker(t, "broker-b", ns)
	ns.addTopic("T", 2, a, b)
	a.failSends.Store(1000)
	p := startProducer(t, ProducerOptions{ClientOptions: testOptions(ns)})
	const n = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for i := range n {
		wg.Add(1)
		err := p.SendAsync(context.Background(), NewMessage("T", "", []byte(fmt.Sprint(i))), func(r *SendResult, err error) {
			defer wg.Done()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else if r.Queue.BrokerName != "broker-b" {
				errs = append(errs, fmt.Errorf("stored on %s", r.Queue.BrokerName))
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("async sends failed: %v", errs)
	}
	if got := b.count("T"); got != n {
		t.Fatalf("broker-b stored %d, want %d", got, n)
	}
	for range 5 {
		if err := p.SendOneway(context.Background(), NewMessage("T", "", []byte("oneway"))); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "oneway messages stored", 5*time.Second, func() bool { return b.count("T") == n+5 })
}

func TestProducerAsyncCallbackAfterAllRetriesFail(t *testing.T) {
	ns := startFakeNamesrv(t)
	a := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 1, a)
	a.failSends.Store(1000)
	p := startProducer(t, ProducerOptions{ClientOptions: testOptions(ns), AsyncRetries: 3})
	done := make(chan error, 1)
	if err := p.SendAsync(context.Background(), NewMessage("T", "", []byte("x")), func(_ *SendResult, err error) { done <- err }); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if code, _ := ResponseCode(err); code != protocol.RespSystemError {
			t.Fatalf("callback error %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("callback never ran")
	}
	if n := a.sends.Load(); n != 4 {
		t.Errorf("%d attempts, want 4", n)
	}
}

// javaLongMod4 is |Long.hashCode(v) % 4| computed the way Java does.
func javaLongMod4(v int64) int32 {
	u := uint64(v)
	h := int32(u^u>>32) % 4
	if h < 0 {
		h = -h
	}
	return h
}

func TestSelectors(t *testing.T) {
	qs := make([]MessageQueue, 4)
	for i := range qs {
		qs[i] = MessageQueue{Topic: "T", BrokerName: "b", QueueID: int32(i)}
	}
	// Java: "OrderID188".hashCode() = 1414428148... checked against
	// JavaStringHash; Long 15103111039L.hashCode() = (int)(v ^ v>>>32).
	cases := []struct {
		arg  any
		want int32
	}{
		{"abc", 96354 % 4},
		{int64(15103111039), javaLongMod4(15103111039)},
		{int32(-7), 3}, // |-7 % 4| = 3
		{7, 3},
	}
	for _, c := range cases {
		if got := SelectByHash(qs, nil, c.arg); got.QueueID != c.want {
			t.Errorf("SelectByHash(%v) = queue %d, want %d", c.arg, got.QueueID, c.want)
		}
	}
	for range 20 {
		if q := SelectRandom(qs, nil, nil); q.QueueID < 0 || q.QueueID > 3 {
			t.Fatalf("random queue %d", q.QueueID)
		}
	}

	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 4, b)
	p := startProducer(t, ProducerOptions{ClientOptions: testOptions(ns)})
	for i := range 8 {
		orderID := int64(15103111039 + i%2)
		res, err := p.SendSelect(context.Background(), NewMessage("T", "", []byte("step")), func(mqs []MessageQueue, _ *Message, arg any) MessageQueue {
			return mqs[arg.(int64)%int64(len(mqs))]
		}, orderID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Queue.QueueID != int32(orderID%4) {
			t.Fatalf("order %d went to queue %d", orderID, res.Queue.QueueID)
		}
	}
	res, err := p.SendToQueue(context.Background(), NewMessage("T", "", []byte("manual")), MessageQueue{Topic: "T", BrokerName: "broker-a", QueueID: 2})
	if err != nil || res.Queue.QueueID != 2 {
		t.Fatalf("SendToQueue: %v %v", res, err)
	}
	if _, err := p.SendSelect(context.Background(), NewMessage("T", "", []byte("x")), func([]MessageQueue, *Message, any) MessageQueue {
		return MessageQueue{}
	}, nil); err == nil {
		t.Error("a selector returning no queue was accepted")
	}
}

func TestSplitBatch(t *testing.T) {
	mk := func(n int) *Message { return NewMessage("T", "", bytes.Repeat([]byte{'x'}, n)) }
	one := batchRecordSize(mk(100))
	msgs := []*Message{mk(100), mk(100), mk(100)}
	if got := SplitBatch(msgs, 3*one); len(got) != 1 {
		t.Errorf("exactly at the limit: %d batches, want 1", len(got))
	}
	if got := SplitBatch(msgs, 3*one-1); len(got) != 2 || len(got[0]) != 2 || len(got[1]) != 1 {
		t.Errorf("one byte under: %d batches", len(got))
	}
	big := mk(5000)
	got := SplitBatch([]*Message{mk(10), big, mk(10)}, 1000)
	if len(got) != 3 || got[1][0] != big {
		t.Errorf("oversized message: %d batches", len(got))
	}
	// The size is exact: encoding the batch (after UNIQ_KEYs are set)
	// gives what SplitBatch counted.
	for _, m := range msgs {
		m.SetProperty(protocol.PropertyUniqClientMessageID, uniqIDs().Next())
	}
	body, err := protocol.EncodeBatch(msgs)
	if err != nil || len(body) != 3*one {
		t.Fatalf("encoded %d bytes (%v), SplitBatch counted %d", len(body), err, 3*one)
	}
}

func TestSendBatch(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("BatchTest", 1, b)
	p := startProducer(t, ProducerOptions{ClientOptions: testOptions(ns), MaxMessageSize: 64 << 10})
	var msgs []*Message
	for i := range 100 {
		msgs = append(msgs, NewMessage("BatchTest", "TagA", bytes.Repeat([]byte{byte('a' + i%26)}, 1500)))
	}
	if _, err := p.SendBatch(context.Background(), msgs); err == nil || !strings.Contains(err.Error(), "SplitBatch") {
		t.Fatalf("an oversized batch: %v", err)
	}
	var ids []string
	for _, part := range SplitBatch(msgs, 64<<10) {
		res, err := p.SendBatch(context.Background(), part)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(strings.Split(res.MsgID, ",")); n != len(part) {
			t.Fatalf("result lists %d ids for %d messages", n, len(part))
		}
		ids = append(ids, strings.Split(res.MsgID, ",")...)
	}
	stored := b.messages("BatchTest")
	if len(stored) != 100 {
		t.Fatalf("stored %d", len(stored))
	}
	for i, m := range stored {
		if m.UniqKey() != ids[i] || !bytes.Equal(m.Body, msgs[i].Body) || m.Tags() != "TagA" {
			t.Fatalf("message %d: %q %q", i, m.UniqKey(), ids[i])
		}
	}
	if _, err := p.SendBatch(context.Background(), []*Message{NewMessage("BatchTest", "", []byte("a")), NewMessage("Other", "", []byte("b"))}); err == nil {
		t.Error("a batch of two topics was accepted")
	}
	delayed := NewMessage("BatchTest", "", []byte("a"))
	SetDelayLevel(delayed, 3)
	if _, err := p.SendBatch(context.Background(), []*Message{delayed}); err == nil {
		t.Error("a batch with a delay level was accepted")
	}
}

func TestProducerCompresses(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 1, b)
	p := startProducer(t, ProducerOptions{ClientOptions: testOptions(ns)})
	body := bytes.Repeat([]byte("compressible "), 1000)
	if _, err := p.Send(context.Background(), NewMessage("T", "", body)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Send(context.Background(), NewMessage("T", "", []byte("small"))); err != nil {
		t.Fatal(err)
	}
	stored := b.messages("T")
	if stored[0].SysFlag&protocol.SysFlagCompressed == 0 || len(stored[0].Body) >= len(body) {
		t.Fatalf("large body stored with sysFlag %#x, %d bytes", stored[0].SysFlag, len(stored[0].Body))
	}
	plain, err := protocol.DecompressBody(stored[0].SysFlag, stored[0].Body, 0)
	if err != nil || !bytes.Equal(plain, body) {
		t.Fatalf("decompressed body differs: %v", err)
	}
	if stored[1].SysFlag&protocol.SysFlagCompressed != 0 {
		t.Error("small body was compressed")
	}
}

func TestProducerValidates(t *testing.T) {
	ns := startFakeNamesrv(t)
	p := startProducer(t, ProducerOptions{ClientOptions: testOptions(ns), MaxMessageSize: 10})
	for name, m := range map[string]*Message{
		"empty topic":   NewMessage("", "", []byte("x")),
		"bad topic":     NewMessage("a b", "", []byte("x")),
		"empty body":    NewMessage("T", "", nil),
		"too large":     NewMessage("T", "", []byte("01234567890")),
		"system topic":  NewMessage(protocol.TopicSchedule, "", []byte("x")),
		"bad property":  {Topic: "T", Body: []byte("x"), Properties: map[string]string{"k": "a\x02b"}},
		"empty message": nil,
	} {
		if _, err := p.Send(context.Background(), m); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := p.Send(context.Background(), NewMessage("NoSuchTopic", "", []byte("x"))); !errors.Is(err, ErrNoRoute) {
		t.Errorf("unknown topic without an auto-create route: %v", err)
	}
	if _, err := NewProducer(ProducerOptions{ClientOptions: ClientOptions{NameServers: []string{"nohost"}}}); err == nil {
		t.Error("a name server address without a port was accepted")
	}
}

func TestProducerHeartbeatShutdownNoLeaks(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 2, b)
	before := runtime.NumGoroutine()

	opts := testOptions(ns)
	opts.HeartbeatBrokerInterval = 10 * time.Millisecond
	opts.PollNameServerInterval = 10 * time.Millisecond
	p, err := NewProducer(ProducerOptions{ClientOptions: opts, Group: "leakcheck"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	if err := p.SendAsync(context.Background(), NewMessage("T", "", []byte("x")), func(*SendResult, error) { close(done) }); err != nil {
		t.Fatal(err)
	}
	<-done
	waitFor(t, "heartbeats", 5*time.Second, func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.heartbeats >= 2
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	b.mu.Lock()
	unregs := b.unregs
	b.mu.Unlock()
	if len(unregs) != 1 || unregs[0] != p.ClientID() {
		t.Errorf("unregistered %v, want [%s]", unregs, p.ClientID())
	}
	if _, err := p.Send(context.Background(), NewMessage("T", "", []byte("x"))); !errors.Is(err, ErrShutdown) {
		t.Errorf("send after shutdown: %v", err)
	}
	waitFor(t, "goroutines to end", 5*time.Second, func() bool { return runtime.NumGoroutine() <= before })
}

// A broker a route names for the first time gets a heartbeat at once, not
// after HeartbeatBrokerInterval (30 s here).
func TestHeartbeatOnNewBroker(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 1, b)
	p := startProducer(t, ProducerOptions{ClientOptions: testOptions(ns)})
	if _, err := p.Send(context.Background(), NewMessage("T", "", []byte("x"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a heartbeat to the new broker", 5*time.Second, func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.heartbeats > 0
	})
}
