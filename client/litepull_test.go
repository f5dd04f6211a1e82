package client

import (
	"context"
	"testing"
	"time"
)

func startLite(t *testing.T, ns *fakeNamesrv, opts LitePullConsumerOptions, topic string) *LitePullConsumer {
	t.Helper()
	opts.ClientOptions = fastOptions(ns)
	opts.RebalanceInterval = 50 * time.Millisecond
	l, err := NewLitePullConsumer(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Subscribe(topic, ByTag("*")); err != nil {
		t.Fatal(err)
	}
	if err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := l.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return l
}

// pollAll polls until n messages came or the deadline passed.
func pollAll(t *testing.T, l *LitePullConsumer, n int) []*MessageExt {
	t.Helper()
	var out []*MessageExt
	deadline := time.Now().Add(10 * time.Second)
	for len(out) < n {
		if time.Now().After(deadline) {
			t.Fatalf("polled %d of %d", len(out), n)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		msgs, err := l.Poll(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, msgs...)
	}
	return out
}

func TestLitePullConsumer(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 2, b)
	putN(b, "T", 2, 20, "x")
	l := startLite(t, ns, LitePullConsumerOptions{Group: "lite", ConsumeFrom: ConsumeFromFirstOffset, PullBatchSize: 4}, "T")
	msgs := pollAll(t, l, 20)
	seen := map[string]bool{}
	for _, m := range msgs {
		seen[string(m.Body)] = true
	}
	if len(seen) != 20 {
		t.Fatalf("polled %d distinct", len(seen))
	}
	waitFor(t, "auto commit", 5*time.Second, func() bool {
		a, _ := b.committed("lite", "T", 0)
		c, _ := b.committed("lite", "T", 1)
		return a == 10 && c == 10
	})
	// Seek back: queue 0 from offset 7 again.
	mq := MessageQueue{"T", "broker-a", 0}
	if err := l.Seek(context.Background(), mq, 7); err != nil {
		t.Fatal(err)
	}
	again := pollAll(t, l, 3)
	if again[0].QueueID != 0 || again[0].QueueOffset != 7 {
		t.Errorf("after seek polled queue %d offset %d", again[0].QueueID, again[0].QueueOffset)
	}
	if err := l.Seek(context.Background(), MessageQueue{"T", "broker-a", 9}, 0); err == nil {
		t.Error("seek on a queue not held succeeded")
	}
}

func TestLitePullManualCommit(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 1, b)
	putN(b, "T", 1, 6, "x")
	l := startLite(t, ns, LitePullConsumerOptions{Group: "manual", ConsumeFrom: ConsumeFromFirstOffset, ManualCommit: true}, "T")
	pollAll(t, l, 6)
	// What the background commit does must not commit polled offsets.
	l.c.persistOffsets(context.Background())
	if off, ok := b.committed("manual", "T", 0); ok && off > 0 {
		t.Fatalf("committed %d before CommitSync", off)
	}
	if err := l.CommitSync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if off, _ := b.committed("manual", "T", 0); off != 6 {
		t.Errorf("committed %d after CommitSync, want 6", off)
	}
}
