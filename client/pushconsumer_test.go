package client

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
)

// fastOptions shortens every interval so tests see rebalances, commits
// and refreshes within milliseconds.
func fastOptions(ns *fakeNamesrv) ClientOptions {
	return ClientOptions{
		NameServers:                   []string{ns.addr},
		PollNameServerInterval:        30 * time.Millisecond,
		HeartbeatBrokerInterval:       30 * time.Millisecond,
		PersistConsumerOffsetInterval: 30 * time.Millisecond,
	}
}

func startPushConsumer(t *testing.T, opts PushConsumerOptions, topic string, sel Selector) *PushConsumer {
	t.Helper()
	if opts.RebalanceInterval == 0 {
		opts.RebalanceInterval = 50 * time.Millisecond
	}
	c, err := NewPushConsumer(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe(topic, sel); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdownConsumer(t, c) })
	return c
}

func shutdownConsumer(t *testing.T, c *PushConsumer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Shutdown(ctx); err != nil {
		t.Errorf("consumer shutdown: %v", err)
	}
}

// collector gathers consumed messages by body.
type collector struct {
	mu   sync.Mutex
	seen map[string]int
	msgs []*MessageExt
}

func newCollector() *collector { return &collector{seen: map[string]int{}} }

func (c *collector) add(msgs []*MessageExt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range msgs {
		c.seen[string(m.Body)]++
		c.msgs = append(c.msgs, m)
	}
}

func (c *collector) distinct() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

func (c *collector) listener() ConcurrentListener {
	return func(_ context.Context, msgs []*MessageExt) (ConsumeResult, error) {
		c.add(msgs)
		return ConsumeSuccess, nil
	}
}

func putN(b *fakeBroker, topic string, queues int32, n int, tag string) {
	for i := range n {
		b.put(topic, int32(i)%queues, tag, fmt.Sprintf("%s-%d", tag, i))
	}
}

func TestPushConsumerClustering(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 4, b)
	putN(b, "T", 4, 40, "TagA")
	got := newCollector()
	c := startPushConsumer(t, PushConsumerOptions{
		ClientOptions: fastOptions(ns), Group: "g1", ConsumeFrom: ConsumeFromFirstOffset,
		Listener: got.listener(), ConsumeBatchSize: 3,
	}, "T", ByTag("*"))
	waitFor(t, "40 messages", 10*time.Second, func() bool { return got.distinct() == 40 })
	// Messages sent after the start arrive too (long polling wakes).
	putN(b, "T", 4, 8, "Late")
	waitFor(t, "48 messages", 10*time.Second, func() bool { return got.distinct() == 48 })
	if qs := c.Queues(); len(qs) != 4 {
		t.Errorf("holds %v, want the 4 queues of T", qs)
	}
	waitFor(t, "offsets committed", 10*time.Second, func() bool {
		for q := int32(0); q < 4; q++ {
			if off, ok := b.committed("g1", "T", q); !ok || off != 12 {
				return false
			}
		}
		return true
	})
}

func TestPushConsumerTagFilter(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 2, b)
	for _, tag := range []string{"TagA", "TagB", "TagC"} {
		putN(b, "T", 2, 10, tag)
	}
	got := newCollector()
	startPushConsumer(t, PushConsumerOptions{
		ClientOptions: fastOptions(ns), Group: "g1", ConsumeFrom: ConsumeFromFirstOffset, Listener: got.listener(),
	}, "T", ByTag("TagA || TagC"))
	waitFor(t, "20 messages", 10*time.Second, func() bool { return got.distinct() == 20 })
	got.mu.Lock()
	defer got.mu.Unlock()
	for _, m := range got.msgs {
		if m.Tags() == "TagB" {
			t.Fatalf("got a TagB message: %s", m.Body)
		}
	}
}

func TestPushConsumerRetriesFailures(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 1, b)
	b.put("T", 0, "", "fails-with-error")
	b.put("T", 0, "", "panics")
	b.put("T", 0, "", "asks-later")
	b.put("T", 0, "", "fine")
	var mu sync.Mutex
	attempts := map[string][]*MessageExt{}
	c := startPushConsumer(t, PushConsumerOptions{
		ClientOptions: fastOptions(ns), Group: "g1", ConsumeFrom: ConsumeFromFirstOffset,
		Listener: func(_ context.Context, msgs []*MessageExt) (ConsumeResult, error) {
			m := msgs[0]
			mu.Lock()
			attempts[string(m.Body)] = append(attempts[string(m.Body)], m)
			n := len(attempts[string(m.Body)])
			mu.Unlock()
			if n > 1 {
				return ConsumeSuccess, nil
			}
			switch string(m.Body) {
			case "fails-with-error":
				return ConsumeSuccess, errors.New("boom")
			case "panics":
				panic("listener bug")
			case "asks-later":
				return ReconsumeLater, nil
			}
			return ConsumeSuccess, nil
		},
	}, "T", ByTag("*"))
	waitFor(t, "redeliveries", 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(attempts["fails-with-error"]) == 2 && len(attempts["panics"]) == 2 && len(attempts["asks-later"]) == 2
	})
	mu.Lock()
	defer mu.Unlock()
	for body, ms := range attempts {
		if body == "fine" {
			if len(ms) != 1 {
				t.Errorf("fine consumed %d times", len(ms))
			}
			continue
		}
		again := ms[1]
		if again.Topic != "T" || again.ReconsumeTimes != 1 || again.Property(protocol.PropertyRetryTopic) != "T" {
			t.Errorf("%s redelivered as topic %s, reconsume %d", body, again.Topic, again.ReconsumeTimes)
		}
	}
	if n := len(b.messages(protocol.RetryTopic("g1"))); n != 3 {
		t.Errorf("retry topic holds %d messages, want 3", n)
	}
	_ = c
}

func TestPushConsumerDeadLetter(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 1, b)
	b.put("T", 0, "", "poison")
	var calls atomic.Int32
	startPushConsumer(t, PushConsumerOptions{
		ClientOptions: fastOptions(ns), Group: "g1", ConsumeFrom: ConsumeFromFirstOffset, MaxReconsumeTimes: 2,
		Listener: func(context.Context, []*MessageExt) (ConsumeResult, error) {
			calls.Add(1)
			return ReconsumeLater, nil
		},
	}, "T", ByTag("*"))
	waitFor(t, "the dead-letter topic", 10*time.Second, func() bool { return len(b.messages(protocol.DLQTopic("g1"))) == 1 })
	if n := calls.Load(); n != 3 {
		t.Errorf("consumed %d times before the DLQ, want 3 (1 + MaxReconsumeTimes)", n)
	}
}

func TestPushConsumerOrderly(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 2, b)
	for i := range 20 {
		b.put("T", int32(i%2), "", fmt.Sprintf("%d", i))
	}
	var mu sync.Mutex
	order := map[int32][]string{}
	suspended := false
	var retried *MessageExt
	startPushConsumer(t, PushConsumerOptions{
		ClientOptions: fastOptions(ns), Group: "g1", ConsumeFrom: ConsumeFromFirstOffset,
		SuspendCurrentQueueTime: 20 * time.Millisecond,
		OrderlyListener: func(_ context.Context, msgs []*MessageExt) (OrderlyResult, error) {
			mu.Lock()
			defer mu.Unlock()
			m := msgs[0]
			if string(m.Body) == "6" && !suspended {
				suspended = true
				return SuspendCurrentQueueAMoment, nil
			}
			if string(m.Body) == "6" {
				retried = m
			}
			order[m.QueueID] = append(order[m.QueueID], string(m.Body))
			return OrderlySuccess, nil
		},
	}, "T", ByTag("*"))
	waitFor(t, "20 messages", 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(order[0])+len(order[1]) == 20
	})
	mu.Lock()
	defer mu.Unlock()
	for q, bodies := range order {
		for i, body := range bodies {
			if want := fmt.Sprint(2*i + int(q)); body != want {
				t.Fatalf("queue %d consumed %v, out of order", q, bodies)
			}
		}
	}
	if retried == nil || retried.ReconsumeTimes != 1 {
		t.Errorf("the suspended message came back with %v", retried)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.locks) != 2 {
		t.Errorf("broker locks %v, want both queues locked", b.locks)
	}
}

func TestPushConsumerBroadcasting(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 2, b)
	putN(b, "T", 2, 10, "x")
	dir := t.TempDir()
	var cols []*collector
	for i := range 2 {
		got := newCollector()
		cols = append(cols, got)
		opts := fastOptions(ns)
		opts.InstanceName = fmt.Sprintf("bc%d", i)
		startPushConsumer(t, PushConsumerOptions{
			ClientOptions: opts, Group: "bg", Model: Broadcasting, ConsumeFrom: ConsumeFromFirstOffset,
			Listener: got.listener(), OffsetStoreDir: dir,
		}, "T", ByTag("*"))
	}
	for i, got := range cols {
		waitFor(t, fmt.Sprintf("consumer %d to get all 10", i), 10*time.Second, func() bool { return got.distinct() == 10 })
	}
	path := filepath.Join(dir, "bc0", "bg", "offsets.json")
	waitFor(t, "the local offsets file", 10*time.Second, func() bool {
		data, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		m, err := decodeOffsetFile(data)
		return err == nil && m[MessageQueue{"T", "broker-a", 0}] == 5 && m[MessageQueue{"T", "broker-a", 1}] == 5
	})
	if _, ok := b.committed("bg", "T", 0); ok {
		t.Error("a broadcasting consumer committed offsets to the broker")
	}
}

func TestPushConsumerConsumeFrom(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 1, b)
	b.put("T", 0, "", "old-0")
	b.put("T", 0, "", "old-1")
	b.mu.Lock()
	b.queues["T"][0][0].StoreTimestamp = time.Now().Add(-time.Hour).UnixMilli()
	b.mu.Unlock()
	cases := []struct {
		from  ConsumeFrom
		ts    time.Time
		first string
	}{
		{ConsumeFromLastOffset, time.Time{}, "new"},
		{ConsumeFromFirstOffset, time.Time{}, "old-0"},
		{ConsumeFromTimestamp, time.Now().Add(-time.Minute), "old-1"},
	}
	for i, tc := range cases {
		t.Run(tc.from.String(), func(t *testing.T) {
			first := make(chan string, 100)
			c := startPushConsumer(t, PushConsumerOptions{
				ClientOptions: fastOptions(ns), Group: fmt.Sprintf("cf%d", i), ConsumeFrom: tc.from, ConsumeTimestamp: tc.ts,
				ConsumeGoroutines: 1, // one listener at a time, so "first" is the first
				Listener: func(_ context.Context, msgs []*MessageExt) (ConsumeResult, error) {
					first <- string(msgs[0].Body)
					return ConsumeSuccess, nil
				},
			}, "T", ByTag("*"))
			waitFor(t, "the queue", 10*time.Second, func() bool { return countTopic(c.Queues(), "T") == 1 })
			b.put("T", 0, "", "new")
			if got := <-first; got != tc.first {
				t.Errorf("first message %q, want %q", got, tc.first)
			}
			shutdownConsumer(t, c)
			// A committed offset wins over ConsumeFrom.
			if off, ok := b.committed(fmt.Sprintf("cf%d", i), "T", 0); !ok || off < 1 {
				t.Errorf("committed %d %v after shutdown", off, ok)
			}
		})
		b.mu.Lock()
		b.queues["T"][0] = b.queues["T"][0][:2]
		b.mu.Unlock()
	}
}

func TestPushConsumerRebalanceScaleOutAndIn(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 4, b)
	got := newCollector()
	mk := func(name string) *PushConsumer {
		opts := fastOptions(ns)
		opts.InstanceName = name
		c, err := NewPushConsumer(PushConsumerOptions{
			ClientOptions: opts, Group: "rg", ConsumeFrom: ConsumeFromFirstOffset, Listener: got.listener(),
			RebalanceInterval: time.Hour, // only NOTIFY_CONSUMER_IDS_CHANGED triggers rebalances after the first
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Subscribe("T", ByTag("*")); err != nil {
			t.Fatal(err)
		}
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		return c
	}
	ctx, stop := context.WithCancel(context.Background())
	var sent atomic.Int32
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			b.put("T", int32(i%4), "", fmt.Sprint(i))
			sent.Add(1)
			time.Sleep(time.Millisecond) // pacing the producer, not synchronisation
		}
	}()
	a := mk("a")
	waitFor(t, "a to hold all queues", 10*time.Second, func() bool { return countTopic(a.Queues(), "T") == 4 })
	c2 := mk("b")
	waitFor(t, "the queues shared 2/2", 10*time.Second, func() bool {
		return countTopic(a.Queues(), "T") == 2 && countTopic(c2.Queues(), "T") == 2
	})
	shutdownConsumer(t, a)
	waitFor(t, "b to hold all queues", 10*time.Second, func() bool { return countTopic(c2.Queues(), "T") == 4 })
	stop()
	wg.Wait()
	total := int(sent.Load())
	waitFor(t, fmt.Sprintf("all %d messages", total), 15*time.Second, func() bool { return got.distinct() == total })
	shutdownConsumer(t, c2)
}

func countTopic(qs []MessageQueue, topic string) int {
	n := 0
	for _, q := range qs {
		if q.Topic == topic {
			n++
		}
	}
	return n
}

func TestPushConsumerFlowControl(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 1, b)
	putN(b, "T", 1, 200, "x")
	release := make(chan struct{})
	var consumed atomic.Int32
	c := startPushConsumer(t, PushConsumerOptions{
		ClientOptions: fastOptions(ns), Group: "fc", ConsumeFrom: ConsumeFromFirstOffset,
		PullThresholdForQueue: 10, PullBatchSize: 8, ConsumeBatchSize: 8, ConsumeGoroutines: 2,
		Listener: func(ctx context.Context, msgs []*MessageExt) (ConsumeResult, error) {
			select {
			case <-release:
			case <-ctx.Done():
			}
			consumed.Add(int32(len(msgs)))
			return ConsumeSuccess, nil
		},
	}, "T", ByTag("*"))
	var pq *processQueue
	waitFor(t, "the queue to fill", 10*time.Second, func() bool {
		c.mu.Lock()
		pq = c.queues[MessageQueue{"T", "broker-a", 0}]
		c.mu.Unlock()
		if pq == nil {
			return false
		}
		n, _, _ := pq.stats()
		return n > 10
	})
	// Pulls stop once more than 10 are held: at most one batch more.
	// Without flow control they would go on until the listeners' queue
	// blocked dispatching, at 5 batches. Let the loop check a few times.
	waitFor(t, "the pull loop to pause", 5*time.Second, func() bool { return pq.flowControlled.Load() >= 3 })
	if n, _, _ := pq.stats(); n > 10+8 {
		t.Fatalf("holds %d messages; flow control should stop at 10 + one batch of 8", n)
	}
	close(release)
	waitFor(t, "all 200", 10*time.Second, func() bool { return consumed.Load() >= 200 })
}

func TestPushConsumerShutdownNoLeaks(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 4, b)
	putN(b, "T", 4, 20, "x")
	before := runtime.NumGoroutine()
	for _, orderly := range []bool{false, true} {
		got := newCollector()
		opts := PushConsumerOptions{ClientOptions: fastOptions(ns), Group: fmt.Sprint("leak", orderly), ConsumeFrom: ConsumeFromFirstOffset}
		if orderly {
			opts.OrderlyListener = func(_ context.Context, msgs []*MessageExt) (OrderlyResult, error) {
				got.add(msgs)
				return OrderlySuccess, nil
			}
		} else {
			opts.Listener = got.listener()
		}
		opts.RebalanceInterval = 20 * time.Millisecond
		c, err := NewPushConsumer(opts)
		if err != nil {
			t.Fatal(err)
		}
		c.Subscribe("T", ByTag("*"))
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "20 messages", 10*time.Second, func() bool { return got.distinct() == 20 })
		shutdownConsumer(t, c)
		for q := int32(0); q < 4; q++ {
			if off, _ := b.committed(opts.Group, "T", q); off != 5 {
				t.Errorf("orderly=%v: queue %d committed %d after shutdown, want 5", orderly, q, off)
			}
		}
		b.mu.Lock()
		if orderly && len(b.locks) != 0 {
			t.Errorf("locks left after shutdown: %v", b.locks)
		}
		b.mu.Unlock()
	}
	waitFor(t, "goroutines to end", 5*time.Second, func() bool { return runtime.NumGoroutine() <= before })
}

func TestPushConsumerOptions(t *testing.T) {
	l := func(context.Context, []*MessageExt) (ConsumeResult, error) { return ConsumeSuccess, nil }
	ol := func(context.Context, []*MessageExt) (OrderlyResult, error) { return OrderlySuccess, nil }
	base := ClientOptions{NameServers: []string{"127.0.0.1:1"}}
	for name, o := range map[string]PushConsumerOptions{
		"no group":       {ClientOptions: base, Listener: l},
		"no listener":    {ClientOptions: base, Group: "g"},
		"two listeners":  {ClientOptions: base, Group: "g", Listener: l, OrderlyListener: ol},
		"bad group":      {ClientOptions: base, Group: "a@b", Listener: l},
		"huge batch":     {ClientOptions: base, Group: "g", Listener: l, PullBatchSize: 5000},
		"unknown model":  {ClientOptions: base, Group: "g", Listener: l, Model: 7},
		"unknown from":   {ClientOptions: base, Group: "g", Listener: l, ConsumeFrom: 9},
		"bad nameserver": {ClientOptions: ClientOptions{NameServers: []string{"x"}}, Group: "g", Listener: l},
	} {
		if _, err := NewPushConsumer(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	c, err := NewPushConsumer(PushConsumerOptions{ClientOptions: base, Group: "g", Listener: l})
	if err != nil {
		t.Fatal(err)
	}
	for _, sel := range []Selector{ByTag("||"), BySQL(""), {Type: "XPATH", Expression: "a"}} {
		if err := c.Subscribe("T", sel); err == nil {
			t.Errorf("selector %+v accepted", sel)
		}
	}
	if err := c.Start(context.Background()); err == nil {
		t.Error("Start without a subscription succeeded")
	}
	if !slices.Contains([]string{"CONSUME_FROM_LAST_OFFSET"}, ConsumeFromLastOffset.String()) || Broadcasting.String() != "BROADCASTING" {
		t.Error("enum names differ from upstream's")
	}
}
