package consumequeue

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/rocketgo/rocketgo/store/segment"
)

const fuzzUnits = 8

// FuzzConsumeQueueLoad loads arbitrary bytes as the single file of a queue:
// loading never panics, recovers exactly the leading run of valid units, and
// the recovered queue can be read and written.
func FuzzConsumeQueueLoad(f *testing.F) {
	unit := func(phy int64, size int32, tags int64) []byte {
		b := make([]byte, UnitSize)
		encodeUnit(b, Unit{phy, size, tags})
		return b
	}
	f.Add([]byte{})
	f.Add(bytes.Repeat(unit(100, 50, 7), fuzzUnits))
	f.Add(append(unit(0, 1<<31-1, 0), unit(100, 50, 7)...))
	f.Add(append(append(unit(100, 50, 7), make([]byte, UnitSize)...), unit(300, 50, 7)...))
	f.Add(append(unit(-5, 50, 7), unit(100, 50, 7)...))
	f.Add(bytes.Repeat([]byte{0xff}, fuzzUnits*UnitSize))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		qdir := filepath.Join(dir, "T", "0")
		if err := os.MkdirAll(qdir, 0o755); err != nil {
			t.Fatal(err)
		}
		size := fuzzUnits * UnitSize
		file := make([]byte, size)
		copy(file, data)
		if len(data) > size+1 && data[size]&1 == 1 {
			file = data // keep a wrong size now and then: Open must refuse it
		}
		if err := os.WriteFile(filepath.Join(qdir, segment.FileName(0)), file, 0o644); err != nil {
			t.Fatal(err)
		}
		noSync := func(*os.File, []byte) error { return nil } // fuzz the logic, not the disk
		q, err := OpenWith(dir, "T", 0, Options{UnitsPerFile: fuzzUnits, Syncer: noSync})
		if len(file) != size {
			if err == nil {
				q.Close()
				t.Fatal("file of the wrong size loaded")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		defer q.Close()
		valid := 0
		for ; valid < fuzzUnits; valid++ {
			u := decodeUnit(file[valid*UnitSize:])
			if u.PhyOffset < 0 || u.Size <= 0 {
				break
			}
		}
		if q.MaxOffset() != int64(valid) {
			t.Fatalf("recovered %d units, want %d", q.MaxOffset(), valid)
		}
		if q.MinOffset() > q.MaxOffset() {
			t.Fatalf("min %d > max %d", q.MinOffset(), q.MaxOffset())
		}
		q.Range(0, fuzzUnits, func(off int64, u Unit) bool {
			if !u.valid() {
				t.Fatalf("unit %d inside the queue is invalid: %+v", off, u)
			}
			return true
		})
		for i := int64(0); i < fuzzUnits; i++ {
			q.Get(i)
		}
		q.OffsetForTime(1, func(phy int64, size int32) (int64, bool) { return phy, true })
		// Re-dispatching the units already there changes nothing.
		for i := 0; i < valid; i++ {
			u := decodeUnit(file[i*UnitSize:])
			if !u.IsMessage() || u.Size == blankSize || u.PhyOffset > math.MaxInt64-int64(u.Size) {
				continue
			}
			if err := q.Put(int64(i), u.PhyOffset, u.Size, u.TagsCode); err != nil {
				t.Fatalf("re-dispatch of unit %d %+v: %v", i, u, err)
			}
			if got, _ := q.unitAt(int64(i)); got != u {
				t.Fatalf("re-dispatch changed unit %d from %+v to %+v", i, u, got)
			}
		}
		next := q.MaxPhyOffset() + 1
		if next <= 0 || next > 1<<62 {
			return // no room for another unit after this data
		}
		if err := q.Put(q.MaxOffset(), next, 10, 0); err != nil {
			t.Fatalf("put after recovery: %v", err)
		}
		if u, ok := q.Get(int64(valid)); !ok || u.PhyOffset != next {
			t.Fatalf("unit written after recovery reads %+v %v", u, ok)
		}
		if err := q.Truncate(next); err != nil {
			t.Fatal(err)
		}
		if q.MaxOffset() > int64(valid) {
			t.Fatalf("truncate left %d units", q.MaxOffset())
		}
	})
}
