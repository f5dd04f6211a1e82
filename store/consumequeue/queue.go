package consumequeue

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rocketgo/rocketgo/store/segment"
)

const (
	// UnitSize is the size of one consume queue unit in bytes.
	UnitSize = 20
	// DefaultUnitsPerFile is upstream's 300,000 units (6,000,000 bytes) per file.
	DefaultUnitsPerFile = 300_000
	// blankSize is the size field of a blank filler unit.
	blankSize = math.MaxInt32
)

var (
	// ErrConflict is returned by Put for a queue offset that already holds a
	// different message.
	ErrConflict = errors.New("consumequeue: unit already written with another message")
	// ErrHoleTooLarge is returned by Put when the queue offset is more than one
	// file past the end of the queue.
	ErrHoleTooLarge = errors.New("consumequeue: queue offset too far past the end")
	// ErrClosed is returned when writing to a closed or destroyed queue.
	ErrClosed = errors.New("consumequeue: queue closed")
)

// Queue is the consume queue of one topic queue.
type Queue struct {
	topic   string
	queueID int32
	units   int // units per file
	list    *segment.List

	mu       sync.Mutex   // serialises writers: Put, Truncate, DeleteBefore, ...
	closed   bool         // under mu: set by Close and Destroy
	minLogic atomic.Int64 // byte offset of the first readable unit
	maxPhy   atomic.Int64 // commit log end of the last unit written
}

// Options tunes how queues are opened.
type Options struct {
	UnitsPerFile int            // units per file; <= 0 means DefaultUnitsPerFile
	Syncer       segment.Syncer // how files are forced to disk; nil means msync
}

// Open opens (creating if needed) the queue in <dir>/<topic>/<queueID> and
// recovers it. dir is the consume queue root (<store>/consumequeue).
// unitsPerFile <= 0 means DefaultUnitsPerFile.
func Open(dir string, topic string, queueID int32, unitsPerFile int) (*Queue, error) {
	return OpenWith(dir, topic, queueID, Options{UnitsPerFile: unitsPerFile})
}

// OpenWith is Open with Options; the Syncer is in place before recovery
// writes anything.
func OpenWith(dir string, topic string, queueID int32, opts Options) (*Queue, error) {
	if err := checkTopic(topic); err != nil {
		return nil, err
	}
	if queueID < 0 {
		return nil, fmt.Errorf("open consume queue %s-%d: negative queue id", topic, queueID)
	}
	unitsPerFile := opts.UnitsPerFile
	if unitsPerFile <= 0 {
		unitsPerFile = DefaultUnitsPerFile
	}
	if unitsPerFile > math.MaxInt32/UnitSize {
		return nil, fmt.Errorf("open consume queue %s-%d: %d units per file is too many", topic, queueID, unitsPerFile)
	}
	path := filepath.Join(dir, topic, strconv.Itoa(int(queueID)))
	list, err := segment.OpenList(path, unitsPerFile*UnitSize)
	if err != nil {
		return nil, fmt.Errorf("open consume queue %s-%d: %w", topic, queueID, err)
	}
	if opts.Syncer != nil {
		list.SetSyncer(opts.Syncer)
	}
	q := &Queue{topic: topic, queueID: queueID, units: unitsPerFile, list: list}
	if err := q.recover(); err != nil {
		list.Close()
		return nil, fmt.Errorf("recover consume queue %s-%d: %w", topic, queueID, err)
	}
	return q, nil
}

// checkTopic refuses names that would escape or confuse the directory tree.
func checkTopic(topic string) error {
	if topic == "" || topic == "." || topic == ".." || strings.ContainsAny(topic, "/\\\x00") {
		return fmt.Errorf("consume queue topic %q: not usable as a directory name", topic)
	}
	return nil
}

// Topic is the queue's topic.
func (q *Queue) Topic() string { return q.topic }

// QueueID is the queue's id within its topic.
func (q *Queue) QueueID() int32 { return q.queueID }

// Dir is the directory holding the queue's files.
func (q *Queue) Dir() string { return q.list.Dir() }

// MinOffset is the first readable queue offset.
func (q *Queue) MinOffset() int64 { return q.minLogic.Load() / UnitSize }

// MaxOffset is the next queue offset to write (0 for an empty queue).
func (q *Queue) MaxOffset() int64 { return q.list.MaxOffset() / UnitSize }

// MaxPhyOffset is the commit log end (offset + size) of the last message in
// the queue, 0 when there is none. Dispatch restarts from the largest of these.
func (q *Queue) MaxPhyOffset() int64 { return q.maxPhy.Load() }

// SetSyncer passes a fault-injection syncer down to the queue's files.
func (q *Queue) SetSyncer(s segment.Syncer) { q.list.SetSyncer(s) }

// Put writes the unit for queue offset cqOffset. See the package doc for the
// rules on duplicates, conflicts and holes.
func (q *Queue) Put(cqOffset int64, phyOffset int64, size int32, tagsCode int64) error {
	if cqOffset < 0 || cqOffset > math.MaxInt64/UnitSize || phyOffset < 0 || size <= 0 || size == blankSize ||
		phyOffset > math.MaxInt64-int64(size) {
		return fmt.Errorf("put %s-%d unit %d (phy %d size %d): invalid unit", q.topic, q.queueID, cqOffset, phyOffset, size)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return fmt.Errorf("put %s-%d unit %d: %w", q.topic, q.queueID, cqOffset, ErrClosed)
	}
	u := Unit{PhyOffset: phyOffset, Size: size, TagsCode: tagsCode}
	want := cqOffset * UnitSize
	if phyOffset+int64(size) <= q.maxPhy.Load() {
		q.repairTorn(cqOffset, u) // already dispatched, unless a power failure tore it
		return nil
	}
	if q.list.Len() == 0 {
		if err := q.startAt(want); err != nil {
			return err
		}
	}
	end := q.list.MaxOffset()
	if want < end {
		// Mend a torn copy of this unit, then accept the same message; its
		// tags code may differ, the schedule topic's being a delivery time
		// that follows the level config.
		q.repairTorn(cqOffset, u)
		if have, _ := q.unitAt(cqOffset); have.PhyOffset == phyOffset && have.Size == size {
			q.maxPhy.Store(phyOffset + int64(size))
			return nil
		}
		return fmt.Errorf("put %s-%d unit %d (phy %d), queue ends at %d: %w",
			q.topic, q.queueID, cqOffset, phyOffset, end/UnitSize, ErrConflict)
	}
	if want > end {
		if (want-end)/UnitSize > int64(q.units) {
			return fmt.Errorf("put %s-%d unit %d, queue ends at %d: %w",
				q.topic, q.queueID, cqOffset, end/UnitSize, ErrHoleTooLarge)
		}
		if err := q.fillBlank(want); err != nil {
			return err
		}
	}
	f, err := q.list.LastOrCreate(want)
	if err != nil {
		return fmt.Errorf("put %s-%d unit %d: %w", q.topic, q.queueID, cqOffset, err)
	}
	if _, err := f.AppendWith(UnitSize, func(dst []byte) { writeUnit(dst, u) }); err != nil {
		return fmt.Errorf("put %s-%d unit %d: %w", q.topic, q.queueID, cqOffset, err)
	}
	q.maxPhy.Store(phyOffset + int64(size))
	return nil
}

// startAt creates the first file of an empty queue so that it holds byte
// offset want, padding it with blank units up to want.
func (q *Queue) startAt(want int64) error {
	f, err := q.list.LastOrCreate(want)
	if err != nil {
		return fmt.Errorf("create %s-%d first file: %w", q.topic, q.queueID, err)
	}
	if err := q.fillBlank(want); err != nil {
		return err
	}
	q.minLogic.Store(max(want, f.Base()))
	return nil
}

// fillBlank appends blank units until the queue ends at byte offset until.
func (q *Queue) fillBlank(until int64) error {
	for end := q.list.MaxOffset(); end < until; end = q.list.MaxOffset() {
		f, err := q.list.LastOrCreate(end)
		if err != nil {
			return fmt.Errorf("fill %s-%d blank units: %w", q.topic, q.queueID, err)
		}
		n := int(min(until-end, int64(f.Remaining())))
		_, err = f.AppendWith(n, func(dst []byte) {
			for p := 0; p+UnitSize <= len(dst); p += UnitSize {
				writeUnit(dst[p:], Unit{Size: blankSize})
			}
		})
		if err != nil {
			return fmt.Errorf("fill %s-%d blank units: %w", q.topic, q.queueID, err)
		}
	}
	return nil
}

// Get returns the unit at queue offset cqOffset. ok is false when the offset
// is outside [MinOffset, MaxOffset), its file is gone, or the unit does not
// point at a message (a blank filler or a unit of zeros).
func (q *Queue) Get(cqOffset int64) (Unit, bool) {
	u, ok := q.unitAt(cqOffset)
	return u, ok && u.IsMessage()
}

// unitAt decodes the unit at queue offset cqOffset, whatever it holds; ok is
// false when the offset is outside [MinOffset, MaxOffset) or its file is gone.
func (q *Queue) unitAt(cqOffset int64) (Unit, bool) {
	b, f := q.view(cqOffset)
	if f == nil {
		return Unit{}, false
	}
	defer f.Release()
	return decodeUnit(b), true
}

// view returns the bytes of the unit at cqOffset and the file holding them,
// held: the caller releases it. The file is nil when there is no such unit.
func (q *Queue) view(cqOffset int64) ([]byte, *segment.File) {
	if cqOffset < q.MinOffset() || cqOffset < 0 {
		return nil, nil
	}
	off := cqOffset * UnitSize
	f := q.list.FindByOffset(off)
	if f == nil || !f.Hold() {
		return nil, nil
	}
	b, err := f.Slice(int(off-f.Base()), UnitSize)
	if err != nil {
		f.Release()
		return nil, nil
	}
	return b, f
}

// repairTorn rewrites the unit at cqOffset with u when the one on disk is a
// torn copy of u (see torn), and reports whether it did. Re-dispatch after a
// crash brings the commit log's version of every recent unit, so a unit a
// power failure left half-written is mended then. The caller holds q.mu.
func (q *Queue) repairTorn(cqOffset int64, u Unit) bool {
	b, f := q.view(cqOffset)
	if f == nil {
		return false
	}
	defer f.Release()
	if !torn(decodeUnit(b), u) {
		return false
	}
	// Readers racing with this see another torn copy at worst; the store
	// repairs during the catch-up in Open, before it serves reads.
	encodeUnit(b, u)
	return true
}

// Range calls fn for up to max units from queue offset from (raised to
// MinOffset), in order, until fn returns false or the queue ends. Blank units
// are passed too; check Unit.IsMessage. Units are decoded straight from the
// mapped file.
func (q *Queue) Range(from int64, max int, fn func(cqOffset int64, u Unit) bool) {
	from = maxInt64(from, q.MinOffset())
	for max > 0 {
		off := from * UnitSize
		f := q.list.FindByOffset(off)
		if f == nil || !f.Hold() {
			return
		}
		pos := int(off - f.Base())
		n := min((f.WrotePosition()-pos)/UnitSize, max)
		if n <= 0 {
			f.Release()
			return
		}
		b, err := f.Slice(pos, n*UnitSize)
		if err != nil {
			f.Release()
			return
		}
		for i := 0; i < n; i++ {
			if !fn(from, decodeUnit(b[i*UnitSize:])) {
				f.Release()
				return
			}
			from++
		}
		f.Release()
		max -= n
	}
}

func maxInt64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// Flush syncs every unwritten unit to disk.
func (q *Queue) Flush() error {
	_, err := q.list.Flush()
	if err != nil {
		return fmt.Errorf("flush consume queue %s-%d: %w", q.topic, q.queueID, err)
	}
	return nil
}

// FlushLeast syncs files with at least leastPages dirty pages (or full files).
func (q *Queue) FlushLeast(leastPages int) error {
	_, err := q.list.FlushLeast(leastPages)
	if err != nil {
		return fmt.Errorf("flush consume queue %s-%d: %w", q.topic, q.queueID, err)
	}
	return nil
}

// Close closes the queue's files.
func (q *Queue) Close() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	return q.list.Close()
}

// Destroy deletes the queue's files.
func (q *Queue) Destroy() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.minLogic.Store(0)
	q.maxPhy.Store(0)
	return q.list.Destroy()
}
