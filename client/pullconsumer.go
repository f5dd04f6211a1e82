package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
)

// PullConsumerOptions configure a PullConsumer (upstream
// DefaultMQPullConsumer).
type PullConsumerOptions struct {
	ClientOptions
	Group string       // consumer group; required
	Model MessageModel // where UpdateOffset'd offsets are kept; default Clustering (on the brokers)
	// OffsetStoreDir holds broadcasting offsets; default ~/.rocketmq_offsets.
	OffsetStoreDir string
}

// PullConsumer pulls from the queues you name at the offsets you name:
// the caller decides what to read and when, and may keep its offsets
// with UpdateOffset (committed every PersistConsumerOffsetInterval and at
// Shutdown) or anywhere else.
type PullConsumer struct {
	opts  PullConsumerOptions
	in    *instance
	store offsetStore
	sb    suggestedBrokers
	life  lifecycle
	subs  subscriptions // topics used, for heartbeats
}

// Pull timing of upstream's pull consumer when it may be held.
const (
	pullBlockSuspend = 20 * time.Second
	pullBlockTimeout = 30 * time.Second
)

// NewPullConsumer checks opts and returns a consumer; Start connects it.
func NewPullConsumer(opts PullConsumerOptions) (*PullConsumer, error) {
	if opts.Group == "" {
		return nil, errors.New("client: pull consumer needs a Group")
	}
	if strings.ContainsAny(opts.Group, "@ ") || protocol.ValidateTopicName(opts.Group) != "" {
		return nil, fmt.Errorf("client: consumer group %q: use letters, digits, '_', '-', '%%' or '|'", opts.Group)
	}
	if opts.OffsetStoreDir == "" {
		opts.OffsetStoreDir = defaultOffsetDir()
	}
	instanceName := opts.InstanceName
	if instanceName == "" {
		instanceName = "DEFAULT"
	}
	in, err := newInstance(opts.ClientOptions)
	if err != nil {
		return nil, err
	}
	c := &PullConsumer{opts: opts, in: in}
	c.life.what = "pull consumer " + opts.Group
	if opts.Model == Broadcasting {
		c.store = newLocalOffsets(opts.OffsetStoreDir, instanceName, opts.Group)
	} else {
		c.store = newRemoteOffsets(in, opts.Group)
	}
	in.heartbeatData = c.heartbeatData
	in.routeTopics = c.topics
	return c, nil
}

// ClientID is the id brokers know this consumer by.
func (c *PullConsumer) ClientID() string { return c.in.id }

// Start starts the route, heartbeat and offset-commit loops.
func (c *PullConsumer) Start(ctx context.Context) error {
	if err := c.life.start(); err != nil {
		return err
	}
	if err := c.store.load(); err != nil {
		c.life.stop()
		c.in.close()
		return err
	}
	c.in.start()
	c.in.every(c.in.opts.PersistConsumerOffsetInterval, func(ctx context.Context) {
		if err := c.store.persistAll(ctx, c.offsetQueues()); err != nil && ctx.Err() == nil {
			c.in.log.Warn("client: commit offsets", "group", c.opts.Group, "err", err)
		}
	})
	return nil
}

// Shutdown commits the offsets given to UpdateOffset, unregisters and
// closes the connections.
func (c *PullConsumer) Shutdown(ctx context.Context) error {
	return c.in.shutdown(ctx, &c.life, "", c.opts.Group, func(ctx context.Context) error {
		if err := c.store.persistAll(ctx, c.offsetQueues()); err != nil {
			return fmt.Errorf("client: pull consumer %s: commit offsets: %w", c.opts.Group, err)
		}
		return nil
	})
}

func (c *PullConsumer) offsetQueues() []MessageQueue {
	var mqs []MessageQueue
	for mq := range c.store.snapshot() {
		mqs = append(mqs, mq)
	}
	return mqs
}

func (c *PullConsumer) topics() []string { return c.subs.topics() }

func (c *PullConsumer) heartbeatData() *protocol.HeartbeatData {
	return consumerHeartbeat(c.in.id, c.opts.Group, protocol.ConsumeActively, c.opts.Model, ConsumeFromLastOffset, c.subs.list())
}

// subscription returns the subscription for topic and sel, remembering
// the topic for heartbeats and route refreshes.
func (c *PullConsumer) subscription(topic string, sel Selector) (*protocol.SubscriptionData, error) {
	sd, err := buildSubscription(topic, sel)
	if err != nil {
		return nil, err
	}
	if old := c.subs.get(topic); old != nil && old.SubString == sd.SubString && old.ExpressionType == sd.ExpressionType {
		return old, nil
	}
	c.subs.set(&sd)
	return &sd, nil
}

// Queues returns topic's readable queues, fetched from the name servers
// (upstream fetchSubscribeMessageQueues).
func (c *PullConsumer) Queues(ctx context.Context, topic string) ([]MessageQueue, error) {
	if err := c.life.ready(); err != nil {
		return nil, err
	}
	if err := checkTopic(topic); err != nil {
		return nil, err
	}
	if _, err := c.in.updateRoute(ctx, topic); err != nil {
		return nil, err
	}
	if _, err := c.subscription(topic, ByTag(protocol.SubAll)); err != nil {
		return nil, err
	}
	return append([]MessageQueue(nil), c.in.routes.subscribeQueues(topic)...), nil
}

// Pull reads up to maxNums messages matching sel from mq, starting at
// offset, and returns at once whatever is there.
func (c *PullConsumer) Pull(ctx context.Context, mq MessageQueue, sel Selector, offset int64, maxNums int) (*PullResult, error) {
	return c.pull(ctx, mq, sel, offset, maxNums, 0, pullTimeout)
}

// PullBlockIfNotFound is Pull that, when nothing is there yet, lets the
// broker hold the request until a message arrives (at most 20 s).
func (c *PullConsumer) PullBlockIfNotFound(ctx context.Context, mq MessageQueue, sel Selector, offset int64, maxNums int) (*PullResult, error) {
	return c.pull(ctx, mq, sel, offset, maxNums, pullBlockSuspend, pullBlockTimeout)
}

func (c *PullConsumer) pull(ctx context.Context, mq MessageQueue, sel Selector, offset int64, maxNums int, suspend, timeout time.Duration) (*PullResult, error) {
	if err := c.life.ready(); err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("client: pull %s: offset %d is negative", mq, offset)
	}
	if maxNums <= 0 || maxNums > 1024 {
		return nil, fmt.Errorf("client: pull %s: maxNums %d: want 1..1024", mq, maxNums)
	}
	sub, err := c.subscription(mq.Topic, sel)
	if err != nil {
		return nil, err
	}
	return c.in.pull(ctx, &c.sb, &pullArgs{
		group: c.opts.Group, mq: mq, sub: sub, sendSub: true,
		offset: offset, maxNums: int32(maxNums), suspend: suspend, timeout: timeout,
	})
}

// UpdateOffset records that the group consumed mq up to offset (the next
// offset to read); it is committed in the background and at Shutdown.
func (c *PullConsumer) UpdateOffset(mq MessageQueue, offset int64) {
	c.store.update(mq, offset, false)
}

// CommittedOffset returns the group's committed offset of mq, -1 when
// there is none.
func (c *PullConsumer) CommittedOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	if err := c.life.ready(); err != nil {
		return 0, err
	}
	return c.store.readStore(ctx, mq)
}

// MaxOffset returns the offset the next message stored in mq will get.
func (c *PullConsumer) MaxOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	return c.in.queueOffset(ctx, protocol.ReqGetMaxOffset, mq)
}

// MinOffset returns the lowest offset still kept in mq.
func (c *PullConsumer) MinOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	return c.in.queueOffset(ctx, protocol.ReqGetMinOffset, mq)
}

// SearchOffset returns the offset of the first message of mq stored at or
// after t.
func (c *PullConsumer) SearchOffset(ctx context.Context, mq MessageQueue, t time.Time) (int64, error) {
	return c.in.searchOffset(ctx, mq, t)
}
