package protocol

import (
	"bytes"
	"testing"
)

// pullBody is 32 records of 1 KiB bodies back to back, as in a pull reply.
func pullBody(tb testing.TB) []byte {
	var b []byte
	for i := range 32 {
		m := testMessageExt()
		m.QueueOffset = int64(i)
		var err error
		if b, err = AppendMessageExt(b, m); err != nil {
			tb.Fatal(err)
		}
	}
	return b
}

func BenchmarkDecodeMessages32x1KB(b *testing.B) {
	body := pullBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		msgs, err := DecodeMessages(body)
		if err != nil || len(msgs) != 32 {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeMessages32x1KBOneByOne decodes the same body with one
// DecodeMessage call (and allocation) per record.
func BenchmarkDecodeMessages32x1KBOneByOne(b *testing.B) {
	body := pullBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		for off := 0; off < len(body); {
			_, n, err := DecodeMessage(body[off:], DecodeOptions{})
			if err != nil {
				b.Fatal(err)
			}
			off += n
		}
	}
}

// BenchmarkDecodeMessages32x1KBBaselineCopy is the floor any decoder that
// hands out owned bodies pays: one allocation and copy per body.
func BenchmarkDecodeMessages32x1KBBaselineCopy(b *testing.B) {
	body := pullBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	chunk := len(body) / 32
	for b.Loop() {
		for i := range 32 {
			_ = bytes.Clone(body[i*chunk : i*chunk+1024])
		}
	}
}

func BenchmarkParseMessageRecords32x1KB(b *testing.B) {
	body := pullBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		for off := 0; off < len(body); {
			rec, err := ParseMessageRecord(body[off:])
			if err != nil {
				b.Fatal(err)
			}
			off += int(rec.TotalSize)
		}
	}
}

func BenchmarkAppendMessageExt1KB(b *testing.B) {
	m := testMessageExt()
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendMessageExt(buf[:0], m); err != nil {
			b.Fatal(err)
		}
	}
}
