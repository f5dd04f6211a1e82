package client

import (
	"context"
	"testing"
	"time"
)

func startPullConsumer(t *testing.T, opts PullConsumerOptions) *PullConsumer {
	t.Helper()
	c, err := NewPullConsumer(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Shutdown(ctx); err != nil {
			t.Errorf("pull consumer shutdown: %v", err)
		}
	})
	return c
}

func TestPullConsumer(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 2, b)
	for i := range 6 {
		tag := "TagA"
		if i >= 3 {
			tag = "TagB"
		}
		b.put("T", 0, tag, string(rune('a'+i)))
	}
	ctx := context.Background()
	c := startPullConsumer(t, PullConsumerOptions{ClientOptions: testOptions(ns), Group: "pull"})
	qs, err := c.Queues(ctx, "T")
	if err != nil || len(qs) != 2 {
		t.Fatalf("queues %v %v", qs, err)
	}
	mq := qs[0]
	res, err := c.Pull(ctx, mq, ByTag("*"), 0, 4)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != PullFound || len(res.Messages) != 4 || res.NextBeginOffset != 4 || res.MaxOffset != 6 {
		t.Fatalf("%s", res)
	}
	if want := "PullResult [pullStatus=FOUND, nextBeginOffset=4, minOffset=0, maxOffset=6, msgFoundList=4]"; res.String() != want {
		t.Errorf("got  %s\nwant %s", res, want)
	}
	if string(res.Messages[0].Body) != "a" || res.Messages[0].QueueOffset != 0 || res.Messages[0].MsgID() == "" {
		t.Errorf("first message %+v", res.Messages[0])
	}
	res, err = c.Pull(ctx, mq, ByTag("TagB"), 0, 32)
	if err != nil || res.Status != PullFound || len(res.Messages) != 3 || res.Messages[0].Tags() != "TagB" {
		t.Fatalf("TagB: %v %v", res, err)
	}
	res, err = c.Pull(ctx, mq, ByTag("TagC"), 0, 32)
	if err != nil || res.Status != PullNoMatchedMsg || res.NextBeginOffset != 6 {
		t.Fatalf("TagC: %v %v", res, err)
	}
	res, err = c.Pull(ctx, mq, ByTag("*"), 6, 32)
	if err != nil || res.Status != PullNoNewMsg {
		t.Fatalf("at the end: %v %v", res, err)
	}
	res, err = c.Pull(ctx, mq, ByTag("*"), 60, 32)
	if err != nil || res.Status != PullOffsetIllegal || res.NextBeginOffset != 6 {
		t.Fatalf("past the end: %v %v", res, err)
	}
	if _, err := c.Pull(ctx, mq, ByTag("*"), 0, 0); err == nil {
		t.Error("maxNums 0 accepted")
	}

	// A held pull returns as soon as a message arrives.
	done := make(chan *PullResult, 1)
	go func() {
		r, err := c.PullBlockIfNotFound(ctx, qs[1], ByTag("*"), 0, 32)
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	waitFor(t, "the pull to be held", 5*time.Second, func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.waiters) == 1
	})
	b.put("T", 1, "", "wake")
	if r := <-done; r == nil || r.Status != PullFound || string(r.Messages[0].Body) != "wake" {
		t.Fatalf("held pull: %v", r)
	}

	if off, err := c.CommittedOffset(ctx, mq); err != nil || off != -1 {
		t.Errorf("committed offset before any: %d %v", off, err)
	}
	if max, err := c.MaxOffset(ctx, mq); err != nil || max != 6 {
		t.Errorf("max offset %d %v", max, err)
	}
	if min, err := c.MinOffset(ctx, mq); err != nil || min != 0 {
		t.Errorf("min offset %d %v", min, err)
	}
	if off, err := c.SearchOffset(ctx, mq, time.Now().Add(time.Hour)); err != nil || off != 6 {
		t.Errorf("search offset %d %v", off, err)
	}
	c.UpdateOffset(mq, 4)
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if off, ok := b.committed("pull", "T", 0); !ok || off != 4 {
		t.Errorf("committed %d %v at shutdown, want 4", off, ok)
	}
	if _, err := c.Pull(ctx, mq, ByTag("*"), 0, 1); err == nil {
		t.Error("pull after shutdown succeeded")
	}
}
