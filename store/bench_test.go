package store_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store"
	"github.com/rocketgo/rocketgo/store/commitlog"
)

var benchSizes = []int{128, 1024, 4096}

func benchProps() string {
	return protocol.EncodeProperties(map[string]string{
		"TAGS": "TagA", "UNIQ_KEY": "7F0000010001300A4B6C1A2B3C4D0000", "WAIT": "true",
	})
}

// BenchmarkPut measures PutMessage throughput: bytes/s counts the body
// bytes, msgs/s the puts. Compare with BenchmarkBaseline in the same run.
func BenchmarkPut(b *testing.B) {
	for _, flush := range []store.FlushDiskType{store.AsyncFlush, store.SyncFlush} {
		for _, size := range benchSizes {
			for _, writers := range []int{1, 16, 64} {
				name := fmt.Sprintf("%s/%dB/writers=%d", strings.TrimSuffix(string(flush), "_FLUSH"), size, writers)
				b.Run(name, func(b *testing.B) { benchPut(b, flush, size, writers) })
			}
		}
	}
}

func benchPut(b *testing.B, flush store.FlushDiskType, size, writers int) {
	o := store.DefaultOptions(b.TempDir())
	o.MappedFileSizeCommitLog = 128 << 20
	o.FlushDiskType = flush
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	// The machine is shared: a descheduled lock holder must not turn into
	// OS_PAGECACHE_BUSY failures that end the benchmark.
	o.OSPageCacheBusyTimeOutMills = 60_000
	s, err := store.Open(o)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	props := benchProps()
	base := baselineRate(b, size, flush == store.SyncFlush)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	var left atomic.Int64
	left.Store(int64(b.N))
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := &store.MessageInput{
				Topic: "BenchTopic", QueueID: int32(w % 8), Body: make([]byte, size),
				BornHost: bornHost, StoreHost: storeHost, Properties: props,
			}
			for left.Add(-1) >= 0 {
				if res := s.PutMessage(in); res.Status != store.PutOK {
					failed.Store(res.Status.String() + " " + res.Remark)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	if f := failed.Load(); f != nil {
		b.Fatal(f)
	}
	rate := float64(b.N) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(rate/base, "x_baseline")
}

// baselineRate measures, just before a put benchmark, the message rate of
// plain sequential writes of the same records (with an fdatasync each for
// SYNC), so each figure has a baseline taken under the same machine load.
func baselineRate(b *testing.B, size int, sync bool) float64 {
	rec := benchRecord(size)
	f, err := os.Create(filepath.Join(b.TempDir(), "baseline"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	begin := time.Now()
	n := 0
	for time.Since(begin) < 300*time.Millisecond {
		if _, err := f.Write(rec); err != nil {
			b.Fatal(err)
		}
		if sync {
			if err := syscall.Fdatasync(int(f.Fd())); err != nil {
				b.Fatal(err)
			}
		}
		n++
	}
	return float64(n) / time.Since(begin).Seconds()
}

func benchRecord(size int) []byte {
	m := &commitlog.Message{
		Topic: "BenchTopic", Body: make([]byte, size), BornHost: bornHost, StoreHost: storeHost, Properties: benchProps(),
	}
	rec := make([]byte, m.Size())
	commitlog.Encode(rec, m, 0, 0, 0)
	return rec
}

// BenchmarkSyncScaling alternates 300 ms of one SYNC_FLUSH writer with
// 300 ms of 64 writers on one store and reports how many times more
// messages the 64 writers stored (group commit at work).
func BenchmarkSyncScaling(b *testing.B) {
	o := store.DefaultOptions(b.TempDir())
	o.MappedFileSizeCommitLog = 128 << 20
	o.FlushDiskType = store.SyncFlush
	o.OSPageCacheBusyTimeOutMills = 60_000
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := store.Open(o)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	props := benchProps()
	phase := func(writers int) float64 {
		var n atomic.Int64
		stop := time.Now().Add(300 * time.Millisecond)
		var wg sync.WaitGroup
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := &store.MessageInput{Topic: "Scale", QueueID: int32(w % 8), Body: make([]byte, 1024),
					BornHost: bornHost, StoreHost: storeHost, Properties: props}
				for time.Now().Before(stop) {
					if res := s.PutMessage(in); res.Status != store.PutOK {
						b.Error(res.Status, res.Remark)
						return
					}
					n.Add(1)
				}
			}()
		}
		wg.Wait()
		return float64(n.Load())
	}
	var one, many float64
	for range b.N {
		one += phase(1)
		many += phase(64)
	}
	b.ReportMetric(one/(0.3*float64(b.N)), "msgs/s_1writer")
	b.ReportMetric(many/(0.3*float64(b.N)), "msgs/s_64writers")
	b.ReportMetric(many/one, "x_1writer")
}

// BenchmarkBaseline writes the same records with plain sequential write(2)
// calls on one file; the SYNC variant adds one fdatasync per write.
func BenchmarkBaseline(b *testing.B) {
	for _, sync := range []bool{false, true} {
		for _, size := range benchSizes {
			name := fmt.Sprintf("ASYNC/%dB", size)
			if sync {
				name = fmt.Sprintf("SYNC/%dB", size)
			}
			b.Run(name, func(b *testing.B) { benchBaseline(b, size, sync) })
		}
	}
}

func benchBaseline(b *testing.B, size int, sync bool) {
	rec := benchRecord(size)
	f, err := os.Create(filepath.Join(b.TempDir(), "baseline"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := f.Write(rec); err != nil {
			b.Fatal(err)
		}
		if sync {
			if err := syscall.Fdatasync(int(f.Fd())); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
