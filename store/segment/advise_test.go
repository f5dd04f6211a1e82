package segment

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// vmFlags returns the VmFlags of this process's mapping holding b[0], from
// /proc/self/smaps ("rr" is MADV_RANDOM).
func vmFlags(t *testing.T, b []byte) []string {
	t.Helper()
	addr := uint64(uintptr(unsafe.Pointer(&b[0])))
	sm, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no smaps: %v", err)
	}
	defer sm.Close()
	sc := bufio.NewScanner(sm)
	inside := false
	for sc.Scan() {
		line := sc.Text()
		if rng, _, ok := strings.Cut(line, " "); ok && strings.Contains(rng, "-") && !strings.HasSuffix(rng, ":") {
			lo, hi, _ := strings.Cut(rng, "-")
			start, err1 := strconv.ParseUint(lo, 16, 64)
			end, err2 := strconv.ParseUint(hi, 16, 64)
			inside = err1 == nil && err2 == nil && start <= addr && addr < end
			continue
		}
		if flags, ok := strings.CutPrefix(line, "VmFlags:"); ok && inside {
			return strings.Fields(flags)
		}
	}
	t.Fatalf("no mapping holds %#x", addr)
	return nil
}

func wantRandom(t *testing.T, what string, b []byte, want bool) {
	t.Helper()
	if got := slices.Contains(vmFlags(t, b), "rr"); got != want {
		t.Errorf("%s: MADV_RANDOM %v, want %v", what, got, want)
	}
}

func TestNewTailIsAdvisedAndRollRestoresReadahead(t *testing.T) {
	size := 4 * pageSize
	l, err := OpenList(t.TempDir(), size)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.AdviseRandomTail()
	f, err := l.LastOrCreate(0)
	if err != nil {
		t.Fatal(err)
	}
	wantRandom(t, "new tail, first byte", f.data, true)
	wantRandom(t, "new tail, last page", f.data[size-pageSize:], true)
	if _, err := f.Append(make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	g, err := l.LastOrCreate(int64(size))
	if err != nil {
		t.Fatal(err)
	}
	wantRandom(t, "rolled file", f.data, false)
	wantRandom(t, "rolled file, last page", f.data[size-pageSize:], false)
	wantRandom(t, "next tail", g.data, true)
}

func TestLoadedTailIsAdvisedFromItsWritePosition(t *testing.T) {
	dir := t.TempDir()
	size := 8 * pageSize
	f, err := OpenFile(fmt.Sprintf("%s/%s", dir, FileName(0)), 0, size)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	l, err := OpenList(dir, size)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.AdviseRandomTail()
	f = l.Last()
	f.SetWrotePosition(3*pageSize + 100) // what recovery found
	wantRandom(t, "loaded file before its first append", f.data[5*pageSize:], false)
	if _, err := f.Append([]byte("record")); err != nil {
		t.Fatal(err)
	}
	wantRandom(t, "written part", f.data[2*pageSize:], false)
	wantRandom(t, "page being appended", f.data[3*pageSize:], true)
	wantRandom(t, "tail", f.data[7*pageSize:], true)
}

func TestDataFarBehindTheTailGetsReadaheadBack(t *testing.T) {
	lag := readaheadLag
	readaheadLag = maxFolioSize
	t.Cleanup(func() { readaheadLag = lag })
	l, err := OpenList(t.TempDir(), 4*maxFolioSize)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.AdviseRandomTail()
	f, err := l.LastOrCreate(0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Append(make([]byte, maxFolioSize+100)); err != nil {
		t.Fatal(err)
	}
	f.adviseReadBehind() // less than a lag behind: nothing changes
	wantRandom(t, "first page, one lag written", f.data, true)
	if _, err := f.Append(make([]byte, 2*maxFolioSize)); err != nil {
		t.Fatal(err)
	}
	f.adviseReadBehind()
	wantRandom(t, "first page, two lags behind", f.data, false)
	wantRandom(t, "last page of the first lag", f.data[maxFolioSize-pageSize:], false)
	wantRandom(t, "within a lag of the write position", f.data[2*maxFolioSize:], true)
	wantRandom(t, "ahead of the write position", f.data[4*maxFolioSize-pageSize:], true)
}

func TestTailIsNotAdvisedUnlessAsked(t *testing.T) {
	l, err := OpenList(t.TempDir(), 4*pageSize)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f, err := l.LastOrCreate(0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Append([]byte("record")); err != nil {
		t.Fatal(err)
	}
	wantRandom(t, "tail of a List without AdviseRandomTail", f.data, false)
}

// TestSyncOfOneRecordWritesItsPages is the reason for the advice: once the
// tail was faulted in far enough in sequence, the kernel (ext4 with large
// folios, Linux 6.16 on) used 2 MB folios, a write through the mapping
// dirtied a whole one, and each sync of a small record wrote 2 MB. The
// bytes this process dirties (write_bytes in /proc/self/io, counted per
// dirtied folio) must stay near the pages the records touch.
func TestSyncOfOneRecordWritesItsPages(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 96 MB")
	}
	const size, before, records = 128 << 20, 96 << 20, 64
	l, err := OpenList(t.TempDir(), size)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.AdviseRandomTail()
	f, err := l.LastOrCreate(0)
	if err != nil {
		t.Fatal(err)
	}
	// Fault the file in sequence as the warmer does, and write through it.
	if err := populateWrite(f.data[:before+4<<20]); err == errWarmUnsupported {
		t.Skip(err)
	} else if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for range before / len(chunk) {
		if _, err := f.Append(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Flush(); err != nil {
		t.Fatal(err)
	}
	w0 := writeBytes(t)
	rec := make([]byte, 1024)
	for range records {
		if _, err := f.Append(rec); err != nil {
			t.Fatal(err)
		}
		if _, err := f.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	// 64 KB of records touch 16 pages; allow for other goroutines' I/O.
	if got := writeBytes(t) - w0; got > 4<<20 {
		t.Errorf("%d syncs of 1 KB records dirtied %d KB", records, got>>10)
	}
}

func writeBytes(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skipf("no /proc/self/io: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Skip("no write_bytes in /proc/self/io")
	return 0
}
