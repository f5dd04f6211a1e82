package commitlog

import (
	"errors"

	"github.com/rocketgo/rocketgo/store/segment"
)

// Scanner walks the records of a Log forward from a record boundary, jumping
// from a blank record to the next segment. Recovery uses it with CRC checks to
// find the end of valid data; the dispatcher keeps one open and calls Next
// again after new appends, since Next stops at the readable end without error.
//
// A Scanner holds the segment it is in, so the views of Record stay valid
// until the next call to Next, Reset or Close. It is not safe for concurrent
// use.
type Scanner struct {
	log      *Log
	checkCRC bool

	off    int64         // where the next record starts
	file   *segment.File // held, covers off; nil when not yet found
	rec    Record
	recOff int64
	err    error
}

// NewScanner starts a scan at from, which must be a record boundary (a
// segment start, or the end of a record).
func (l *Log) NewScanner(from int64, checkCRC bool) *Scanner {
	return &Scanner{log: l, checkCRC: checkCRC, off: from}
}

// Next moves to the next message record and reports whether there is one.
// It returns false at the readable end (Err is nil: call Next again later to
// follow new appends) or at a record that fails to decode (Err says why, and
// Offset is where that record starts).
func (s *Scanner) Next() bool {
	s.err = nil
	size := int64(s.log.fileSize)
	for {
		if s.file == nil || s.off < s.file.Base() || s.off >= s.file.Base()+size {
			s.release()
			f := s.log.files.FindByOffset(s.off)
			if f == nil || !f.Hold() {
				return false // no segment (yet) at off
			}
			s.file = f
		}
		pos := int(s.off - s.file.Base())
		wrote := s.file.WrotePosition()
		if pos >= wrote {
			if pos >= int(size) { // a full segment consumed exactly
				s.off = s.file.Base() + size
				continue
			}
			return false
		}
		b, err := s.file.Slice(pos, wrote-pos)
		if err != nil {
			s.err = err
			return false
		}
		r, err := Decode(b, s.checkCRC)
		if err != nil {
			s.rec = r
			s.err = err
			return false
		}
		if r.IsBlank() {
			s.off = s.file.Base() + size
			continue
		}
		s.rec = r
		s.recOff = s.off
		s.off += int64(r.Size)
		return true
	}
}

// Record is the record Next stopped at. Its views are valid until the next
// call to Next, Reset or Close.
func (s *Scanner) Record() *Record { return &s.rec }

// RecordOffset is the physical offset of Record.
func (s *Scanner) RecordOffset() int64 { return s.recOff }

// Offset is where the next record starts: after a false Next, the end of
// valid data (or the start of the invalid record).
func (s *Scanner) Offset() int64 { return s.off }

// Err is why the last Next returned false, or nil at the readable end.
// ErrEndOfData means zeros where a record would start.
func (s *Scanner) Err() error { return s.err }

// CanSkip reports whether the invalid record the scan stopped at has a
// trustworthy size (its lengths or CRC are wrong, but its TOTALSIZE stays
// inside the segment), so Skip can step over it.
func (s *Scanner) CanSkip() bool {
	if s.err == nil || !(errors.Is(s.err, ErrBadLength) || errors.Is(s.err, ErrBadCRC)) {
		return false
	}
	if s.rec.Size < BlankMinLength || s.file == nil {
		return false
	}
	end := s.off - s.file.Base() + int64(s.rec.Size)
	return end <= int64(s.file.WrotePosition())
}

// Skip steps over the invalid record when CanSkip allows it.
func (s *Scanner) Skip() bool {
	if !s.CanSkip() {
		return false
	}
	s.off += int64(s.rec.Size)
	s.err = nil
	return true
}

// Reset moves the scan to off, which must be a record boundary.
func (s *Scanner) Reset(off int64) {
	s.off = off
	s.err = nil
	if s.file != nil && (off < s.file.Base() || off >= s.file.Base()+int64(s.log.fileSize)) {
		s.release()
	}
}

// Close releases the held segment.
func (s *Scanner) Close() { s.release() }

func (s *Scanner) release() {
	if s.file != nil {
		s.file.Release()
		s.file = nil
	}
}
