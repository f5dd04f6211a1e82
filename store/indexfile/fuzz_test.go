package indexfile

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var fuzzOpts = Options{
	Slots: 8, MaxEntries: 16,
	Syncer: func(*os.File, []byte) error { return nil }, // fuzz the logic, not the disk
}

// FuzzIndexFileLoad loads arbitrary bytes as an index file: loading and
// judging it for recovery never panic, queries over any range terminate,
// and a key put afterwards (after dropping the file, for odd first bytes)
// can be found again.
func FuzzIndexFileLoad(f *testing.F) {
	size := FileSize(fuzzOpts.Slots, fuzzOpts.MaxEntries)
	f.Add([]byte{})
	valid := make([]byte, size)
	binary.BigEndian.PutUint64(valid[0:], 1000)
	binary.BigEndian.PutUint64(valid[8:], 2000)
	binary.BigEndian.PutUint32(valid[36:], 2)
	slot := 40 + int(KeyHash("T#a"))%8*4
	binary.BigEndian.PutUint32(valid[slot:], 1)
	e := 40 + 8*4 + 20
	binary.BigEndian.PutUint32(valid[e:], uint32(KeyHash("T#a")))
	binary.BigEndian.PutUint64(valid[e+4:], 77)
	f.Add(valid)
	loop := slices.Clone(valid)
	binary.BigEndian.PutUint32(loop[36:], 16)
	binary.BigEndian.PutUint32(loop[e+16:], 1) // entry 1 points at itself
	f.Add(loop)
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		file := make([]byte, size)
		copy(file, data)
		if err := os.WriteFile(filepath.Join(dir, "20260101000000000"), file, 0o644); err != nil {
			t.Fatal(err)
		}
		x, err := OpenDir(dir, fuzzOpts)
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		var st FileState
		x.DropFrom(func(s FileState) bool { st = s; return false })
		if st.LastPhyOffset < x.MaxPhyOffset() || st.Name != "20260101000000000" {
			t.Fatalf("state %+v, max phy %d", st, x.MaxPhyOffset())
		}
		if len(data) > 0 && data[0]&1 == 1 { // recovery rejects the file
			if n, err := x.DropFrom(func(FileState) bool { return true }); n != 1 || err != nil || x.Len() != 0 {
				t.Fatalf("drop: %d %v, %d files left", n, err, x.Len())
			}
		}
		for _, key := range []string{"T#a", "T#b", "polygenelubricants"} {
			got, _ := x.Query(key, 64, math.MinInt64, math.MaxInt64)
			if len(got) > 64 {
				t.Fatalf("query returned %d offsets", len(got))
			}
			x.Query(key, 64, 1000, 2000)
		}
		phy := x.MaxPhyOffset()
		if phy < 0 || phy > math.MaxInt64/2 {
			return
		}
		phy++
		if err := x.Put("T#new", phy, 1_700_000_000_000); err != nil {
			t.Fatal(err)
		}
		got, _ := x.Query("T#new", 64, math.MinInt64, math.MaxInt64)
		if !slices.Contains(got, phy) {
			t.Fatalf("key put after load not found: %v", got)
		}
	})
}
