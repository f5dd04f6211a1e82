package consumequeue

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rocketgo/rocketgo/store/segment"
)

// killed is what killAfterWrite panics with to stop a unit write mid-way.
type killed struct{}

// putKilledAfter runs q.Put and stops it right after its n-th unit write, as
// a SIGKILL would: what was written stays in the page cache, nothing after
// it happens. It reports whether Put was stopped (false: it completed).
func putKilledAfter(t *testing.T, q *Queue, n int, cqOffset, phy int64, size int32, tags int64) (stopped bool) {
	t.Helper()
	writes := 0
	killAfterWrite = func() {
		if writes++; writes == n {
			panic(killed{})
		}
	}
	defer func() {
		killAfterWrite = nil
		if r := recover(); r != nil {
			if _, ok := r.(killed); !ok {
				panic(r)
			}
			stopped = true
		}
	}()
	if err := q.Put(cqOffset, phy, size, tags); err != nil {
		t.Fatalf("put %d: %v", cqOffset, err)
	}
	return false
}

// wantUnits checks that units from..to-1 are exactly what putN writes.
func wantUnits(t *testing.T, q *Queue, what string, from, to int64) {
	t.Helper()
	for i := from; i < to; i++ {
		if u, ok := q.Get(i); !ok || u != (Unit{100 * i, 50, i}) {
			t.Fatalf("%s: unit %d is %+v (ok %v)", what, i, u, ok)
		}
	}
}

// TestKillInsideUnitWrite stops Put after each write of a unit (and of the
// blank units filling a hole before it), reopens the queue and checks that
// recovery keeps every complete unit, never a partial one, and that
// re-dispatch then completes the queue with exact units, tags codes included.
func TestKillInsideUnitWrite(t *testing.T) {
	for _, target := range []int64{5, 8} { // 8: blank units 5..7 come first
		points := 0
		for n := 1; ; n++ {
			dir := t.TempDir()
			q := openQueue(t, dir)
			putN(t, q, 0, 5)
			if !putKilledAfter(t, q, n, target, 100*target, 50, target) {
				q.Close()
				if points < 3 {
					t.Fatalf("unit %d: put stopped at only %d points", target, points)
				}
				break
			}
			points++
			q.Close() // no flush: the page cache keeps what was written

			q = openQueue(t, dir)
			wantUnits(t, q, "after the kill", 0, 5)
			end := q.MaxOffset()
			for i := int64(5); i < end; i++ {
				u, _ := q.unitAt(i)
				if i < target && !u.IsBlank() || i == target && u != (Unit{100 * target, 50, target}) || i > target {
					t.Fatalf("unit %d of %d, killed after write %d: recovery kept %+v", target, end, n, u)
				}
			}
			if err := q.Put(target, 100*target, 50, target); err != nil {
				t.Fatalf("re-dispatch after write %d: %v", n, err)
			}
			putN(t, q, target+1, 1)
			wantUnits(t, q, "after re-dispatch", target, target+2)
			q.Close()
		}
	}
}

func TestTorn(t *testing.T) {
	// No zero byte in want, so every zero in a copy is damage.
	want := Unit{PhyOffset: 0x0102030405060708, Size: 0x0a0b0c0d, TagsCode: 0x1112131415161718}
	var w [UnitSize]byte
	encodeUnit(w[:], want)
	for cut := 4; cut < UnitSize; cut += 4 {
		head, tail := w, w
		clear(head[:cut])
		clear(tail[cut:])
		if !torn(decodeUnit(head[:]), want) || !torn(decodeUnit(tail[:]), want) {
			t.Fatalf("cut at %d not taken for torn", cut)
		}
	}
	odd := w
	clear(odd[:6]) // a zero run that does not end on a multiple of 4
	for _, have := range []Unit{
		want,                               // the same unit
		{want.PhyOffset, want.Size, 99},    // another tags code
		{want.PhyOffset + 1, want.Size, 0}, // another message
		{0, want.Size + 1, want.TagsCode},  // zero head, but not the same tail
		decodeUnit(odd[:]),
		{}, // nothing of it left: not a unit, recovery's business
	} {
		if torn(have, want) {
			t.Fatalf("%+v taken for a torn copy of %+v", have, want)
		}
	}
}

// TestRedispatchMendsTornUnits writes what a power failure can leave of units
// straddling pages (a zero head or tail) and checks that re-dispatching the
// queue's messages rewrites them, while a unit that really differs is left
// alone.
func TestRedispatchMendsTornUnits(t *testing.T) {
	dir := t.TempDir()
	q := openQueue(t, dir)
	putN(t, q, 0, 10)
	q.Close()

	tear := func(cq int64, zero func(u []byte)) {
		path := filepath.Join(dir, "TopicTest", "1", segment.FileName(cq/testUnits*testUnits*UnitSize))
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		at := int(cq%testUnits) * UnitSize
		zero(b[at : at+UnitSize])
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tear(3, func(u []byte) { clear(u[:8]) })  // offset lost: points at 0
	tear(6, func(u []byte) { clear(u[12:]) }) // tags code lost
	tear(9, func(u []byte) { clear(u[:8]) })  // the last unit too

	q = openQueue(t, dir)
	// Recovery alone cannot see the damage; the torn last unit even makes
	// the queue's commit log end look like 50.
	wantBounds(t, q, 0, 10, 50)
	if u, _ := q.Get(3); u.PhyOffset != 0 {
		t.Fatalf("unit 3 not torn: %+v", u)
	}
	// A different tags code at unit 2 is no torn copy: not rewritten.
	if err := q.Put(2, 200, 50, 99); err != nil {
		t.Fatal(err)
	}
	putN(t, q, 0, 10) // re-dispatch
	wantUnits(t, q, "after re-dispatch", 0, 10)
	wantBounds(t, q, 0, 10, 950)
	q.Close()

	// Units below the queue's commit log end are mended too.
	tear(5, func(u []byte) { clear(u[16:]) }) // low half of the tags code lost
	q = openQueue(t, dir)
	defer q.Close()
	wantBounds(t, q, 0, 10, 950)
	putN(t, q, 0, 10)
	wantUnits(t, q, "after the second re-dispatch", 0, 10)
}
