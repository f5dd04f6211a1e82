package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/rocketgo/rocketgo/client"
)

// runE2E sends and consumes in one process: one message first so the
// broker creates the topic, then a consumer that must hold every queue
// before the timed workload starts, then the workload; it waits (up to
// drainTimeout) until everything sent was consumed.
func runE2E(ctx context.Context, o producerOptions, stdout, stderr io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	if o.delayLevel > 0 || o.transactional {
		// Both work, but the latency measured is then the delay or the
		// commit, not the path through the broker.
		fmt.Fprintln(stdout, "note: delay level or transactions add their own wait to the end-to-end latency")
	}
	fmt.Fprintf(stdout, "topic: %s, threadCount: %d, messageSize: %d, consumerGroup: %s, consumeThreads: %d, messageQuantity: %d, duration: %v\n",
		o.topic, o.workers, o.size, o.consumerGroup, o.consumerWorkers, o.quantity, o.duration)
	s, err := startSender(ctx, o, stderr)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.shutdown(sctx); err != nil {
			fmt.Fprintf(stderr, "mqbench: shutdown producer: %v\n", err)
		}
	}()
	if err := s.send(ctx, 0, 0); err != nil {
		return fmt.Errorf("first send (creates the topic): %w", err)
	}
	cs := &consumeStats{}
	cs.since.Store(time.Now().UnixNano())
	copts := consumerOptions{namesrv: o.namesrv, serializeType: o.serializeType, topic: o.topic, group: o.consumerGroup, workers: o.consumerWorkers,
		filterType: "TAG", expr: "*", from: "last"}
	c, _, err := startConsumer(ctx, copts, cs, stderr)
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Shutdown(sctx); err != nil {
			fmt.Fprintf(stderr, "mqbench: shutdown consumer: %v\n", err)
		}
	}()
	if err := waitQueues(ctx, s, c, o.topic); err != nil {
		return err
	}
	cs.since.Store(time.Now().UnixNano())
	res := produce(ctx, o, s, stdout)
	sent := res.stats.Snapshot().OK * int64(o.batch)
	drained := waitConsumed(ctx, cs, sent, drainTimeout)
	printProducerSummary(stdout, o, res)
	printConsumerSummary(stdout, cs)
	if !drained {
		fmt.Fprintf(stdout, "[Complete] consumed %d of %d sent messages within %v of the end\n", cs.e2eCount.Load(), sent, drainTimeout)
	}
	if o.json {
		return printJSON(stdout, e2eJSON(o, res, cs))
	}
	return nil
}

const drainTimeout = 15 * time.Second

// waitQueues waits until the consumer holds every queue of the topic, so
// the first timed messages are not counted late because of a rebalance.
func waitQueues(ctx context.Context, s *sender, c *client.PushConsumer, topic string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		want, err := s.queues(ctx, topic)
		if err == nil && len(want) > 0 && len(c.Queues()) >= len(want) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("consumer holds %d queues of %s after 30s: %v", len(c.Queues()), topic, err)
		case <-tick.C:
		}
	}
}

// waitConsumed waits until n stamped messages were consumed, the timeout
// passes or ctx ends, and says whether all came.
func waitConsumed(ctx context.Context, cs *consumeStats, n int64, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for cs.e2eCount.Load() < n {
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return false
		case <-tick.C:
		}
	}
	return true
}
