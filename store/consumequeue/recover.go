package consumequeue

import (
	"fmt"

	"github.com/rocketgo/rocketgo/store/segment"
)

// recover finds the end of the valid units after loading, as upstream does:
// scan from the third-last file, stop at the first invalid unit, drop what
// follows. It then sets MinOffset past a leading blank area and MaxPhyOffset.
func (q *Queue) recover() error {
	files := q.list.Files()
	if len(files) == 0 {
		return nil
	}
	start := max(len(files)-3, 0)
	end := files[start].Base()
	var maxPhy int64
scan:
	for i := start; i < len(files); i++ {
		f := files[i]
		if i > start && f.Base() != end {
			break // a gap between files: what follows cannot be trusted
		}
		b, err := f.Slice(0, f.Size())
		if err != nil {
			return err
		}
		for pos := 0; pos+UnitSize <= len(b); pos += UnitSize {
			u := decodeUnit(b[pos:])
			if !u.valid() {
				break scan
			}
			if u.IsMessage() {
				maxPhy = u.PhyOffset + int64(u.Size)
			}
			end = f.Base() + int64(pos+UnitSize)
		}
	}
	if err := q.truncateAt(end); err != nil {
		return err
	}
	q.maxPhy.Store(maxPhy)
	q.minLogic.Store(q.firstNonBlank())
	return nil
}

// truncateAt drops units at and past byte offset end and wipes the stale
// bytes after end in the file that holds it, so a later recovery scan cannot
// read them as units.
func (q *Queue) truncateAt(end int64) error {
	var tail *segment.File
	var tailWrote int
	if f := q.list.FindByOffset(end); f != nil {
		tail, tailWrote = f, f.WrotePosition()
	}
	if err := q.list.TruncateDirty(end); err != nil {
		return err
	}
	if tail == nil {
		return nil
	}
	if from := int(end - tail.Base()); tailWrote > from {
		return tail.ZeroRange(from, tailWrote)
	}
	return nil
}

// firstNonBlank is the byte offset of the first unit of the first file that is
// not blank filler (the end of the written area when all are blank).
func (q *Queue) firstNonBlank() int64 {
	f := q.list.First()
	if f == nil || !f.Hold() {
		return 0
	}
	defer f.Release()
	n := f.WrotePosition()
	b, err := f.Slice(0, n)
	if err != nil {
		return f.Base()
	}
	pos := 0
	for ; pos+UnitSize <= n; pos += UnitSize {
		if !decodeUnit(b[pos:]).IsBlank() {
			break
		}
	}
	return f.Base() + int64(pos)
}

// Truncate drops every unit pointing at or past the commit log offset
// maxPhyOffset, for recovery when the commit log is shorter than the queue.
// Later files are deleted and the file holding the cut keeps the units
// before it. When no unit survives, the first file is kept empty so the
// queue's offsets do not go back to zero.
func (q *Queue) Truncate(maxPhyOffset int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	files := q.list.Files()
	if len(files) == 0 {
		return nil
	}
	end := files[0].Base()
	for i := len(files) - 1; i >= 0; i-- {
		if keep := keepBefore(files[i], maxPhyOffset); keep > 0 {
			end = files[i].Base() + int64(keep)
			break
		}
	}
	if err := q.truncateAt(end); err != nil {
		return fmt.Errorf("truncate %s-%d at phy %d: %w", q.topic, q.queueID, maxPhyOffset, err)
	}
	q.maxPhy.Store(q.lastMessageEnd())
	if m := q.list.MaxOffset(); q.minLogic.Load() > m {
		q.minLogic.Store(m)
	}
	return nil
}

// keepBefore is the byte length of the run of units at the head of f that are
// valid and point below maxPhyOffset (blank filler always stays).
func keepBefore(f *segment.File, maxPhyOffset int64) int {
	if !f.Hold() {
		return 0
	}
	defer f.Release()
	b, err := f.Slice(0, f.WrotePosition())
	if err != nil {
		return 0
	}
	keep := 0
	for pos := 0; pos+UnitSize <= len(b); pos += UnitSize {
		u := decodeUnit(b[pos:])
		if !u.valid() || (u.IsMessage() && u.PhyOffset >= maxPhyOffset) {
			break
		}
		keep = pos + UnitSize
	}
	return keep
}

// lastMessageEnd scans backwards for the last real message unit and returns
// its commit log end, or 0.
func (q *Queue) lastMessageEnd() int64 {
	files := q.list.Files()
	for i := len(files) - 1; i >= 0; i-- {
		f := files[i]
		if !f.Hold() {
			continue
		}
		b, err := f.Slice(0, f.WrotePosition())
		if err == nil {
			for pos := len(b) - len(b)%UnitSize - UnitSize; pos >= 0; pos -= UnitSize {
				if u := decodeUnit(b[pos:]); u.IsMessage() {
					f.Release()
					return u.PhyOffset + int64(u.Size)
				}
			}
		}
		f.Release()
	}
	return 0
}

// DeleteBefore deletes head files whose last unit points below the commit
// log offset minPhyOffset (never the last file), then moves MinOffset with
// CorrectMinOffset. It returns the number of files deleted.
func (q *Queue) DeleteBefore(minPhyOffset int64) (int, error) {
	q.mu.Lock()
	n, err := q.list.DeleteFirstFiles(func(f *segment.File) bool {
		b, err := f.Slice(f.Size()-UnitSize, UnitSize)
		if err != nil {
			return false
		}
		return decodeUnit(b).PhyOffset < minPhyOffset
	}, 0)
	if first := q.list.First(); first != nil && q.minLogic.Load() < first.Base() {
		q.minLogic.Store(first.Base())
	}
	q.mu.Unlock()
	if err != nil {
		return n, fmt.Errorf("delete expired %s-%d files: %w", q.topic, q.queueID, err)
	}
	q.CorrectMinOffset(minPhyOffset)
	return n, nil
}

// CorrectMinOffset sets MinOffset to the first message unit of the first file
// whose commit log offset is at least minPhyOffset, skipping blank filler. If
// the first file has none, MinOffset is left alone (as upstream does).
func (q *Queue) CorrectMinOffset(minPhyOffset int64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	f := q.list.First()
	if f == nil || !f.Hold() {
		return
	}
	defer f.Release()
	b, err := f.Slice(0, f.WrotePosition())
	if err != nil {
		return
	}
	for pos := 0; pos+UnitSize <= len(b); pos += UnitSize {
		u := decodeUnit(b[pos:])
		if u.IsMessage() && u.PhyOffset >= minPhyOffset {
			q.minLogic.Store(f.Base() + int64(pos))
			return
		}
	}
}
