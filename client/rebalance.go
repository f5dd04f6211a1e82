package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// triggerRebalance asks the rebalance loop to run now (a consumer joined
// or left the group).
func (c *PushConsumer) triggerRebalance() {
	select {
	case c.rebalanceNow <- struct{}{}:
	default:
	}
}

// rebalanceLoop rebalances at start, every RebalanceInterval and when
// triggered.
func (c *PushConsumer) rebalanceLoop(ctx context.Context) {
	t := time.NewTicker(c.opts.RebalanceInterval)
	defer t.Stop()
	for {
		c.rebalance(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-c.rebalanceNow:
		}
	}
}

// rebalance works out this consumer's queues of every subscribed topic
// and starts or stops pulling to match (upstream RebalanceImpl.doRebalance).
func (c *PushConsumer) rebalance(ctx context.Context) {
	topics := c.topics()
	for _, topic := range topics {
		if ctx.Err() != nil {
			return
		}
		mine, err := c.allocate(ctx, topic)
		if err != nil {
			c.in.log.Debug("client: rebalance skipped a topic", "group", c.opts.Group, "topic", topic, "err", err)
			continue
		}
		c.updateQueues(ctx, topic, mine)
	}
	// Queues of topics no longer subscribed.
	c.mu.Lock()
	var stale []*processQueue
	for mq, pq := range c.queues {
		if !slices.Contains(topics, mq.Topic) {
			delete(c.queues, mq)
			stale = append(stale, pq)
		}
	}
	c.mu.Unlock()
	for _, pq := range stale {
		c.retire(pq)
	}
}

// allocate returns the queues of topic this consumer should hold.
func (c *PushConsumer) allocate(ctx context.Context, topic string) ([]MessageQueue, error) {
	mqs := c.in.routes.subscribeQueues(topic)
	if len(mqs) == 0 {
		if _, err := c.in.updateRoute(ctx, topic); err != nil {
			return nil, err
		}
		if mqs = c.in.routes.subscribeQueues(topic); len(mqs) == 0 {
			return nil, fmt.Errorf("topic %s has no readable queue", topic)
		}
	}
	if c.opts.Model == Broadcasting {
		return mqs, nil
	}
	cids, err := c.consumerIDs(ctx, topic)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(cids, c.in.id) {
		// Not registered on that broker yet (a heartbeat is on its way).
		return nil, fmt.Errorf("this consumer is not yet in the group's list %v", cids)
	}
	return c.opts.Strategy.Allocate(c.opts.Group, c.in.id, mqs, cids), nil
}

// consumerIDs asks a broker of topic for the group's consumers, sorted.
func (c *PushConsumer) consumerIDs(ctx context.Context, topic string) ([]string, error) {
	addr := c.in.routes.anyBrokerOf(topic)
	if addr == "" {
		return nil, fmt.Errorf("no broker for topic %s", topic)
	}
	ext := protocol.EncodeHeader(&protocol.ConsumerGroupHeader{ConsumerGroup: c.opts.Group})
	resp, err := c.in.invokeOK(ctx, "get consumer list of "+c.opts.Group, addr, remoting.NewRequest(protocol.ReqGetConsumerListByGroup, ext, nil))
	if err != nil {
		return nil, err
	}
	var body protocol.ConsumerListBody
	if err := protocol.DecodeJSON(resp.Body, &body); err != nil {
		return nil, fmt.Errorf("client: consumer list from %s: %w", addr, err)
	}
	cids := slices.DeleteFunc(body.ConsumerIDList, func(s string) bool { return s == "" })
	slices.Sort(cids)
	return slices.Compact(cids), nil
}

// updateQueues makes the held queues of topic match mine: queues no
// longer ours (or whose pulling stalled) are retired, new ones start
// at the offset computePullFrom gives.
func (c *PushConsumer) updateQueues(ctx context.Context, topic string, mine []MessageQueue) {
	want := make(map[MessageQueue]bool, len(mine))
	for _, mq := range mine {
		want[mq] = true
	}
	now := time.Now()
	var retired []*processQueue
	c.mu.Lock()
	for mq, pq := range c.queues {
		if mq.Topic != topic {
			continue
		}
		if !want[mq] || pq.pullExpired(now) {
			delete(c.queues, mq)
			retired = append(retired, pq)
		}
	}
	var added []MessageQueue
	for _, mq := range mine {
		if _, held := c.queues[mq]; !held {
			added = append(added, mq)
		}
	}
	c.mu.Unlock()
	for _, pq := range retired {
		c.in.log.Info("client: queue no longer ours", "group", c.opts.Group, "queue", pq.mq)
		c.retire(pq)
	}
	for _, mq := range added {
		if ctx.Err() != nil {
			return
		}
		if c.orderly && c.opts.Model == Clustering && !c.lockOne(ctx, mq) {
			c.in.log.Info("client: queue locked by another consumer; will retry", "group", c.opts.Group, "queue", mq)
			continue
		}
		c.store.remove(mq)
		offset, err := c.computePullFrom(ctx, mq)
		if err != nil {
			c.in.log.Warn("client: no start offset; will retry", "group", c.opts.Group, "queue", mq, "err", err)
			continue
		}
		pq := newProcessQueue(c.in.ctx, mq)
		if c.orderly {
			pq.setLocked(true, time.Now())
		}
		c.mu.Lock()
		if !c.life.running() {
			c.mu.Unlock()
			return
		}
		c.queues[mq] = pq
		c.mu.Unlock()
		c.in.log.Info("client: queue now ours", "group", c.opts.Group, "queue", mq, "offset", offset)
		c.startQueue(pq, offset)
	}
}

// retire stops a queue that is no longer ours: its goroutines end (an
// orderly listener finishes its batch first), its offset is committed and
// forgotten and, for orderly clustering, its broker lock released. It
// runs in the background so a slow listener does not hold up rebalancing.
func (c *PushConsumer) retire(pq *processQueue) {
	pq.drop()
	finish := func(context.Context) {
		pq.running.Wait()
		// Not the instance context: a queue retired during shutdown must
		// still commit what was consumed.
		ctx, cancel := context.WithTimeout(context.Background(), c.in.opts.CallTimeout)
		defer cancel()
		if err := c.store.persist(ctx, pq.mq); err != nil {
			c.in.log.Warn("client: commit offset of a retired queue", "queue", pq.mq, "err", err)
		}
		c.store.remove(pq.mq)
		if c.orderly && c.opts.Model == Clustering {
			c.unlock(ctx, []MessageQueue{pq.mq})
		}
	}
	if !c.in.spawn(finish) {
		finish(nil) // shutting down: the caller is one of the goroutines Shutdown waits for
	}
}

// computePullFrom returns where to start pulling a queue new to us: the
// committed offset, or where ConsumeFrom says when there is none
// (upstream RebalancePushImpl.computePullFromWhere).
func (c *PushConsumer) computePullFrom(ctx context.Context, mq MessageQueue) (int64, error) {
	last, err := c.store.readStore(ctx, mq)
	if err != nil {
		return 0, err
	}
	if last >= 0 {
		return last, nil
	}
	retry := strings.HasPrefix(mq.Topic, protocol.RetryTopicPrefix)
	switch c.opts.ConsumeFrom {
	case ConsumeFromFirstOffset:
		return 0, nil
	case ConsumeFromTimestamp:
		if retry {
			return c.in.queueOffset(ctx, protocol.ReqGetMaxOffset, mq)
		}
		return c.in.searchOffset(ctx, mq, c.opts.ConsumeTimestamp)
	default:
		if retry {
			return 0, nil
		}
		return c.in.queueOffset(ctx, protocol.ReqGetMaxOffset, mq)
	}
}

// Orderly queue locks (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ on the master).

// lockBatch locks mqs, all of one broker, and returns those now held.
func (c *PushConsumer) lockBatch(ctx context.Context, brokerName string, mqs []MessageQueue) (map[MessageQueue]bool, error) {
	addr, err := c.in.masterFor(ctx, mqs[0])
	if err != nil {
		return nil, err
	}
	body := protocol.LockBatchRequestBody{ClientID: c.in.id, ConsumerGroup: c.opts.Group}
	for _, mq := range mqs {
		body.MQSet = append(body.MQSet, mq.wire())
	}
	enc, _ := protocol.EncodeBody(&body) // plain strings and numbers cannot fail
	resp, err := c.in.invokeOK(ctx, "lock queues of "+brokerName, addr, remoting.NewRequest(protocol.ReqLockBatchMQ, nil, enc))
	if err != nil {
		return nil, err
	}
	var got protocol.LockBatchResponseBody
	if err := protocol.DecodeJSON(resp.Body, &got); err != nil {
		return nil, fmt.Errorf("client: lock reply from %s: %w", addr, err)
	}
	locked := map[MessageQueue]bool{}
	for _, w := range got.LockOKMQSet {
		locked[queueFromWire(w)] = true
	}
	return locked, nil
}

// lockOne locks one queue; false when another consumer holds it or the
// broker cannot be reached.
func (c *PushConsumer) lockOne(ctx context.Context, mq MessageQueue) bool {
	locked, err := c.lockBatch(ctx, mq.BrokerName, []MessageQueue{mq})
	if err != nil {
		c.in.log.Warn("client: lock queue", "queue", mq, "err", err)
		return false
	}
	return locked[mq]
}

// lockAll renews the locks of every held queue, broker by broker.
func (c *PushConsumer) lockAll(ctx context.Context) {
	byBroker := map[string][]*processQueue{}
	c.mu.Lock()
	for _, pq := range c.queues {
		byBroker[pq.mq.BrokerName] = append(byBroker[pq.mq.BrokerName], pq)
	}
	c.mu.Unlock()
	for broker, pqs := range byBroker {
		mqs := make([]MessageQueue, len(pqs))
		for i, pq := range pqs {
			mqs[i] = pq.mq
		}
		locked, err := c.lockBatch(ctx, broker, mqs)
		if err != nil {
			c.in.log.Warn("client: renew queue locks", "broker", broker, "err", err)
			continue
		}
		now := time.Now()
		for _, pq := range pqs {
			pq.setLocked(locked[pq.mq], now)
		}
	}
}

// unlock releases the broker locks of mqs.
func (c *PushConsumer) unlock(ctx context.Context, mqs []MessageQueue) {
	byBroker := map[string][]protocol.MessageQueue{}
	for _, mq := range mqs {
		byBroker[mq.BrokerName] = append(byBroker[mq.BrokerName], mq.wire())
	}
	var errs []error
	for broker, set := range byBroker {
		addr, err := c.in.masterFor(ctx, queueFromWire(set[0]))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		enc, _ := protocol.EncodeBody(&protocol.LockBatchRequestBody{ClientID: c.in.id, ConsumerGroup: c.opts.Group, MQSet: set})
		if _, err := c.in.invokeOK(ctx, "unlock queues of "+broker, addr, remoting.NewRequest(protocol.ReqUnlockBatchMQ, nil, enc)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		c.in.log.Warn("client: unlock queues", "group", c.opts.Group, "err", err)
	}
}
