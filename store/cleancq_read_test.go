package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/store"
	"github.com/rocketgo/rocketgo/store/storetest"
)

// TestReadExpiredQueue: a queue removed by CleanExpiredQueues reads as an
// empty queue at its kept offset, as upstream's getMessage answers a queue
// whose min and max offsets are equal: a consumer behind it is moved up to
// the kept offset, not back to 0. Min and max report the kept offset too,
// before and after a restart, until a new message arrives.
func TestReadExpiredQueue(t *testing.T) {
	sm := newSeams(3)
	s, o := openCleanFixture(t, sm)
	body := strings.Repeat("x", 3000)
	for range 25 {
		mustPut(t, s, input("Old", 0, body, nil))
	}
	for range 200 {
		mustPut(t, s, input("New", 0, body, nil))
	}
	waitDispatched(t, s)
	ageCommitLog(t, s, sm)
	sm.setHour(4)
	for s.CleanOnce() > 0 {
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if removed, err := s.CleanExpiredQueues(ctx); err != nil || len(removed) != 1 || removed[0].MaxOffset != 25 {
		t.Fatalf("removed %+v: %v", removed, err)
	}

	check := func(when string) {
		t.Helper()
		for _, c := range []struct {
			offset int64
			status store.GetStatus
		}{
			{0, store.OffsetTooSmall},
			{24, store.OffsetTooSmall},
			{25, store.OffsetOverflowOne},
			{26, store.OffsetOverflowBadly},
			{1000, store.OffsetOverflowBadly},
		} {
			res, err := s.GetMessage("g", "Old", 0, c.offset, 32, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != c.status || res.NextBeginOffset != 25 || res.MinOffset != 25 || res.MaxOffset != 25 || len(res.Messages) != 0 {
				t.Fatalf("%s: pull at %d: %v next %d min %d max %d, %d messages; want %v next 25 min 25 max 25",
					when, c.offset, res.Status, res.NextBeginOffset, res.MinOffset, res.MaxOffset, len(res.Messages), c.status)
			}
			res.Release()
		}
		if lo, hi := s.MinOffsetInQueue("Old", 0), s.MaxOffsetInQueue("Old", 0); lo != 25 || hi != 25 {
			t.Fatalf("%s: min %d max %d, want 25 and 25", when, lo, hi)
		}
		if off := s.OffsetInQueueByTime("Old", 0, time.Now().UnixMilli()); off != 25 {
			t.Fatalf("%s: offset by time %d, want 25", when, off)
		}
		// A queue that never existed still reads as missing.
		res, err := s.GetMessage("g", "Old", 7, 5, 32, 0, nil)
		if err != nil || res.Status != store.NoMatchedLogicQueue || res.NextBeginOffset != 0 {
			t.Fatalf("%s: pull on a queue that never existed: %+v %v", when, res, err)
		}
		if s.MaxOffsetInQueue("Old", 7) != 0 || s.MinOffsetInQueue("Old", 7) != 0 {
			t.Fatalf("%s: offsets of a queue that never existed are not 0", when)
		}
	}
	check("after the sweep")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = storetest.Open(t, o)
	check("after a restart")

	// The next message is read at the kept offset.
	mustPut(t, s, input("Old", 0, "after", nil))
	waitDispatched(t, s)
	res, msgs := pull(t, s, "Old", 0, 25, 8, nil)
	if res.Status != store.Found || len(msgs) != 1 || string(msgs[0].Body) != "after" || res.NextBeginOffset != 26 {
		t.Fatalf("pull after a new message: %v, %d messages, next %d", res.Status, len(msgs), res.NextBeginOffset)
	}
	if lo, hi := s.MinOffsetInQueue("Old", 0), s.MaxOffsetInQueue("Old", 0); lo != 25 || hi != 26 {
		t.Fatalf("after a new message: min %d max %d, want 25 and 26", lo, hi)
	}
}

// openCleanFixture opens a store of 64 KiB segments and 10-unit consume
// queue files on the seams' clock and disk usage; the test may close and
// reopen it with the options returned, and storetest checks the last one.
func openCleanFixture(t *testing.T, sm *seams) (*store.Store, store.Options) {
	t.Helper()
	o := storetest.Options(t)
	o.MappedFileSizeCommitLog = 64 << 10
	o.MappedFileSizeConsumeQueue = 10 * 20
	o.Now, o.DiskUsage = sm.clock, sm.diskUsage
	s, err := store.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, o
}

// ageCommitLog makes every commit log segment 100 hours old.
func ageCommitLog(t *testing.T, s *store.Store, sm *seams) {
	t.Helper()
	old := sm.clock().Add(-100 * time.Hour)
	files, _ := filepath.Glob(filepath.Join(s.Paths().CommitLog, "*"))
	for _, f := range files {
		if err := os.Chtimes(f, old, old); err != nil {
			t.Fatal(err)
		}
	}
}
