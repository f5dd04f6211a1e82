package commitlog

import (
	"errors"
	"fmt"

	"github.com/rocketgo/rocketgo/store/segment"
)

var (
	// ErrRecordTooLarge: the record cannot fit any segment, even an empty one.
	ErrRecordTooLarge = errors.New("commitlog: record larger than a segment")
	// ErrCreateFile wraps a failure to create the next segment.
	ErrCreateFile = errors.New("commitlog: create segment")
	// ErrNotFound: no segment holds the requested offset (never written, or
	// already deleted by expiry).
	ErrNotFound = errors.New("commitlog: offset not in any segment")
)

// Log is the commit log: one append-only sequence of records split over
// fixed-size segment files. Appends are single-writer (the caller's put lock);
// reads and scans may run concurrently with them.
type Log struct {
	files    *segment.List
	fileSize int
}

// Open loads the segments in dir. Every file is marked fully written; the
// caller recovers the real end with a Scanner and Truncate.
func Open(dir string, fileSize int) (*Log, error) {
	if fileSize < 4096 {
		return nil, fmt.Errorf("open commit log in %s: segment size %d is below 4096", dir, fileSize)
	}
	files, err := segment.OpenList(dir, fileSize)
	if err != nil {
		return nil, fmt.Errorf("open commit log: %w", err)
	}
	return &Log{files: files, fileSize: fileSize}, nil
}

// Segments is the underlying file list (flush, expiry and recovery use it).
func (l *Log) Segments() *segment.List { return l.files }

// FileSize is the segment size.
func (l *Log) FileSize() int { return l.fileSize }

// MinOffset is the first byte still held: the first segment's base.
func (l *Log) MinOffset() int64 { return l.files.MinOffset() }

// MaxOffset is the readable end: the last segment's base plus its write
// position.
func (l *Log) MaxOffset() int64 { return l.files.MaxOffset() }

// FileStart is the base of the segment that holds off.
func (l *Log) FileStart(off int64) int64 { return off - off%int64(l.fileSize) }

// NextFileStart is the base of the segment after the one holding off.
func (l *Log) NextFileStart(off int64) int64 { return l.FileStart(off) + int64(l.fileSize) }

// Appended tells where Append put its records.
type Appended struct {
	Offset int64 // physical offset of the first record
	Size   int   // bytes of the records (a blank filler is not counted)
	Rolled bool  // a blank record closed the previous segment
}

// Append encodes m in place in the tail segment under the given queue offset
// and store time. When the record and a blank header do not fit the tail, the
// tail is closed with a blank record and the record goes to a new segment.
// It does no heap allocation. The caller serialises appends.
func (l *Log) Append(m *Message, queueOffset, storeTimestamp int64) (Appended, error) {
	if err := m.Validate(); err != nil {
		return Appended{}, err
	}
	return l.appendSized(m.Size(), func(dst []byte, phy int64) {
		Encode(dst, m, queueOffset, phy, storeTimestamp)
	})
}

// AppendBatch encodes msgs back to back in one segment (a batch is never
// split), with consecutive queue offsets from firstQueueOffset and
// consecutive physical offsets.
func (l *Log) AppendBatch(msgs []Message, firstQueueOffset, storeTimestamp int64) (Appended, error) {
	total := 0
	for i := range msgs {
		if err := msgs[i].Validate(); err != nil {
			return Appended{}, fmt.Errorf("batch message %d: %w", i, err)
		}
		total += msgs[i].Size()
	}
	return l.appendSized(total, func(dst []byte, phy int64) {
		p := 0
		for i := range msgs {
			n := msgs[i].Size()
			Encode(dst[p:p+n], &msgs[i], firstQueueOffset+int64(i), phy+int64(p), storeTimestamp)
			p += n
		}
	})
}

func (l *Log) appendSized(size int, fill func(dst []byte, phy int64)) (Appended, error) {
	if size+BlankMinLength > l.fileSize {
		return Appended{}, fmt.Errorf("%w: %d bytes, segment size %d", ErrRecordTooLarge, size, l.fileSize)
	}
	f, err := l.files.LastOrCreate(l.files.MaxOffset())
	if err != nil {
		return Appended{}, fmt.Errorf("%w: %w", ErrCreateFile, err)
	}
	var res Appended
	if size+BlankMinLength > f.Remaining() {
		if err := closeSegment(f); err != nil {
			return Appended{}, err
		}
		res.Rolled = true
		if f, err = l.files.LastOrCreate(l.files.MaxOffset()); err != nil {
			return Appended{}, fmt.Errorf("%w: %w", ErrCreateFile, err)
		}
	}
	phy := f.Base() + int64(f.WrotePosition()) // stable: appends are serialised
	pos, err := f.AppendWith(size, func(dst []byte) { fill(dst, phy) })
	if err != nil {
		return Appended{}, fmt.Errorf("commitlog append: %w", err)
	}
	res.Offset = f.Base() + int64(pos)
	res.Size = size
	return res, nil
}

// closeSegment fills the rest of f with a blank record, marking it full.
func closeSegment(f *segment.File) error {
	rem := f.Remaining()
	_, err := f.AppendWith(rem, func(dst []byte) {
		if len(dst) >= BlankMinLength {
			EncodeBlank(dst)
		} else {
			// Only a damaged tail can leave less than a blank header;
			// zeros read as "no record" and the next segment is used.
			clear(dst)
		}
	})
	if err != nil {
		return fmt.Errorf("commitlog: close segment with blank: %w", err)
	}
	return nil
}

// Hold returns the segment holding off, held for the caller, who must
// Release it; views sliced from it stay valid until then.
func (l *Log) Hold(off int64) (*segment.File, error) {
	f := l.files.FindByOffset(off)
	if f == nil {
		return nil, fmt.Errorf("read commit log at %d: %w", off, ErrNotFound)
	}
	if !f.Hold() {
		return nil, fmt.Errorf("read commit log at %d: %w", off, segment.ErrClosed)
	}
	return f, nil
}

// Slice returns a view of n bytes at off, which must lie in one segment. The
// segment is held: the view stays valid until the caller calls Release on
// the returned file.
func (l *Log) Slice(off int64, n int) ([]byte, *segment.File, error) {
	f, err := l.Hold(off)
	if err != nil {
		return nil, nil, err
	}
	b, err := f.Slice(int(off-f.Base()), n)
	if err != nil {
		f.Release()
		return nil, nil, fmt.Errorf("read commit log at %d: %w", off, err)
	}
	return b, f, nil
}

// Chunk returns a view from off to the readable end of the segment holding
// off (it never crosses into the next segment), held like Slice.
func (l *Log) Chunk(off int64) ([]byte, *segment.File, error) {
	f, err := l.Hold(off)
	if err != nil {
		return nil, nil, err
	}
	pos := int(off - f.Base())
	b, err := f.Slice(pos, f.WrotePosition()-pos)
	if err != nil {
		f.Release()
		return nil, nil, fmt.Errorf("read commit log at %d: %w", off, err)
	}
	return b, f, nil
}

// Read decodes the record at off without checking its CRC. Its views are
// valid until the caller releases the returned file.
func (l *Log) Read(off int64) (Record, *segment.File, error) {
	b, f, err := l.Chunk(off)
	if err != nil {
		return Record{}, nil, err
	}
	r, err := Decode(b, false)
	if err == nil && r.IsBlank() {
		err = fmt.Errorf("commitlog: blank record at %d", off)
	}
	if err != nil {
		f.Release()
		return Record{}, nil, fmt.Errorf("read record at %d: %w", off, err)
	}
	return r, f, nil
}

// Truncate drops everything at and after off: the segment holding off keeps
// its bytes below off, later segments are removed. Recovery uses it after
// moving aside any later segment that still held data.
func (l *Log) Truncate(off int64) error {
	if err := l.files.TruncateDirty(off); err != nil {
		return fmt.Errorf("truncate commit log at %d: %w", off, err)
	}
	if f := l.files.FindByOffset(off); f != nil {
		f.SetFlushedPosition(int(off - f.Base()))
	}
	return nil
}

// Close unmaps every segment (readers holding one keep it until Release).
func (l *Log) Close() error { return l.files.Close() }

// AppendRaw appends bytes replicated from a master (whole records, possibly
// ending with a blank) at off, which must be the log's end. A master never
// sends across a segment boundary, so the bytes must fit the segment that
// holds off; an empty log starts at a segment boundary.
func (l *Log) AppendRaw(off int64, data []byte) error {
	if l.files.Len() == 0 && off%int64(l.fileSize) != 0 {
		return fmt.Errorf("commitlog: replicated data at %d: an empty log starts at a segment boundary", off)
	}
	f, err := l.files.LastOrCreate(off)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCreateFile, err)
	}
	if end := f.Base() + int64(f.WrotePosition()); end != off {
		return fmt.Errorf("commitlog: replicated data at %d, the log ends at %d", off, end)
	}
	if len(data) > f.Remaining() {
		return fmt.Errorf("commitlog: replicated data at %d: %d bytes cross the segment end (%d left)", off, len(data), f.Remaining())
	}
	if _, err := f.AppendWith(len(data), func(dst []byte) { copy(dst, data) }); err != nil {
		return fmt.Errorf("commitlog append replicated data: %w", err)
	}
	return nil
}
