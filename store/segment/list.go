package segment

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Suffixes of names that OpenList skips.
const (
	BadSuffix = ".bad" // quarantined by QuarantineFrom
	TmpSuffix = ".tmp" // a creation interrupted before its rename
)

// List is the ordered set of segment files in one directory. Its methods are
// safe for concurrent use; the Files it hands out follow the File rules.
type List struct {
	dir  string
	size int

	mu     sync.RWMutex
	files  []*File // sorted by base
	syncer Syncer
	warm   *warmer // nil unless StartWarming
	advise bool    // AdviseRandomTail was called

	warmErr atomic.Pointer[error] // why the warmer stopped early
}

// OpenList loads the segment files in dir (creating dir if needed), sorted by
// base offset. A name that is not a 20-digit number, or a file whose size is
// not size, is an error naming the file. Names ending in ".bad" or ".tmp", and
// subdirectories, are skipped. Loaded files are marked fully written.
func OpenList(dir string, size int) (*List, error) {
	if size <= 0 {
		return nil, fmt.Errorf("open segments in %s: file size %d must be positive", dir, size)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open segments: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open segments: %w", err)
	}
	l := &List{dir: dir, size: size, syncer: Msync}
	for _, e := range entries { // ReadDir sorts by name; 20-digit names sort by offset
		name := e.Name()
		if e.IsDir() || strings.HasSuffix(name, BadSuffix) || strings.HasSuffix(name, TmpSuffix) {
			continue
		}
		base, err := ParseName(name)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("open segments in %s: %w", dir, err)
		}
		path := filepath.Join(dir, name)
		fi, err := e.Info()
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("open segments: %w", err)
		}
		if fi.Size() != int64(size) {
			l.Close()
			return nil, fmt.Errorf("open segments: %s is %d bytes, want %d", path, fi.Size(), size)
		}
		f, err := OpenFile(path, base, size)
		if err != nil {
			l.Close()
			return nil, err
		}
		l.files = append(l.files, f)
	}
	return l, nil
}

// StartWarming starts a goroutine that keeps the last file's pages faulted
// in up to ahead bytes past its write position (ahead <= 0 means
// DefaultWarmAhead); Close and Destroy stop it. See "Warming" in the package
// doc. It is for a List with one busy appender, the commit log: a goroutine
// per consume queue would cost more than the faults it saves. Calling it
// again does nothing.
func (l *List) StartWarming(ahead int) {
	if ahead <= 0 {
		ahead = DefaultWarmAhead
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.warm != nil {
		return
	}
	w := &warmer{list: l, ahead: ahead, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	l.warm = w
	for _, f := range l.files {
		f.warm.Store(w)
	}
	go w.run()
	w.poke()
}

// AdviseRandomTail maps the file the List appends to MADV_RANDOM from its
// write position on (see "Readahead advice" in the package doc): a new file
// when it is created, the current last file at its next append. It is for a
// List synced after every few appends (the commit log under SYNC_FLUSH);
// call it before StartWarming.
func (l *List) AdviseRandomTail() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.advise = true
	if n := len(l.files); n > 0 {
		l.files[n-1].advice.CompareAndSwap(adviceOff, adviceWanted)
	}
}

// WarmError is why the warmer stopped before Close (the kernel lacks
// MADV_POPULATE_WRITE, say), or nil.
func (l *List) WarmError() error {
	if err := l.warmErr.Load(); err != nil {
		return *err
	}
	return nil
}

// StopWarming stops the warmer, if any, and waits for it to end; Close and
// Destroy call it.
func (l *List) StopWarming() {
	l.mu.Lock()
	w := l.warm
	l.warm = nil
	for _, f := range l.files {
		f.warm.Store(nil)
	}
	l.mu.Unlock()
	if w != nil {
		close(w.stop)
		<-w.done
	}
}

// Dir is the directory holding the files.
func (l *List) Dir() string { return l.dir }

// FileSize is the size of every file in the list.
func (l *List) FileSize() int { return l.size }

// SetSyncer sets the Syncer of every current and future file.
func (l *List) SetSyncer(s Syncer) {
	if s == nil {
		s = Msync
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.syncer = s
	for _, f := range l.files {
		f.SetSyncer(s)
	}
}

// Files returns a snapshot of the files, oldest first.
func (l *List) Files() []*File {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]*File(nil), l.files...)
}

// Len is the number of files.
func (l *List) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.files)
}

// First is the oldest file, or nil.
func (l *List) First() *File {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if len(l.files) == 0 {
		return nil
	}
	return l.files[0]
}

// Last is the newest file, or nil.
func (l *List) Last() *File {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if len(l.files) == 0 {
		return nil
	}
	return l.files[len(l.files)-1]
}

// LastOrCreate returns the writable tail. When the list is empty it creates
// the file holding nextBase (nextBase rounded down to a file boundary); when
// the last file is full it creates the one after it.
func (l *List) LastOrCreate(nextBase int64) (*File, error) {
	l.mu.RLock()
	var last *File
	if n := len(l.files); n > 0 {
		last = l.files[n-1]
	}
	l.mu.RUnlock()
	if last != nil && !last.Full() {
		return last, nil
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	var base int64
	if n := len(l.files); n > 0 {
		last = l.files[n-1]
		if !last.Full() { // created by a concurrent caller
			return last, nil
		}
		base = last.base + int64(l.size)
	} else {
		if nextBase < 0 {
			return nil, fmt.Errorf("create segment in %s: negative offset %d", l.dir, nextBase)
		}
		base = nextBase - nextBase%int64(l.size)
	}
	f, err := OpenFile(filepath.Join(l.dir, FileName(base)), base, l.size)
	if err != nil {
		return nil, err
	}
	if f.WrotePosition() != 0 {
		// A file of that name already existed outside the list: do not
		// append over it.
		f.Close()
		return nil, fmt.Errorf("create segment %s: file already exists", f.path)
	}
	f.SetSyncer(l.syncer)
	if l.advise {
		f.adviseAppend(0) // before the warmer faults it in
	}
	if n := len(l.files); n > 0 {
		l.files[n-1].adviseRead() // full: only readers go through it now
	}
	l.files = append(l.files, f)
	if l.warm != nil {
		f.warm.Store(l.warm)
		l.warm.poke()
	}
	return f, nil
}

// FindByOffset returns the file whose range [base, base+size) covers off, or
// nil when none does.
func (l *List) FindByOffset(off int64) *File {
	l.mu.RLock()
	defer l.mu.RUnlock()
	i := sort.Search(len(l.files), func(i int) bool {
		return l.files[i].base+int64(l.size) > off
	})
	if i < len(l.files) && l.files[i].base <= off {
		return l.files[i]
	}
	return nil
}

// MinOffset is the first file's base, or 0 when the list is empty.
func (l *List) MinOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if len(l.files) == 0 {
		return 0
	}
	return l.files[0].base
}

// MaxOffset is the last file's base plus its write position, or 0 when empty.
func (l *List) MaxOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if len(l.files) == 0 {
		return 0
	}
	last := l.files[len(l.files)-1]
	return last.base + int64(last.WrotePosition())
}

// FlushedOffset is the offset below which every written byte is durable.
func (l *List) FlushedOffset() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.flushedOffsetLocked()
}

func (l *List) flushedOffsetLocked() int64 {
	for _, f := range l.files {
		if f.FlushedPosition() < f.WrotePosition() {
			return f.base + int64(f.FlushedPosition())
		}
	}
	if len(l.files) == 0 {
		return 0
	}
	last := l.files[len(l.files)-1]
	return last.base + int64(last.WrotePosition())
}

// Flush syncs every unflushed byte and returns the flushed offset.
func (l *List) Flush() (int64, error) { return l.FlushLeast(0) }

// FlushLeast syncs files holding at least leastPages dirty OS pages, files
// that are full, or, when leastPages is 0, any unflushed file. It returns the
// flushed offset; on a failed sync the offset stops before the failed range.
func (l *List) FlushLeast(leastPages int) (int64, error) {
	files := l.Files()
	for _, f := range files {
		if f.FlushedPosition() >= f.WrotePosition() {
			continue
		}
		if leastPages > 0 && !f.Full() && f.DirtyPages() < leastPages {
			continue
		}
		if _, err := f.Flush(); err != nil {
			return l.FlushedOffset(), err
		}
	}
	return l.FlushedOffset(), nil
}

// TruncateDirty drops data at and past off, for recovery: the file holding off
// keeps off-base bytes, later files are destroyed. Bytes past the new end are
// not zeroed.
func (l *List) TruncateDirty(off int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	keep := l.files[:0]
	var firstErr error
	for _, f := range l.files {
		switch {
		case f.base+int64(l.size) <= off:
			keep = append(keep, f)
		case f.base <= off:
			f.SetWrotePosition(int(off - f.base))
			keep = append(keep, f)
		default:
			if err := f.Destroy(); err != nil && firstErr == nil {
				firstErr = fmt.Errorf("truncate segments at %d: %w", off, err)
			}
		}
	}
	clear(l.files[len(keep):])
	l.files = keep
	return firstErr
}

// DeleteFirstFiles destroys files from the head while pred accepts them, at
// most max files (max <= 0: no limit). It never deletes the last file and
// stops at the first file pred rejects, so files never go from the middle.
// pred runs under the list's lock and must not call the List.
func (l *List) DeleteFirstFiles(pred func(*File) bool, max int) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	var err error
	for n < len(l.files)-1 && (max <= 0 || n < max) {
		f := l.files[n]
		if !pred(f) {
			break
		}
		if derr := f.Destroy(); derr != nil {
			err = fmt.Errorf("delete expired segment: %w", derr)
			n++ // the file is closed either way: drop it from the list
			break
		}
		n++
	}
	l.files = append(l.files[:0], l.files[n:]...)
	return n, err
}

// QuarantineFrom moves aside every file whose base is >= off: each is closed
// and renamed "<name>.bad" (or "<name>.<n>.bad" if that exists). Nothing is
// deleted. It returns the new paths.
func (l *List) QuarantineFrom(off int64) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	i := sort.Search(len(l.files), func(i int) bool { return l.files[i].base >= off })
	var moved []string
	var firstErr error
	for _, f := range l.files[i:] {
		f.Close()
		dst, err := badName(f.path)
		if err == nil {
			err = f.rename(dst)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("quarantine %s: %w", f.path, err)
			}
			continue
		}
		moved = append(moved, dst)
	}
	clear(l.files[i:])
	l.files = l.files[:i]
	if len(moved) > 0 {
		if err := syncDir(l.dir); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return moved, firstErr
}

func badName(path string) (string, error) {
	dst := path + BadSuffix
	for n := 1; ; n++ {
		_, err := os.Lstat(dst)
		if errors.Is(err, os.ErrNotExist) {
			return dst, nil
		}
		if err != nil {
			return "", err
		}
		dst = fmt.Sprintf("%s.%d%s", path, n, BadSuffix)
	}
}

// Destroy destroys every file (the directory stays).
func (l *List) Destroy() error { return l.dropAll((*File).Destroy) }

// Close closes every file; mappings still held by readers are released when
// the readers release them.
func (l *List) Close() error { return l.dropAll((*File).Close) }

// dropAll stops the warmer, applies end to every file and empties the list.
func (l *List) dropAll(end func(*File) error) error {
	l.StopWarming() // before l.mu: the warmer takes it to find the last file
	l.mu.Lock()
	defer l.mu.Unlock()
	var firstErr error
	for _, f := range l.files {
		if err := end(f); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	l.files = nil
	return firstErr
}
