package store_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/store"
	"github.com/rocketgo/rocketgo/store/segment"
	"github.com/rocketgo/rocketgo/store/storetest"
)

// faultySyncer counts commit log syncs and can fail or hang them.
type faultySyncer struct {
	syncs   atomic.Int64
	fail    atomic.Bool
	hang    atomic.Bool
	release chan struct{} // closed to let hung syncs finish
	synced  chan struct{} // signalled after each successful commit log sync
}

func newFaultySyncer() *faultySyncer {
	return &faultySyncer{release: make(chan struct{}), synced: make(chan struct{}, 1)}
}

func (f *faultySyncer) sync(file *os.File, mapped []byte) error {
	if !strings.Contains(file.Name(), "commitlog") {
		return segment.Msync(file, mapped)
	}
	if f.hang.Load() {
		<-f.release
	}
	if f.fail.Load() {
		return errors.New("injected fsync failure")
	}
	f.syncs.Add(1)
	err := segment.Msync(file, mapped)
	select {
	case f.synced <- struct{}{}:
	default:
	}
	return err
}

func TestSyncFlushGroupCommit(t *testing.T) {
	fs := newFaultySyncer()
	s := storetest.MustOpen(t, func(o *store.Options) {
		o.FlushDiskType = store.SyncFlush
		o.Syncer = fs.sync
	})
	const writers, each = 64, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				res := s.PutMessage(input("S", int32(w%8), fmt.Sprintf("%d-%d", w, i), nil))
				if res.Status != store.PutOK {
					errs <- fmt.Errorf("writer %d: %v %s", w, res.Status, res.Remark)
					return
				}
				if s.CommitLogFlushedOffset() < res.WroteOffset+int64(res.WroteBytes) {
					errs <- fmt.Errorf("PUT_OK before the record at %d was flushed", res.WroteOffset)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	puts := int64(writers * each)
	if n := fs.syncs.Load(); n >= puts {
		t.Fatalf("%d syncs for %d puts: writers did not share syncs", n, puts)
	} else {
		t.Logf("%d puts, %d commit log syncs", puts, n)
	}
}

func TestSyncFlushFailureAndTimeout(t *testing.T) {
	fs := newFaultySyncer()
	s := storetest.MustOpen(t, func(o *store.Options) {
		o.FlushDiskType = store.SyncFlush
		o.SyncFlushTimeout = 1000 // generous: the machine may be busy
		o.Syncer = fs.sync
	})
	mustPut(t, s, input("X", 0, "ok", nil))

	// A failing sync answers FLUSH_DISK_TIMEOUT without waiting the timeout.
	fs.fail.Store(true)
	begin := time.Now()
	res := s.PutMessage(input("X", 0, "failing", nil))
	if res.Status != store.FlushDiskTimeout || !res.Status.Stored() || res.Remark == "" {
		t.Fatalf("failing sync: %v %q", res.Status, res.Remark)
	}
	if d := time.Since(begin); d >= time.Second {
		t.Fatalf("failed sync took %v to report", d)
	}

	// A hanging sync answers FLUSH_DISK_TIMEOUT at the deadline.
	fs.fail.Store(false)
	fs.hang.Store(true)
	begin = time.Now()
	res = s.PutMessage(input("X", 0, "hanging", nil))
	if d := time.Since(begin); res.Status != store.FlushDiskTimeout || d < time.Second || d > 10*time.Second {
		t.Fatalf("hung sync: %v after %v", res.Status, d)
	}
	// WAIT=false does not wait for the flush at all.
	if res := s.PutMessage(input("X", 0, "nowait", map[string]string{"WAIT": "false"})); res.Status != store.PutOK {
		t.Fatalf("WAIT=false during a hung sync: %v", res.Status)
	}
	fs.hang.Store(false)
	close(fs.release)
	mustPut(t, s, input("X", 0, "recovered", nil))

	// Everything was stored, timeouts included.
	waitDispatched(t, s)
	_, msgs := pull(t, s, "X", 0, 0, 32, nil)
	var bodies []string
	for _, m := range msgs {
		bodies = append(bodies, string(m.Body))
	}
	if got := strings.Join(bodies, ","); got != "ok,failing,hanging,nowait,recovered" {
		t.Fatalf("stored bodies %s", got)
	}
}

func TestAsyncFlush(t *testing.T) {
	fs := newFaultySyncer()
	s := storetest.MustOpen(t, func(o *store.Options) {
		o.FlushIntervalCommitLog = 10
		o.FlushCommitLogLeastPages = 4
		o.FlushCommitLogThoroughInterval = 3_600_000
		o.Syncer = fs.sync
	})
	// 20 KiB is 5 dirty pages: the least-pages rule lets the flusher sync.
	var last store.PutResult
	for range 20 {
		last = mustPut(t, s, input("A", 0, strings.Repeat("a", 1024), nil))
	}
	end := last.WroteOffset + int64(last.WroteBytes)
	deadline := time.After(10 * time.Second)
	// The syncer signals before the segment records the new flushed
	// position, so re-check on a short tick as well.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for s.CommitLogFlushedOffset() < end {
		select {
		case <-fs.synced:
		case <-tick.C:
		case <-deadline:
			t.Fatalf("async flush did not reach %d (at %d)", end, s.CommitLogFlushedOffset())
		}
	}
}
