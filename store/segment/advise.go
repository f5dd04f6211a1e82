package segment

import "syscall"

// maxFolioSize is the largest page cache folio the kernel builds for a file
// mapping on amd64 (PMD size). Large folios are why the tail is advised.
const maxFolioSize = 2 << 20

// Readahead advice for the tail a List appends to (List.AdviseRandomTail).
//
// The kernel grows the readahead window of a mapping faulted in sequence
// (the warmer, or the writer) and fills the page cache with ever larger
// folios, up to 2 MB after some 40 MB. A write through a shared mapping
// marks its whole folio dirty (the kernel cannot tell which bytes changed),
// so once folios are large every msync or fdatasync of one appended record
// writes 2 MB: measured on ext4, 0.7 ms per sync instead of 0.15 ms, and
// 2 MB of disk writes per 1 KB SYNC_FLUSH message. With MADV_RANDOM the
// fault path takes no readahead and maps single pages, so a sync writes the
// pages it covers and no more. Faulting single pages costs the warmer more
// CPU (about 1 GB/s populated instead of up to 3.7), which slowed many
// writers under ASYNC_FLUSH, whose few large flushes gain nothing: hence
// only Lists synced after small appends ask for it. A file that stops
// being the tail gets normal readahead back, for readers going through it
// cold.

// readaheadLag is how far behind the write position the advised tail stays
// MADV_RANDOM, and the step by which normal readahead is given back below
// it: well past the device's readahead window (8 MB on the test machine),
// so a reader's readahead below does not build large folios where the
// writer is. A variable for tests.
var readaheadLag = 64 << 20

// Tail advice states of a File.
const (
	adviceOff     int32 = iota // the List does not advise its tail
	adviceWanted               // advise at the next append
	adviceApplied              // the tail is MADV_RANDOM
)

// adviseAppend prepares f to be appended from pos: the clean cached pages
// of [pos, size), rounded down to a folio boundary, are dropped (they may
// sit in large folios built before this process or before the advice) and
// the mapping from pos is advised MADV_RANDOM. Pages mapped or dirty stay in
// the cache; nothing is lost. Advice is a hint: failures are ignored, the
// writer then syncs more than it needs, as without it.
func (f *File) adviseAppend(pos int) {
	if f.advice.Swap(adviceApplied) == adviceApplied {
		return
	}
	pos = min(max(pos, 0), f.size)
	drop := pos - pos%maxFolioSize
	_ = fadvise(f.fd, drop, f.size-drop, fadvDontNeed)
	from := pos - pos%pageSize
	f.randomFrom.Store(int64(from))
	if from < f.size {
		_ = syscall.Madvise(f.data[from:], syscall.MADV_RANDOM)
	}
}

// adviseReadBehind gives normal readahead back to the advised tail's data
// at least readaheadLag behind the write position, readaheadLag at a time,
// so a reader going through it cold (a lagging consumer after eviction)
// reads ahead again: without readahead, reading page by page was 8x slower
// (50 MB/s against 400). The warmer calls it; it takes the mapping's lock
// for writing, hence the large steps.
func (f *File) adviseReadBehind() {
	if f.advice.Load() != adviceApplied {
		return
	}
	end := f.WrotePosition() - readaheadLag
	end -= end % maxFolioSize
	from := int(f.randomFrom.Load())
	if end-from < readaheadLag {
		return
	}
	_ = syscall.Madvise(f.data[from:end], syscall.MADV_NORMAL)
	f.randomFrom.Store(int64(end))
}

// adviseRead gives f's whole mapping normal readahead again, once it is no
// longer appended to.
func (f *File) adviseRead() {
	if f.advice.Swap(adviceOff) != adviceApplied || !f.Hold() {
		return
	}
	defer f.Release()
	_ = syscall.Madvise(f.data, syscall.MADV_NORMAL)
}

const fadvDontNeed = 4 // POSIX_FADV_DONTNEED

func fadvise(fd interface{ Fd() uintptr }, off, n, advice int) error {
	if n <= 0 {
		return nil
	}
	_, _, errno := syscall.Syscall6(syscall.SYS_FADVISE64, fd.Fd(), uintptr(off), uintptr(n), uintptr(advice), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
