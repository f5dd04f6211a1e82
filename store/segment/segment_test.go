package segment

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func TestFileAppendSliceReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName(4096))
	f, err := OpenFile(path, 4096, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if f.WrotePosition() != 0 || f.Remaining() != 4096 || f.Base() != 4096 {
		t.Fatalf("fresh file: wrote %d remaining %d base %d", f.WrotePosition(), f.Remaining(), f.Base())
	}
	pos, err := f.Append([]byte("hello"))
	if err != nil || pos != 0 {
		t.Fatalf("append: pos %d err %v", pos, err)
	}
	pos, err = f.AppendWith(6, func(dst []byte) { copy(dst, " world") })
	if err != nil || pos != 5 {
		t.Fatalf("append with: pos %d err %v", pos, err)
	}
	got, err := f.Slice(0, 11)
	if err != nil || string(got) != "hello world" {
		t.Fatalf("slice: %q %v", got, err)
	}
	if _, err := f.Slice(5, 7); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("slice past wrote: %v, want ErrOutOfRange", err)
	}
	if n, err := f.Flush(); err != nil || n != 11 {
		t.Fatalf("flush: %d %v", n, err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if f.Hold() {
		t.Fatal("Hold succeeded on a closed file")
	}
	if _, err := f.Append([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}

	f, err = OpenFile(path, 4096, 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.WrotePosition() != 4096 || f.FlushedPosition() != 4096 {
		t.Fatalf("reopened file positions: wrote %d flushed %d, want full", f.WrotePosition(), f.FlushedPosition())
	}
	got, _ = f.Slice(0, 11)
	if string(got) != "hello world" {
		t.Fatalf("reopened data %q", got)
	}
}

func TestFileWrongSizeAndNoSpace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName(0))
	if err := os.WriteFile(path, make([]byte, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(path, 0, 4096); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("wrong size: err %v should name %s", err, path)
	}
	f, err := OpenFile(filepath.Join(dir, FileName(16)), 16, 16)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Append(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Append(make([]byte, 7)); !errors.Is(err, ErrNoSpace) {
		t.Fatalf("append past end: %v", err)
	}
	if _, err := f.Append(make([]byte, 6)); err != nil || !f.Full() {
		t.Fatalf("exact fit: %v full=%v", err, f.Full())
	}
}

// appendRecord writes an 8-byte big-endian sequence number through the list.
func appendRecord(t testing.TB, l *List, seq uint64) int64 {
	f, err := l.LastOrCreate(0)
	if err != nil {
		t.Fatal(err)
	}
	pos, err := f.AppendWith(8, func(dst []byte) { binary.BigEndian.PutUint64(dst, seq) })
	if err != nil {
		t.Fatal(err)
	}
	return f.Base() + int64(pos)
}

func TestListRollOverFindReopen(t *testing.T) {
	dir := t.TempDir()
	l, err := OpenList(dir, 32) // 4 records per file
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(0); i < 10; i++ {
		if off := appendRecord(t, l, i); off != int64(i*8) {
			t.Fatalf("record %d at %d", i, off)
		}
	}
	if l.Len() != 3 || l.MinOffset() != 0 || l.MaxOffset() != 80 {
		t.Fatalf("len %d min %d max %d", l.Len(), l.MinOffset(), l.MaxOffset())
	}
	for _, tc := range []struct {
		off  int64
		base int64
	}{{0, 0}, {31, 0}, {32, 32}, {79, 64}, {95, 64}} {
		f := l.FindByOffset(tc.off)
		if f == nil || f.Base() != tc.base {
			t.Fatalf("FindByOffset(%d) = %v, want base %d", tc.off, f, tc.base)
		}
	}
	if f := l.FindByOffset(96); f != nil {
		t.Fatalf("FindByOffset past the last file = %s", f.Path())
	}
	if f := l.FindByOffset(-1); f != nil {
		t.Fatal("FindByOffset(-1) found a file")
	}
	if off, err := l.Flush(); err != nil || off != 80 {
		t.Fatalf("flush: %d %v", off, err)
	}
	names := []string{}
	for _, f := range l.Files() {
		names = append(names, filepath.Base(f.Path()))
	}
	want := "00000000000000000000 00000000000000000032 00000000000000000064"
	if strings.Join(names, " ") != want {
		t.Fatalf("names %v", names)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	l, err = OpenList(dir, 32)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Len() != 3 || l.MaxOffset() != 96 { // loaded files count as full until recovery
		t.Fatalf("reopened len %d max %d", l.Len(), l.MaxOffset())
	}
	if err := l.TruncateDirty(80); err != nil {
		t.Fatal(err)
	}
	f := l.FindByOffset(72)
	b, err := f.Slice(8, 8)
	if err != nil || binary.BigEndian.Uint64(b) != 9 {
		t.Fatalf("record 9 after reopen: %x %v", b, err)
	}
	if off := appendRecord(t, l, 10); off != 80 {
		t.Fatalf("append after recovery at %d", off)
	}
}

func TestListLastOrCreateAlignsFirstFile(t *testing.T) {
	l, err := OpenList(t.TempDir(), 100)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f, err := l.LastOrCreate(250)
	if err != nil {
		t.Fatal(err)
	}
	if f.Base() != 200 || filepath.Base(f.Path()) != "00000000000000000200" {
		t.Fatalf("first file base %d path %s", f.Base(), f.Path())
	}
	if _, err := os.Stat(f.Path() + TmpSuffix); !os.IsNotExist(err) {
		t.Fatalf("tmp file left behind: %v", err)
	}
}

func TestListTruncateDirty(t *testing.T) {
	dir := t.TempDir()
	l, err := OpenList(dir, 32)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := uint64(0); i < 12; i++ { // three full files
		appendRecord(t, l, i)
	}
	if _, err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := l.TruncateDirty(40); err != nil {
		t.Fatal(err)
	}
	if l.Len() != 2 || l.MaxOffset() != 40 || l.FlushedOffset() != 40 {
		t.Fatalf("after truncate: len %d max %d flushed %d", l.Len(), l.MaxOffset(), l.FlushedOffset())
	}
	if _, err := os.Stat(filepath.Join(dir, FileName(64))); !os.IsNotExist(err) {
		t.Fatalf("file past the end still exists: %v", err)
	}
	// Truncating on a file boundary keeps that file, empty, as upstream does.
	if err := l.TruncateDirty(32); err != nil {
		t.Fatal(err)
	}
	if l.Len() != 2 || l.Last().WrotePosition() != 0 || l.MaxOffset() != 32 {
		t.Fatalf("boundary truncate: len %d wrote %d", l.Len(), l.Last().WrotePosition())
	}
	if off := appendRecord(t, l, 99); off != 32 {
		t.Fatalf("append after truncate at %d", off)
	}
}

func TestOpenListRejectsAndSkips(t *testing.T) {
	dir := t.TempDir()
	l, err := OpenList(dir, 64)
	if err != nil {
		t.Fatal(err)
	}
	appendRecord(t, l, 1)
	l.Close()

	for _, name := range []string{FileName(64) + BadSuffix, FileName(128) + TmpSuffix} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("junk"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err = OpenList(dir, 64)
	if err != nil {
		t.Fatalf("bad/tmp files should be skipped: %v", err)
	}
	if l.Len() != 1 {
		t.Fatalf("loaded %d files", l.Len())
	}
	l.Close()

	if _, err := OpenList(dir, 128); err == nil || !strings.Contains(err.Error(), FileName(0)) {
		t.Fatalf("wrong size: %v should name the file", err)
	}
	bad := filepath.Join(dir, "0000000000000000006x")
	if err := os.WriteFile(bad, make([]byte, 64), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenList(dir, 64); err == nil || !strings.Contains(err.Error(), "0000000000000000006x") {
		t.Fatalf("bad name: %v should name the file", err)
	}
}

func TestConcurrentAppendAndReaders(t *testing.T) {
	l, err := OpenList(t.TempDir(), 256)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const records = 5000
	done := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := checkRecords(l); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := uint64(0); i < records; i++ {
		appendRecord(t, l, i)
	}
	close(done)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := checkRecords(l); err != nil {
		t.Fatal(err)
	}
	if l.MaxOffset() != records*8 {
		t.Fatalf("max %d", l.MaxOffset())
	}
}

// checkRecords reads every visible record and checks it holds its index.
func checkRecords(l *List) error {
	for _, f := range l.Files() {
		if !f.Hold() {
			continue
		}
		n := f.WrotePosition()
		b, err := f.Slice(0, n)
		if err != nil {
			f.Release()
			return err
		}
		for p := 0; p+8 <= len(b); p += 8 {
			want := uint64(f.Base()+int64(p)) / 8
			if got := binary.BigEndian.Uint64(b[p:]); got != want {
				f.Release()
				return errors.New("reader saw a record before its bytes were written")
			}
		}
		f.Release()
	}
	return nil
}

func TestHoldReleaseDestroy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName(0))
	f, err := OpenFile(path, 0, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Append([]byte("pinned")); err != nil {
		t.Fatal(err)
	}
	if !f.Hold() {
		t.Fatal("Hold failed on an open file")
	}
	view, _ := f.Slice(0, 6)
	if err := f.Destroy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("destroyed file still on disk: %v", err)
	}
	if f.Hold() {
		t.Fatal("Hold succeeded after Destroy")
	}
	if !f.Mapped() || string(view) != "pinned" {
		t.Fatalf("held view lost before Release: mapped=%v view=%q", f.Mapped(), view)
	}
	// A new file may take the destroyed file's name while the view is held.
	g, err := OpenFile(path, 0, 4096)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if g.WrotePosition() != 0 {
		t.Fatal("recreated file is not fresh")
	}
	f.Release()
	if f.Mapped() || f.Holders() != 0 {
		t.Fatalf("mapping survived the last Release: holders %d", f.Holders())
	}
	if _, err := f.Slice(0, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("slice after unmap: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
}

func TestFlushSyncFailure(t *testing.T) {
	l, err := OpenList(t.TempDir(), 8192)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	boom := errors.New("injected EIO")
	var calls int
	l.SetSyncer(func(_ *os.File, mapped []byte) error {
		calls++
		if len(mapped)%pageSize != 0 {
			t.Errorf("sync range %d bytes is not page aligned", len(mapped))
		}
		return boom
	})
	appendRecord(t, l, 0)
	off, err := l.Flush()
	if !errors.Is(err, boom) || off != 0 || calls != 1 {
		t.Fatalf("failing flush: off %d err %v calls %d", off, err, calls)
	}
	if f := l.Last(); f.FlushedPosition() != 0 {
		t.Fatalf("flushed moved to %d after a failed sync", f.FlushedPosition())
	}
	// Files created after SetSyncer inherit it.
	f, err := l.LastOrCreate(0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Flush(); !errors.Is(err, boom) {
		t.Fatalf("file flush with failing syncer: %v", err)
	}
	l.SetSyncer(nil) // back to msync
	if off, err := l.Flush(); err != nil || off != 8 {
		t.Fatalf("flush after recovery: %d %v", off, err)
	}
}

func TestFlushLeastPages(t *testing.T) {
	l, err := OpenList(t.TempDir(), 4*pageSize)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f, _ := l.LastOrCreate(0)
	if _, err := f.Append(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	if off, _ := l.FlushLeast(1); off != 0 {
		t.Fatalf("flushed %d with less than a page dirty", off)
	}
	if _, err := f.Append(make([]byte, pageSize)); err != nil {
		t.Fatal(err)
	}
	if off, err := l.FlushLeast(1); err != nil || off != int64(pageSize+100) {
		t.Fatalf("flush one dirty page: %d %v", off, err)
	}
}

func TestDeleteFirstFiles(t *testing.T) {
	dir := t.TempDir()
	l, err := OpenList(dir, 32)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := uint64(0); i < 20; i++ { // five files
		appendRecord(t, l, i)
	}
	below := func(limit int64) func(*File) bool {
		return func(f *File) bool { return f.Base() < limit }
	}
	if n, err := l.DeleteFirstFiles(below(96), 2); err != nil || n != 2 {
		t.Fatalf("max 2: deleted %d %v", n, err)
	}
	if l.MinOffset() != 64 {
		t.Fatalf("min %d", l.MinOffset())
	}
	if n, _ := l.DeleteFirstFiles(below(96), 0); n != 1 {
		t.Fatalf("stop at first rejected file: deleted %d", n)
	}
	if n, _ := l.DeleteFirstFiles(func(*File) bool { return true }, 0); n != 1 || l.Len() != 1 {
		t.Fatalf("the last file must survive: deleted %d, left %d", n, l.Len())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != FileName(128) {
		t.Fatalf("left on disk: %v", entries)
	}
}

func TestQuarantineFrom(t *testing.T) {
	dir := t.TempDir()
	l, err := OpenList(dir, 32)
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(0); i < 12; i++ {
		appendRecord(t, l, i)
	}
	held := l.Last()
	if !held.Hold() {
		t.Fatal("hold")
	}
	moved, err := l.QuarantineFrom(32)
	if err != nil || len(moved) != 2 {
		t.Fatalf("quarantine: %v %v", moved, err)
	}
	if b, _ := held.Slice(0, 8); binary.BigEndian.Uint64(b) != 8 {
		t.Fatal("held view broken by quarantine")
	}
	held.Release()
	if l.Len() != 1 || l.MaxOffset() != 32 {
		t.Fatalf("after quarantine: len %d max %d", l.Len(), l.MaxOffset())
	}
	for _, p := range moved {
		if fi, err := os.Stat(p); err != nil || fi.Size() != 32 {
			t.Fatalf("quarantined file %s: %v", p, err)
		}
	}
	// Write the same range again and quarantine it again: nothing is overwritten.
	for i := uint64(4); i < 8; i++ {
		appendRecord(t, l, i)
	}
	moved, err = l.QuarantineFrom(32)
	if err != nil || len(moved) != 1 || filepath.Base(moved[0]) != FileName(32)+".1"+BadSuffix {
		t.Fatalf("second quarantine: %v %v", moved, err)
	}
	l.Close()
	l, err = OpenList(dir, 32)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Len() != 1 {
		t.Fatalf("reopen loaded %d files, want the quarantined ones skipped", l.Len())
	}
}

func TestZeroRange(t *testing.T) {
	f, err := OpenFile(filepath.Join(t.TempDir(), FileName(0)), 0, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Append(bytes.Repeat([]byte{0xff}, 64)); err != nil {
		t.Fatal(err)
	}
	f.SetWrotePosition(16)
	if err := f.ZeroRange(16, 64); err != nil {
		t.Fatal(err)
	}
	f.SetWrotePosition(64)
	b, _ := f.Slice(0, 64)
	if !bytes.Equal(b[:16], bytes.Repeat([]byte{0xff}, 16)) || !bytes.Equal(b[16:], make([]byte, 48)) {
		t.Fatalf("after zero: %x", b)
	}
}

func TestParseName(t *testing.T) {
	if b, err := ParseName("00000000001073741824"); err != nil || b != 1073741824 {
		t.Fatalf("%d %v", b, err)
	}
	for _, bad := range []string{"", "123", "0000000000000000000a", "-0000000000000000001", "99999999999999999999"} {
		if _, err := ParseName(bad); err == nil {
			t.Fatalf("ParseName(%q) accepted", bad)
		}
	}
}

func TestSparseFileAndSyncRange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "20260101000000000")
	f, err := OpenSparseFile(path, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	if st.Size != 1<<20 || st.Blocks*512 >= 1<<20 {
		t.Fatalf("sparse file: size %d, %d bytes allocated", st.Size, st.Blocks*512)
	}
	var synced []int
	f.SetSyncer(func(_ *os.File, mapped []byte) error {
		synced = append(synced, len(mapped))
		return nil
	})
	if err := f.SyncRange(10, 5000); err != nil {
		t.Fatal(err)
	}
	if want := (5000 + pageSize - 1) / pageSize * pageSize; len(synced) != 1 || synced[0] != want {
		t.Fatalf("synced %v", synced)
	}
	if f.FlushedPosition() != 0 {
		t.Fatal("SyncRange moved the flushed position")
	}
}

func TestReserveAllocatesWithoutTouchingData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "20260101000000000")
	f, err := OpenSparseFile(path, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	f.SetWrotePosition(1 << 20)
	b, _ := f.Slice(0, 1<<20)
	copy(b[100:], "kept")
	allocated := func() int64 {
		var st syscall.Stat_t
		if err := syscall.Stat(path, &st); err != nil {
			t.Fatal(err)
		}
		return st.Blocks * 512
	}
	before := allocated()
	if err := f.Reserve(4096, 1<<20); err != nil {
		t.Fatal(err)
	}
	if got := allocated(); got < before+(1<<20)-4096 {
		t.Fatalf("%d bytes allocated after reserving, %d before", got, before)
	}
	if string(b[100:104]) != "kept" {
		t.Fatalf("reserve changed data: %q", b[100:104])
	}
	if err := f.Reserve(1<<20, 2<<20); err != nil { // past the end: nothing to do
		t.Fatal(err)
	}
	f.Close()
	if err := f.Reserve(0, 10); !errors.Is(err, ErrClosed) {
		t.Fatalf("reserve after close: %v", err)
	}
}
