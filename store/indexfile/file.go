package indexfile

import (
	"encoding/binary"
	"fmt"
	"math"
	"path/filepath"
	"sync/atomic"
	"unsafe"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store/segment"
)

const (
	// HeaderSize is the size of an index file header.
	HeaderSize = 40
	// DefaultSlots is upstream's maxHashSlotNum.
	DefaultSlots = 5_000_000
	// DefaultMaxEntries is upstream's maxIndexNum.
	DefaultMaxEntries = 20_000_000

	slotSize  = 4
	entrySize = 20

	// reserveAhead is how much of the entry area put reserves disk blocks
	// for at a time (52,428 entries).
	reserveAhead = 1 << 20

	offBeginTimestamp = 0
	offEndTimestamp   = 8
	offBeginPhyOffset = 16
	offEndPhyOffset   = 24
	offHashSlotCount  = 32
	offIndexCount     = 36
)

// KeyHash is the hash upstream indexes a key by: |String.hashCode(key)|, with
// Integer.MIN_VALUE mapped to 0.
func KeyHash(key string) int32 {
	h := protocol.JavaStringHash(key)
	if h == math.MinInt32 {
		return 0
	}
	if h < 0 {
		return -h
	}
	return h
}

// FileSize is the size of an index file with the given geometry.
func FileSize(slots, maxEntries int) int {
	return HeaderSize + slots*slotSize + maxEntries*entrySize
}

// file is one index file. The header lives in the mapping and, for lock-free
// readers, in atomics; count is published last.
type file struct {
	seg        *segment.File
	name       string
	slots      int
	maxEntries int
	data       []byte // the whole mapping; valid while seg is mapped

	beginTS, endTS   atomic.Int64
	beginPhy, endPhy atomic.Int64
	slotCount        atomic.Int32
	count            atomic.Int32 // next entry number; starts at 1

	reserved int // bytes from the start with disk blocks reserved; writer only
}

// reserve allocates disk blocks for bytes [from, to) of a file; tests
// replace it to play a full disk.
var reserve = (*segment.File).Reserve

// openFile opens or creates an index file. A new file starts from the end
// offsets and timestamps of the file before it, as upstream does.
func openFile(dir, name string, slots, maxEntries int, prevEndPhy, prevEndTS int64) (*file, error) {
	size := FileSize(slots, maxEntries)
	seg, err := segment.OpenSparseFile(filepath.Join(dir, name), 0, size)
	if err != nil {
		return nil, fmt.Errorf("open index file: %w", err)
	}
	fresh := seg.WrotePosition() == 0
	seg.SetWrotePosition(size) // written in place, never appended
	data, err := seg.Slice(0, size)
	if err != nil {
		seg.Close()
		return nil, fmt.Errorf("open index file: %w", err)
	}
	f := &file{seg: seg, name: name, slots: slots, maxEntries: maxEntries, data: data}
	if fresh {
		// The file is sparse: header and slots get disk blocks now, so
		// writing them cannot hit a full disk (SIGBUS), entries as put
		// reaches them.
		if err := f.reserveTo(f.entryOffset(0)); err != nil {
			seg.Destroy()
			return nil, fmt.Errorf("create index file: %w", err)
		}
		f.count.Store(1)
		f.startAfter(prevEndPhy, prevEndTS)
		f.putInt32(offIndexCount, 1)
		return f, nil
	}
	f.load()
	return f, nil
}

// startAfter sets the header of an empty file to the previous file's end
// offset and time.
func (f *file) startAfter(prevEndPhy, prevEndTS int64) {
	if prevEndPhy > 0 {
		f.setBeginPhy(prevEndPhy)
		f.setEndPhy(prevEndPhy)
	}
	if prevEndTS > 0 {
		f.setBeginTS(prevEndTS)
		f.setEndTS(prevEndTS)
	}
}

// empty reports whether the file holds no entry.
func (f *file) empty() bool { return f.count.Load() <= 1 }

// load reads the header of an existing file, clamping what would send a
// writer outside the file.
func (f *file) load() {
	f.beginTS.Store(f.getInt64(offBeginTimestamp))
	f.endTS.Store(f.getInt64(offEndTimestamp))
	f.beginPhy.Store(f.getInt64(offBeginPhyOffset))
	f.endPhy.Store(f.getInt64(offEndPhyOffset))
	f.slotCount.Store(f.getInt32(offHashSlotCount))
	n := f.getInt32(offIndexCount)
	if n <= 0 {
		n = 1
	}
	n = int32(min(int(n), f.maxEntries))
	f.count.Store(n)
	f.undoUncounted()
}

// undoUncounted takes back a put that a killed process left between its two
// commit points: entry n (the count) is complete and its slot already points
// at it, but the count was never raised. Readers would treat that slot as
// empty (it points past the count) and the next put would overwrite entry n,
// so the slot gets back the link the entry itself recorded. The message is
// indexed again by re-dispatch: endPhyOffset was not moved past it.
func (f *file) undoUncounted() {
	n := f.count.Load()
	if int(n) >= f.maxEntries {
		return
	}
	e := f.entryOffset(n)
	hash := f.getInt32(e)
	if hash < 0 {
		return
	}
	slotOff := f.slotOffset(hash)
	if f.getInt32(slotOff) != n {
		return
	}
	prev := f.getInt32(e + 16)
	if prev <= 0 || prev >= n {
		prev = 0
	}
	f.store32(slotOff, prev)
}

// state reports the file's end time and offset for recovery.
func (f *file) state() FileState {
	st := FileState{
		Name:          f.name,
		EndTimestamp:  f.endTS.Load(),
		LastPhyOffset: f.endPhy.Load(),
		Full:          f.full(),
		Empty:         f.empty(),
	}
	if n := f.count.Load(); n > 1 {
		// Entries go in commit log order, so the last one is the newest.
		st.LastPhyOffset = max(st.LastPhyOffset, f.getInt64(f.entryOffset(n-1)+4))
	}
	return st
}

// afterWrite, when a test sets it, runs after every write put makes to the
// mapping; a test panics in it to stop put where a killed process would.
var afterWrite func()

func (f *file) getInt64(off int) int64 { return int64(binary.BigEndian.Uint64(f.data[off:])) }
func (f *file) getInt32(off int) int32 { return int32(binary.BigEndian.Uint32(f.data[off:])) }
func (f *file) putInt64(off int, v int64) {
	binary.BigEndian.PutUint64(f.data[off:], uint64(v))
	if afterWrite != nil {
		afterWrite()
	}
}
func (f *file) putInt32(off int, v int32) {
	binary.BigEndian.PutUint32(f.data[off:], uint32(v))
	if afterWrite != nil {
		afterWrite()
	}
}

// store32 writes a big-endian int32 at a 4-aligned offset with one store
// instruction, so a process killed around it leaves the old or the new value,
// never a mix. Slots and the count, the two commit points of put, use it.
func (f *file) store32(off int, v int32) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(v))
	atomic.StoreUint32((*uint32)(unsafe.Pointer(&f.data[off])), *(*uint32)(unsafe.Pointer(&b)))
	if afterWrite != nil {
		afterWrite()
	}
}

func (f *file) setBeginTS(v int64)  { f.beginTS.Store(v); f.putInt64(offBeginTimestamp, v) }
func (f *file) setEndTS(v int64)    { f.endTS.Store(v); f.putInt64(offEndTimestamp, v) }
func (f *file) setBeginPhy(v int64) { f.beginPhy.Store(v); f.putInt64(offBeginPhyOffset, v) }
func (f *file) setEndPhy(v int64)   { f.endPhy.Store(v); f.putInt64(offEndPhyOffset, v) }

func (f *file) full() bool { return int(f.count.Load()) >= f.maxEntries }

func (f *file) slotOffset(hash int32) int {
	return HeaderSize + int(hash)%f.slots*slotSize
}

func (f *file) entryOffset(n int32) int {
	return HeaderSize + f.slots*slotSize + int(n)*entrySize
}

// reserveTo makes sure bytes [0, end) have disk blocks, reserving from where
// the last call stopped (for a loaded file, from 0).
func (f *file) reserveTo(end int) error {
	if end <= f.reserved {
		return nil
	}
	if err := reserve(f.seg, f.reserved, end); err != nil {
		return err
	}
	f.reserved = end
	return nil
}

// put adds one entry; false means the file is full. The writes are ordered
// so that a process killed between any two of them leaves a file whose
// chains are intact (see the package doc):
//
//  1. the entry at n, and the header fields the entry's meaning depends on
//     (begin offset and time for the first entry); all above the count, so
//     still garbage to everyone;
//  2. the slot, pointing at n (one store);
//  3. the count, n+1 (one store): the entry is in;
//  4. endPhyOffset and endTimestamp, which only move forward.
//
// Nothing is written when disk blocks for the entry cannot be reserved: put
// returns the error instead.
func (f *file) put(hash int32, phyOffset, storeTimestamp int64) (bool, error) {
	n := f.count.Load()
	if int(n) >= f.maxEntries {
		return false, nil
	}
	e := f.entryOffset(n)
	if e+entrySize > f.reserved {
		if err := f.reserveTo(min(e+entrySize+reserveAhead, f.seg.Size())); err != nil {
			return false, err
		}
	}
	slotOff := f.slotOffset(hash)
	prev := f.getInt32(slotOff)
	if prev <= 0 || prev >= n {
		prev = 0
	}
	begin := f.beginTS.Load()
	if n <= 1 {
		// The first entry sets the file's begin time; its diff is taken
		// from that (upstream takes it from the previous file's end and
		// then moves begin, so the first entry's time reads late).
		begin = storeTimestamp
	}
	var diff int64
	if begin > 0 {
		diff = min(max((storeTimestamp-begin)/1000, 0), math.MaxInt32)
	}
	f.putInt32(e, hash)
	f.putInt64(e+4, phyOffset)
	f.putInt32(e+12, int32(diff))
	f.putInt32(e+16, prev)
	if n <= 1 {
		f.setBeginPhy(phyOffset)
		f.setBeginTS(storeTimestamp)
	}
	if prev == 0 {
		f.slotCount.Add(1)
		f.putInt32(offHashSlotCount, f.slotCount.Load())
	}
	f.store32(slotOff, n)
	f.store32(offIndexCount, n+1)
	f.setEndPhy(phyOffset)
	f.setEndTS(storeTimestamp)
	f.count.Store(n + 1) // publish: readers see the entry and slot above
	return true, nil
}

// timeMatched is upstream's overlap test of [begin, end] with the file.
func (f *file) timeMatched(begin, end int64) bool {
	fb, fe := f.beginTS.Load(), f.endTS.Load()
	return (begin < fb && end > fe) ||
		(begin >= fb && begin <= fe) ||
		(end >= fb && end <= fe)
}

// query appends to out the offsets of entries with this hash stored in
// [begin, end], newest first, until out holds max offsets.
func (f *file) query(out []int64, hash int32, max int, begin, end int64) []int64 {
	n := f.count.Load() // load before following the slot: see put
	if n <= 1 {
		return out
	}
	idx := f.getInt32(f.slotOffset(hash))
	if idx <= 0 || idx >= n {
		return out
	}
	fileBegin := f.beginTS.Load()
	for len(out) < max {
		e := f.entryOffset(idx)
		keyHash := f.getInt32(e)
		phy := f.getInt64(e + 4)
		diff := f.getInt32(e + 12)
		prev := f.getInt32(e + 16)
		if diff < 0 {
			break
		}
		t := fileBegin + int64(diff)*1000
		if keyHash == hash && t >= begin && t <= end {
			out = append(out, phy)
		}
		// A valid chain only goes back: prev < idx also rules out loops.
		if prev <= 0 || prev >= idx || t < begin {
			break
		}
		idx = prev
	}
	return out
}

// flush writes the whole mapping to disk.
func (f *file) flush() error {
	return f.seg.SyncRange(0, f.seg.Size())
}
