package commitlog

import (
	"errors"
	"github.com/rocketgo/rocketgo/protocol"
	"os"
	"path/filepath"
	"testing"

	"github.com/rocketgo/rocketgo/store/segment"
)

// FuzzScanRecords writes arbitrary bytes as two segment files and runs the
// recovery scan (CRC on) and the dispatch scan (CRC off, skipping records of
// known size) over them. Neither may panic, loop, or hand out a record whose
// views leave its segment.
func FuzzScanRecords(f *testing.F) {
	// Seeds: valid records, a blank, a torn record, a flipped CRC.
	var seg []byte
	for i := range 3 {
		m := testMessage(i, 40+i)
		b := make([]byte, m.Size())
		Encode(b, m, int64(i), int64(len(seg)), 9)
		seg = append(seg, b...)
	}
	f.Add(seg)
	blank := make([]byte, 64)
	EncodeBlank(blank)
	f.Add(append(append([]byte(nil), seg...), blank...))
	f.Add(seg[:len(seg)-7])
	flipped := append([]byte(nil), seg...)
	flipped[95] ^= 1
	f.Add(flipped)
	f.Add([]byte{0, 0, 0, 8, 0xCB, 0xD4, 0x31, 0x94})

	// One two-segment log per fuzzing process; each input is copied over
	// both segments in place, which keeps the file system out of the loop.
	dir := f.TempDir()
	for i := range 2 {
		name := filepath.Join(dir, segment.FileName(int64(i*testFileSize)))
		if err := os.WriteFile(name, make([]byte, testFileSize), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	l, err := Open(dir, testFileSize)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { l.Close() })

	f.Fuzz(func(t *testing.T, data []byte) {
		// Segment 0 holds the input, segment 1 holds it again from its start,
		// so blank records and exact ends cross a segment boundary.
		for _, seg := range l.Segments().Files() {
			seg.SetWrotePosition(0)
			if _, err := seg.AppendWith(testFileSize, func(dst []byte) {
				clear(dst)
				copy(dst, data)
			}); err != nil {
				t.Fatal(err)
			}
		}
		for _, crc := range []bool{true, false} {
			s := l.NewScanner(0, crc)
			steps := 0
			for {
				for s.Next() {
					steps++
					r := s.Record()
					off := s.RecordOffset()
					if r.Size < headerMin || off%testFileSize+int64(r.Size) > testFileSize {
						t.Fatalf("record at %d of size %d leaves its segment", off, r.Size)
					}
					if crc && protocol.BodyCRC(r.Body) != r.BodyCRC {
						t.Fatalf("CRC-checked scan returned a bad body at %d", off)
					}
					_ = r.Dispatch(off)
				}
				if s.Err() == nil || crc || !s.Skip() {
					break
				}
				steps++
			}
			if steps > 2*testFileSize/8 {
				t.Fatalf("scan made %d steps", steps)
			}
			if s.Err() != nil && !errors.Is(s.Err(), ErrEndOfData) && !errors.Is(s.Err(), ErrTruncated) &&
				!errors.Is(s.Err(), ErrBadMagic) && !errors.Is(s.Err(), ErrBadCRC) && !errors.Is(s.Err(), ErrBadLength) {
				t.Fatalf("unexpected error %v", s.Err())
			}
			s.Close()
		}
	})
}

// FuzzDecode checks Decode alone on raw bytes: no panic, and a record it
// accepts re-encodes to the same bytes.
func FuzzDecode(f *testing.F) {
	m := testMessage(1, 10)
	b := make([]byte, m.Size())
	Encode(b, m, 1, 2, 3)
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(data, true)
		if err != nil || r.IsBlank() {
			return
		}
		back := Message{
			Topic: string(r.Topic), QueueID: r.QueueID, Flag: r.Flag, SysFlag: r.SysFlag,
			BornTimestamp: r.BornTimestamp, BornHost: r.BornHost, StoreHost: r.StoreHost,
			ReconsumeTimes: r.ReconsumeTimes, PreparedTransactionOffset: r.PreparedTransactionOffset,
			Body: r.Body, BodyCRC: r.BodyCRC, Properties: string(r.Properties),
		}
		if back.Size() != int(r.Size) {
			// A v1 record with an IPv4-mapped or v6 flag mismatch can decode
			// but not re-encode identically; only sizes must agree when the
			// flags match the addresses.
			if (r.SysFlag&protocol.SysFlagBornHostV6 != 0) == (hostLen(r.BornHost) == 20) &&
				(r.SysFlag&protocol.SysFlagStoreHostV6 != 0) == (hostLen(r.StoreHost) == 20) &&
				back.Magic() == r.Magic {
				t.Fatalf("re-encoded size %d, decoded size %d", back.Size(), r.Size)
			}
		}
	})
}
