package store_test

import (
	"math"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/store"
	"github.com/rocketgo/rocketgo/store/storetest"
)

// seams is a settable clock and disk usage.
type seams struct {
	mu    sync.Mutex
	now   time.Time
	usage atomic.Uint64 // math.Float64bits
}

func newSeams(hour int) *seams {
	s := &seams{now: time.Date(2026, 3, 1, hour, 30, 0, 0, time.Local)}
	s.setUsage(0.10)
	return s
}

func (s *seams) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

func (s *seams) setHour(h int) {
	s.mu.Lock()
	s.now = time.Date(s.now.Year(), s.now.Month(), s.now.Day(), h, 30, 0, 0, time.Local)
	s.mu.Unlock()
}

func (s *seams) setUsage(u float64) { s.usage.Store(math.Float64bits(u)) }

func (s *seams) diskUsage(string) (float64, error) { return math.Float64frombits(s.usage.Load()), nil }

func TestDiskFullRefusesWrites(t *testing.T) {
	sm := newSeams(12)
	s := storetest.MustOpen(t, func(o *store.Options) { o.DiskUsage = sm.diskUsage; o.Now = sm.clock })
	mustPut(t, s, input("D", 0, "before", nil))
	sm.setUsage(0.95)
	s.CleanOnce()
	res := s.PutMessage(input("D", 0, "refused", nil))
	if res.Status != store.ServiceNotAvailable || !strings.Contains(res.Remark, "disk full") {
		t.Fatalf("put on a full disk: %v %q", res.Status, res.Remark)
	}
	if s.IsWriteable() {
		t.Fatal("store reports writeable on a full disk")
	}
	// Reads go on.
	waitDispatched(t, s)
	if _, msgs := pull(t, s, "D", 0, 0, 8, nil); len(msgs) != 1 {
		t.Fatalf("read on a full disk: %d messages", len(msgs))
	}
	sm.setUsage(0.50)
	s.CleanOnce()
	mustPut(t, s, input("D", 0, "after", nil))
}

// expiryStore writes enough 3 KB messages for about 10 segments of 64 KiB
// and 10-unit consume queue files, then ages every segment by 100 hours.
func expiryStore(t *testing.T, sm *seams, deleteWhen string) *store.Store {
	s := storetest.MustOpen(t, func(o *store.Options) {
		o.MappedFileSizeCommitLog = 64 << 10
		o.MappedFileSizeConsumeQueue = 10 * 20
		o.DeleteWhen = deleteWhen
		o.Now = sm.clock
		o.DiskUsage = sm.diskUsage
	})
	for range 200 {
		mustPut(t, s, input("E", 0, strings.Repeat("e", 3000), map[string]string{"KEYS": "same"}))
	}
	waitDispatched(t, s)
	ageCommitLog(t, s, sm)
	return s
}

func TestExpiryAtDeleteHour(t *testing.T) {
	sm := newSeams(3)
	s := expiryStore(t, sm, "04;10")
	segments := func() int {
		files, _ := filepath.Glob(filepath.Join(s.Paths().CommitLog, "0*"))
		return len(files)
	}
	before := segments()
	if n := s.CleanOnce(); n != 0 {
		t.Fatalf("deleted %d segments outside the delete hours", n)
	}
	sm.setHour(10)
	n := s.CleanOnce()
	if n == 0 || n > 10 || segments() != before-n {
		t.Fatalf("at 10:30 deleted %d of %d segments (%d left)", n, before, segments())
	}
	for s.CleanOnce() > 0 {
	}
	if segments() != 1 {
		t.Fatalf("the active segment must stay; %d left", segments())
	}
	minOff := s.CommitLogMinOffset()
	if minOff == 0 {
		t.Fatal("commit log min offset did not move")
	}
	// The consume queue lost its head files and its min offset moved.
	cqMin := s.MinOffsetInQueue("E", 0)
	if cqMin == 0 {
		t.Fatal("consume queue min offset did not move")
	}
	res, _ := pull(t, s, "E", 0, 0, 8, nil)
	if res.Status != store.OffsetTooSmall || res.NextBeginOffset != cqMin {
		t.Fatalf("pull below the head: %v next %d (min %d)", res.Status, res.NextBeginOffset, cqMin)
	}
	res, msgs := pull(t, s, "E", 0, cqMin, 8, nil)
	if res.Status != store.Found || msgs[0].CommitLogOffset < minOff {
		t.Fatalf("pull at the new head: %v", res.Status)
	}
	cqFiles, _ := filepath.Glob(filepath.Join(s.Paths().ConsumeQueue, "E", "0", "*"))
	if len(cqFiles) >= 20 {
		t.Fatalf("%d consume queue files left", len(cqFiles))
	}
}

func TestExpiryBySpaceAndForce(t *testing.T) {
	sm := newSeams(12)
	s := expiryStore(t, sm, "04")
	if s.CleanOnce() != 0 {
		t.Fatal("deleted at noon with free disk")
	}
	sm.setUsage(0.80) // above diskMaxUsedSpaceRatio 75: delete expired files now
	if s.CleanOnce() == 0 {
		t.Fatal("nothing deleted above diskMaxUsedSpaceRatio")
	}

	// Young files are kept unless usage passes the force-clean ratio.
	sm2 := newSeams(12)
	y := storetest.MustOpen(t, func(o *store.Options) {
		o.MappedFileSizeCommitLog = 64 << 10
		o.Now = sm2.clock
		o.DiskUsage = sm2.diskUsage
	})
	for range 100 {
		mustPut(t, y, input("Y", 0, strings.Repeat("y", 3000), nil))
	}
	sm2.setUsage(0.80)
	if y.CleanOnce() != 0 {
		t.Fatal("young files deleted below the force ratio")
	}
	sm2.setUsage(0.86)
	if y.CleanOnce() == 0 {
		t.Fatal("nothing deleted above diskSpaceCleanForciblyRatio")
	}
	if !y.IsWriteable() {
		t.Fatal("0.86 is below the warning ratio; puts must go on")
	}
}

func TestManualDelete(t *testing.T) {
	sm := newSeams(12)
	s := expiryStore(t, sm, "04")
	s.DeleteExpiredFiles()
	if s.CleanOnce() == 0 {
		t.Fatal("manual delete did nothing")
	}
}
