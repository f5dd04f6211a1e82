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
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
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
	m := &commitlog.Message{
		Topic: "BenchTopic", Body: make([]byte, size), BornHost: bornHost, StoreHost: storeHost, Properties: benchProps(),
	}
	rec := make([]byte, m.Size())
	commitlog.Encode(rec, m, 0, 0, 0)
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
