package main

import (
	"fmt"
	"io"
	"time"
)

// column is one system's results.
type column struct {
	name  string
	ours  bool
	syncs bool // fsyncs before acking
	got   map[string]measure
}

// theirs is the NATS column a RocketGo column is compared with: the one
// with the same durability if there is one, else the first NATS column.
func theirs(cols []column, c column) *column {
	var fallback *column
	for i := range cols {
		if cols[i].ours {
			continue
		}
		if cols[i].syncs == c.syncs {
			return &cols[i]
		}
		if fallback == nil {
			fallback = &cols[i]
		}
	}
	return fallback
}

func msStr(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", float64(d)/float64(time.Millisecond))
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// printReport prints the disk baseline and one Markdown table.
func printReport(w io.Writer, cfg config, disks []diskResult, cols []column, took time.Duration) {
	fmt.Fprintf(w, "RocketGo vs NATS JetStream, %s, on %s\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), machine())
	fmt.Fprintf(w, "each publish workload %v after %d warm-up sends; synchronous sends (wait for the ack); whole run %v\n\n",
		cfg.duration, cfg.warmup, took.Round(time.Second))

	fmt.Fprintln(w, "Raw disk baseline (same directory as the stores):")
	fmt.Fprintln(w, "| record | write(2) records/s | MB/s | write+fdatasync records/s | fdatasync p50 ms | p99 ms |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, d := range disks {
		fmt.Fprintf(w, "| %s | %.0f | %.1f | %.0f | %s | %s |\n", sizeName(d.size), d.bufferedRate,
			d.bufferedRate*float64(d.size)/1e6, d.syncRate, msStr(d.syncP50), msStr(d.syncP99))
	}
	fmt.Fprintln(w)

	var keys []string
	for _, wl := range publishWorkloads(cfg) {
		keys = append(keys, wl.key())
	}
	for _, s := range cfg.sizes {
		keys = append(keys, consumeKey(s))
	}
	fmt.Fprintln(w, "| workload | system | msgs/s | p50 ms | p99 ms | msgs/s ours/theirs | p99 ours/theirs | failed |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|")
	for _, k := range keys {
		for _, c := range cols {
			m, ok := c.got[k]
			if !ok {
				continue
			}
			rate, lat := "", ""
			if c.ours {
				if t := theirs(cols, c); t != nil {
					tm := t.got[k]
					rate = ratio(m.perSec, tm.perSec)
					lat = ratio(float64(m.p99), float64(tm.p99))
				}
			}
			fmt.Fprintf(w, "| %s | %s | %.0f | %s | %s | %s | %s | %d |\n", k, c.name, m.perSec, msStr(m.p50), msStr(m.p99), rate, lat, m.failed)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "ours/theirs: RocketGo against the NATS column of the same durability (fsync before the ack or not)")
	fmt.Fprintln(w, "when there is one, else against NATS's default; msgs/s > 1 and p99 < 1 favour RocketGo.")
	fmt.Fprintln(w, "consume: messages per second from the first delivered message to the last, reading what the")
	fmt.Fprintf(w, "%d-publisher run stored (mqbench consumer with 20 goroutines; NATS pull consumer, batches of 256, AckAll).\n", cfg.consumePubs)
}
