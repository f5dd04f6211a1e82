package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
)

// MessageModel says how a group's consumers share a topic.
type MessageModel int

const (
	// Clustering: each message goes to one consumer of the group; the
	// queues are shared out by the AllocateStrategy and offsets are kept
	// on the brokers.
	Clustering MessageModel = iota
	// Broadcasting: every consumer of the group gets every message;
	// each keeps its own offsets in a local file.
	Broadcasting
)

func (m MessageModel) String() string {
	if m == Broadcasting {
		return protocol.Broadcasting
	}
	return protocol.Clustering
}

// ConsumeFrom says where a group with no committed offset for a queue
// starts. A group that has committed an offset always resumes there.
type ConsumeFrom int

const (
	ConsumeFromLastOffset  ConsumeFrom = iota // at the end: only new messages
	ConsumeFromFirstOffset                    // at the oldest message kept
	ConsumeFromTimestamp                      // at the first message stored at or after ConsumeTimestamp
)

func (c ConsumeFrom) String() string {
	switch c {
	case ConsumeFromFirstOffset:
		return "CONSUME_FROM_FIRST_OFFSET"
	case ConsumeFromTimestamp:
		return "CONSUME_FROM_TIMESTAMP"
	}
	return "CONSUME_FROM_LAST_OFFSET"
}

// ConsumeResult is a concurrent listener's verdict on a batch.
type ConsumeResult int

const (
	ConsumeSuccess ConsumeResult = iota // consumed; the offset moves on
	ReconsumeLater                      // send the batch back to be redelivered later
)

// OrderlyResult is an orderly listener's verdict on a batch.
type OrderlyResult int

const (
	OrderlySuccess             OrderlyResult = iota // consumed; the offset moves on
	SuspendCurrentQueueAMoment                      // retry the same batch, in place, after SuspendCurrentQueueTime
)

// ConcurrentListener consumes a batch of messages (ConsumeBatchSize at
// most) while other batches, of this queue too, are consumed in parallel.
// A returned error or a panic counts as ReconsumeLater. ctx ends when the
// consumer shuts down or loses the queue.
type ConcurrentListener func(ctx context.Context, msgs []*MessageExt) (ConsumeResult, error)

// OrderlyListener consumes a queue's messages one batch at a time, in
// queue order, with one goroutine per queue; in clustering mode only while
// this consumer holds the queue's lock on the broker. A returned error or
// a panic counts as SuspendCurrentQueueAMoment.
type OrderlyListener func(ctx context.Context, msgs []*MessageExt) (OrderlyResult, error)

// PushConsumerOptions configure a PushConsumer (upstream
// DefaultMQPushConsumer). Zero values take the defaults noted; exactly one
// of Listener and OrderlyListener must be set.
type PushConsumerOptions struct {
	ClientOptions

	Group            string       // consumer group; required
	Model            MessageModel // default Clustering
	ConsumeFrom      ConsumeFrom  // default ConsumeFromLastOffset
	ConsumeTimestamp time.Time    // for ConsumeFromTimestamp; default 30 minutes before Start
	Strategy         AllocateStrategy

	Listener        ConcurrentListener
	OrderlyListener OrderlyListener

	ConsumeGoroutines int // concurrent listeners running at once; default 20
	PullBatchSize     int // messages per pull; default 32
	ConsumeBatchSize  int // messages per listener call; default 1
	// Flow control: a queue is not pulled while it holds more than
	// PullThresholdForQueue messages (default 1000) or more than
	// PullThresholdSizeForQueue MiB of bodies (default 100), or, for a
	// concurrent listener, while its oldest and newest waiting messages
	// are more than ConsumeConcurrentlyMaxSpan offsets apart (default
	// 2000).
	PullThresholdForQueue      int
	PullThresholdSizeForQueue  int
	ConsumeConcurrentlyMaxSpan int
	PullInterval               time.Duration // pause between pulls of a queue; default none
	// MaxReconsumeTimes is how often a message is redelivered before it
	// goes to the group's dead-letter topic: default 16 for a concurrent
	// listener, unlimited for an orderly one.
	MaxReconsumeTimes int
	// SuspendCurrentQueueTime is the orderly listener's in-place retry
	// pause; default 1 s.
	SuspendCurrentQueueTime time.Duration
	RebalanceInterval       time.Duration // default 20 s
	// OffsetStoreDir holds broadcasting offsets; default ~/.rocketmq_offsets.
	OffsetStoreDir string
}

// resolve checks and completes the options; a lite pull consumer (lite)
// has no listener: Poll hands out the messages.
func (o PushConsumerOptions) resolve(lite bool) (PushConsumerOptions, error) {
	if o.Group == "" {
		return o, errors.New("client: push consumer needs a Group")
	}
	if strings.ContainsAny(o.Group, "@ ") || protocol.ValidateTopicName(o.Group) != "" {
		return o, fmt.Errorf("client: consumer group %q: use letters, digits, '_', '-', '%%' or '|'", o.Group)
	}
	if !lite && (o.Listener == nil) == (o.OrderlyListener == nil) {
		return o, errors.New("client: push consumer needs exactly one of Listener and OrderlyListener")
	}
	if o.Model != Clustering && o.Model != Broadcasting {
		return o, fmt.Errorf("client: unknown message model %d", o.Model)
	}
	if o.ConsumeFrom < ConsumeFromLastOffset || o.ConsumeFrom > ConsumeFromTimestamp {
		return o, fmt.Errorf("client: unknown ConsumeFrom %d", o.ConsumeFrom)
	}
	if o.Strategy == nil {
		o.Strategy = AllocateAveragely
	}
	setDefault(&o.ConsumeGoroutines, 20)
	setDefault(&o.PullBatchSize, 32)
	setDefault(&o.ConsumeBatchSize, 1)
	setDefault(&o.PullThresholdForQueue, 1000)
	setDefault(&o.PullThresholdSizeForQueue, 100)
	setDefault(&o.ConsumeConcurrentlyMaxSpan, 2000)
	if o.PullBatchSize > 1024 {
		return o, fmt.Errorf("client: PullBatchSize %d: at most 1024", o.PullBatchSize)
	}
	if o.ConsumeBatchSize > 1024 {
		return o, fmt.Errorf("client: ConsumeBatchSize %d: at most 1024", o.ConsumeBatchSize)
	}
	if o.MaxReconsumeTimes <= 0 {
		o.MaxReconsumeTimes = 16
		if o.OrderlyListener != nil {
			o.MaxReconsumeTimes = 1<<31 - 1
		}
	}
	if o.SuspendCurrentQueueTime <= 0 {
		o.SuspendCurrentQueueTime = time.Second
	}
	if o.RebalanceInterval <= 0 {
		o.RebalanceInterval = 20 * time.Second
	}
	if o.OffsetStoreDir == "" {
		o.OffsetStoreDir = defaultOffsetDir()
	}
	return o, nil
}

func setDefault(v *int, def int) {
	if *v <= 0 {
		*v = def
	}
}

// PushConsumer receives messages through a listener: it rebalances
// queues among the group's consumers, long-polls each of its queues in a
// goroutine of its own, hands the messages to the listener, and commits
// offsets as they are consumed. See the package documentation.
type PushConsumer struct {
	opts    PushConsumerOptions
	in      *instance
	store   offsetStore
	inner   *Producer // sends messages back to the retry topic when the broker cannot
	sb      suggestedBrokers
	orderly bool
	lite    bool // a LitePullConsumer's engine: Poll takes the place of listeners
	// manualCommit: a lite consumer whose offsets move only by CommitSync.
	manualCommit bool
	// instanceName is the configured one ("DEFAULT" when none), which
	// names the broadcasting offsets directory.
	instanceName string

	life  lifecycle
	start time.Time
	subs  subscriptions

	mu     sync.Mutex
	queues map[MessageQueue]*processQueue

	work         chan *consumeRequest // concurrent listeners' queue
	rebalanceNow chan struct{}
}

// NewPushConsumer checks opts and returns a consumer; subscribe, then Start.
func NewPushConsumer(opts PushConsumerOptions) (*PushConsumer, error) {
	return newPushConsumer(opts, false)
}

func newPushConsumer(opts PushConsumerOptions, lite bool) (*PushConsumer, error) {
	opts, err := opts.resolve(lite)
	if err != nil {
		return nil, err
	}
	instanceName := opts.InstanceName
	if instanceName == "" {
		instanceName = "DEFAULT"
	}
	in, err := newInstance(opts.ClientOptions)
	if err != nil {
		return nil, err
	}
	c := &PushConsumer{
		opts:         opts,
		in:           in,
		orderly:      opts.OrderlyListener != nil,
		lite:         lite,
		instanceName: instanceName,
		queues:       map[MessageQueue]*processQueue{},
		work:         make(chan *consumeRequest, opts.ConsumeGoroutines),
		rebalanceNow: make(chan struct{}, 1),
	}
	c.life.what = "consumer " + opts.Group
	c.inner = newInnerProducer(in)
	if opts.Model == Broadcasting {
		c.store = newLocalOffsets(opts.OffsetStoreDir, instanceName, opts.Group)
	} else {
		c.store = newRemoteOffsets(in, opts.Group)
	}
	in.heartbeatData = c.heartbeatData
	in.routeTopics = c.topics
	c.handleServerRequests()
	return c, nil
}

// newInnerProducer is a producer on a consumer's own instance, for
// messages sent back to a retry topic (upstream's CLIENT_INNER_PRODUCER).
func newInnerProducer(in *instance) *Producer {
	opts, _ := ProducerOptions{ClientOptions: in.opts, Group: protocol.GroupClientInnerProducer}.resolve() // defaults only: cannot fail
	p := &Producer{opts: opts, in: in, fault: newFaultTolerance()}
	p.life.what = "inner producer"
	p.life.state.Store(stateRunning)
	return p
}

// ClientID is the id brokers know this consumer by (ip@instance).
func (c *PushConsumer) ClientID() string { return c.in.id }

// Subscribe adds a topic with a selector. Called after Start, it tells
// the brokers and rebalances at once.
func (c *PushConsumer) Subscribe(topic string, sel Selector) error {
	sd, err := buildSubscription(topic, sel)
	if err != nil {
		return err
	}
	if c.life.state.Load() == stateShutdown {
		return fmt.Errorf("client: consumer %s: %w", c.opts.Group, ErrShutdown)
	}
	c.subs.set(&sd)
	if c.life.running() {
		ctx, cancel := context.WithTimeout(c.in.ctx, c.in.opts.CallTimeout)
		defer cancel()
		if _, err := c.in.updateRoute(ctx, topic); err != nil {
			c.in.log.Warn("client: route of new subscription", "topic", topic, "err", err)
		}
		c.in.sendHeartbeat(ctx)
		c.triggerRebalance()
	}
	return nil
}

func (c *PushConsumer) subscription(topic string) *protocol.SubscriptionData {
	return c.subs.get(topic)
}

func (c *PushConsumer) topics() []string { return c.subs.topics() }

func (c *PushConsumer) heartbeatData() *protocol.HeartbeatData {
	consumeType := protocol.ConsumePassively
	if c.lite {
		consumeType = protocol.ConsumeActively
	}
	return consumerHeartbeat(c.in.id, c.opts.Group, consumeType, c.opts.Model, c.opts.ConsumeFrom, c.subs.list())
}

// Start connects, announces the group to the brokers and starts
// consuming; it returns once the first rebalance has been started.
func (c *PushConsumer) Start(ctx context.Context) error {
	if err := c.life.start(); err != nil {
		return err
	}
	c.start = time.Now()
	if c.opts.ConsumeTimestamp.IsZero() {
		c.opts.ConsumeTimestamp = c.start.Add(-30 * time.Minute)
	}
	if len(c.topics()) == 0 {
		c.life.stop()
		c.in.close()
		return fmt.Errorf("client: consumer %s: subscribe to a topic before Start", c.opts.Group)
	}
	if c.opts.Model == Clustering && !c.lite {
		retry, _ := buildSubscription(protocol.RetryTopic(c.opts.Group), ByTag(protocol.SubAll))
		c.subs.set(&retry)
	}
	if err := c.store.load(); err != nil {
		c.life.stop()
		c.in.close()
		return err
	}
	for _, topic := range c.topics() {
		if _, err := c.in.updateRoute(ctx, topic); err != nil {
			level := slog.LevelWarn
			if strings.HasPrefix(topic, protocol.RetryTopicPrefix) {
				level = slog.LevelDebug // brokers create it when the group first heartbeats
			}
			c.in.log.Log(ctx, level, "client: no route yet; will retry", "group", c.opts.Group, "topic", topic, "err", err)
		}
	}
	c.in.start()
	if err := c.in.sendHeartbeat(ctx); err != nil {
		c.in.log.Warn("client: first heartbeat", "group", c.opts.Group, "err", err)
	}
	if !c.orderly && !c.lite {
		for range c.opts.ConsumeGoroutines {
			c.in.spawn(c.consumeWorker)
		}
	}
	c.in.every(c.in.opts.PersistConsumerOffsetInterval, c.persistOffsets)
	if c.orderly && c.opts.Model == Clustering {
		c.in.every(lockInterval, c.lockAll)
	}
	c.in.spawn(c.rebalanceLoop)
	return nil
}

// Shutdown stops pulling and consuming (waiting for listeners running
// now), commits the offsets of what was consumed, releases orderly queue
// locks, unregisters from the brokers and closes the connections, or gives
// up when ctx ends. Messages pulled but not consumed are redelivered to
// the group later.
func (c *PushConsumer) Shutdown(ctx context.Context) error {
	return c.in.shutdown(ctx, &c.life, "", c.opts.Group, func(ctx context.Context) error {
		c.mu.Lock()
		mqs := make([]MessageQueue, 0, len(c.queues))
		for mq, pq := range c.queues {
			pq.drop()
			mqs = append(mqs, mq)
		}
		c.queues = map[MessageQueue]*processQueue{}
		c.mu.Unlock()
		var err error
		if err = c.store.persistAll(ctx, mqs); err != nil {
			err = fmt.Errorf("client: consumer %s: commit offsets: %w", c.opts.Group, err)
		}
		if c.orderly && c.opts.Model == Clustering {
			c.unlock(ctx, mqs)
		}
		return err
	})
}

// persistOffsets commits the offsets of the queues held now.
func (c *PushConsumer) persistOffsets(ctx context.Context) {
	if err := c.store.persistAll(ctx, c.heldQueues()); err != nil && ctx.Err() == nil {
		c.in.log.Warn("client: commit offsets", "group", c.opts.Group, "err", err)
	}
}

func (c *PushConsumer) heldQueues() []MessageQueue {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.heldQueuesLocked()
}

func (c *PushConsumer) heldQueuesLocked() []MessageQueue {
	out := make([]MessageQueue, 0, len(c.queues))
	for mq := range c.queues {
		out = append(out, mq)
	}
	sortQueues(out)
	return out
}

// Queues returns the queues this consumer holds now, sorted.
func (c *PushConsumer) Queues() []MessageQueue { return c.heldQueues() }
