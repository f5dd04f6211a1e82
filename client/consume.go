package client

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
)

// Pauses of a queue's pull loop (upstream DefaultMQPushConsumerImpl).
const (
	pullDelayFlowControl = 50 * time.Millisecond
	pullDelayOnError     = 3 * time.Second
	pullDelayNotLocked   = 3 * time.Second
	offsetIllegalDelay   = 10 * time.Second
	sendBackRetryDelay   = 5 * time.Second
)

// consumeRequest is one batch for a concurrent listener.
type consumeRequest struct {
	pq   *processQueue
	msgs []*MessageExt
}

// startQueue starts the goroutines of a queue that became ours.
func (c *PushConsumer) startQueue(pq *processQueue, offset int64) {
	pq.running.Add(1)
	if !c.in.spawn(func(context.Context) { defer pq.running.Done(); c.pullLoop(pq, offset) }) {
		pq.running.Done()
	}
	if c.orderly {
		pq.running.Add(1)
		if !c.in.spawn(func(context.Context) { defer pq.running.Done(); c.orderlyLoop(pq) }) {
			pq.running.Done()
		}
	}
}

// flowControlled reports whether pq holds too much to pull more now.
func (c *PushConsumer) flowControlled(pq *processQueue) bool {
	count, size, span := pq.stats()
	switch {
	case count > c.opts.PullThresholdForQueue:
		return true
	case size > int64(c.opts.PullThresholdSizeForQueue)<<20:
		return true
	case !c.orderly && span > int64(c.opts.ConsumeConcurrentlyMaxSpan):
		return true
	}
	return false
}

// pullLoop long-polls one queue from offset until the queue is dropped.
func (c *PushConsumer) pullLoop(pq *processQueue, offset int64) {
	ctx := pq.ctx
	mq := pq.mq
	flowLogged := false
	for ctx.Err() == nil {
		if c.flowControlled(pq) {
			pq.flowControlled.Add(1)
			if !flowLogged {
				count, size, span := pq.stats()
				c.in.log.Debug("client: flow control; pausing pulls", "queue", mq, "count", count, "bytes", size, "span", span)
				flowLogged = true
			}
			sleepCtx(ctx, pullDelayFlowControl)
			continue
		}
		flowLogged = false
		if c.orderly && c.opts.Model == Clustering && !pq.lockValid(time.Now()) {
			sleepCtx(ctx, pullDelayNotLocked)
			continue
		}
		sub := c.subscription(mq.Topic)
		if sub == nil {
			return // unsubscribed; the next rebalance retires the queue
		}
		pq.lastPull.Store(time.Now().UnixMilli())
		var commit int64
		if c.opts.Model == Clustering {
			if off, ok := c.store.read(mq); ok && off > 0 {
				commit = off
			}
		}
		res, err := c.in.pull(ctx, &c.sb, &pullArgs{
			group:        c.opts.Group,
			mq:           mq,
			sub:          sub,
			offset:       offset,
			maxNums:      int32(c.opts.PullBatchSize),
			commitOffset: commit,
			suspend:      brokerSuspendMax,
			timeout:      pullTimeoutWhenSuspend,
		})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.in.log.Warn("client: pull failed; retrying", "queue", mq, "offset", offset, "err", err)
			c.in.refreshSoon(mq.Topic)
			sleepCtx(ctx, pullDelayOnError)
			continue
		}
		switch res.Status {
		case PullFound:
			offset = res.NextBeginOffset
			if len(res.Messages) > 0 {
				pq.put(res.Messages)
				if !c.orderly {
					c.dispatch(ctx, pq, res.Messages)
				}
			}
		case PullNoNewMsg, PullNoMatchedMsg:
			offset = res.NextBeginOffset
			// Nothing held: everything up to here is consumed (or
			// filtered out), unless a lite consumer's user commits.
			if count, _, _ := pq.stats(); count == 0 && !c.manualCommit {
				c.store.update(mq, offset, true)
			}
		case PullOffsetIllegal:
			c.in.log.Warn("client: pull offset illegal; resetting", "queue", mq, "offset", offset, "next", res.NextBeginOffset)
			next := res.NextBeginOffset
			pq.drop()
			c.in.later(offsetIllegalDelay, func(ctx context.Context) {
				c.store.update(mq, next, false)
				if err := c.store.persist(ctx, mq); err != nil {
					c.in.log.Warn("client: commit reset offset", "queue", mq, "err", err)
				}
				c.mu.Lock()
				if c.queues[mq] == pq {
					delete(c.queues, mq)
				}
				c.mu.Unlock()
				c.triggerRebalance()
			})
			return
		}
		if c.opts.PullInterval > 0 {
			sleepCtx(ctx, c.opts.PullInterval)
		}
	}
}

// dispatch hands pulled messages to the concurrent listeners, in batches
// of ConsumeBatchSize. It blocks while they are all busy.
func (c *PushConsumer) dispatch(ctx context.Context, pq *processQueue, msgs []*MessageExt) {
	for len(msgs) > 0 {
		n := min(len(msgs), c.opts.ConsumeBatchSize)
		select {
		case c.work <- &consumeRequest{pq: pq, msgs: msgs[:n:n]}:
		case <-ctx.Done():
			return
		}
		msgs = msgs[n:]
	}
}

// consumeWorker runs concurrent listeners until shutdown.
func (c *PushConsumer) consumeWorker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case req := <-c.work:
			c.consumeConcurrently(req)
		}
	}
}

// resetRetryTopic gives messages redelivered through the group's retry
// topic their original topic back.
func (c *PushConsumer) resetRetryTopic(msgs []*MessageExt) {
	retry := protocol.RetryTopic(c.opts.Group)
	for _, m := range msgs {
		if rt := m.Property(protocol.PropertyRetryTopic); rt != "" && m.Topic == retry {
			m.Topic = rt
		}
	}
}

func (c *PushConsumer) consumeConcurrently(req *consumeRequest) {
	pq := req.pq
	if pq.dropped.Load() {
		return
	}
	c.resetRetryTopic(req.msgs)
	result := c.callListener(pq.ctx, req.msgs)
	if pq.dropped.Load() {
		return // the queue moved to another consumer; it redelivers these
	}
	if result == ReconsumeLater && pq.ctx.Err() != nil {
		// Shutting down (or losing the queue) interrupted the listener:
		// leave the messages uncommitted so they are delivered again,
		// rather than sending them back as failures.
		return
	}
	done := req.msgs
	if result == ReconsumeLater {
		var later []*MessageExt
		done = done[:0:0]
		for _, m := range req.msgs {
			if c.opts.Model == Broadcasting {
				c.in.log.Warn("client: broadcasting message failed; dropped", "group", c.opts.Group, "msgId", m.MsgID())
				done = append(done, m)
				continue
			}
			if err := c.sendBack(pq.ctx, m, pq.mq.BrokerName); err != nil {
				c.in.log.Warn("client: send back failed; consuming again here later", "msgId", m.MsgID(), "err", err)
				m.ReconsumeTimes++
				later = append(later, m)
				continue
			}
			done = append(done, m)
		}
		if len(later) > 0 {
			c.in.later(sendBackRetryDelay, func(ctx context.Context) {
				c.dispatch(ctx, pq, later)
			})
		}
	}
	if off := pq.remove(done); off >= 0 && !pq.dropped.Load() {
		c.store.update(pq.mq, off, true)
	}
}

// callListener runs the concurrent listener; an error or a panic counts
// as ReconsumeLater.
func (c *PushConsumer) callListener(ctx context.Context, msgs []*MessageExt) ConsumeResult {
	res, err := c.callConcurrentErr(ctx, msgs)
	if err != nil {
		c.in.log.Warn("client: listener failed; reconsuming later", "group", c.opts.Group, "err", err)
		return ReconsumeLater
	}
	return res
}

// callConcurrentErr runs the concurrent listener, turning a panic (logged
// with its stack) or an unknown result into an error.
func (c *PushConsumer) callConcurrentErr(ctx context.Context, msgs []*MessageExt) (res ConsumeResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.in.log.Error("client: listener panicked", "group", c.opts.Group, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			res, err = ReconsumeLater, fmt.Errorf("listener panicked: %v", p)
		}
	}()
	res, err = c.opts.Listener(ctx, msgs)
	if err == nil && res != ConsumeSuccess && res != ReconsumeLater {
		err = fmt.Errorf("listener returned unknown result %d", res)
	}
	return res, err
}

// callOrderlyListener runs the orderly listener; an error or a panic
// counts as SuspendCurrentQueueAMoment.
func (c *PushConsumer) callOrderlyListener(ctx context.Context, msgs []*MessageExt) OrderlyResult {
	res, err := c.callOrderlyErr(ctx, msgs)
	if err != nil {
		c.in.log.Warn("client: orderly listener failed; retrying in place", "group", c.opts.Group, "err", err)
		return SuspendCurrentQueueAMoment
	}
	return res
}

func (c *PushConsumer) callOrderlyErr(ctx context.Context, msgs []*MessageExt) (res OrderlyResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			c.in.log.Error("client: orderly listener panicked", "group", c.opts.Group, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			res, err = SuspendCurrentQueueAMoment, fmt.Errorf("listener panicked: %v", p)
		}
	}()
	res, err = c.opts.OrderlyListener(ctx, msgs)
	if err == nil && res != OrderlySuccess && res != SuspendCurrentQueueAMoment {
		err = fmt.Errorf("orderly listener returned unknown result %d", res)
	}
	return res, err
}

// orderlyLoop consumes one queue in order: one batch at a time, the same
// batch again after SuspendCurrentQueueTime when the listener asks.
func (c *PushConsumer) orderlyLoop(pq *processQueue) {
	ctx := pq.ctx
	for {
		select {
		case <-ctx.Done():
			return
		case <-pq.ready:
		}
		for ctx.Err() == nil {
			if c.opts.Model == Clustering && !pq.lockValid(time.Now()) {
				if c.lockOne(ctx, pq.mq) {
					pq.setLocked(true, time.Now())
					continue
				}
				sleepCtx(ctx, pullDelayNotLocked)
				continue
			}
			msgs := pq.take(c.opts.ConsumeBatchSize)
			if len(msgs) == 0 {
				break
			}
			c.resetRetryTopic(msgs)
			pq.consumeMu.Lock()
			result := c.callOrderlyListener(ctx, msgs)
			pq.consumeMu.Unlock()
			if pq.dropped.Load() {
				return
			}
			if result == SuspendCurrentQueueAMoment && !c.giveUpOnExhausted(ctx, pq, msgs) {
				for _, m := range msgs {
					m.ReconsumeTimes++
				}
				pq.reconsume()
				sleepCtx(ctx, c.opts.SuspendCurrentQueueTime)
				continue
			}
			if off := pq.commit(); off >= 0 {
				c.store.update(pq.mq, off, false)
			}
		}
	}
}

// giveUpOnExhausted sends the batch's messages that reached
// MaxReconsumeTimes to the dead-letter topic (through the retry topic);
// true when that covers the whole batch, so it counts as consumed
// (upstream checkReconsumeTimes).
func (c *PushConsumer) giveUpOnExhausted(ctx context.Context, pq *processQueue, msgs []*MessageExt) bool {
	all := true
	for _, m := range msgs {
		if int(m.ReconsumeTimes) < c.opts.MaxReconsumeTimes {
			all = false
			continue
		}
		if err := c.sendToRetryTopic(ctx, m); err != nil {
			c.in.log.Warn("client: cannot send an exhausted message to the dead-letter topic", "msgId", m.MsgID(), "err", err)
			all = false
		}
	}
	return all
}
