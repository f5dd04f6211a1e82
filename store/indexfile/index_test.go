package indexfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const t0 = int64(1_700_000_000_000) // a store time in ms

var small = Options{Slots: 16, MaxEntries: 64}

func openIndex(t testing.TB, dir string, opts Options) *Index {
	t.Helper()
	x, err := OpenDir(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

func mustPut(t testing.TB, x *Index, key string, phy, ts int64) {
	t.Helper()
	if err := x.Put(key, phy, ts); err != nil {
		t.Fatalf("put %s@%d: %v", key, phy, err)
	}
}

func TestKeyHash(t *testing.T) {
	// "polygenelubricants".hashCode() is Integer.MIN_VALUE: its absolute
	// value is still negative, and upstream maps it to 0.
	if h := KeyHash("polygenelubricants"); h != 0 {
		t.Fatalf("KeyHash(MIN_VALUE string) = %d", h)
	}
	if h := KeyHash("T#Aa"); h != 2538191 {
		t.Fatalf("KeyHash(T#Aa) = %d", h)
	}
	for _, k := range []string{"TopicTest#key-1", "主题#键", "x#\U0001F600"} {
		if KeyHash(k) < 0 {
			t.Fatalf("negative hash for %q", k)
		}
	}
	x := openIndex(t, t.TempDir(), small)
	mustPut(t, x, "polygenelubricants", 100, t0)
	if got, _ := x.Query("polygenelubricants", 10, 0, t0+1000); !slices.Equal(got, []int64{100}) {
		t.Fatalf("query MIN_VALUE key: %v", got)
	}
}

func TestPutQueryNewestFirst(t *testing.T) {
	x := openIndex(t, t.TempDir(), small)
	for i := int64(0); i < 5; i++ {
		mustPut(t, x, "TopicTest#order-1", 100*i, t0+i*1000)
		mustPut(t, x, fmt.Sprintf("TopicTest#other-%d", i), 100*i, t0+i*1000)
	}
	got, last := x.Query("TopicTest#order-1", 10, t0, t0+10_000)
	if !slices.Equal(got, []int64{400, 300, 200, 100, 0}) || last != t0+4000 {
		t.Fatalf("query: %v last %d", got, last)
	}
	if got, _ := x.Query("TopicTest#order-1", 2, t0, t0+10_000); !slices.Equal(got, []int64{400, 300}) {
		t.Fatalf("max 2: %v", got)
	}
	if got, _ := x.Query("TopicTest#missing", 10, 0, t0+10_000); len(got) != 0 {
		t.Fatalf("missing key: %v", got)
	}
	if x.MaxPhyOffset() != 400 {
		t.Fatalf("max phy %d", x.MaxPhyOffset())
	}
	// Re-dispatch of an already indexed message is skipped.
	mustPut(t, x, "TopicTest#order-1", 300, t0+3000)
	if got, _ := x.Query("TopicTest#order-1", 10, 0, t0+10_000); len(got) != 5 {
		t.Fatalf("re-put added an entry: %v", got)
	}
}

func TestHashCollisions(t *testing.T) {
	// "Aa" and "BB" have the same Java hash, so "T#Aa" and "T#BB" do too:
	// both come back and the caller compares real keys.
	x := openIndex(t, t.TempDir(), Options{Slots: 1, MaxEntries: 64})
	mustPut(t, x, "T#Aa", 10, t0)
	mustPut(t, x, "T#BB", 20, t0)
	mustPut(t, x, "T#zz", 30, t0) // same slot (one slot), other hash: filtered
	got, _ := x.Query("T#Aa", 10, 0, t0+1000)
	if !slices.Equal(got, []int64{20, 10}) {
		t.Fatalf("colliding keys: %v", got)
	}
	got, _ = x.Query("T#zz", 10, 0, t0+1000)
	if !slices.Equal(got, []int64{30}) {
		t.Fatalf("same slot, other hash: %v", got)
	}
}

func TestTimeRange(t *testing.T) {
	x := openIndex(t, t.TempDir(), small)
	for i := int64(0); i < 10; i++ {
		mustPut(t, x, "T#k", 100*i, t0+i*1000)
	}
	for _, tc := range []struct {
		begin, end int64
		want       []int64
	}{
		{t0 + 3000, t0 + 5000, []int64{500, 400, 300}},
		{t0 + 3500, t0 + 5500, []int64{500, 400}},
		{t0 + 9000, t0 + 99_000, []int64{900}},
		{0, t0 - 1, nil},
		{t0 + 20_000, t0 + 30_000, nil},
	} {
		got, _ := x.Query("T#k", 64, tc.begin, tc.end)
		if !slices.Equal(got, tc.want) {
			t.Errorf("range [%d,%d]: %v, want %v", tc.begin-t0, tc.end-t0, got, tc.want)
		}
	}
}

func TestRolloverAndReopen(t *testing.T) {
	dir := t.TempDir()
	fixed := time.Date(2026, 3, 4, 5, 6, 7, 8_000_000, time.Local)
	opts := Options{Slots: 4, MaxEntries: 5, Now: func() time.Time { return fixed }} // 4 entries per file
	full := make(chan int64, 4)
	opts.OnFull = func(ts int64) { full <- ts }
	x, err := OpenDir(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < 10; i++ {
		mustPut(t, x, fmt.Sprintf("T#k%d", i%2), 100*i, t0+i*1000)
	}
	if x.Len() != 3 {
		t.Fatalf("%d files, want 3", x.Len())
	}
	var fullTS []int64 // each full file is flushed on its own goroutine: any order
	for range 2 {
		select {
		case ts := <-full:
			fullTS = append(fullTS, ts-t0)
		case <-time.After(10 * time.Second):
			t.Fatal("OnFull not called for a full file")
		}
	}
	if slices.Sort(fullTS); !slices.Equal(fullTS, []int64{3000, 7000}) {
		t.Fatalf("OnFull with %v, want 3000 and 7000", fullTS)
	}
	names, _ := os.ReadDir(dir)
	want := []string{"20260304050607008", "20260304050607009", "20260304050607010"}
	for i, e := range names {
		if e.Name() != want[i] {
			t.Fatalf("file names %v, want %v", names, want)
		}
	}
	got, _ := x.Query("T#k0", 64, 0, t0+100_000)
	if !slices.Equal(got, []int64{800, 600, 400, 200, 0}) {
		t.Fatalf("query across files: %v", got)
	}
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	x.Close()
	if err := x.Put("T#k", 2000, t0); !errors.Is(err, ErrClosed) {
		t.Fatalf("put after close: %v", err)
	}

	x = openIndex(t, dir, opts)
	if got2, _ := x.Query("T#k0", 64, 0, t0+100_000); !slices.Equal(got2, got) {
		t.Fatalf("after reopen: %v, want %v", got2, got)
	}
	if x.MaxPhyOffset() != 900 {
		t.Fatalf("max phy after reopen %d", x.MaxPhyOffset())
	}
	// The new file's header starts at the previous file's end.
	mustPut(t, x, "T#k0", 1000, t0+10_000)
	if got, _ := x.Query("T#k0", 1, t0+10_000, t0+10_000); !slices.Equal(got, []int64{1000}) {
		t.Fatalf("after reopen put: %v", got)
	}
}

func TestHeaderAndEntryLayout(t *testing.T) {
	dir := t.TempDir()
	x := openIndex(t, dir, Options{Slots: 8, MaxEntries: 16})
	mustPut(t, x, "T#a", 4096, t0)
	mustPut(t, x, "T#a", 8192, t0+2500)
	if err := x.Flush(); err != nil {
		t.Fatal(err)
	}
	names, _ := os.ReadDir(dir)
	b, err := os.ReadFile(filepath.Join(dir, names[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 40+8*4+16*20 {
		t.Fatalf("file size %d", len(b))
	}
	be64 := func(o int) int64 { return int64(binary.BigEndian.Uint64(b[o:])) }
	be32 := func(o int) int32 { return int32(binary.BigEndian.Uint32(b[o:])) }
	if be64(0) != t0 || be64(8) != t0+2500 || be64(16) != 4096 || be64(24) != 8192 || be32(32) != 1 || be32(36) != 3 {
		t.Fatalf("header %x", b[:40])
	}
	hash := KeyHash("T#a")
	if slot := be32(40 + int(hash)%8*4); slot != 2 {
		t.Fatalf("slot holds %d, want entry 2", slot)
	}
	e := 40 + 8*4 + 2*20
	if be32(e) != hash || be64(e+4) != 8192 || be32(e+12) != 2 || be32(e+16) != 1 {
		t.Fatalf("entry 2: %x", b[e:e+20])
	}
}

func TestDeleteBefore(t *testing.T) {
	x := openIndex(t, t.TempDir(), Options{Slots: 4, MaxEntries: 3}) // 2 entries per file
	for i := int64(0); i < 8; i++ {
		mustPut(t, x, "T#k", 100*i, t0+i*1000)
	}
	if x.Len() != 4 {
		t.Fatalf("%d files", x.Len())
	}
	n, err := x.DeleteBefore(350) // files end at 100, 300, 500, 700
	if err != nil || n != 2 {
		t.Fatalf("deleted %d %v", n, err)
	}
	if got, _ := x.Query("T#k", 64, 0, t0+100_000); !slices.Equal(got, []int64{700, 600, 500, 400}) {
		t.Fatalf("after expiry: %v", got)
	}
	if n, _ := x.DeleteBefore(1 << 40); n != 1 || x.Len() != 1 {
		t.Fatalf("the last file must survive: deleted %d, left %d", n, x.Len())
	}
}

func TestDropFrom(t *testing.T) {
	x := openIndex(t, t.TempDir(), Options{Slots: 4, MaxEntries: 3}) // 2 entries per file
	for i := int64(0); i < 7; i++ {
		mustPut(t, x, "T#k", 100*i, t0+i*1000)
	}
	// Files: [0 100] [200 300] [400 500] [600], the last one not full.
	var seen []FileState
	n, err := x.DropFrom(func(st FileState) bool {
		seen = append(seen, st)
		return st.LastPhyOffset >= 250
	})
	if err != nil || n != 3 || x.Len() != 1 {
		t.Fatalf("dropped %d (%v), left %d", n, err, x.Len())
	}
	// Judging stops at the first dropped file: later ones go unseen.
	if len(seen) != 2 || !seen[0].Full || seen[0].LastPhyOffset != 100 || seen[0].EndTimestamp != t0+1000 ||
		seen[1].LastPhyOffset != 300 || seen[1].Empty {
		t.Fatalf("states %+v", seen)
	}
	if x.MaxPhyOffset() != 100 {
		t.Fatalf("max phy %d after the drop", x.MaxPhyOffset())
	}
	if got, _ := x.Query("T#k", 64, 0, t0+100_000); !slices.Equal(got, []int64{100, 0}) {
		t.Fatalf("after the drop: %v", got)
	}
	// Re-dispatch from MaxPhyOffset refills a new file after the kept one;
	// the record at MaxPhyOffset itself is indexed twice (the store drops
	// duplicate offsets).
	for i := int64(1); i < 4; i++ {
		mustPut(t, x, "T#k", 100*i, t0+i*1000)
	}
	if got, _ := x.Query("T#k", 64, 0, t0+100_000); !slices.Equal(got, []int64{300, 200, 100, 100, 0}) {
		t.Fatalf("after the rebuild: %v", got)
	}
	if n, err := x.DropFrom(func(FileState) bool { return false }); n != 0 || err != nil || x.Len() != 3 {
		t.Fatalf("keep all: dropped %d (%v), left %d", n, err, x.Len())
	}
}

// A put stopped before it moved endPhyOffset still counts its entry in the
// file's LastPhyOffset: recovery must see that the file points that far.
func TestDropFromSeesUnpublishedEnd(t *testing.T) {
	dir := t.TempDir()
	x := openIndex(t, dir, Options{Slots: 4, MaxEntries: 16})
	mustPut(t, x, "T#a", 100, t0)
	// The writes of a put into an empty slot: the entry (4), the slot
	// count, the slot, the count, then the end offset and time.
	other := keysInSlot((int(KeyHash("T#a"))+1)%4, 4, 1)[0]
	if !putKilledAfter(t, x, 7, other, 200, t0+1000) {
		t.Fatal("put was not stopped")
	}
	x.Close()
	x = openIndex(t, dir, Options{Slots: 4, MaxEntries: 16})
	if x.MaxPhyOffset() != 100 {
		t.Fatalf("endPhyOffset %d: the stopped put should not have moved it", x.MaxPhyOffset())
	}
	var last int64
	x.DropFrom(func(st FileState) bool { last = st.LastPhyOffset; return false })
	if last != 200 {
		t.Fatalf("LastPhyOffset %d, want the counted entry's 200", last)
	}
}

func TestOpenDirRejectsBadFiles(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "20260101000000000"), make([]byte, 10), 0o644)
	if _, err := OpenDir(dir, small); err == nil || !strings.Contains(err.Error(), "20260101000000000") {
		t.Fatalf("wrong size: %v", err)
	}
	os.Remove(filepath.Join(dir, "20260101000000000"))
	os.WriteFile(filepath.Join(dir, "index.txt"), nil, 0o644)
	if _, err := OpenDir(dir, small); err == nil || !strings.Contains(err.Error(), "index.txt") {
		t.Fatalf("bad name: %v", err)
	}
	if _, err := OpenDir(t.TempDir(), Options{Slots: -1}); err == nil {
		t.Fatal("negative slots accepted")
	}
}

func TestFlushFailure(t *testing.T) {
	x := openIndex(t, t.TempDir(), small)
	mustPut(t, x, "T#k", 1, t0)
	boom := errors.New("injected")
	x.SetSyncer(func(*os.File, []byte) error { return boom })
	if err := x.Flush(); !errors.Is(err, boom) {
		t.Fatalf("flush: %v", err)
	}
}

func TestConcurrentPutAndQuery(t *testing.T) {
	x := openIndex(t, t.TempDir(), Options{Slots: 64, MaxEntries: 200})
	const n = 2000
	done := make(chan struct{})
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				got, _ := x.Query("T#hot", 64, 0, t0+n*1000)
				for i := 1; i < len(got); i++ {
					if got[i] >= got[i-1] || got[i]%10 != 0 {
						errs <- fmt.Errorf("inconsistent result %v", got)
						return
					}
				}
			}
		}()
	}
	for i := int64(1); i <= n; i++ {
		key := "T#hot"
		if i%3 != 0 {
			key = fmt.Sprintf("T#cold-%d", i)
		}
		mustPut(t, x, key, 10*i, t0+i)
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestFullSizeFile fills one file of upstream's real geometry (420 MB,
// sparse). It is slow and big: run with -short=false and ROCKETGO_BIG_INDEX=1.
func TestFullSizeFile(t *testing.T) {
	if testing.Short() || os.Getenv("ROCKETGO_BIG_INDEX") == "" {
		t.Skip("set ROCKETGO_BIG_INDEX=1 to fill a 420 MB index file")
	}
	x := openIndex(t, t.TempDir(), Options{})
	for i := int64(0); i < DefaultMaxEntries-1; i++ {
		mustPut(t, x, "T#"+strconv.FormatInt(i, 10), i, t0+i/1000)
	}
	if x.Len() != 1 {
		t.Fatalf("%d files before the roll", x.Len())
	}
	mustPut(t, x, "T#last", DefaultMaxEntries, t0+DefaultMaxEntries)
	if x.Len() != 2 {
		t.Fatalf("%d files after the roll", x.Len())
	}
	if got, _ := x.Query("T#12345678", 4, 0, 1<<62); !slices.Contains(got, 12345678) {
		t.Fatalf("query in a full file: %v", got)
	}
}
