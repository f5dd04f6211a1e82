package interop

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/rocketgo/rocketgo/internal/testcluster"
)

// cluster is one name server and one broker, started as processes.
type cluster struct {
	ns, broker *testcluster.Process
}

// startCluster starts a name server and a broker. It logs how long each
// took: both are built (go build relinks every time) and booted per test,
// which under load is most of a test's time.
func startCluster(t *testing.T, brokerProps map[string]string) *cluster {
	t.Helper()
	begin := time.Now()
	ns := testcluster.StartNamesrv(t, nil)
	nsUp := time.Now()
	props := map[string]string{"autoCreateTopicEnable": "true", "autoCreateSubscriptionGroup": "true"}
	for k, v := range brokerProps {
		props[k] = v
	}
	c := &cluster{ns: ns, broker: testcluster.StartBroker(t, []string{ns.Addr}, props)}
	t.Logf("name server built and up in %v, broker in %v", nsUp.Sub(begin).Round(time.Millisecond), time.Since(nsUp).Round(time.Millisecond))
	return c
}

func (c *cluster) resolver() primitive.NsResolver {
	return primitive.NewPassthroughResolver([]string{c.ns.Addr})
}

// instanceSeq makes client instance names unique: rocketmq-client-go shares
// one client per instance name and process, and shutting one down would
// stop the others.
var instanceSeq atomic.Int64

func instance(t *testing.T) string {
	return fmt.Sprintf("%s-%d", t.Name(), instanceSeq.Add(1))
}

// createTopic creates topic on the broker through the official admin API,
// waits until the name server routes it with the expected queue count and
// returns its queues, ordered by id.
func (c *cluster) createTopic(t *testing.T, topic string, queues int) []*primitive.MessageQueue {
	t.Helper()
	adm, err := admin.NewAdmin(admin.WithResolver(c.resolver()))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = adm.CreateTopic(ctx, admin.WithTopicCreate(topic), admin.WithBrokerAddrCreate(c.broker.Addr),
		admin.WithReadQueueNums(queues), admin.WithWriteQueueNums(queues))
	if err != nil {
		t.Fatalf("CreateTopic %s: %v", topic, err)
	}
	var mqs []*primitive.MessageQueue
	waitFor(t, 10*time.Second, "route of "+topic, func() bool {
		mqs, err = adm.FetchPublishMessageQueues(ctx, topic)
		return err == nil && len(mqs) == queues
	})
	slices.SortFunc(mqs, func(a, b *primitive.MessageQueue) int { return a.QueueId - b.QueueId })
	return mqs
}

func (c *cluster) producer(t *testing.T, opts ...producer.Option) rocketmq.Producer {
	t.Helper()
	all := append([]producer.Option{
		producer.WithNsResolver(c.resolver()),
		producer.WithGroupName("PG_" + t.Name()),
		producer.WithInstanceName(instance(t)),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(5 * time.Second),
	}, opts...)
	p, err := rocketmq.NewProducer(all...)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Shutdown() })
	return p
}

type listener func(context.Context, ...*primitive.MessageExt) (consumer.ConsumeResult, error)

// pushConsumer starts a push consumer of group on topic; stop (also run at
// cleanup) shuts it down, which commits its offsets.
func (c *cluster) pushConsumer(t *testing.T, group, topic string, sel consumer.MessageSelector, f listener, opts ...consumer.Option) (stop func()) {
	t.Helper()
	all := append([]consumer.Option{
		consumer.WithNsResolver(c.resolver()),
		consumer.WithGroupName(group),
		consumer.WithInstance(instance(t)),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	}, opts...)
	pc, err := rocketmq.NewPushConsumer(all...)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Subscribe(topic, sel, f); err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() { once.Do(func() { pc.Shutdown() }) }
	t.Cleanup(stop)
	return stop
}

// collector gathers consumed messages for assertions.
type collector struct {
	mu   sync.Mutex
	msgs []*primitive.MessageExt
}

func (c *collector) collect(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	c.mu.Lock()
	c.msgs = append(c.msgs, msgs...)
	c.mu.Unlock()
	return consumer.ConsumeSuccess, nil
}

func (c *collector) snapshot() []*primitive.MessageExt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*primitive.MessageExt(nil), c.msgs...)
}

func (c *collector) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

// bodies returns the set of message bodies, failing on duplicates when
// exactlyOnce is set.
func bodies(t *testing.T, msgs []*primitive.MessageExt, exactlyOnce bool) map[string]*primitive.MessageExt {
	t.Helper()
	out := map[string]*primitive.MessageExt{}
	for _, m := range msgs {
		b := string(m.Body)
		if _, dup := out[b]; dup && exactlyOnce {
			t.Errorf("message %q consumed twice", b)
		}
		out[b] = m
	}
	return out
}
