package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/cmd/mqbench/loadgen"
)

// consumerOptions are upstream Consumer's flags plus -q, -d and -from.
type consumerOptions struct {
	namesrv, topic, group string
	serializeType         string
	workers               int
	filterType, expr      string
	failRate              float64
	from                  string
	quantity              int64
	duration, interval    time.Duration
	json                  bool
}

func (o *consumerOptions) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("mqbench consumer", flag.ContinueOnError)
	fs.StringVar(&o.namesrv, "n", defaultNamesrv(), "name server address list, `host:port;host:port` (default $NAMESRV_ADDR)")
	fs.StringVar(&o.topic, "t", "BenchmarkTest", "topic")
	fs.StringVar(&o.group, "g", "benchmark_consumer", "consumer group")
	serializeTypeFlag(fs, &o.serializeType)
	fs.IntVar(&o.workers, "w", 20, "consume goroutines")
	fs.StringVar(&o.filterType, "f", "TAG", "filter type: TAG or SQL92")
	fs.StringVar(&o.expr, "e", "*", "filter expression")
	fs.Float64Var(&o.failRate, "r", 0, "fraction of batches to answer ReconsumeLater, 0..1")
	fs.StringVar(&o.from, "from", "last", "where a new group starts: last or first")
	fs.Int64Var(&o.quantity, "q", 0, "stop after consuming this many messages; 0 = until -d or a signal")
	fs.DurationVar(&o.duration, "d", 0, "how long to consume; 0 = until -q or a signal")
	fs.DurationVar(&o.interval, "ri", time.Second, "report interval")
	fs.BoolVar(&o.json, "json", false, "print the final figures as one JSON line too")
	return fs
}

func (o *consumerOptions) check() error {
	switch {
	case o.workers <= 0:
		return fmt.Errorf("%w: -w %d: want at least 1", errUsage, o.workers)
	case o.failRate < 0 || o.failRate > 1:
		return fmt.Errorf("%w: -r %v: want 0..1", errUsage, o.failRate)
	case o.from != "last" && o.from != "first":
		return fmt.Errorf("%w: -from %q: want last or first", errUsage, o.from)
	case !strings.EqualFold(o.filterType, "TAG") && !strings.EqualFold(o.filterType, "SQL92"):
		return fmt.Errorf("%w: -f %q: want TAG or SQL92", errUsage, o.filterType)
	case o.quantity < 0 || o.duration < 0 || o.interval <= 0:
		return fmt.Errorf("%w: -q, -d must not be negative, -ri must be positive", errUsage)
	}
	return checkSerializeType(o.serializeType)
}

// consumeStats counts consumed messages and their latencies. Only
// messages stamped at or after since count towards E2E (e2e mode sets it
// to the start of its send workload).
type consumeStats struct {
	n, failed      atomic.Int64
	b2cSum, s2cSum atomic.Int64 // ms, for interval averages
	B2C, S2C, E2E  loadgen.Histogram
	since          atomic.Int64 // Unix ns; set before the timed sends start
	e2eCount       atomic.Int64

	mu          sync.Mutex
	first, last time.Time
}

func (cs *consumeStats) record(now time.Time, m *client.MessageExt) {
	b2c := now.UnixMilli() - m.BornTimestamp
	s2c := now.UnixMilli() - m.StoreTimestamp
	cs.b2cSum.Add(b2c)
	cs.s2cSum.Add(s2c)
	cs.B2C.Record(time.Duration(b2c) * time.Millisecond)
	cs.S2C.Record(time.Duration(s2c) * time.Millisecond)
	if sent, ok := stamped(m.Body); ok && sent.UnixNano() >= cs.since.Load() {
		cs.E2E.Record(now.Sub(sent))
		cs.e2eCount.Add(1)
	}
	cs.mu.Lock()
	if cs.first.IsZero() {
		cs.first = now
	}
	cs.last = now
	cs.mu.Unlock()
	cs.n.Add(1)
}

// window is the time from the first consumed message to the last.
func (cs *consumeStats) window() time.Duration {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.last.Sub(cs.first)
}

// startConsumer subscribes and starts a push consumer feeding cs; done is
// closed once quantity messages were consumed (never when it is 0).
func startConsumer(ctx context.Context, o consumerOptions, cs *consumeStats, stderr io.Writer) (*client.PushConsumer, <-chan struct{}, error) {
	done := make(chan struct{})
	var once sync.Once
	from := client.ConsumeFromLastOffset
	if o.from == "first" {
		from = client.ConsumeFromFirstOffset
	}
	c, err := client.NewPushConsumer(client.PushConsumerOptions{
		ClientOptions:     clientOptions(o.namesrv, o.serializeType, stderr),
		Group:             o.group,
		ConsumeFrom:       from,
		ConsumeGoroutines: o.workers,
		Listener: func(_ context.Context, msgs []*client.MessageExt) (client.ConsumeResult, error) {
			if o.failRate > 0 && rand.Float64() < o.failRate {
				cs.failed.Add(int64(len(msgs)))
				return client.ReconsumeLater, nil
			}
			now := time.Now()
			for _, m := range msgs {
				cs.record(now, m)
			}
			if o.quantity > 0 && cs.n.Load() >= o.quantity {
				once.Do(func() { close(done) })
			}
			return client.ConsumeSuccess, nil
		},
	})
	if err != nil {
		return nil, nil, err
	}
	sel := client.ByTag(o.expr)
	if strings.EqualFold(o.filterType, "SQL92") {
		sel = client.BySQL(o.expr)
	}
	if err := c.Subscribe(o.topic, sel); err != nil {
		return nil, nil, err
	}
	if err := c.Start(ctx); err != nil {
		return nil, nil, fmt.Errorf("start consumer: %w", err)
	}
	return c, done, nil
}

// reportConsume prints upstream Consumer's line every interval until ctx ends.
func reportConsume(ctx context.Context, interval time.Duration, cs *consumeStats, stdout io.Writer) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	prevAt, prevN, prevB, prevS := time.Now(), int64(0), int64(0), int64(0)
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			n, b, s := cs.n.Load(), cs.b2cSum.Load(), cs.s2cSum.Load()
			var tps, avgB, avgS float64
			if d := n - prevN; d > 0 {
				tps = float64(d) / now.Sub(prevAt).Seconds()
				avgB, avgS = float64(b-prevB)/float64(d), float64(s-prevS)/float64(d)
			}
			fmt.Fprintf(stdout, "Current Time: %s | Consume TPS: %d | AVG(B2C) RT(ms): %7.3f | AVG(S2C) RT(ms): %7.3f | MAX(B2C) RT(ms): %d | MAX(S2C) RT(ms): %d | Consume Fail: %d\n",
				now.Format("2006-01-02 15:04:05,000"), int64(math.Round(tps)), avgB, avgS,
				cs.B2C.Summary().Max.Milliseconds(), cs.S2C.Summary().Max.Milliseconds(), cs.failed.Load())
			prevAt, prevN, prevB, prevS = now, n, b, s
		}
	}
}

func runConsumer(ctx context.Context, o consumerOptions, stdout, stderr io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "topic: %s, threadCount %d, group: %s, filterType: %s, expression: %s, from: %s, quantity: %d, duration: %v\n",
		o.topic, o.workers, o.group, o.filterType, o.expr, o.from, o.quantity, o.duration)
	cs := &consumeStats{}
	c, done, err := startConsumer(ctx, o, cs, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Consumer Started.")
	rctx, cancel := context.WithCancel(ctx) // cancel also ends the timeout below
	defer cancel()
	if o.duration > 0 {
		var stop context.CancelFunc
		rctx, stop = context.WithTimeout(rctx, o.duration)
		defer stop()
	}
	reported := make(chan struct{})
	go func() {
		defer close(reported)
		reportConsume(rctx, o.interval, cs, stdout)
	}()
	select {
	case <-rctx.Done():
	case <-done:
	}
	cancel()
	<-reported
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := c.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "mqbench: shutdown consumer: %v\n", err)
	}
	printConsumerSummary(stdout, cs)
	if o.json {
		return printJSON(stdout, consumerJSON(cs))
	}
	return nil
}

func printConsumerSummary(w io.Writer, cs *consumeStats) {
	win := cs.window()
	tps := 0.0
	if n := cs.n.Load(); n > 1 && win > 0 {
		tps = float64(n-1) / win.Seconds()
	}
	fmt.Fprintf(w, "[Complete] Consume Total: %d | Consume TPS: %d (first to last message) | Consume Fail: %d\n",
		cs.n.Load(), int64(math.Round(tps)), cs.failed.Load())
	for _, h := range []struct {
		name string
		s    loadgen.Summary
	}{{"B2C", cs.B2C.Summary()}, {"S2C", cs.S2C.Summary()}, {"E2E", cs.E2E.Summary()}} {
		if h.s.Count == 0 {
			continue
		}
		fmt.Fprintf(w, "[Complete] %s RT(ms) p50: %.3f | p90: %.3f | p99: %.3f | p99.9: %.3f | max: %.3f\n",
			h.name, ms(h.s.P50), ms(h.s.P90), ms(h.s.P99), ms(h.s.P999), ms(h.s.Max))
	}
}
