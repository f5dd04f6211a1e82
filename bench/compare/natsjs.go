package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/rocketgo/rocketgo/cmd/mqbench/loadgen"
)

// natsServer is a started nats-server with JetStream on file storage.
type natsServer struct {
	url     string
	version string
	syncAll bool // fsyncs every write (sync_interval: always)
}

// natsVersion returns what `nats-server --version` says, e.g. "2.9.10".
func natsVersion(bin string) (string, error) {
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s --version: %v: %s (install it: apt-get install -y nats-server)", bin, err, out)
	}
	m := regexp.MustCompile(`v?(\d+)\.(\d+)\.(\d+)`).FindStringSubmatch(string(out))
	if m == nil {
		return "", fmt.Errorf("%s --version said %q", bin, out)
	}
	return m[1] + "." + m[2] + "." + m[3], nil
}

// natsCanSyncAlways says whether the version knows sync_interval (2.10+).
func natsCanSyncAlways(version string) bool {
	parts := strings.Split(version, ".")
	major, _ := strconv.Atoi(parts[0])
	minor, _ := strconv.Atoi(parts[1])
	return major > 2 || major == 2 && minor >= 10
}

// startNATS starts bin on a free 127.0.0.1 port with its JetStream store
// in dir; syncAll asks it to fsync every write.
func startNATS(ctx context.Context, ps *procs, bin, dir, version string, syncAll bool) (*natsServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	conf := fmt.Sprintf("listen: 127.0.0.1:%d\nserver_name: bench\njetstream {\n  store_dir: %q\n  max_file_store: 64GB\n", port, filepath.Join(dir, "jetstream"))
	if syncAll {
		conf += "  sync_interval: always\n"
	}
	conf += "}\n"
	path := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	if _, err := ps.start(ctx, "nats-server", bin, dir, "Server is ready", "-c", path); err != nil {
		return nil, err
	}
	return &natsServer{url: fmt.Sprintf("nats://127.0.0.1:%d", port), version: version, syncAll: syncAll}, nil
}

// runNATS runs every workload against one nats-server.
func runNATS(ctx context.Context, ps *procs, cfg config, bin, dir, version string, syncAll bool) (map[string]measure, error) {
	srv, err := startNATS(ctx, ps, bin, dir, version, syncAll)
	if err != nil {
		return nil, err
	}
	defer ps.stopAll()
	nc, err := nats.Connect(srv.url, nats.Name("bench-compare"))
	if err != nil {
		return nil, fmt.Errorf("connect to nats-server: %w", err)
	}
	defer nc.Close()
	js, err := nc.JetStream(nats.MaxWait(30 * time.Second))
	if err != nil {
		return nil, err
	}
	got := map[string]measure{}
	for _, w := range publishWorkloads(cfg) {
		name := fmt.Sprintf("BENCH_%d_%d", w.size, w.pubs)
		subject := "bench." + name
		if _, err := js.AddStream(&nats.StreamConfig{Name: name, Subjects: []string{subject}, Storage: nats.FileStorage}); err != nil {
			return got, fmt.Errorf("add stream %s: %w", name, err)
		}
		body := loadgen.RandomBody(w.size)
		publish := func(ctx context.Context, _ int, _ int64) error {
			_, err := js.Publish(subject, body, nats.Context(ctx))
			return err
		}
		var warm loadgen.Stats
		loadgen.Run(ctx, loadgen.Config{Workers: 1, Quantity: int64(cfg.warmup)}, &warm, publish)
		if s := warm.Snapshot(); s.OK != int64(cfg.warmup) {
			return got, fmt.Errorf("%s: warm-up published %d of %d", name, s.OK, cfg.warmup)
		}
		var st loadgen.Stats
		elapsed := loadgen.Run(ctx, loadgen.Config{Workers: w.pubs, Duration: cfg.duration}, &st, publish)
		if ctx.Err() != nil {
			return got, ctx.Err()
		}
		snap, sum := st.Snapshot(), st.RT.Summary()
		got[w.key()] = measure{perSec: float64(snap.OK) / elapsed.Seconds(), p50: sum.P50, p99: sum.P99,
			count: snap.OK, failed: snap.SendFailed + snap.ResponseFailed}
		if w.pubs == cfg.consumePubs {
			total := int64(cfg.warmup) + snap.OK
			m, err := consumeNATS(ctx, js, name, subject, total)
			if err != nil {
				return got, err
			}
			got[consumeKey(w.size)] = m
		}
	}
	return got, nil
}

// consumeNATS reads total messages of a stream through a durable pull
// consumer, fetching batches and acking the last of each (AckAll, like a
// RocketMQ consumer committing its offset), and times first to last.
func consumeNATS(ctx context.Context, js nats.JetStreamContext, stream, subject string, total int64) (measure, error) {
	sub, err := js.PullSubscribe(subject, "bench_"+stream, nats.BindStream(stream), nats.AckAll(), nats.DeliverAll(), nats.MaxAckPending(-1))
	if err != nil {
		return measure{}, fmt.Errorf("pull subscribe %s: %w", stream, err)
	}
	defer sub.Unsubscribe()
	var n atomic.Int64
	var first, last time.Time
	var firstBatch int64
	deadline := time.Now().Add(5 * time.Minute)
	for n.Load() < total {
		if ctx.Err() != nil || time.Now().After(deadline) {
			return measure{}, fmt.Errorf("%s: consumed %d of %d: %v", stream, n.Load(), total, ctx.Err())
		}
		msgs, err := sub.Fetch(256, nats.MaxWait(5*time.Second))
		if err != nil && err != nats.ErrTimeout {
			return measure{}, fmt.Errorf("fetch %s: %w", stream, err)
		}
		if len(msgs) == 0 {
			continue
		}
		now := time.Now()
		if first.IsZero() {
			first, firstBatch = now, int64(len(msgs))
		}
		last = now
		n.Add(int64(len(msgs)))
		if err := msgs[len(msgs)-1].Ack(); err != nil {
			return measure{}, fmt.Errorf("ack %s: %w", stream, err)
		}
	}
	m := measure{count: n.Load()}
	if win := last.Sub(first); win > 0 {
		// The first batch arrived at once: count what came after it.
		m.perSec = float64(m.count-firstBatch) / win.Seconds()
	}
	return m, nil
}
