package interop

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/rocketgo/rocketgo/internal/testcluster"
)

// pullAll reads every message of topic from offset 0 with v2.1.2's pull
// consumer (PullFrom on each queue), as a check independent of push.
func (c *cluster) pullAll(t *testing.T, topic string) map[string]*primitive.MessageExt {
	t.Helper()
	pc, err := rocketmq.NewPullConsumer(
		consumer.WithNsResolver(c.resolver()),
		consumer.WithGroupName("PULL_"+t.Name()),
		consumer.WithInstance(instance(t)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Subscribe(topic, consumer.MessageSelector{}); err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(); err != nil {
		t.Fatal(err)
	}
	defer pc.Shutdown()

	adm, err := admin.NewAdmin(admin.WithResolver(c.resolver()))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mqs, err := adm.FetchPublishMessageQueues(ctx, topic)
	if err != nil {
		t.Fatalf("queues of %s: %v", topic, err)
	}
	out := map[string]*primitive.MessageExt{}
	for _, mq := range mqs {
		offset := int64(0)
		for {
			res, err := pc.PullFrom(ctx, mq, offset, 32)
			if err != nil {
				t.Fatalf("PullFrom %v@%d: %v", mq, offset, err)
			}
			if res.Status != primitive.PullFound {
				break
			}
			for _, m := range res.GetMessageExts() {
				out[string(m.Body)] = m
			}
			if res.NextBeginOffset <= offset {
				t.Fatalf("PullFrom %v@%d: next offset %d does not advance", mq, offset, res.NextBeginOffset)
			}
			offset = res.NextBeginOffset
			// Stop at the end instead of pulling once more: v2.1.2's
			// PullFrom sets the suspend flag, so the broker would rightly
			// hold that pull for its 20 s suspend timeout.
			if offset >= res.MaxOffset {
				break
			}
		}
	}
	return out
}

// TestPullConsumer: v2.1.2's pull consumer reads what was sent, queue by
// queue, with advancing offsets.
func TestPullConsumer(t *testing.T) {
	c := startCluster(t, nil)
	const topic = "InteropPull"
	c.createTopic(t, topic, 2)
	p := c.producer(t)
	const n = 50
	for i := 0; i < n; i++ {
		if _, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte("p-"+strconv.Itoa(i)))); err != nil {
			t.Fatal(err)
		}
	}
	if got := c.pullAll(t, topic); len(got) != n {
		t.Errorf("pulled %d distinct messages, want %d", len(got), n)
	}
}

// TestBrokerRestartKeepsState: after a clean broker restart the topic is
// still routed, old messages are still readable, and a consumer group
// resumes from its committed offsets (it gets only the new messages).
func TestBrokerRestartKeepsState(t *testing.T) {
	c := startCluster(t, nil)
	const topic = "InteropRestart"
	c.createTopic(t, topic, 2)
	group := "CG_" + t.Name()

	send := func(prefix string, n int) {
		p := c.producer(t)
		for i := 0; i < n; i++ {
			if _, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte(prefix+strconv.Itoa(i)))); err != nil {
				t.Fatalf("send %s%d: %v", prefix, i, err)
			}
		}
		p.Shutdown()
	}
	const n = 20
	send("before-", n)
	first := &collector{}
	stop := c.pushConsumer(t, group, topic, consumer.MessageSelector{}, first.collect)
	waitFor(t, consumeTimeout, "messages before restart", func() bool { return first.len() >= n })
	stop() // commits the consumed offsets to the broker

	c.broker = testcluster.RestartBroker(t, c.broker)

	adm, err := admin.NewAdmin(admin.WithResolver(c.resolver()))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	waitFor(t, 30*time.Second, "topic route after restart", func() bool {
		mqs, err := adm.FetchPublishMessageQueues(context.Background(), topic)
		return err == nil && len(mqs) == 2
	})

	send("after-", n)
	second := &collector{}
	c.pushConsumer(t, group, topic, consumer.MessageSelector{}, second.collect)
	waitFor(t, consumeTimeout, "messages after restart", func() bool { return second.len() >= n })
	for body := range bodies(t, second.snapshot(), true) {
		if body[:6] != "after-" {
			t.Errorf("group replayed %q after restart although its offset was committed", body)
		}
	}

	all := c.pullAll(t, topic)
	for _, prefix := range []string{"before-", "after-"} {
		for i := 0; i < n; i++ {
			if _, ok := all[prefix+strconv.Itoa(i)]; !ok {
				t.Errorf("message %s%d missing after restart", prefix, i)
			}
		}
	}
	if t.Failed() {
		t.Log(fmt.Sprint("broker output:\n", c.broker.Output()))
	}
}
