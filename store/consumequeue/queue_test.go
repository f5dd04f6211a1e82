package consumequeue

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rocketgo/rocketgo/store/segment"
)

const testUnits = 4 // units per file in tests: files of 80 bytes

func openQueue(t testing.TB, dir string) *Queue {
	t.Helper()
	q, err := Open(dir, "TopicTest", 1, testUnits)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// putN writes units 0..n-1 with phy = 100*i, size 50, tags = i.
func putN(t testing.TB, q *Queue, from, n int64) {
	t.Helper()
	for i := from; i < from+n; i++ {
		if err := q.Put(i, 100*i, 50, i); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
}

func wantBounds(t *testing.T, q *Queue, min, max, maxPhy int64) {
	t.Helper()
	if q.MinOffset() != min || q.MaxOffset() != max || q.MaxPhyOffset() != maxPhy {
		t.Fatalf("min %d max %d maxPhy %d, want %d %d %d", q.MinOffset(), q.MaxOffset(), q.MaxPhyOffset(), min, max, maxPhy)
	}
}

func TestPutGetRangeReopen(t *testing.T) {
	dir := t.TempDir()
	q := openQueue(t, dir)
	wantBounds(t, q, 0, 0, 0)
	putN(t, q, 0, 10)
	wantBounds(t, q, 0, 10, 950)
	for i := int64(0); i < 10; i++ {
		u, ok := q.Get(i)
		if !ok || u != (Unit{PhyOffset: 100 * i, Size: 50, TagsCode: i}) {
			t.Fatalf("Get(%d) = %+v %v", i, u, ok)
		}
	}
	if _, ok := q.Get(10); ok {
		t.Fatal("Get past the end succeeded")
	}
	var got []int64
	q.Range(3, 5, func(off int64, u Unit) bool {
		if u.PhyOffset != off*100 {
			t.Fatalf("unit %d phy %d", off, u.PhyOffset)
		}
		got = append(got, off)
		return true
	})
	if len(got) != 5 || got[0] != 3 || got[4] != 7 {
		t.Fatalf("range visited %v", got)
	}
	got = got[:0]
	q.Range(6, 100, func(off int64, u Unit) bool { got = append(got, off); return off < 8 })
	if len(got) != 3 {
		t.Fatalf("range stopped by fn visited %v", got)
	}
	files, _ := os.ReadDir(filepath.Join(dir, "TopicTest", "1"))
	if len(files) != 3 || files[1].Name() != "00000000000000000080" {
		t.Fatalf("files %v", files)
	}
	if err := q.Flush(); err != nil {
		t.Fatal(err)
	}
	q.Close()
	if err := q.Put(10, 1000, 50, 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("put after close: %v", err)
	}

	q = openQueue(t, dir)
	defer q.Close()
	wantBounds(t, q, 0, 10, 950)
	putN(t, q, 10, 1)
	if u, ok := q.Get(10); !ok || u.PhyOffset != 1000 {
		t.Fatalf("unit after reopen: %+v", u)
	}
}

func TestPutIdempotentAndConflict(t *testing.T) {
	q := openQueue(t, t.TempDir())
	defer q.Close()
	putN(t, q, 0, 6)
	// Re-dispatch of everything already there is a no-op.
	putN(t, q, 0, 6)
	wantBounds(t, q, 0, 6, 550)
	// A different message claiming an existing queue offset is refused.
	if err := q.Put(2, 10_000, 50, 0); !errors.Is(err, ErrConflict) {
		t.Fatalf("conflicting put: %v", err)
	}
	if u, _ := q.Get(2); u.PhyOffset != 200 {
		t.Fatalf("unit 2 overwritten: %+v", u)
	}
	for _, bad := range [][3]int64{{-1, 0, 1}, {6, -1, 1}, {6, 600, 0}} {
		if err := q.Put(bad[0], bad[1], int32(bad[2]), 0); err == nil {
			t.Fatalf("put %v accepted", bad)
		}
	}
}

func TestQueueStartingMidway(t *testing.T) {
	dir := t.TempDir()
	q := openQueue(t, dir)
	// Offset 6 lives in the second file (units 4..7): that file is created
	// first and padded with blanks for units 4 and 5.
	putN(t, q, 6, 3)
	wantBounds(t, q, 6, 9, 850)
	if _, ok := q.Get(4); ok {
		t.Fatal("blank unit reported as a message")
	}
	var seen []int64
	q.Range(0, 10, func(off int64, u Unit) bool { seen = append(seen, off); return true })
	if len(seen) != 3 || seen[0] != 6 {
		t.Fatalf("range from 0 visited %v, want 6..8", seen)
	}
	if _, err := os.Stat(filepath.Join(dir, "TopicTest", "1", segment.FileName(80))); err != nil {
		t.Fatalf("first file not at the aligned offset: %v", err)
	}
	q.Close()
	q = openQueue(t, dir)
	defer q.Close()
	wantBounds(t, q, 6, 9, 850)
	// The blank area is skipped even when the commit log starts at 0.
	q.CorrectMinOffset(0)
	if q.MinOffset() != 6 {
		t.Fatalf("CorrectMinOffset moved min into the blank area: %d", q.MinOffset())
	}
}

func TestPutFillsHole(t *testing.T) {
	q := openQueue(t, t.TempDir())
	defer q.Close()
	putN(t, q, 0, 2)
	if err := q.Put(5, 500, 50, 5); err != nil {
		t.Fatal(err)
	}
	wantBounds(t, q, 0, 6, 550)
	for i := int64(2); i < 5; i++ {
		if _, ok := q.Get(i); ok {
			t.Fatalf("hole unit %d reads as a message", i)
		}
	}
	blanks := 0
	q.Range(0, 10, func(off int64, u Unit) bool {
		if !u.IsMessage() {
			blanks++
			if !u.IsBlank() {
				t.Fatalf("hole unit %d is %+v, want blank filler", off, u)
			}
		}
		return true
	})
	if blanks != 3 {
		t.Fatalf("blanks %d", blanks)
	}
	if u, ok := q.Get(5); !ok || u.PhyOffset != 500 {
		t.Fatalf("unit after hole: %+v", u)
	}
	if err := q.Put(6+testUnits+1, 10_000, 50, 0); !errors.Is(err, ErrHoleTooLarge) {
		t.Fatalf("huge hole: %v", err)
	}
}

func TestTruncate(t *testing.T) {
	dir := t.TempDir()
	q := openQueue(t, dir)
	putN(t, q, 0, 10)
	if err := q.Truncate(450); err != nil { // units 0..4 point below 450
		t.Fatal(err)
	}
	wantBounds(t, q, 0, 5, 450)
	if n := len(q.list.Files()); n != 2 {
		t.Fatalf("%d files after truncate, want 2", n)
	}
	// Re-dispatch continues after the cut.
	putN(t, q, 5, 2)
	q.Close()

	// Stale units after the cut were wiped: a reopen recovers exactly 7.
	q = openQueue(t, dir)
	wantBounds(t, q, 0, 7, 650)
	if err := q.Truncate(0); err != nil {
		t.Fatal(err)
	}
	wantBounds(t, q, 0, 0, 0)
	putN(t, q, 0, 1)
	q.Close()
	q = openQueue(t, dir)
	defer q.Close()
	wantBounds(t, q, 0, 1, 50)
}

func TestTruncateKeepsOffsetsWhenAllUnitsGo(t *testing.T) {
	q := openQueue(t, t.TempDir())
	defer q.Close()
	putN(t, q, 0, 12)
	if n, err := q.DeleteBefore(800); err != nil || n != 2 {
		t.Fatalf("delete: %d %v", n, err)
	}
	wantBounds(t, q, 8, 12, 1150)
	if err := q.Truncate(100); err != nil {
		t.Fatal(err)
	}
	wantBounds(t, q, 8, 8, 0)
	putN(t, q, 8, 1)
	wantBounds(t, q, 8, 9, 850)
}

func TestDeleteBeforeAndCorrectMin(t *testing.T) {
	dir := t.TempDir()
	q := openQueue(t, dir)
	defer q.Close()
	putN(t, q, 0, 10) // files hold units 0-3, 4-7, 8-9
	n, err := q.DeleteBefore(500)
	if err != nil || n != 1 {
		t.Fatalf("deleted %d %v", n, err)
	}
	wantBounds(t, q, 5, 10, 950)
	if _, ok := q.Get(3); ok {
		t.Fatal("unit of a deleted file still readable")
	}
	// The last file is never deleted, even when everything is expired.
	n, _ = q.DeleteBefore(100_000)
	if n != 1 || len(q.list.Files()) != 1 {
		t.Fatalf("deleted %d, %d files left", n, len(q.list.Files()))
	}
	if q.MinOffset() != 8 {
		t.Fatalf("min %d, want the start of the last file", q.MinOffset())
	}
}

func TestRecoverStopsAtInvalidUnit(t *testing.T) {
	dir := t.TempDir()
	q := openQueue(t, dir)
	putN(t, q, 0, 10)
	q.Close()
	// Zero unit 5 (second file, position 1): recovery must end the queue there
	// and drop the third file.
	path := filepath.Join(dir, "TopicTest", "1", segment.FileName(80))
	b, _ := os.ReadFile(path)
	clear(b[UnitSize : 2*UnitSize])
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	q = openQueue(t, dir)
	defer q.Close()
	wantBounds(t, q, 0, 5, 450)
	if _, err := os.Stat(filepath.Join(dir, "TopicTest", "1", segment.FileName(160))); !os.IsNotExist(err) {
		t.Fatalf("file after the invalid unit kept: %v", err)
	}
	if _, ok := q.Get(5); ok {
		t.Fatal("zero unit readable")
	}
}

func TestOffsetForTime(t *testing.T) {
	q := openQueue(t, t.TempDir())
	defer q.Close()
	putN(t, q, 0, 10)
	// Store time of unit i is 1000 + 10*i; units below expired are gone.
	expired := int64(0)
	storeTime := func(phy int64, size int32) (int64, bool) {
		if phy < expired {
			return 0, false
		}
		return 1000 + phy/10, true
	}
	for _, tc := range []struct{ ts, want int64 }{
		{1000, 0}, {1030, 3}, {1032, 3}, {1035, 3}, {1036, 4}, {1090, 9}, {5000, 9}, {0, 0},
	} {
		if got := q.OffsetForTime(tc.ts, storeTime); got != tc.want {
			t.Errorf("OffsetForTime(%d) = %d, want %d", tc.ts, got, tc.want)
		}
	}
	expired = 300 // units 0-2 are no longer in the commit log
	if got := q.OffsetForTime(1000, storeTime); got != 3 {
		t.Errorf("OffsetForTime before the expired head = %d, want 3", got)
	}
	empty, err := Open(t.TempDir(), "T", 0, testUnits)
	if err != nil {
		t.Fatal(err)
	}
	defer empty.Close()
	if got := empty.OffsetForTime(1000, storeTime); got != 0 {
		t.Errorf("empty queue: %d", got)
	}
}

func TestConcurrentPutAndRange(t *testing.T) {
	q, err := Open(t.TempDir(), "T", 0, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	const n = 3000
	done := make(chan struct{})
	errs := make(chan error, 3)
	var wg sync.WaitGroup
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				next := int64(0)
				q.Range(0, n, func(off int64, u Unit) bool {
					if off != next || u.PhyOffset != off*100 || u.Size != 50 {
						errs <- errors.New("reader saw a unit out of order or half written")
						return false
					}
					next++
					return true
				})
			}
		}()
	}
	putN(t, q, 0, n)
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestFlushFailureIsReported(t *testing.T) {
	q := openQueue(t, t.TempDir())
	defer q.Close()
	boom := errors.New("injected")
	q.SetSyncer(func(*os.File, []byte) error { return boom })
	putN(t, q, 0, 2)
	if err := q.Flush(); !errors.Is(err, boom) {
		t.Fatalf("flush: %v", err)
	}
	q.SetSyncer(nil)
	if err := q.Flush(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRejectsBadTopic(t *testing.T) {
	for _, topic := range []string{"", "..", "a/b", "."} {
		if _, err := Open(t.TempDir(), topic, 0, testUnits); err == nil {
			t.Fatalf("topic %q accepted", topic)
		}
	}
}

func TestReadersTolerateZeroUnit(t *testing.T) {
	q := openQueue(t, t.TempDir())
	defer q.Close()
	putN(t, q, 0, 3)
	// Wipe unit 1 in the mapping, as a torn write would leave it.
	f := q.list.First()
	b, err := f.Slice(UnitSize, UnitSize)
	if err != nil {
		t.Fatal(err)
	}
	clear(b)
	if _, ok := q.Get(1); ok {
		t.Fatal("zero unit reported as a message")
	}
	var kinds []bool
	q.Range(0, 10, func(_ int64, u Unit) bool { kinds = append(kinds, u.IsMessage()); return true })
	if len(kinds) != 3 || !kinds[0] || kinds[1] || !kinds[2] {
		t.Fatalf("range saw %v", kinds)
	}
	storeTime := func(phy int64, _ int32) (int64, bool) { return 1000 + phy, true }
	if got := q.OffsetForTime(1200, storeTime); got != 2 {
		t.Fatalf("OffsetForTime over a zero unit = %d", got)
	}
}

func TestOpenWithSyncerCoversRecovery(t *testing.T) {
	dir := t.TempDir()
	q := openQueue(t, dir)
	putN(t, q, 0, 3)
	q.Close()
	// Zero unit 1: recovery wipes the stale unit 2 behind it and must sync
	// that through the configured Syncer.
	path := filepath.Join(dir, "TopicTest", "1", segment.FileName(0))
	b, _ := os.ReadFile(path)
	clear(b[UnitSize : 2*UnitSize])
	os.WriteFile(path, b, 0o644)
	boom := errors.New("injected")
	if _, err := OpenWith(dir, "TopicTest", 1, Options{UnitsPerFile: testUnits,
		Syncer: func(*os.File, []byte) error { return boom }}); !errors.Is(err, boom) {
		t.Fatalf("recovery with a failing syncer: %v", err)
	}
	s, err := LoadWith(dir, Options{UnitsPerFile: testUnits})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if q := s.Get("TopicTest", 1); q == nil || q.MaxOffset() != 1 {
		t.Fatalf("after recovery: %v", q)
	}
}
