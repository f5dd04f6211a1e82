package segment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// NameLen is the length of a segment file name: a zero-padded decimal offset.
const NameLen = 20

var (
	// ErrNoSpace is returned by Append and AppendWith when the bytes do not
	// fit in what is left of the file.
	ErrNoSpace = errors.New("segment: not enough space left in file")
	// ErrClosed is returned when a File is used after Close or Destroy.
	ErrClosed = errors.New("segment: file closed")
	// ErrOutOfRange is returned by Slice for a range outside [0, wrote).
	ErrOutOfRange = errors.New("segment: range outside written data")
)

// Syncer forces one dirty range of a mapping to stable storage. file is the
// backing file and mapped the page-aligned part of the mapping to sync.
type Syncer func(file *os.File, mapped []byte) error

// Msync is the default Syncer: msync(MS_SYNC) over the mapped range.
func Msync(_ *os.File, mapped []byte) error {
	if len(mapped) == 0 {
		return nil
	}
	_, _, errno := syscall.Syscall(syscall.SYS_MSYNC,
		uintptr(unsafe.Pointer(&mapped[0])), uintptr(len(mapped)), syscall.MS_SYNC)
	if errno != 0 {
		return errno
	}
	return nil
}

// Fdatasync is a Syncer that syncs the whole file's data with fdatasync.
func Fdatasync(file *os.File, _ []byte) error {
	return syscall.Fdatasync(int(file.Fd()))
}

var pageSize = os.Getpagesize()

// FileName returns the 20-digit name for a file starting at base.
func FileName(base int64) string {
	return fmt.Sprintf("%020d", base)
}

// ParseName returns the base offset encoded in a 20-digit file name.
func ParseName(name string) (int64, error) {
	if len(name) != NameLen {
		return 0, fmt.Errorf("segment name %q: want %d digits", name, NameLen)
	}
	for i := 0; i < len(name); i++ {
		if name[i] < '0' || name[i] > '9' {
			return 0, fmt.Errorf("segment name %q: not a decimal offset", name)
		}
	}
	base, err := strconv.ParseInt(name, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("segment name %q: %w", name, err)
	}
	return base, nil
}

// File is one memory-mapped file of fixed size.
type File struct {
	path string
	base int64
	size int

	fd   *os.File
	data []byte // the whole mapping; nil once unmapped

	wrote   atomic.Int64
	flushed atomic.Int64

	refs   atomic.Int32 // the owner's reference plus one per Hold
	closed atomic.Bool

	flushMu sync.Mutex // serialises Flush and ZeroRange syncs; guards syncer
	syncer  Syncer

	warm   atomic.Pointer[warmer] // the List's warmer, if it has one
	warmed atomic.Int64           // bytes from 0 the warmer has prefaulted

	advice     atomic.Int32 // tail readahead advice state (advise.go)
	randomFrom atomic.Int64 // the advised tail's MADV_RANDOM part starts here
}

// OpenFile opens the file at path, creating it preallocated to size bytes when
// it does not exist, and maps it read/write. An existing file of another size
// is an error. A new file starts empty (wrote 0); an existing one is marked
// fully written and flushed, and recovery sets its real positions.
func OpenFile(path string, base int64, size int) (*File, error) {
	return openFile(path, base, size, false)
}

// OpenSparseFile is OpenFile without reserving disk blocks for a new file:
// it is extended with ftruncate only, as Java's setLength does. Index files,
// which are large and mostly empty, use it and Reserve what they are about
// to write.
func OpenSparseFile(path string, base int64, size int) (*File, error) {
	return openFile(path, base, size, true)
}

func openFile(path string, base int64, size int, sparse bool) (*File, error) {
	if size <= 0 {
		return nil, fmt.Errorf("open segment %s: size %d must be positive", path, size)
	}
	fresh := false
	fd, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		fd, err = create(path, size, sparse)
		fresh = true
	}
	if err != nil {
		return nil, fmt.Errorf("open segment %s: %w", path, err)
	}
	fi, err := fd.Stat()
	if err != nil {
		fd.Close()
		return nil, fmt.Errorf("open segment %s: %w", path, err)
	}
	if fi.Size() != int64(size) {
		fd.Close()
		return nil, fmt.Errorf("open segment %s: file is %d bytes, want %d", path, fi.Size(), size)
	}
	data, err := syscall.Mmap(int(fd.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		fd.Close()
		return nil, fmt.Errorf("mmap segment %s: %w", path, err)
	}
	f := &File{path: path, base: base, size: size, fd: fd, data: data, syncer: Msync}
	f.refs.Store(1)
	if !fresh {
		f.wrote.Store(int64(size))
		f.flushed.Store(int64(size))
	}
	return f, nil
}

// create preallocates "<path>.tmp" and renames it to path, then syncs the
// directory, so a crash never leaves a short file under the segment's name.
func create(path string, size int, sparse bool) (*os.File, error) {
	tmp := path + ".tmp"
	fd, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	grow := preallocate
	if sparse {
		grow = func(fd *os.File, size int) error { return fd.Truncate(int64(size)) }
	}
	if err := grow(fd, size); err != nil {
		fd.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		fd.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		fd.Close()
		return nil, err
	}
	return fd, nil
}

func preallocate(fd *os.File, size int) error {
	err := syscall.Fallocate(int(fd.Fd()), 0, 0, int64(size))
	if err == nil {
		return nil
	}
	// Some file systems do not support fallocate; a sparse file still has the
	// right size, which is all loading checks.
	if terr := fd.Truncate(int64(size)); terr != nil {
		return fmt.Errorf("preallocate %d bytes: fallocate: %v; ftruncate: %w", size, err, terr)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// Base is the logical offset of the file's first byte.
func (f *File) Base() int64 { return f.base }

// Size is the fixed file size in bytes.
func (f *File) Size() int { return f.size }

// Path is the file's path.
func (f *File) Path() string { return f.path }

// WrotePosition is the number of bytes appended.
func (f *File) WrotePosition() int { return int(f.wrote.Load()) }

// FlushedPosition is the number of bytes known to be on stable storage.
func (f *File) FlushedPosition() int { return int(f.flushed.Load()) }

// Remaining is the number of bytes that can still be appended.
func (f *File) Remaining() int { return f.size - f.WrotePosition() }

// Full reports whether no byte can be appended.
func (f *File) Full() bool { return f.WrotePosition() >= f.size }

// SetWrotePosition moves the write position, for recovery and truncation. The
// flushed position never stays above it. Bytes past n are left as they are;
// later appends overwrite them.
func (f *File) SetWrotePosition(n int) {
	n = min(max(n, 0), f.size)
	f.wrote.Store(int64(n))
	if f.FlushedPosition() > n {
		f.flushed.Store(int64(n))
	}
}

// SetFlushedPosition records that bytes below n are durable, for recovery.
// It is clamped to the write position.
func (f *File) SetFlushedPosition(n int) {
	n = min(max(n, 0), f.WrotePosition())
	f.flushed.Store(int64(n))
}

// Append copies b at the write position and returns where it starts.
func (f *File) Append(b []byte) (int, error) {
	return f.AppendWith(len(b), func(dst []byte) { copy(dst, b) })
}

// AppendWith reserves n bytes at the write position, lets fill write them in
// place (dst is exactly n bytes of the mapping) and then publishes them. It
// returns the position of the first byte.
func (f *File) AppendWith(n int, fill func(dst []byte)) (int, error) {
	if f.closed.Load() {
		return 0, fmt.Errorf("append to %s: %w", f.path, ErrClosed)
	}
	pos := f.WrotePosition()
	if n < 0 || n > f.size-pos {
		return 0, fmt.Errorf("append %d bytes to %s at %d of %d: %w", n, f.path, pos, f.size, ErrNoSpace)
	}
	if f.advice.Load() == adviceWanted {
		f.adviseAppend(pos) // first append in this process: before any fault
	}
	fill(f.data[pos : pos+n : pos+n])
	f.wrote.Store(int64(pos + n))
	if w := f.warm.Load(); w != nil && int64(min(pos+n+w.ahead/2, f.size)) > f.warmed.Load() {
		w.poke()
	}
	return pos, nil
}

// Slice returns a view of n written bytes at pos. The view aliases the
// mapping: hold the File (Hold) while using it and drop it before Release.
func (f *File) Slice(pos, n int) ([]byte, error) {
	if f.closed.Load() && f.refs.Load() <= 0 {
		return nil, fmt.Errorf("slice %s: %w", f.path, ErrClosed)
	}
	if pos < 0 || n < 0 || pos+n > f.WrotePosition() {
		return nil, fmt.Errorf("slice %s [%d,+%d) wrote %d: %w", f.path, pos, n, f.WrotePosition(), ErrOutOfRange)
	}
	return f.data[pos : pos+n : pos+n], nil
}

// Hold pins the mapping for a reader. It returns false once the File is closed
// or destroyed; a true result must be paired with one Release.
func (f *File) Hold() bool {
	for {
		if f.closed.Load() {
			return false
		}
		r := f.refs.Load()
		if r <= 0 {
			return false
		}
		if f.refs.CompareAndSwap(r, r+1) {
			return true
		}
	}
}

// Release drops a reference taken by Hold. The last reference unmaps the file.
func (f *File) Release() { _ = f.release() }

// release drops one reference and, when it was the last, unmaps the file and
// returns the unmap error.
func (f *File) release() error {
	r := f.refs.Add(-1)
	switch {
	case r == 0:
		return f.unmap()
	case r < 0:
		panic("segment: Release without Hold on " + f.path)
	}
	return nil
}

// Holders is the number of references, the owner's included (0 once unmapped).
func (f *File) Holders() int { return int(f.refs.Load()) }

// Mapped reports whether the mapping is still in place.
func (f *File) Mapped() bool { return f.refs.Load() > 0 }

func (f *File) unmap() error {
	var err error
	if f.data != nil {
		err = syscall.Munmap(f.data)
		f.data = nil
	}
	if cerr := f.fd.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("unmap segment %s: %w", f.path, err)
	}
	return nil
}

// SetSyncer replaces the function Flush uses to force data to disk.
func (f *File) SetSyncer(s Syncer) {
	if s == nil {
		s = Msync
	}
	f.flushMu.Lock()
	f.syncer = s
	f.flushMu.Unlock()
}

// Flush syncs [flushed, wrote) and returns the new flushed position. When the
// sync fails the flushed position does not move.
func (f *File) Flush() (int, error) {
	f.flushMu.Lock()
	defer f.flushMu.Unlock()
	from, to := f.FlushedPosition(), f.WrotePosition()
	if from >= to {
		return from, nil
	}
	if !f.Hold() {
		return from, fmt.Errorf("flush %s: %w", f.path, ErrClosed)
	}
	defer f.Release()
	if err := f.syncer(f.fd, f.pageRange(from, to)); err != nil {
		return from, fmt.Errorf("flush %s [%d,%d): %w", f.path, from, to, err)
	}
	// A concurrent SetWrotePosition may have moved wrote below to.
	f.flushed.Store(int64(min(to, f.WrotePosition())))
	return f.FlushedPosition(), nil
}

// DirtyPages is the number of OS pages between flushed and wrote, counted the
// way upstream's "least pages" rule does (wrote/page - flushed/page).
func (f *File) DirtyPages() int {
	return f.WrotePosition()/pageSize - f.FlushedPosition()/pageSize
}

// pageRange widens [from, to) to page boundaries, as msync requires.
func (f *File) pageRange(from, to int) []byte {
	start := from - from%pageSize
	end := min(to+(pageSize-to%pageSize)%pageSize, f.size)
	return f.data[start:end]
}

// SyncRange forces bytes [from, to) of the mapping to disk through the
// Syncer, whatever the positions say. Files written in place rather than
// appended (index files) use it; it does not move the flushed position.
func (f *File) SyncRange(from, to int) error {
	return f.inRange("sync", from, to, func(b []byte) bool { return true })
}

// ZeroRange clears bytes [from, to) of the mapping and syncs them (nothing is
// written when they are already zero). Owners use it to wipe data past a
// truncation point so a later recovery scan cannot mistake stale bytes for
// valid ones. It must not overlap bytes readers use.
func (f *File) ZeroRange(from, to int) error {
	return f.inRange("zero", from, to, func(b []byte) bool {
		if isZero(b) {
			return false // nothing to wipe: do not dirty pages
		}
		clear(b)
		return true
	})
}

// inRange pins the mapping, lets change work on bytes [from, to) and syncs
// them when change reports it wrote something.
func (f *File) inRange(op string, from, to int, change func([]byte) bool) error {
	from, to = max(from, 0), min(to, f.size)
	if from >= to {
		return nil
	}
	if !f.Hold() {
		return fmt.Errorf("%s %s: %w", op, f.path, ErrClosed)
	}
	defer f.Release()
	if !change(f.data[from:to]) {
		return nil
	}
	f.flushMu.Lock()
	defer f.flushMu.Unlock()
	if err := f.syncer(f.fd, f.pageRange(from, to)); err != nil {
		return fmt.Errorf("%s %s [%d,%d): %w", op, f.path, from, to, err)
	}
	return nil
}

func isZero(b []byte) bool {
	for len(b) >= 8 {
		if *(*uint64)(unsafe.Pointer(&b[0])) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Reserve allocates disk blocks for bytes [from, to) of the file. A sparse
// file's hole written through the mapping on a full disk raises SIGBUS and
// kills the process; writing only reserved bytes turns that into this
// error. Existing data is left as it is. On a file system without
// fallocate it does nothing.
func (f *File) Reserve(from, to int) error {
	from, to = max(from, 0), min(to, f.size)
	if from >= to {
		return nil
	}
	if !f.Hold() {
		return fmt.Errorf("reserve %s: %w", f.path, ErrClosed)
	}
	defer f.Release()
	err := syscall.Fallocate(int(f.fd.Fd()), 0, int64(from), int64(to-from))
	if errors.Is(err, syscall.EOPNOTSUPP) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reserve %s [%d,%d): %w", f.path, from, to, err)
	}
	return nil
}

// ModTime is the file's last-modified time, used by time-based expiry.
func (f *File) ModTime() time.Time {
	fi, err := os.Stat(f.path)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

// Close marks the File closed and drops the owner's reference; the mapping is
// released once the last reader releases. Closing twice is a no-op.
func (f *File) Close() error {
	if f.closed.Swap(true) {
		return nil
	}
	return f.release()
}

// Destroy closes the File and removes it from disk. The name is removed at
// once; the mapping lives until the last holder releases.
func (f *File) Destroy() error {
	cerr := f.Close()
	if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("destroy segment %s: %w", f.path, err)
	}
	return cerr
}

// rename moves the file to newPath without touching its mapping.
func (f *File) rename(newPath string) error {
	if err := os.Rename(f.path, newPath); err != nil {
		return err
	}
	f.path = newPath
	return nil
}
