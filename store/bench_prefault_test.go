package store

import (
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkPrefault measures what prefaulting the commit log ahead of the
// writer (segment.List.StartWarming, which Open calls) buys ASYNC_FLUSH puts
// of 4 KiB bodies.
// The machine is shared and its speed drifts, so one process alternates
// short phases: plain sequential write(2) of records of the same size (the
// baseline), puts on a store whose commit log is warmed, puts on one whose
// commit log is not. Each round runs the three in a rotating order; the
// reported figures are medians over rounds of each put phase's message rate
// divided by the baseline phase of the same round, and of the warmed
// store's rate divided by the other's. Run with -benchtime=<rounds>x.
func BenchmarkPrefault(b *testing.B) {
	for _, writers := range []int{1, 16} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) { benchPrefault(b, writers) })
	}
}

const (
	prefaultBody  = 4096
	prefaultPhase = 250 * time.Millisecond
)

func benchPrefault(b *testing.B, writers int) {
	open := func(name string, warm bool) *Store {
		o := DefaultOptions(filepath.Join(b.TempDir(), name))
		o.MappedFileSizeCommitLog = 128 << 20
		o.FlushDiskType = AsyncFlush
		o.OSPageCacheBusyTimeOutMills = 60_000
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		s, err := Open(o)
		if err != nil {
			b.Fatal(err)
		}
		if !warm {
			s.commitLog.Segments().StopWarming()
		}
		return s
	}
	cold, warm := open("cold", false), open("warm", true)
	defer cold.Close()
	defer warm.Close()
	in := func(w int) *MessageInput {
		return &MessageInput{
			Topic: "BenchTopic", QueueID: int32(w % 8), Body: make([]byte, prefaultBody),
			BornHost:   netip.MustParseAddrPort("127.0.0.1:50000"),
			StoreHost:  netip.MustParseAddrPort("127.0.0.1:10911"),
			Properties: "TAGS\x01TagA\x02UNIQ_KEY\x017F0000010001300A4B6C1A2B3C4D0000\x02WAIT\x01true",
		}
	}
	first := cold.PutMessage(in(0))
	if first.Status != PutOK {
		b.Fatal(first.Status, first.Remark)
	}
	recSize := first.WroteBytes
	putRate := func(s *Store) float64 {
		var n atomic.Int64
		var failed atomic.Value
		stop := time.Now().Add(prefaultPhase)
		begin := time.Now()
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				m := in(w)
				for time.Now().Before(stop) {
					if res := s.PutMessage(m); res.Status != PutOK {
						failed.Store(res.Status.String() + " " + res.Remark)
						return
					}
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		if f := failed.Load(); f != nil {
			b.Fatal(f)
		}
		return float64(n.Load()) / time.Since(begin).Seconds()
	}
	writeRate := func() float64 {
		f, err := os.Create(filepath.Join(b.TempDir(), "baseline"))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		rec := make([]byte, recSize)
		n := 0
		begin := time.Now()
		for time.Since(begin) < prefaultPhase {
			if _, err := f.Write(rec); err != nil {
				b.Fatal(err)
			}
			n++
		}
		return float64(n) / time.Since(begin).Seconds()
	}

	var coldX, warmX, warmCold []float64
	b.ResetTimer()
	for i := range b.N {
		var base, c, w float64
		phases := []func(){
			func() { base = writeRate() },
			func() { c = putRate(cold) },
			func() { w = putRate(warm) },
		}
		for k := range phases {
			phases[(i+k)%len(phases)]()
		}
		coldX = append(coldX, c/base)
		warmX = append(warmX, w/base)
		warmCold = append(warmCold, w/c)
	}
	b.StopTimer()
	b.ReportMetric(prefaultMedian(coldX), "cold_x_baseline")
	b.ReportMetric(prefaultMedian(warmX), "warm_x_baseline")
	b.ReportMetric(prefaultMedian(warmCold), "warm_x_cold")
	if err := warm.commitLog.Segments().WarmError(); err != nil {
		b.Logf("warmer stopped: %v", err)
	}
}

func prefaultMedian(v []float64) float64 {
	v = slices.Clone(v)
	slices.Sort(v)
	return v[len(v)/2]
}
