package indexfile

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"syscall"
	"testing"

	"github.com/rocketgo/rocketgo/store/segment"
)

// killed is what afterWrite panics with to stop put mid-way.
type killed struct{}

// putKilledAfter runs x.Put and stops it right after its n-th write to the
// mapping, as a SIGKILL would: the bytes written so far stay in the page
// cache, nothing after them happens. It reports whether put was stopped
// (false: put needed fewer than n writes and completed).
func putKilledAfter(t *testing.T, x *Index, n int, key string, phy, ts int64) (stopped bool) {
	t.Helper()
	writes := 0
	afterWrite = func() {
		if writes++; writes == n {
			panic(killed{})
		}
	}
	defer func() {
		afterWrite = nil
		if r := recover(); r != nil {
			if _, ok := r.(killed); !ok {
				panic(r)
			}
			stopped = true
		}
	}()
	if err := x.Put(key, phy, ts); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	return false
}

// keysInSlot returns n keys whose hash falls into slot of slots.
func keysInSlot(slot, slots, n int) []string {
	var keys []string
	for i := 0; len(keys) < n; i++ {
		k := fmt.Sprintf("T#key-%d", i)
		if int(KeyHash(k))%slots == slot {
			keys = append(keys, k)
		}
	}
	return keys
}

type indexed struct {
	key     string
	phy, ts int64
}

// wantFound checks that every entry is found by its key, over all time and
// at exactly its store second.
func wantFound(t *testing.T, x *Index, what string, entries []indexed) {
	t.Helper()
	for _, e := range entries {
		got, _ := x.Query(e.key, 64, 0, math.MaxInt64)
		if !slices.Contains(got, e.phy) {
			t.Fatalf("%s: %s@%d not found, query gives %v", what, e.key, e.phy, got)
		}
		got, _ = x.Query(e.key, 64, e.ts, e.ts)
		if !slices.Contains(got, e.phy) {
			t.Fatalf("%s: %s@%d not found at its time %d, query gives %v", what, e.key, e.phy, e.ts-t0, got)
		}
	}
}

// TestKillInsidePut stops a put after each of its writes in turn, reopens
// the files as a restarted process would, and checks that every key indexed
// before stays findable, whether re-dispatch then puts the same message
// again or (the record having been cut from the commit log) another message
// lands at the same offset. Before put was ordered, a kill between the slot
// and the count cut the slot's chain.
func TestKillInsidePut(t *testing.T) {
	const slots = 2
	same, other := keysInSlot(0, slots, 13), keysInSlot(1, slots, 2)
	for _, tc := range []struct {
		name       string
		base       int // entries put before the killed one
		maxEntries int
	}{
		{"first entry of a file", 0, 64},
		{"chained entry", 12, 64},
		{"entry that rolls to a new file", 12, 13}, // 12 entries per file
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := Options{Slots: slots, MaxEntries: tc.maxEntries}
			var base []indexed
			for i := range tc.base {
				k := same[i]
				if i%3 == 2 {
					k = other[0] // the other slot has a chain too
				}
				base = append(base, indexed{k, int64(100 * i), t0 + int64(i)*1000})
			}
			victim := indexed{same[12], 5000, t0 + 20_000}
			lastBase := int64(0)
			if len(base) > 0 {
				lastBase = base[len(base)-1].phy
			}
			points := 0
			for n := 1; ; n++ {
				for _, redo := range []bool{true, false} {
					dir := t.TempDir()
					x, err := OpenDir(dir, opts)
					if err != nil {
						t.Fatal(err)
					}
					for _, e := range base {
						mustPut(t, x, e.key, e.phy, e.ts)
					}
					if !putKilledAfter(t, x, n, victim.key, victim.phy, victim.ts) {
						x.Close()
						if points < 8 {
							t.Fatalf("put stopped at only %d points", points)
						}
						return
					}
					x.Close() // no flush: the page cache keeps what was written

					x = openIndex(t, dir, opts)
					what := fmt.Sprintf("killed after write %d", n)
					wantFound(t, x, what, base)
					if m := x.MaxPhyOffset(); m > victim.phy || m < lastBase {
						t.Fatalf("%s: MaxPhyOffset %d, want within [%d, %d] so re-dispatch starts at or before the victim",
							what, m, lastBase, victim.phy)
					}
					more := []indexed{victim}
					if !redo {
						// The record was cut: another message, indexed in
						// the other slot, takes the offset.
						more = []indexed{{other[1], victim.phy, victim.ts}}
					}
					more = append(more, indexed{same[0], 6000, t0 + 21_000})
					for _, e := range more {
						mustPut(t, x, e.key, e.phy, e.ts)
					}
					wantFound(t, x, what+", then put again", append(base, more...))
					x.Close()
				}
				points++
			}
		})
	}
}

// TestFullDiskRefusesPut plays a full disk: put must refuse with the error
// and write nothing (a write into an unreserved hole of the sparse file
// would raise SIGBUS), and work again once there is space.
func TestFullDiskRefusesPut(t *testing.T) {
	real := reserve
	t.Cleanup(func() { reserve = real })
	full := true
	reserve = func(seg *segment.File, from, to int) error {
		if full {
			return fmt.Errorf("fallocate: %w", syscall.ENOSPC)
		}
		return real(seg, from, to)
	}
	dir := t.TempDir()
	opts := Options{Slots: 16, MaxEntries: 200_000} // 4 MB: reserved a chunk at a time
	x := openIndex(t, dir, opts)
	if err := x.Put("T#a", 100, t0); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("put into a new file on a full disk: %v", err)
	}
	if names, _ := os.ReadDir(dir); len(names) != 0 {
		t.Fatalf("files left after a failed creation: %v", names)
	}
	full = false
	mustPut(t, x, "T#a", 100, t0)
	x.Close()

	x = openIndex(t, dir, opts) // nothing reserved yet in this process
	full = true
	if err := x.Put("T#a", 200, t0+1000); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("put into a loaded file on a full disk: %v", err)
	}
	if got, _ := x.Query("T#a", 64, 0, math.MaxInt64); !slices.Equal(got, []int64{100}) || x.MaxPhyOffset() != 100 {
		t.Fatalf("after the refused put: %v, max phy %d", got, x.MaxPhyOffset())
	}
	full = false
	mustPut(t, x, "T#a", 200, t0+1000)
	if got, _ := x.Query("T#a", 64, 0, math.MaxInt64); !slices.Equal(got, []int64{200, 100}) {
		t.Fatalf("after space came back: %v", got)
	}
}
