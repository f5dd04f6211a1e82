package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/cmd/mqbench/loadgen"
	"github.com/rocketgo/rocketgo/protocol"
)

// producerOptions are upstream Producer's flags (and BatchProducer's -b);
// -d is a duration here (upstream's -d enables delay: use -e N instead).
type producerOptions struct {
	namesrv, topic, group string
	serializeType         string
	workers, size         int
	keys                  bool
	tagCount, propSize    int
	batch, delayLevel     int
	transactional         bool
	async                 bool
	window                int
	compress              bool
	quantity              int64
	duration, interval    time.Duration
	json                  bool
	// e2e only
	consumerGroup   string
	consumerWorkers int
}

func defaultNamesrv() string {
	if ns := os.Getenv("NAMESRV_ADDR"); ns != "" {
		return ns
	}
	return "127.0.0.1:9876"
}

func (o *producerOptions) flags(mode string) *flag.FlagSet {
	fs := flag.NewFlagSet("mqbench "+mode, flag.ContinueOnError)
	fs.StringVar(&o.namesrv, "n", defaultNamesrv(), "name server address list, `host:port;host:port` (default $NAMESRV_ADDR)")
	fs.StringVar(&o.topic, "t", "BenchmarkTest", "topic")
	fs.StringVar(&o.group, "pg", "benchmark_producer", "producer group")
	serializeTypeFlag(fs, &o.serializeType)
	fs.IntVar(&o.workers, "w", 64, "sending goroutines")
	fs.IntVar(&o.size, "s", 128, "message body size in bytes")
	fs.BoolVar(&o.keys, "k", false, "set a message key (the send second, as upstream)")
	fs.IntVar(&o.tagCount, "l", 0, "tag count: tags tag0..tagN-1 by send time; 0 = no tag")
	fs.IntVar(&o.propSize, "p", 0, "user properties of about this many bytes per message")
	fs.IntVar(&o.batch, "b", 1, "messages per send (SendBatch when > 1)")
	fs.IntVar(&o.delayLevel, "e", 0, "delay level 1..18; 0 = no delay")
	fs.BoolVar(&o.transactional, "tx", false, "send transactional messages (half message, local transaction commits)")
	fs.BoolVar(&o.async, "y", false, "send asynchronously from one goroutine (upstream's -y; -w is then ignored)")
	fs.IntVar(&o.window, "window", 10000, "with -y: sends in flight at most (upstream's async queue limit)")
	fs.BoolVar(&o.compress, "c", false, "compress bodies over 4 KiB (zlib); off = never compress, as upstream's benchmark")
	fs.Int64Var(&o.quantity, "q", 0, "messages to send in all; 0 = until -d or a signal")
	fs.DurationVar(&o.duration, "d", 0, "how long to send; 0 = until -q or a signal")
	fs.DurationVar(&o.interval, "ri", time.Second, "report interval")
	fs.BoolVar(&o.json, "json", false, "print the final figures as one JSON line too")
	if mode == "e2e" {
		fs.StringVar(&o.consumerGroup, "g", "benchmark_consumer", "consumer group")
		fs.IntVar(&o.consumerWorkers, "cw", 20, "consume goroutines")
	}
	return fs
}

func (o *producerOptions) check() error {
	switch {
	case o.workers <= 0:
		return fmt.Errorf("%w: -w %d: want at least 1", errUsage, o.workers)
	case o.size <= 0:
		return fmt.Errorf("%w: -s %d: want at least 1", errUsage, o.size)
	case o.batch <= 0:
		return fmt.Errorf("%w: -b %d: want at least 1", errUsage, o.batch)
	case o.delayLevel < 0:
		return fmt.Errorf("%w: -e %d: want 0..18", errUsage, o.delayLevel)
	case o.transactional && o.batch > 1:
		return fmt.Errorf("%w: -tx and -b: transactional messages cannot be batched", errUsage)
	case o.async && (o.transactional || o.batch > 1):
		return fmt.Errorf("%w: -y sends single plain messages: not with -tx or -b", errUsage)
	case o.async && o.window <= 0:
		return fmt.Errorf("%w: -window %d: want at least 1", errUsage, o.window)
	case o.quantity < 0 || o.duration < 0 || o.interval <= 0:
		return fmt.Errorf("%w: -q, -d must not be negative, -ri must be positive", errUsage)
	}
	return checkSerializeType(o.serializeType)
}

// serializeTypeFlag adds -serializeType. Upstream's benchmark has no such
// flag: it always sets rocketmq.serialize.type to ROCKETMQ. Here the
// default is the client's (ROCKETMQ_SERIALIZE_TYPE, else JSON), so runs
// stay comparable with earlier ones unless asked.
func serializeTypeFlag(fs *flag.FlagSet, v *string) {
	fs.StringVar(v, "serializeType", "", "request header encoding, `JSON or ROCKETMQ` (upstream's benchmark always uses ROCKETMQ); "+
		"empty = $ROCKETMQ_SERIALIZE_TYPE, else JSON")
}

// checkSerializeType reports a -serializeType the client would refuse as a
// usage error.
func checkSerializeType(v string) error {
	switch strings.ToUpper(v) {
	case "", "JSON", "ROCKETMQ":
		return nil
	}
	return fmt.Errorf("%w: -serializeType %q: want JSON or ROCKETMQ", errUsage, v)
}

func clientOptions(namesrv, serializeType string, stderr io.Writer) client.ClientOptions {
	return client.ClientOptions{
		NameServers:   client.SplitNameServers(namesrv),
		InstanceName:  strconv.FormatInt(time.Now().UnixNano(), 36),
		SerializeType: serializeType,
		Logger:        slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}

// sender is one started producer and the send that the workload calls.
type sender struct {
	send     loadgen.SendFunc
	async    loadgen.AsyncSendFunc // nil for transactional and batch sends
	queues   func(ctx context.Context, topic string) ([]client.MessageQueue, error)
	shutdown func(context.Context) error
}

// commitAll is the benchmark's local transaction: it always commits.
type commitAll struct{}

func (commitAll) ExecuteLocalTransaction(context.Context, *client.Message, any) (client.LocalTransactionState, error) {
	return client.CommitMessage, nil
}

func (commitAll) CheckLocalTransaction(context.Context, *client.MessageExt) (client.LocalTransactionState, error) {
	return client.CommitMessage, nil
}

// startSender starts the producer the options ask for.
func startSender(ctx context.Context, o producerOptions, stderr io.Writer) (*sender, error) {
	popts := client.ProducerOptions{ClientOptions: clientOptions(o.namesrv, o.serializeType, stderr), Group: o.group, CompressOver: -1}
	if o.compress {
		popts.CompressOver = client.DefaultCompressOver
	}
	var (
		p  *client.Producer
		tp *client.TransactionProducer
	)
	if o.transactional {
		t, err := client.NewTransactionProducer(popts, commitAll{}, 1)
		if err != nil {
			return nil, err
		}
		tp, p = t, t.Producer
	} else {
		var err error
		if p, err = client.NewProducer(popts); err != nil {
			return nil, err
		}
	}
	if err := p.Start(ctx); err != nil {
		return nil, fmt.Errorf("start producer: %w", err)
	}
	// One set of bodies per worker, reused: a send has returned before
	// the worker stamps them again.
	bodies := make([][][]byte, o.workers)
	for w := range bodies {
		bodies[w] = make([][]byte, o.batch)
		for i := range bodies[w] {
			bodies[w][i] = loadgen.RandomBody(o.size)
		}
	}
	props := userProperties(o.propSize)
	build := func(body []byte, now time.Time) *client.Message {
		stamp(body, now)
		m := client.NewMessage(o.topic, "", body)
		if o.keys {
			client.SetKeys(m, strconv.FormatInt(now.Unix(), 10))
		}
		if o.tagCount > 0 {
			m.SetProperty(protocol.PropertyTags, "tag"+strconv.FormatInt(now.UnixMilli()%int64(o.tagCount), 10))
		}
		if o.delayLevel > 0 {
			client.SetDelayLevel(m, o.delayLevel)
		}
		for k, v := range props {
			m.SetProperty(k, v)
		}
		return m
	}
	s := &sender{shutdown: p.Shutdown, queues: p.Queues}
	var firstErr sync.Once
	s.send = func(ctx context.Context, w int, _ int64) error {
		now := time.Now()
		var err error
		switch {
		case tp != nil:
			var res *client.TransactionSendResult
			res, err = tp.SendMessageInTransaction(ctx, build(bodies[w][0], now), nil)
			if err == nil && res.Status != client.SendOK {
				err = fmt.Errorf("%w: status %v", loadgen.ErrResponse, res.Status)
			}
		case o.batch > 1:
			msgs := make([]*client.Message, o.batch)
			for i := range msgs {
				msgs[i] = build(bodies[w][i], now)
			}
			err = checkStatus(p.SendBatch(ctx, msgs))
		default:
			err = checkStatus(p.Send(ctx, build(bodies[w][0], now)))
		}
		err = classify(err)
		if err != nil && ctx.Err() == nil {
			firstErr.Do(func() {
				fmt.Fprintf(stderr, "mqbench: send failed: %v (later failures are only counted)\n", err)
			})
		}
		return err
	}
	if tp == nil && o.batch == 1 {
		tmpl := bodies[0][0]
		s.async = func(_ context.Context, _ int64, done func(error)) error {
			// In flight, a body cannot be reused: each send gets its own.
			m := build(bytes.Clone(tmpl), time.Now())
			// Not the run's context: a send started before the end of
			// the run is waited for, not cancelled.
			return p.SendAsync(context.Background(), m, func(res *client.SendResult, err error) {
				done(classify(checkStatus(res, err)))
			})
		}
	}
	return s, nil
}

// classify marks broker refusals as response failures.
func classify(err error) error {
	if _, refused := client.ResponseCode(err); refused && !errors.Is(err, loadgen.ErrResponse) {
		return fmt.Errorf("%w: %w", loadgen.ErrResponse, err)
	}
	return err
}

// checkStatus counts a send stored without its flush or replication
// (FLUSH_DISK_TIMEOUT and the like) as a response failure, as upstream's
// benchmark sees it through the broker's answer.
func checkStatus(res *client.SendResult, err error) error {
	if err != nil {
		return err
	}
	if res.Status != client.SendOK {
		return fmt.Errorf("%w: status %v", loadgen.ErrResponse, res.Status)
	}
	return nil
}

// userProperties builds properties of about size bytes, as upstream's
// -p: pairs propN=helloV, propN+1=V until the total passes size.
func userProperties(size int) map[string]string {
	if size <= 0 {
		return nil
	}
	props := map[string]string{}
	total := 0
	for i, v := 0, 0; total <= size; i, v = i+2, v+2 {
		k1, v1 := "prop"+strconv.Itoa(i), "hello"+strconv.Itoa(v)
		k2, v2 := "prop"+strconv.Itoa(i+1), strconv.Itoa(v)
		props[k1], props[k2] = v1, v2
		total += len(k1) + len(v1) + len(k2) + len(v2)
	}
	return props
}

func runProducer(ctx context.Context, o producerOptions, stdout, stderr io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "topic: %s, threadCount: %d, messageSize: %d, keyEnable: %t, propertySize: %d, tagCount: %d, "+
		"messageQuantity: %d, duration: %v, delayLevel: %d, batchSize: %d, transactional: %t, asyncEnable: %t, compressEnable: %t\n",
		o.topic, o.workers, o.size, o.keys, o.propSize, o.tagCount, o.quantity, o.duration, o.delayLevel, o.batch, o.transactional, o.async, o.compress)
	s, err := startSender(ctx, o, stderr)
	if err != nil {
		return err
	}
	res := produce(ctx, o, s, stdout)
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "mqbench: shutdown producer: %v\n", err)
	}
	printProducerSummary(stdout, o, res)
	if o.json {
		if err := printJSON(stdout, producerJSON(o, res)); err != nil {
			return err
		}
	}
	if snap := res.stats.Snapshot(); snap.OK == 0 && snap.SendFailed+snap.ResponseFailed > 0 {
		return errors.New("no send succeeded")
	}
	return nil
}

// produceResult is a finished send workload.
type produceResult struct {
	stats   *loadgen.Stats
	elapsed time.Duration
}

// produce runs the send workload with per-interval lines.
func produce(ctx context.Context, o producerOptions, s *sender, stdout io.Writer) produceResult {
	st := &loadgen.Stats{}
	rctx, stopReports := context.WithCancel(ctx)
	reported := make(chan struct{})
	go func() {
		defer close(reported)
		loadgen.Every(rctx, o.interval, st, func(now loadgen.Snapshot, iv loadgen.Interval) {
			line := fmt.Sprintf("Current Time: %s | Send TPS: %d | Max RT(ms): %.3f | Average RT(ms): %7.3f | Send Failed: %d | Response Failed: %d",
				now.At.Format("2006-01-02 15:04:05,000"), int64(math.Round(iv.TPS)), ms(iv.MaxRT), ms(iv.AvgRT), iv.SendFailed, iv.ResponseFailed)
			if o.batch > 1 {
				line += fmt.Sprintf(" | Send MPS: %d", int64(math.Round(iv.TPS))*int64(o.batch))
			}
			fmt.Fprintln(stdout, line)
		})
	}()
	quantity := o.quantity
	if quantity > 0 && o.batch > 1 {
		quantity = (quantity + int64(o.batch) - 1) / int64(o.batch) // sends, not messages
	}
	cfg := loadgen.Config{Workers: o.workers, Quantity: quantity, Duration: o.duration}
	var elapsed time.Duration
	if o.async {
		elapsed = loadgen.RunAsync(ctx, cfg, o.window, asyncDrain, st, s.async)
	} else {
		elapsed = loadgen.Run(ctx, cfg, st, s.send)
	}
	stopReports()
	<-reported
	return produceResult{stats: st, elapsed: elapsed}
}

// asyncDrain bounds the wait for async sends in flight at the end: more
// than the client's send timeout with its retries.
const asyncDrain = 15 * time.Second

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func printProducerSummary(w io.Writer, o producerOptions, r produceResult) {
	snap := r.stats.Snapshot()
	sum := r.stats.RT.Summary()
	tps := 0.0
	if secs := r.elapsed.Seconds(); secs > 0 {
		tps = float64(snap.OK) / secs
	}
	fmt.Fprintf(w, "[Complete] Send Total: %d | Send TPS: %d | Max RT(ms): %.3f | Average RT(ms): %7.3f | Send Failed: %d | Response Failed: %d\n",
		snap.OK+snap.SendFailed+snap.ResponseFailed, int64(math.Round(tps)), ms(sum.Max), ms(sum.Mean), snap.SendFailed, snap.ResponseFailed)
	if o.batch > 1 {
		fmt.Fprintf(w, "[Complete] Messages sent: %d in batches of %d | Send MPS: %d\n", snap.OK*int64(o.batch), o.batch, int64(math.Round(tps))*int64(o.batch))
	}
	fmt.Fprintf(w, "[Complete] Send RT(ms) p50: %.3f | p90: %.3f | p99: %.3f | p99.9: %.3f | elapsed: %.3fs\n",
		ms(sum.P50), ms(sum.P90), ms(sum.P99), ms(sum.P999), r.elapsed.Seconds())
}
