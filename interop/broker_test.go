package interop

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

const consumeTimeout = 60 * time.Second

// TestSendModesAndPushConsume: sync, async and oneway sends all arrive at a
// clustering push consumer reading from the first offset, with body, tags,
// keys, msgId, store host and timestamps intact.
func TestSendModesAndPushConsume(t *testing.T) {
	c := startCluster(t, nil)
	const topic = "InteropSendModes"
	c.createTopic(t, topic, 4)
	p := c.producer(t)
	ctx := context.Background()
	start := time.Now()

	msg := func(mode string, i int) *primitive.Message {
		m := primitive.NewMessage(topic, []byte(fmt.Sprintf("%s-%d", mode, i)))
		m.WithTag("Tag" + mode)
		m.WithKeys([]string{fmt.Sprintf("key-%s-%d", mode, i), "shared"})
		return m
	}
	const n = 10
	sent := map[string]*primitive.SendResult{}
	for i := 0; i < n; i++ {
		res, err := p.SendSync(ctx, msg("sync", i))
		if err != nil {
			t.Fatalf("SendSync: %v", err)
		}
		if res.Status != primitive.SendOK || res.MsgID == "" || res.OffsetMsgID == "" {
			t.Fatalf("SendSync result %+v", res)
		}
		sent[fmt.Sprintf("sync-%d", i)] = res
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := 0; i < n; i++ {
		wg.Add(1)
		body := fmt.Sprintf("async-%d", i)
		err := p.SendAsync(ctx, func(_ context.Context, res *primitive.SendResult, err error) {
			defer wg.Done()
			if err != nil || res.Status != primitive.SendOK {
				t.Errorf("SendAsync %s: %v %+v", body, err, res)
				return
			}
			mu.Lock()
			sent[body] = res
			mu.Unlock()
		}, msg("async", i))
		if err != nil {
			t.Fatalf("SendAsync: %v", err)
		}
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		if err := p.SendOneWay(ctx, msg("oneway", i)); err != nil {
			t.Fatalf("SendOneWay: %v", err)
		}
	}

	col := &collector{}
	c.pushConsumer(t, "CG_"+t.Name(), topic, consumer.MessageSelector{}, col.collect)
	waitFor(t, consumeTimeout, "30 messages", func() bool { return col.len() >= 3*n })

	got := bodies(t, col.snapshot(), true)
	if len(got) != 3*n {
		t.Fatalf("consumed %d distinct messages, want %d", len(got), 3*n)
	}
	for body, m := range got {
		mode, _, _ := strings.Cut(body, "-")
		if m.GetTags() != "Tag"+mode {
			t.Errorf("%s: tags %q, want Tag%s", body, m.GetTags(), mode)
		}
		if !strings.Contains(m.GetKeys(), "key-"+body) || !strings.Contains(m.GetKeys(), "shared") {
			t.Errorf("%s: keys %q", body, m.GetKeys())
		}
		if m.Topic != topic {
			t.Errorf("%s: topic %q", body, m.Topic)
		}
		if m.StoreHost != c.broker.Addr {
			t.Errorf("%s: store host %q, want %s", body, m.StoreHost, c.broker.Addr)
		}
		if m.BornTimestamp < start.UnixMilli()-1000 || m.StoreTimestamp < m.BornTimestamp-1000 || m.StoreTimestamp > time.Now().UnixMilli() {
			t.Errorf("%s: born %d store %d outside the test window", body, m.BornTimestamp, m.StoreTimestamp)
		}
		if res, ok := sent[body]; ok {
			if m.MsgId != res.MsgID {
				t.Errorf("%s: consumed msgId %s, send result said %s", body, m.MsgId, res.MsgID)
			}
			if m.OffsetMsgId != res.OffsetMsgID {
				t.Errorf("%s: consumed offsetMsgId %s, send result said %s", body, m.OffsetMsgId, res.OffsetMsgID)
			}
			if m.Queue.QueueId != res.MessageQueue.QueueId || m.QueueOffset != res.QueueOffset {
				t.Errorf("%s: consumed at queue %d offset %d, sent to %d/%d", body, m.Queue.QueueId, m.QueueOffset, res.MessageQueue.QueueId, res.QueueOffset)
			}
		}
	}
}

// TestOrderedSendOrderlyConsume: messages sent with a hash selector on a
// sharding key and consumed by an orderly consumer keep per-key order.
func TestOrderedSendOrderlyConsume(t *testing.T) {
	c := startCluster(t, nil)
	const topic = "InteropOrdered"
	c.createTopic(t, topic, 4)
	p := c.producer(t, producer.WithQueueSelector(producer.NewHashQueueSelector()))
	const keys, perKey = 4, 25
	for i := 0; i < perKey; i++ {
		for k := 0; k < keys; k++ {
			m := primitive.NewMessage(topic, []byte(fmt.Sprintf("order-%d-%d", k, i)))
			m.WithShardingKey(fmt.Sprintf("order-%d", k))
			if _, err := p.SendSync(context.Background(), m); err != nil {
				t.Fatal(err)
			}
		}
	}
	var mu sync.Mutex
	next := map[int]int{}
	total := 0
	c.pushConsumer(t, "CG_"+t.Name(), topic, consumer.MessageSelector{},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				var k, i int
				if _, err := fmt.Sscanf(string(m.Body), "order-%d-%d", &k, &i); err != nil {
					t.Errorf("bad body %q", m.Body)
					continue
				}
				if i != next[k] {
					t.Errorf("key %d: got message %d, want %d (order broken)", k, i, next[k])
				}
				next[k] = i + 1
				total++
			}
			return consumer.ConsumeSuccess, nil
		}, consumer.WithConsumerOrder(true))
	waitFor(t, consumeTimeout, "all ordered messages", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return total >= keys*perKey
	})
}

// TestTagFilter: a consumer subscribed to "TagA || TagC" gets exactly those.
func TestTagFilter(t *testing.T) {
	c := startCluster(t, nil)
	const topic = "InteropTags"
	c.createTopic(t, topic, 2)
	p := c.producer(t)
	const n = 10
	for i := 0; i < n; i++ {
		for _, tag := range []string{"TagA", "TagB", "TagC"} {
			m := primitive.NewMessage(topic, []byte(fmt.Sprintf("%s-%d", tag, i)))
			m.WithTag(tag)
			if _, err := p.SendSync(context.Background(), m); err != nil {
				t.Fatal(err)
			}
		}
	}
	// TagB messages are interleaved with the others on every queue, so a
	// broker that let them through would deliver some among the first 2n.
	col := &collector{}
	c.pushConsumer(t, "CG_"+t.Name(), topic,
		consumer.MessageSelector{Type: consumer.TAG, Expression: "TagA || TagC"}, col.collect)
	waitFor(t, consumeTimeout, "TagA and TagC messages", func() bool { return col.len() >= 2*n })
	got := bodies(t, col.snapshot(), true)
	for body, m := range got {
		if tag := m.GetTags(); tag != "TagA" && tag != "TagC" {
			t.Errorf("consumed %s with tag %s through filter TagA || TagC", body, tag)
		}
	}
	if len(got) != 2*n {
		t.Errorf("consumed %d, want %d", len(got), 2*n)
	}
}

// TestBroadcasting: two broadcasting consumers of one group each get every
// message.
func TestBroadcasting(t *testing.T) {
	begin := time.Now()
	phase := func(what string) { t.Logf("%6dms %s", time.Since(begin).Milliseconds(), what) }
	c := startCluster(t, nil)
	const topic = "InteropBroadcast"
	c.createTopic(t, topic, 2)
	phase("cluster up, topic routed")
	group := "CG_" + t.Name()
	cols := []*collector{{}, {}}
	for _, col := range cols {
		c.pushConsumer(t, group, topic, consumer.MessageSelector{}, col.collect,
			consumer.WithConsumerModel(consumer.BroadCasting))
	}
	phase("consumers started")
	p := c.producer(t)
	const n = 20
	for i := 0; i < n; i++ {
		if _, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte("b-"+strconv.Itoa(i)))); err != nil {
			t.Fatal(err)
		}
	}
	phase("messages sent")
	for i, col := range cols {
		waitFor(t, consumeTimeout, fmt.Sprintf("consumer %d to get all", i), func() bool { return col.len() >= n })
		phase(fmt.Sprintf("consumer %d got all", i))
		if got := bodies(t, col.snapshot(), false); len(got) != n {
			t.Errorf("consumer %d got %d distinct messages, want %d", i, len(got), n)
		}
	}
}

// TestClusteringConsumersShareQueues: two consumers of one group on a
// 4-queue topic lose no message between them.
func TestClusteringConsumersShareQueues(t *testing.T) {
	c := startCluster(t, nil)
	const topic = "InteropShare"
	c.createTopic(t, topic, 4)
	group := "CG_" + t.Name()
	cols := []*collector{{}, {}}
	for _, col := range cols {
		c.pushConsumer(t, group, topic, consumer.MessageSelector{}, col.collect)
	}
	p := c.producer(t)
	const n = 100
	for i := 0; i < n; i++ {
		if _, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte("s-"+strconv.Itoa(i)))); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, consumeTimeout, "all messages across both consumers", func() bool {
		all := append(cols[0].snapshot(), cols[1].snapshot()...)
		return len(bodies(t, all, false)) >= n
	})
	t.Logf("split between consumers: %d / %d", cols[0].len(), cols[1].len())
}

// TestBatchSend: a batch of messages sent in one SEND_BATCH_MESSAGE is
// consumed whole.
func TestBatchSend(t *testing.T) {
	c := startCluster(t, nil)
	const topic = "InteropBatch"
	c.createTopic(t, topic, 2)
	p := c.producer(t)
	var batch []*primitive.Message
	for i := 0; i < 32; i++ {
		m := primitive.NewMessage(topic, []byte("batch-"+strconv.Itoa(i)))
		m.WithKeys([]string{"bk-" + strconv.Itoa(i)})
		batch = append(batch, m)
	}
	res, err := p.SendSync(context.Background(), batch...)
	if err != nil || res.Status != primitive.SendOK {
		t.Fatalf("batch send: %v %+v", err, res)
	}
	col := &collector{}
	c.pushConsumer(t, "CG_"+t.Name(), topic, consumer.MessageSelector{}, col.collect)
	waitFor(t, consumeTimeout, "the whole batch", func() bool { return col.len() >= len(batch) })
	if got := bodies(t, col.snapshot(), true); len(got) != len(batch) {
		t.Errorf("consumed %d distinct, want %d", len(got), len(batch))
	}
}
