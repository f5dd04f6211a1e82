package commitlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/rocketgo/rocketgo/protocol"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/rocketgo/rocketgo/store/segment"
)

const testFileSize = 4096

func openTestLog(t testing.TB, dir string) *Log {
	t.Helper()
	l, err := Open(dir, testFileSize)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func testMessage(i int, bodyLen int) *Message {
	body := bytes.Repeat([]byte{byte('a' + i%26)}, bodyLen)
	return &Message{
		Topic: "TopicA", QueueID: int32(i % 4), Body: body, BodyCRC: protocol.BodyCRC(body),
		BornHost:   netip.MustParseAddrPort("127.0.0.1:1"),
		StoreHost:  netip.MustParseAddrPort("127.0.0.1:10911"),
		Properties: fmt.Sprintf("KEYS\x01key%d", i),
	}
}

func TestAppendRollsWithBlank(t *testing.T) {
	dir := t.TempDir()
	l := openTestLog(t, dir)
	var offsets []int64
	for i := range 40 {
		m := testMessage(i, 300)
		res, err := l.Append(m, int64(i), int64(1000+i))
		if err != nil {
			t.Fatal(err)
		}
		if res.Size != m.Size() {
			t.Fatalf("size %d want %d", res.Size, m.Size())
		}
		if res.Offset%testFileSize+int64(res.Size)+BlankMinLength > testFileSize {
			t.Fatalf("record at %d (+%d) leaves no room for a blank", res.Offset, res.Size)
		}
		offsets = append(offsets, res.Offset)
	}
	files := l.Segments().Files()
	if len(files) < 4 {
		t.Fatalf("want several segments, got %d", len(files))
	}
	// Every full segment ends with a blank whose size is the remainder.
	for _, f := range files[:len(files)-1] {
		if !f.Full() {
			t.Fatalf("segment %d not full", f.Base())
		}
		pos := lastRecordEnd(t, l, f.Base())
		b, err := f.Slice(pos, testFileSize-pos)
		if err != nil {
			t.Fatal(err)
		}
		if int32(binary.BigEndian.Uint32(b[4:])) != BlankMagic || int(binary.BigEndian.Uint32(b)) != testFileSize-pos {
			t.Fatalf("segment %d: no blank at %d", f.Base(), pos)
		}
	}
	// Read by offset and scan agree.
	s := l.NewScanner(0, true)
	defer s.Close()
	i := 0
	for s.Next() {
		if s.RecordOffset() != offsets[i] {
			t.Fatalf("record %d at %d, appended at %d", i, s.RecordOffset(), offsets[i])
		}
		r := s.Record()
		if r.QueueOffset != int64(i) || r.PhysicalOffset != offsets[i] || r.StoreTimestamp != int64(1000+i) {
			t.Fatalf("record %d: %+v", i, r)
		}
		rr, f, err := l.Read(offsets[i])
		if err != nil {
			t.Fatal(err)
		}
		if rr.QueueOffset != int64(i) {
			t.Fatalf("Read(%d) queue offset %d", offsets[i], rr.QueueOffset)
		}
		f.Release()
		i++
	}
	if s.Err() != nil || i != 40 || s.Offset() != l.MaxOffset() {
		t.Fatalf("scan stopped after %d at %d (max %d): %v", i, s.Offset(), l.MaxOffset(), s.Err())
	}
	// The scanner follows later appends.
	if _, err := l.Append(testMessage(40, 10), 40, 2000); err != nil {
		t.Fatal(err)
	}
	if !s.Next() || s.Record().QueueOffset != 40 {
		t.Fatalf("scanner did not follow the append: %v", s.Err())
	}
}

// lastRecordEnd scans one segment and returns where its blank starts.
func lastRecordEnd(t *testing.T, l *Log, base int64) int {
	t.Helper()
	b, f, err := l.Chunk(base)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	pos := 0
	for {
		r, err := Decode(b[pos:], true)
		if err != nil {
			t.Fatalf("segment %d at %d: %v", base, pos, err)
		}
		if r.IsBlank() {
			return pos
		}
		pos += int(r.Size)
	}
}

func TestAppendBatchNotSplit(t *testing.T) {
	l := openTestLog(t, t.TempDir())
	if _, err := l.Append(testMessage(0, 3100), 0, 1); err != nil {
		t.Fatal(err)
	}
	batch := []Message{*testMessage(1, 200), *testMessage(2, 200), *testMessage(3, 200)}
	res, err := l.AppendBatch(batch, 10, 5)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Rolled || res.Offset != testFileSize {
		t.Fatalf("batch should start the next segment: %+v", res)
	}
	s := l.NewScanner(res.Offset, true)
	defer s.Close()
	off := res.Offset
	for i := range batch {
		if !s.Next() {
			t.Fatal(s.Err())
		}
		r := s.Record()
		if r.QueueOffset != int64(10+i) || r.PhysicalOffset != off || s.RecordOffset() != off {
			t.Fatalf("inner %d: %+v", i, r)
		}
		off += int64(r.Size)
	}
	if off != res.Offset+int64(res.Size) {
		t.Fatalf("batch size %d, records end at %d", res.Size, off)
	}
}

func TestAppendTooLarge(t *testing.T) {
	l := openTestLog(t, t.TempDir())
	if _, err := l.Append(testMessage(0, testFileSize), 0, 0); !errors.Is(err, ErrRecordTooLarge) {
		t.Fatalf("got %v", err)
	}
}

func TestAppendDoesNotAllocate(t *testing.T) {
	l, err := Open(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	m := testMessage(0, 100)
	q := int64(0)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := l.Append(m, q, 1); err != nil {
			t.Fatal(err)
		}
		q++
	})
	// Rolling to a new segment allocates (file, mapping); appends inside a
	// segment (all of these) must not.
	if allocs != 0 {
		t.Fatalf("Append allocates %.2f times per call", allocs)
	}
}

func TestScannerStopsAtCorruption(t *testing.T) {
	dir := t.TempDir()
	l := openTestLog(t, dir)
	var offs []int64
	for i := range 5 {
		res, err := l.Append(testMessage(i, 100), int64(i), 1)
		if err != nil {
			t.Fatal(err)
		}
		offs = append(offs, res.Offset)
	}
	// Flip one byte in the body of record 3.
	f := l.Segments().Last()
	b, err := f.Slice(int(offs[3])+100, 1)
	if err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x55
	s := l.NewScanner(0, true)
	defer s.Close()
	n := 0
	for s.Next() {
		n++
	}
	if n != 3 || !errors.Is(s.Err(), ErrBadCRC) || s.Offset() != offs[3] {
		t.Fatalf("scan: %d records, stopped at %d with %v", n, s.Offset(), s.Err())
	}
	if !s.Skip() || !s.Next() || s.RecordOffset() != offs[4] {
		t.Fatalf("skip over the bad record failed: %v", s.Err())
	}
}

func TestReopenMarksFullAndTruncate(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, testFileSize)
	if err != nil {
		t.Fatal(err)
	}
	var end int64
	for i := range 20 {
		res, err := l.Append(testMessage(i, 300), int64(i), 1)
		if err != nil {
			t.Fatal(err)
		}
		end = res.Offset + int64(res.Size)
	}
	l.Close()

	l = openTestLog(t, dir)
	// Loaded segments are marked fully written; recovery finds the end.
	s := l.NewScanner(0, true)
	n := 0
	for s.Next() {
		n++
	}
	s.Close()
	if n != 20 || !errors.Is(s.Err(), ErrEndOfData) || s.Offset() != end {
		t.Fatalf("recovery scan: %d records, end %d want %d, err %v", n, s.Offset(), end, s.Err())
	}
	if err := l.Truncate(end); err != nil {
		t.Fatal(err)
	}
	if l.MaxOffset() != end {
		t.Fatalf("max offset %d want %d", l.MaxOffset(), end)
	}
	if _, err := l.Append(testMessage(20, 10), 20, 1); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, n := range names {
		if _, err := segment.ParseName(filepath.Base(n)); err != nil {
			t.Fatalf("unexpected file %s", n)
		}
		fi, _ := os.Stat(n)
		if fi.Size() != testFileSize {
			t.Fatalf("%s has size %d", n, fi.Size())
		}
	}
}
