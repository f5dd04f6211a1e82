package store_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/store"
	"github.com/rocketgo/rocketgo/store/storetest"
)

// asyncPuts collects the answers of asynchronous puts and counts how often
// each one was answered.
type asyncPuts struct {
	calls   []atomic.Int32
	results []store.PutResult // written once per index, by its callback
	flushed []int64           // the store's flushed offset when answered
	done    chan int
}

func newAsyncPuts(n int) *asyncPuts {
	return &asyncPuts{
		calls: make([]atomic.Int32, n), results: make([]store.PutResult, n),
		flushed: make([]int64, n), done: make(chan int, n),
	}
}

func (a *asyncPuts) callback(s *store.Store, i int) store.PutDone {
	return func(res store.PutResult) {
		if a.calls[i].Add(1) == 1 {
			a.results[i], a.flushed[i] = res, s.CommitLogFlushedOffset()
		}
		a.done <- i
	}
}

// wait waits for n answers.
func (a *asyncPuts) wait(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for range n {
		select {
		case <-a.done:
		case <-deadline:
			t.Fatalf("asynchronous puts not all answered within 20 s")
		}
	}
}

func (a *asyncPuts) checkOnce(t *testing.T) {
	t.Helper()
	for i := range a.calls {
		if n := a.calls[i].Load(); n != 1 {
			t.Fatalf("put %d answered %d times", i, n)
		}
	}
}

func TestPutAsyncSharesOneSync(t *testing.T) {
	fs := newFaultySyncer()
	s := storetest.MustOpen(t, func(o *store.Options) {
		o.FlushDiskType = store.SyncFlush
		o.SyncFlushTimeout = 60_000 // only the release below may answer
		o.Syncer = fs.sync
	})
	// The first sync hangs, so every put below is pending when it ends.
	fs.hang.Store(true)
	const n = 64
	a := newAsyncPuts(n)
	for i := range n {
		s.PutMessageAsync(input("AS", int32(i%4), fmt.Sprint(i), nil), a.callback(s, i))
	}
	if len(a.done) != 0 {
		t.Fatalf("%d puts answered while the sync hangs", len(a.done))
	}
	before := fs.syncs.Load()
	fs.hang.Store(false)
	close(fs.release)
	a.wait(t, n)
	syncs := fs.syncs.Load() - before
	for i, res := range a.results {
		if res.Status != store.PutOK {
			t.Fatalf("put %d: %v %s", i, res.Status, res.Remark)
		}
		if end := res.WroteOffset + int64(res.WroteBytes); a.flushed[i] < end {
			t.Fatalf("put %d answered PUT_OK at flushed %d, before its end %d", i, a.flushed[i], end)
		}
	}
	// The hung sync and at most a couple more cover all 64 puts.
	if syncs > 3 {
		t.Fatalf("%d commit log syncs for %d pending puts", syncs, n)
	}
	t.Logf("%d asynchronous puts answered after %d commit log syncs", n, syncs)

	// A batch is answered the same way.
	b := newAsyncPuts(1)
	s.PutMessagesAsync(&store.BatchInput{
		Topic: "AB", BornHost: bornHost, StoreHost: storeHost, WaitStoreMsgOK: true,
		Messages: []store.BatchMessage{{Body: []byte("x")}, {Body: []byte("y")}},
	}, b.callback(s, 0))
	b.wait(t, 1)
	if r := b.results[0]; r.Status != store.PutOK || r.MsgNum != 2 || b.flushed[0] < r.WroteOffset+int64(r.WroteBytes) {
		t.Fatalf("batch: %v msgs %d flushed %d", r.Status, r.MsgNum, b.flushed[0])
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	a.checkOnce(t)
	b.checkOnce(t)
}

func TestPutAsyncTimeoutAndFailure(t *testing.T) {
	fs := newFaultySyncer()
	s := storetest.MustOpen(t, func(o *store.Options) {
		o.FlushDiskType = store.SyncFlush
		o.SyncFlushTimeout = 200
		o.Syncer = fs.sync
	})
	a := newAsyncPuts(4)

	// A failing sync answers FLUSH_DISK_TIMEOUT without waiting the timeout.
	fs.fail.Store(true)
	s.PutMessageAsync(input("AT", 0, "failing", nil), a.callback(s, 0))
	a.wait(t, 1)
	if r := a.results[0]; r.Status != store.FlushDiskTimeout || !r.Status.Stored() || r.Remark == "" {
		t.Fatalf("failing sync: %v %q", r.Status, r.Remark)
	}

	// A hanging sync: the watchdog answers at the deadline.
	fs.fail.Store(false)
	fs.hang.Store(true)
	begin := time.Now()
	s.PutMessageAsync(input("AT", 0, "hanging", nil), a.callback(s, 1))
	a.wait(t, 1)
	if r, d := a.results[1], time.Since(begin); r.Status != store.FlushDiskTimeout || d < 200*time.Millisecond {
		t.Fatalf("hung sync: %v after %v", r.Status, d)
	}

	// WAIT=false is answered before the put returns, even now.
	s.PutMessageAsync(input("AT", 0, "nowait", map[string]string{"WAIT": "false"}), a.callback(s, 2))
	if a.calls[2].Load() != 1 || a.results[2].Status != store.PutOK {
		t.Fatalf("WAIT=false: answered %d times, %v", a.calls[2].Load(), a.results[2].Status)
	}
	<-a.done

	// A refused put too.
	s.PutMessageAsync(input("", 0, "no topic", nil), a.callback(s, 3))
	if a.calls[3].Load() != 1 || a.results[3].Status != store.MessageIllegal {
		t.Fatalf("refused put: answered %d times, %v", a.calls[3].Load(), a.results[3].Status)
	}
	<-a.done

	fs.hang.Store(false)
	close(fs.release)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	a.checkOnce(t)
}

func TestPutAsyncUnderAsyncFlushAnswersAtOnce(t *testing.T) {
	s := storetest.MustOpen(t)
	a := newAsyncPuts(1)
	s.PutMessageAsync(input("AA", 0, "x", nil), a.callback(s, 0))
	if a.calls[0].Load() != 1 || a.results[0].Status != store.PutOK {
		t.Fatalf("ASYNC_FLUSH put: answered %d times, %v", a.calls[0].Load(), a.results[0].Status)
	}
}

// BenchmarkSyncFlushPut compares 64 producers under SYNC_FLUSH served by two
// goroutines that each wait for their own flush (Blocking2, the broker's
// old send path with its default pool) with asynchronous puts keeping 64 in
// flight (Async64). msgs/sync is how many puts one commit log fsync
// answered. Compare the two from the same run: the machine is shared.
func BenchmarkSyncFlushPut(b *testing.B) {
	body := string(make([]byte, 128))
	run := func(b *testing.B, put func(s *store.Store, n int)) {
		fs := newFaultySyncer()
		s := storetest.MustOpen(b, func(o *store.Options) {
			o.FlushDiskType = store.SyncFlush
			o.MappedFileSizeCommitLog = 256 << 20
			o.Syncer = fs.sync
		})
		b.ResetTimer()
		put(s, b.N)
		b.StopTimer()
		b.ReportMetric(float64(b.N)/float64(max(fs.syncs.Load(), 1)), "msgs/sync")
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	}
	b.Run("Blocking2", func(b *testing.B) {
		run(b, func(s *store.Store, n int) {
			var next atomic.Int64
			var wg sync.WaitGroup
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(n) {
						if res := s.PutMessage(input("Bench", 0, body, nil)); res.Status != store.PutOK {
							b.Errorf("put: %v", res.Status)
							return
						}
					}
				}()
			}
			wg.Wait()
		})
	})
	b.Run("Async64", func(b *testing.B) {
		run(b, func(s *store.Store, n int) {
			slots := make(chan struct{}, 64)
			var failed atomic.Int64
			for range n {
				slots <- struct{}{}
				s.PutMessageAsync(input("Bench", 0, body, nil), func(res store.PutResult) {
					if res.Status != store.PutOK {
						failed.Add(1)
					}
					<-slots
				})
			}
			for range cap(slots) {
				slots <- struct{}{}
			}
			if n := failed.Load(); n > 0 {
				b.Errorf("%d puts failed", n)
			}
		})
	})
}
