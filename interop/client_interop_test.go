package interop

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/rocketgo/rocketgo/client"
)

// Cross-client tests: RocketGo's client and rocketmq-client-go v2.1.2 on
// the two ends of one topic.

var quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

func (c *cluster) ourOptions() client.ClientOptions {
	return client.ClientOptions{
		NameServers:                   []string{c.ns.Addr},
		PollNameServerInterval:        200 * time.Millisecond,
		HeartbeatBrokerInterval:       200 * time.Millisecond,
		PersistConsumerOffsetInterval: 200 * time.Millisecond,
		Logger:                        quiet,
	}
}

func (c *cluster) ourProducer(t testing.TB, group string) *client.Producer {
	t.Helper()
	p, err := client.NewProducer(client.ProducerOptions{ClientOptions: c.ourOptions(), Group: group})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ourShutdown(t, p.Shutdown) })
	return p
}

// ourPushConsumer starts our push consumer with opts (its ClientOptions
// set here) subscribed to topic; it is shut down when the test ends.
func (c *cluster) ourPushConsumer(t testing.TB, opts client.PushConsumerOptions, topic string, sel client.Selector) *client.PushConsumer {
	t.Helper()
	opts.ClientOptions = c.ourOptions()
	pc, err := client.NewPushConsumer(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Subscribe(topic, sel); err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ourShutdown(t, pc.Shutdown) })
	return pc
}

func ourShutdown(t testing.TB, f func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := f(ctx); err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// TestOurProducerTheirConsumer: sync, async, oneway, batch and compressed
// sends from our producer reach rocketmq-client-go's push consumer with
// body, tag, keys, user properties and the msgId our SendResult named.
func TestOurProducerTheirConsumer(t *testing.T) {
	c := startCluster(t, nil)
	const topic = "InteropOursToTheirs"
	c.createTopic(t, topic, 4)
	p := c.ourProducer(t, "PG_ours")
	ctx := context.Background()

	msg := func(body, tag string) *client.Message {
		m := client.NewMessage(topic, tag, []byte(body))
		client.SetKeys(m, "k-"+body, "shared")
		m.SetProperty("color", "blue")
		return m
	}
	ids := map[string]string{}
	for i := range 10 {
		body := fmt.Sprintf("sync-%d", i)
		res, err := p.Send(ctx, msg(body, "TagSync"))
		if err != nil {
			t.Fatal(err)
		}
		ids[body] = res.MsgID
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range 10 {
		body := fmt.Sprintf("async-%d", i)
		wg.Add(1)
		if err := p.SendAsync(ctx, msg(body, "TagAsync"), func(res *client.SendResult, err error) {
			defer wg.Done()
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ids[body] = res.MsgID
			mu.Unlock()
		}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	for i := range 5 {
		if err := p.SendOneway(ctx, msg(fmt.Sprintf("oneway-%d", i), "TagOneway")); err != nil {
			t.Fatal(err)
		}
	}
	var batch []*client.Message
	for i := range 20 {
		batch = append(batch, msg(fmt.Sprintf("batch-%d", i), "TagBatch"))
	}
	res, err := p.SendBatch(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range strings.Split(res.MsgID, ",") {
		ids[fmt.Sprintf("batch-%d", i)] = id
	}
	big := "big-" + strings.Repeat("compressible ", 2000)
	if res, err := p.Send(ctx, msg(big, "TagBig")); err != nil {
		t.Fatal(err)
	} else {
		ids[big] = res.MsgID
	}

	var got collector
	c.pushConsumer(t, "CG_theirs", topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}, got.collect)
	const total = 10 + 10 + 5 + 20 + 1
	waitFor(t, consumeTimeout, fmt.Sprintf("%d messages at rocketmq-client-go", total), func() bool { return len(bodies(t, got.snapshot(), false)) == total })
	for body, m := range bodies(t, got.snapshot(), false) {
		if want, ok := ids[body]; ok && m.MsgId != want {
			t.Errorf("%.20s: their consumer sees msgId %s, our SendResult said %s", body, m.MsgId, want)
		}
		if m.GetProperty("color") != "blue" || !strings.Contains(m.GetKeys(), "shared") || m.GetTags() == "" {
			t.Errorf("%.20s: properties %v", body, m.GetProperties())
		}
	}
}

// TestTheirProducerOurConsumer: rocketmq-client-go's sends, compressed
// ones and batches included, reach our push and pull consumers intact.
func TestTheirProducerOurConsumer(t *testing.T) {
	c := startCluster(t, nil)
	const topic = "InteropTheirsToOurs"
	c.createTopic(t, topic, 4)
	p := c.producer(t)
	ctx := context.Background()
	ids := map[string]string{}
	for i := range 20 {
		m := primitive.NewMessage(topic, []byte(fmt.Sprintf("theirs-%d", i)))
		m.WithTag([]string{"TagA", "TagB"}[i%2])
		m.WithKeys([]string{fmt.Sprintf("key-%d", i)})
		m.WithProperty("n", fmt.Sprint(i))
		res, err := p.SendSync(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		ids[string(m.Body)] = res.MsgID
	}
	big := "big-" + strings.Repeat("compressible ", 2000)
	bm := primitive.NewMessage(topic, []byte(big))
	bm.WithTag("TagA")
	if res, err := p.SendSync(ctx, bm); err != nil {
		t.Fatal(err)
	} else {
		ids[big] = res.MsgID
	}
	var batch []*primitive.Message
	for i := range 10 {
		m := primitive.NewMessage(topic, []byte(fmt.Sprintf("their-batch-%d", i)))
		m.WithTag("TagA")
		batch = append(batch, m)
	}
	if _, err := p.SendSync(ctx, batch...); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	seen := map[string]*client.MessageExt{}
	c.ourPushConsumer(t, client.PushConsumerOptions{
		Group: "CG_ours", ConsumeFrom: client.ConsumeFromFirstOffset,
		Listener: func(_ context.Context, msgs []*client.MessageExt) (client.ConsumeResult, error) {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				seen[string(m.Body)] = m
			}
			return client.ConsumeSuccess, nil
		},
	}, topic, client.ByTag("TagA"))
	const want = 10 + 1 + 10 // TagA only
	waitFor(t, consumeTimeout, "TagA messages at our consumer", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == want
	})
	mu.Lock()
	for body, m := range seen {
		if m.Tags() != "TagA" {
			t.Errorf("%.20s has tag %q", body, m.Tags())
		}
		if id, ok := ids[body]; ok && m.MsgID() != id {
			t.Errorf("%.20s: msgId %s, their SendResult said %s", body, m.MsgID(), id)
		}
	}
	if m := seen[big]; m == nil || m.SysFlag&1 == 0 {
		t.Errorf("the big body did not arrive compressed and inflated: %v", m)
	}
	mu.Unlock()

	// Our pull consumer reads the same queues.
	pull, err := client.NewPullConsumer(client.PullConsumerOptions{ClientOptions: c.ourOptions(), Group: "CG_ours_pull"})
	if err != nil {
		t.Fatal(err)
	}
	if err := pull.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ourShutdown(t, pull.Shutdown) })
	qs, err := pull.Queues(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, q := range qs {
		res, err := pull.Pull(ctx, q, client.ByTag("*"), 0, 64)
		if err != nil {
			t.Fatal(err)
		}
		n += len(res.Messages)
	}
	if n != 20+1+10 {
		t.Errorf("pulled %d messages, want 31", n)
	}
}
