package indexfile

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/store/segment"
)

// nameLayout is yyyyMMddHHmmss; milliseconds are appended as three digits.
const (
	nameLayout = "20060102150405"
	nameLen    = 17
)

// ErrClosed is returned when the index is used after Close.
var ErrClosed = errors.New("indexfile: index closed")

// Options sets the geometry of new and loaded files and the roll hook.
type Options struct {
	Slots      int // hash slots per file; 0 means DefaultSlots
	MaxEntries int // entries per file (entry 0 unused); 0 means DefaultMaxEntries

	// OnFull, if set, is called after a file that became full has been
	// flushed, with its endTimestamp (upstream stores it as the checkpoint's
	// indexMsgTimestamp). It runs on the background flush goroutine.
	OnFull func(endTimestamp int64)
	// OnFlushError, if set, receives errors of that background flush.
	OnFlushError func(error)
	// Now names new files; nil means time.Now.
	Now func() time.Time
	// Syncer forces files to disk; nil means msync. SetSyncer changes it.
	Syncer segment.Syncer
}

func (o *Options) fill() error {
	if o.Slots == 0 {
		o.Slots = DefaultSlots
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.Slots < 1 || o.Slots > math.MaxInt32 {
		return fmt.Errorf("index slots %d: want 1..%d", o.Slots, math.MaxInt32)
	}
	if o.MaxEntries < 2 || o.MaxEntries > math.MaxInt32 {
		return fmt.Errorf("index max entries %d: want 2..%d", o.MaxEntries, math.MaxInt32)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Index is the ordered set of index files in one directory.
type Index struct {
	dir  string
	opts Options

	writeMu sync.Mutex // serialises Put and file creation

	mu     sync.RWMutex
	files  []*file // oldest first
	syncer segment.Syncer
	closed bool

	flushes sync.WaitGroup // background flushes of full files
}

// OpenDir loads the index files in dir (creating dir if needed), oldest
// first. A name that is not 17 digits or a file of the wrong size for opts is
// an error naming the file; names ending in ".bad" or ".tmp" are skipped.
func OpenDir(dir string, opts Options) (*Index, error) {
	if err := opts.fill(); err != nil {
		return nil, fmt.Errorf("open index %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("open index: %w", err)
	}
	x := &Index{dir: dir, opts: opts, syncer: opts.Syncer}
	size := FileSize(opts.Slots, opts.MaxEntries)
	for _, e := range entries { // sorted by name, so by creation time
		name := e.Name()
		if e.IsDir() || strings.HasSuffix(name, segment.BadSuffix) || strings.HasSuffix(name, segment.TmpSuffix) {
			continue
		}
		if !validName(name) {
			x.Close()
			return nil, fmt.Errorf("open index %s: file %q is not named yyyyMMddHHmmssSSS", dir, name)
		}
		fi, err := e.Info()
		if err != nil {
			x.Close()
			return nil, fmt.Errorf("open index: %w", err)
		}
		if fi.Size() != int64(size) {
			x.Close()
			return nil, fmt.Errorf("open index: %s is %d bytes, want %d for %d slots and %d entries",
				filepath.Join(dir, name), fi.Size(), size, opts.Slots, opts.MaxEntries)
		}
		f, err := openFile(dir, name, opts.Slots, opts.MaxEntries, 0, 0)
		if err != nil {
			x.Close()
			return nil, err
		}
		if x.syncer != nil {
			f.seg.SetSyncer(x.syncer)
		}
		if n := len(x.files); n > 0 && f.empty() {
			// An empty file starts where the one before ended. A process
			// killed right after creating it never wrote that; without it
			// MaxPhyOffset would be 0 and the whole log indexed again.
			if err := f.reserveTo(HeaderSize); err != nil {
				f.seg.Close()
				x.Close()
				return nil, fmt.Errorf("open index: %w", err)
			}
			f.startAfter(x.files[n-1].endPhy.Load(), x.files[n-1].endTS.Load())
		}
		x.files = append(x.files, f)
	}
	return x, nil
}

func validName(name string) bool {
	if len(name) != nameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] < '0' || name[i] > '9' {
			return false
		}
	}
	return true
}

// fileName formats t as yyyyMMddHHmmssSSS in local time.
func fileName(t time.Time) string {
	return t.Format(nameLayout) + fmt.Sprintf("%03d", t.Nanosecond()/int(time.Millisecond))
}

// Dir is the directory holding the files.
func (x *Index) Dir() string { return x.dir }

// SetSyncer passes a fault-injection syncer to every current and future file.
func (x *Index) SetSyncer(s segment.Syncer) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.syncer = s
	for _, f := range x.files {
		f.seg.SetSyncer(s)
	}
}

// snapshot returns the files, oldest first.
func (x *Index) snapshot() []*file {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return append([]*file(nil), x.files...)
}

// Len is the number of index files.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.files)
}

// Put indexes key ("topic#key") for the message at phyOffset stored at
// storeTimestamp (ms), rolling to a new file when the last one is full. A
// message below the last file's endPhyOffset is already indexed: no-op.
func (x *Index) Put(key string, phyOffset int64, storeTimestamp int64) error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	f, err := x.writable()
	if err != nil {
		return err
	}
	if phyOffset < f.endPhy.Load() {
		return nil
	}
	hash := KeyHash(key)
	ok, err := f.put(hash, phyOffset, storeTimestamp)
	if err != nil || ok {
		return x.putErr(f, err)
	}
	if f, err = x.roll(f); err != nil {
		return err
	}
	if ok, err = f.put(hash, phyOffset, storeTimestamp); err == nil && !ok {
		err = errors.New("new file is already full")
	}
	return x.putErr(f, err)
}

func (x *Index) putErr(f *file, err error) error {
	if err != nil {
		return fmt.Errorf("index %s file %s: %w", x.dir, f.name, err)
	}
	return nil
}

// writable returns the last file, creating one when there is none or it is full.
func (x *Index) writable() (*file, error) {
	x.mu.RLock()
	closed := x.closed
	var last *file
	if n := len(x.files); n > 0 {
		last = x.files[n-1]
	}
	x.mu.RUnlock()
	if closed {
		return nil, fmt.Errorf("index %s: %w", x.dir, ErrClosed)
	}
	if last != nil && !last.full() {
		return last, nil
	}
	return x.roll(last)
}

// roll creates the file after prev (nil for the first) and starts a
// background flush of prev.
func (x *Index) roll(prev *file) (*file, error) {
	var prevEndPhy, prevEndTS int64
	var lastName string
	if prev != nil {
		prevEndPhy, prevEndTS, lastName = prev.endPhy.Load(), prev.endTS.Load(), prev.name
	}
	name, err := x.newName(lastName)
	if err != nil {
		return nil, err
	}
	f, err := openFile(x.dir, name, x.opts.Slots, x.opts.MaxEntries, prevEndPhy, prevEndTS)
	if err != nil {
		return nil, err
	}
	x.mu.Lock()
	if x.syncer != nil {
		f.seg.SetSyncer(x.syncer)
	}
	x.files = append(x.files, f)
	x.mu.Unlock()
	if prev != nil {
		x.flushes.Add(1)
		go x.flushFull(prev)
	}
	return f, nil
}

// newName picks a file name from the clock that sorts after lastName and
// does not exist yet.
func (x *Index) newName(lastName string) (string, error) {
	name := fileName(x.opts.Now())
	for {
		if name <= lastName {
			n, _ := strconv.ParseInt(lastName, 10, 64)
			name = fmt.Sprintf("%0*d", nameLen, n+1)
		}
		_, err := os.Lstat(filepath.Join(x.dir, name))
		if errors.Is(err, os.ErrNotExist) {
			return name, nil
		}
		if err != nil {
			return "", fmt.Errorf("index %s: %w", x.dir, err)
		}
		lastName = name
	}
}

func (x *Index) flushFull(f *file) {
	defer x.flushes.Done()
	if err := f.flush(); err != nil {
		if x.opts.OnFlushError != nil {
			x.opts.OnFlushError(fmt.Errorf("flush full index file %s: %w", f.name, err))
		}
		return
	}
	if f.full() && x.opts.OnFull != nil {
		x.opts.OnFull(f.endTS.Load())
	}
}

// Query returns the commit log offsets of up to max entries whose key hash
// matches key and whose store time is in [begin, end], newest file first,
// and the newest file's endTimestamp (upstream's indexLastUpdateTimestamp).
// Offsets of other keys with the same hash may be included.
func (x *Index) Query(key string, max int, begin, end int64) (phyOffsets []int64, lastUpdate int64) {
	files := x.snapshot()
	if len(files) == 0 || max <= 0 {
		if len(files) > 0 {
			lastUpdate = files[len(files)-1].endTS.Load()
		}
		return nil, lastUpdate
	}
	lastUpdate = files[len(files)-1].endTS.Load()
	hash := KeyHash(key)
	for i := len(files) - 1; i >= 0; i-- {
		f := files[i]
		if !f.seg.Hold() {
			continue // deleted meanwhile
		}
		if f.timeMatched(begin, end) {
			phyOffsets = f.query(phyOffsets, hash, max, begin, end)
		}
		older := f.beginTS.Load() < begin
		f.seg.Release()
		if older || len(phyOffsets) >= max {
			break
		}
	}
	return phyOffsets, lastUpdate
}

// MaxPhyOffset is the commit log offset of the last indexed message (the
// last file's endPhyOffset), 0 when nothing is indexed. Dispatch may start
// the index rebuild there: Put skips anything below it.
func (x *Index) MaxPhyOffset() int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if len(x.files) == 0 {
		return 0
	}
	return x.files[len(x.files)-1].endPhy.Load()
}

// DeleteBefore deletes files, oldest first and never the last one, whose
// endPhyOffset is below minPhyOffset. It returns how many it deleted.
func (x *Index) DeleteBefore(minPhyOffset int64) (int, error) {
	return x.deleteWhere(func(i, n int, f *file) (del, stop bool) {
		if i == n-1 || f.endPhy.Load() >= minPhyOffset {
			return false, true
		}
		return true, false
	})
}

// FileState is what recovery judges an index file by.
type FileState struct {
	Name         string
	EndTimestamp int64
	// LastPhyOffset is the commit log offset of the newest record the file
	// points at: its endPhyOffset, or its last entry's offset when a put was
	// stopped before moving endPhyOffset.
	LastPhyOffset int64
	Full          bool // no room for another entry
	Empty         bool // no entry at all
}

// DropFrom deletes the first file, oldest first, for which drop reports
// true, and every file after it; it returns how many it deleted. Only a tail
// is ever dropped, never a file between two kept ones: Put appends to the
// last file only, so re-dispatch from MaxPhyOffset refills exactly what went.
func (x *Index) DropFrom(drop func(FileState) bool) (int, error) {
	dropping := false
	return x.deleteWhere(func(_, _ int, f *file) (bool, bool) {
		if !dropping {
			dropping = drop(f.state())
		}
		return dropping, false
	})
}

func (x *Index) deleteWhere(pred func(i, n int, f *file) (del, stop bool)) (int, error) {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	keep := make([]*file, 0, len(x.files))
	var errs []error
	deleted := 0
	stopped := false
	for i, f := range x.files {
		if stopped {
			keep = append(keep, f)
			continue
		}
		del, stop := pred(i, len(x.files), f)
		if stop {
			stopped = true
		}
		if !del {
			keep = append(keep, f)
			continue
		}
		if err := f.seg.Destroy(); err != nil {
			errs = append(errs, err)
		}
		deleted++
	}
	x.files = keep
	if err := errors.Join(errs...); err != nil {
		return deleted, fmt.Errorf("delete index files: %w", err)
	}
	return deleted, nil
}

// Flush writes every file to disk.
func (x *Index) Flush() error {
	var errs []error
	for _, f := range x.snapshot() {
		if err := f.flush(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close waits for background flushes and closes every file. It does not
// flush: call Flush first for a clean shutdown.
func (x *Index) Close() error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	x.flushes.Wait()
	x.mu.Lock()
	defer x.mu.Unlock()
	x.closed = true
	var errs []error
	for _, f := range x.files {
		if err := f.seg.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	x.files = nil
	return errors.Join(errs...)
}
