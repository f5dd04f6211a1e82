package remoting

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"maps"
	"testing"
	"testing/iotest"
)

// fuzzMaxFrame keeps fuzzing fast: frames announcing more are rejected
// before any allocation (the limit logic itself is covered by unit tests).
const fuzzMaxFrame = 64 << 10

// splitReader returns its input as two chunks: whatever a Read asks for,
// it never returns bytes from both sides of the split point in one call.
type splitReader struct{ a, b []byte }

func (r *splitReader) Read(p []byte) (int, error) {
	chunk := &r.a
	if len(r.a) == 0 {
		chunk = &r.b
	}
	if len(*chunk) == 0 {
		return 0, io.EOF
	}
	n := copy(p, *chunk)
	*chunk = (*chunk)[n:]
	return n, nil
}

// FuzzDecodeFrame feeds arbitrary bytes to the frame reader in one piece, in
// two pieces split at a fuzzed point (the way a frame straddles two TCP
// reads), and byte by byte. All must agree, never panic, and a frame that
// decodes must decode the same through Decode and survive re-encoding.
func FuzzDecodeFrame(f *testing.F) {
	for _, g := range goldenFrames {
		raw, err := readGoldenFile(g.file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw, uint(len(raw)/2))
	}
	f.Add([]byte{}, uint(0))
	f.Add(concat(u32(6), u32(2), []byte("{}")), uint(5))
	f.Fuzz(func(t *testing.T, data []byte, split uint) {
		at := int(split % uint(len(data)+1))
		whole, errWhole := ReadCommand(bytes.NewReader(data), fuzzMaxFrame)
		halves, errHalves := ReadCommand(&splitReader{a: data[:at], b: data[at:]}, fuzzMaxFrame)
		sameOutcome(t, "two reads", whole, errWhole, halves, errHalves)
		if len(data) <= 4096 {
			bytewise, err := ReadCommand(iotest.OneByteReader(bytes.NewReader(data)), fuzzMaxFrame)
			sameOutcome(t, "byte reads", whole, errWhole, bytewise, err)
		}
		if errWhole != nil {
			return
		}
		n := int(binary.BigEndian.Uint32(data))
		viaDecode, err := Decode(data[4 : 4+n])
		sameOutcome(t, "Decode", whole, nil, viaDecode, err)
		checkRoundTrip(t, whole)
	})
}

// FuzzDecodeRoundTrip: whatever Decode accepts re-encodes, and encoding is
// stable from then on: encode(decode(encode(decode(x)))) == encode(decode(x)).
func FuzzDecodeRoundTrip(f *testing.F) {
	for _, g := range goldenFrames {
		raw, err := readGoldenFile(g.file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw[4:])
	}
	f.Add([]byte("\x00\x00\x00\x1d{\"code\":\"12\",\"language\":3.0e0}"))
	f.Fuzz(func(t *testing.T, frame []byte) {
		c, err := Decode(frame)
		if err != nil {
			return
		}
		if c.SerializeType == SerializeJSON {
			_, hl := splitHeaderWord(binary.BigEndian.Uint32(frame))
			if hdr := frame[4 : 4+hl]; !json.Valid(hdr) {
				t.Fatalf("accepted a header encoding/json calls invalid: %q", hdr)
			}
		}
		checkRoundTrip(t, c)
	})
}

func checkRoundTrip(t *testing.T, c *Command) {
	t.Helper()
	once, err := Encode(c)
	if err != nil {
		t.Fatalf("cannot re-encode a decoded command %v: %v", c, err)
	}
	c2, err := ReadCommand(bytes.NewReader(once), 0)
	if err != nil {
		t.Fatalf("cannot decode our own frame %q: %v", once, err)
	}
	if !sameMeaning(c, c2) {
		t.Fatalf("round trip changed the command:\n before %v\n after  %v", c, c2)
	}
	twice, err := Encode(c2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(once, twice) {
		t.Fatalf("encoding not stable:\n %q\n %q", once, twice)
	}
}

// sameMeaning compares commands up to what an encoding normalises: JSON
// names unknown languages OTHER, and no extFields equals an empty map.
func sameMeaning(a, b *Command) bool {
	la, lb := a.Language, b.Language
	if a.SerializeType == SerializeJSON {
		la, lb = ParseLanguage(la.String()), ParseLanguage(lb.String())
	}
	return a.Code == b.Code && la == lb && a.Version == b.Version && a.Opaque == b.Opaque &&
		a.Flag == b.Flag && a.Remark == b.Remark && maps.Equal(a.ExtFields, b.ExtFields) &&
		bytes.Equal(a.Body, b.Body) && a.SerializeType == b.SerializeType
}

func sameOutcome(t *testing.T, how string, want *Command, wantErr error, got *Command, gotErr error) {
	t.Helper()
	if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
		t.Fatalf("%s: error %v, reading whole gave %v", how, gotErr, wantErr)
	}
	if wantErr == nil && !sameMeaning(want, got) {
		t.Fatalf("%s: decoded %v, reading whole gave %v", how, got, want)
	}
}
