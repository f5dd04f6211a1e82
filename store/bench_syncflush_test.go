package store_test

import (
	"fmt"
	"io"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store"
)

// BenchmarkSyncFlush1Writer is one SYNC_FLUSH writer waiting for each
// message's flush, after prefill bytes were appended to the commit log
// without waiting (WAIT=false). A fresh store hides costs that grow with
// what the active segment already holds: the kernel builds the page cache
// of a sequentially faulted mapping from ever larger folios (up to 2 MB),
// and a write through the mapping dirties the whole folio, so each sync
// wrote 2 MB for a 1 KB message once ~40 MB had been appended. x_baseline
// compares with write(2)+fdatasync of the same records in the same run.
func BenchmarkSyncFlush1Writer(b *testing.B) {
	for _, size := range []int{128, 1024} {
		for _, prefill := range []int{0, 96 << 20} {
			for _, async := range []bool{false, true} {
				b.Run(fmt.Sprintf("%dB/prefill=%dMB/async=%t", size, prefill>>20, async), func(b *testing.B) {
					benchSyncFlush1Writer(b, size, prefill, async)
				})
			}
		}
	}
}

// benchSyncFlush1Writer puts with PutMessage, or with PutMessageAsync
// waiting for its answer (async, as the broker's send path does).
func benchSyncFlush1Writer(b *testing.B, size, prefill int, async bool) {
	o := store.DefaultOptions(b.TempDir())
	o.FlushDiskType = store.SyncFlush
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	o.OSPageCacheBusyTimeOutMills = 60_000
	s, err := store.Open(o)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	noWait := protocol.EncodeProperties(map[string]string{"TAGS": "TagA", "WAIT": "false"})
	fill := &store.MessageInput{Topic: "Prefill", Body: make([]byte, 4096),
		BornHost: bornHost, StoreHost: storeHost, Properties: noWait}
	for s.CommitLogMaxOffset() < int64(prefill) {
		if res := s.PutMessage(fill); res.Status != store.PutOK {
			b.Fatal(res.Status, res.Remark)
		}
	}
	in := &store.MessageInput{Topic: "BenchTopic", Body: make([]byte, size),
		BornHost: bornHost, StoreHost: storeHost, Properties: benchProps()}
	if res := s.PutMessage(in); res.Status != store.PutOK { // flushes the prefill
		b.Fatal(res.Status, res.Remark)
	}
	base := baselineRate(b, size, true)
	put := s.PutMessage
	if async {
		answer := make(chan store.PutResult, 1)
		done := func(res store.PutResult) { answer <- res }
		put = func(in *store.MessageInput) store.PutResult {
			s.PutMessageAsync(in, done)
			return <-answer
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.SetBytes(int64(size))
	b.ResetTimer()
	for range b.N {
		t := time.Now()
		if res := put(in); res.Status != store.PutOK {
			b.Fatal(res.Status, res.Remark)
		}
		lat = append(lat, time.Since(t))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	rate := float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(rate/base, "x_baseline")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
}
