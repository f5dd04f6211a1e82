package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// LitePullConsumerOptions configure a LitePullConsumer (upstream
// DefaultLitePullConsumer). Zero values take the defaults noted.
type LitePullConsumerOptions struct {
	ClientOptions
	Group            string // consumer group; required
	Model            MessageModel
	ConsumeFrom      ConsumeFrom
	ConsumeTimestamp time.Time
	Strategy         AllocateStrategy
	// PullBatchSize is the most messages one Poll returns; default 10.
	PullBatchSize int
	// PullThresholdForQueue pauses pulling a queue holding this many
	// messages not yet polled; default 1000.
	PullThresholdForQueue int
	// ManualCommit leaves committing to CommitSync; by default polled
	// messages count as consumed and their offsets are committed every
	// PersistConsumerOffsetInterval and at Shutdown.
	ManualCommit      bool
	RebalanceInterval time.Duration // default 20 s
	OffsetStoreDir    string        // broadcasting offsets; default ~/.rocketmq_offsets
}

// LitePullConsumer is a pull consumer that does the bookkeeping: it
// subscribes to topics, shares their queues with the group's other
// consumers, pulls them in the background, and Poll returns what came in.
type LitePullConsumer struct {
	c *PushConsumer

	mu     sync.Mutex
	polled map[MessageQueue]int64 // ManualCommit: offsets consumed, not yet committed
}

// NewLitePullConsumer checks opts and returns a consumer; subscribe, then
// Start.
func NewLitePullConsumer(opts LitePullConsumerOptions) (*LitePullConsumer, error) {
	if opts.PullBatchSize <= 0 {
		opts.PullBatchSize = 10
	}
	c, err := newPushConsumer(PushConsumerOptions{
		ClientOptions:         opts.ClientOptions,
		Group:                 opts.Group,
		Model:                 opts.Model,
		ConsumeFrom:           opts.ConsumeFrom,
		ConsumeTimestamp:      opts.ConsumeTimestamp,
		Strategy:              opts.Strategy,
		PullBatchSize:         opts.PullBatchSize,
		ConsumeBatchSize:      opts.PullBatchSize,
		PullThresholdForQueue: opts.PullThresholdForQueue,
		RebalanceInterval:     opts.RebalanceInterval,
		OffsetStoreDir:        opts.OffsetStoreDir,
	}, true)
	if err != nil {
		return nil, err
	}
	l := &LitePullConsumer{c: c}
	if opts.ManualCommit {
		l.polled = map[MessageQueue]int64{}
		c.manualCommit = true
	}
	return l, nil
}

// ClientID is the id brokers know this consumer by.
func (l *LitePullConsumer) ClientID() string { return l.c.ClientID() }

// Subscribe adds a topic with a selector.
func (l *LitePullConsumer) Subscribe(topic string, sel Selector) error {
	return l.c.Subscribe(topic, sel)
}

// Start connects and starts pulling the queues this consumer gets.
func (l *LitePullConsumer) Start(ctx context.Context) error { return l.c.Start(ctx) }

// Shutdown stops pulling, commits the offsets of what was polled (with
// ManualCommit only what CommitSync was given), unregisters and closes.
func (l *LitePullConsumer) Shutdown(ctx context.Context) error { return l.c.Shutdown(ctx) }

// Queues returns the queues this consumer holds now.
func (l *LitePullConsumer) Queues() []MessageQueue { return l.c.Queues() }

// Poll returns the messages of one pull that came in, waiting for some at
// most until ctx ends (then it returns nil and no error).
func (l *LitePullConsumer) Poll(ctx context.Context) ([]*MessageExt, error) {
	c := l.c
	if err := c.life.ready(); err != nil {
		return nil, err
	}
	for {
		select {
		case <-ctx.Done():
			return nil, nil
		case <-c.in.ctx.Done():
			return nil, fmt.Errorf("client: lite pull consumer %s: %w", c.opts.Group, ErrShutdown)
		case req := <-c.work:
			if req.pq.dropped.Load() {
				continue // a seek or rebalance replaced the queue
			}
			off := req.pq.remove(req.msgs)
			if off >= 0 {
				if l.polled != nil {
					l.mu.Lock()
					l.polled[req.pq.mq] = off
					l.mu.Unlock()
				} else {
					c.store.update(req.pq.mq, off, true)
				}
			}
			return req.msgs, nil
		}
	}
}

// CommitSync commits the offsets of everything polled so far (with
// ManualCommit; otherwise it commits what the background would).
func (l *LitePullConsumer) CommitSync(ctx context.Context) error {
	c := l.c
	if l.polled != nil {
		l.mu.Lock()
		for mq, off := range l.polled {
			c.store.update(mq, off, true)
		}
		clear(l.polled)
		l.mu.Unlock()
	}
	return c.store.persistAll(ctx, c.heldQueues())
}

// Seek makes the next messages of mq, a queue this consumer holds, start
// at offset. Messages of mq pulled but not yet polled are dropped.
func (l *LitePullConsumer) Seek(ctx context.Context, mq MessageQueue, offset int64) error {
	c := l.c
	if offset < 0 {
		return fmt.Errorf("client: seek %s to %d: negative offset", mq, offset)
	}
	c.mu.Lock()
	old, held := c.queues[mq]
	if !held {
		c.mu.Unlock()
		return fmt.Errorf("client: seek %s: not a queue this consumer holds (it holds %v)", mq, c.heldQueuesLocked())
	}
	pq := newProcessQueue(c.in.ctx, mq)
	c.queues[mq] = pq
	c.mu.Unlock()
	old.drop()
	done := make(chan struct{})
	go func() { old.running.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		return errors.Join(fmt.Errorf("client: seek %s: waiting for its pulls to stop", mq), ctx.Err())
	}
	if l.polled != nil {
		l.mu.Lock()
		delete(l.polled, mq)
		l.mu.Unlock()
	}
	c.store.update(mq, offset, false)
	c.startQueue(pq, offset)
	return nil
}
