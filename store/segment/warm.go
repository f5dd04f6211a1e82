package segment

import (
	"errors"
	"fmt"
	"syscall"
	"unsafe"
)

// madvPopulateWrite is MADV_POPULATE_WRITE (Linux 5.14): fault pages in
// writable, as a write to each would, without changing their contents.
const madvPopulateWrite = 23

// DefaultWarmAhead is how far past the write position StartWarming keeps
// pages faulted in by default: at 1 GB/s, 16 ms of appends.
const DefaultWarmAhead = 16 << 20

// warmChunk is how much one populate call covers, so Close is never kept
// waiting long.
const warmChunk = 1 << 20

// errWarmUnsupported means the kernel cannot populate a mapping ahead.
var errWarmUnsupported = errors.New("segment: MADV_POPULATE_WRITE not supported")

// populate prefaults bytes [from, to) of f's mapping; tests replace it.
var populate = func(f *File, from, to int) error { return populateWrite(f.data[from:to]) }

// populateWrite prefaults b (page-aligned) for writing.
func populateWrite(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	_, _, errno := syscall.Syscall(syscall.SYS_MADVISE,
		uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), madvPopulateWrite)
	switch errno {
	case 0:
		return nil
	case syscall.EINVAL:
		return errWarmUnsupported
	}
	return errno
}

// warmer keeps the pages of a List's last file prefaulted some way ahead of
// its write position, so the appending writer finds them mapped. A write
// fault on a page of a preallocated (unwritten) extent makes the kernel
// allocate and zero page cache around it first; done here, that work leaves
// the writer's path. Populating does not change the bytes, so it cannot race
// with the writer: it only takes faults the writer would have taken.
type warmer struct {
	list  *List
	ahead int
	kick  chan struct{} // capacity 1: a pending request is enough
	stop  chan struct{}
	done  chan struct{}
}

// poke asks the warmer to look at the last file again.
func (w *warmer) poke() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *warmer) run() {
	defer close(w.done)
	for {
		select {
		case <-w.stop:
			return
		case <-w.kick:
		}
		if err := w.warmLast(); err != nil {
			// Unsupported kernel or a failing mapping: the writer faults
			// pages itself, as without a warmer.
			w.list.warmErr.Store(&err)
			return
		}
	}
}

// warmLast populates the last file from the larger of its write and warm
// positions up to ahead bytes past its write position.
func (w *warmer) warmLast() error {
	f := w.list.Last()
	if f == nil || !f.Hold() {
		return nil
	}
	defer f.Release()
	f.adviseReadBehind()
	from := max(int(f.warmed.Load()), f.WrotePosition())
	from -= from % pageSize
	target := min(f.WrotePosition()+w.ahead, f.size)
	for from < target {
		select {
		case <-w.stop:
			return nil
		default:
		}
		to := min(from+warmChunk, f.size)
		if err := populate(f, from, to); errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EAGAIN) {
			continue // interrupted or a transient failure: again
		} else if err != nil {
			return fmt.Errorf("warm %s [%d,%d): %w", f.path, from, to, err)
		}
		f.warmed.Store(int64(to))
		from = to
	}
	return nil
}
