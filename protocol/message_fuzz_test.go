package protocol

import (
	"bytes"
	"reflect"
	"testing"
)

func FuzzDecodeMessages(f *testing.F) {
	v4, v6 := unhex(f, goldenV4), unhex(f, goldenV6)
	f.Add(v4)
	f.Add(v6)
	f.Add(append(append([]byte{}, v4...), v6...))
	f.Add(v4[:50])
	z, _ := CompressBody(bytes.Repeat([]byte("ab"), 100), DefaultCompressLevel)
	m := testMessageExt()
	m.Body, m.SysFlag = z, SysFlagCompressed
	if enc, err := EncodeMessageExt(m); err == nil {
		f.Add(enc)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodeMessages(b) // decompresses; must not panic
		msgs, err := DecodeMessagesWith(b, DecodeOptions{KeepCompressed: true})
		off := 0
		for _, m := range msgs {
			raw := b[off : off+int(m.StoreSize)]
			off += int(m.StoreSize)
			// The zero-copy view re-encodes to the same bytes.
			rec, perr := ParseMessageRecord(raw)
			if perr != nil {
				t.Fatalf("ParseMessageRecord after a good decode: %v", perr)
			}
			again, aerr := AppendMessageRecord(nil, &rec)
			if aerr != nil || !bytes.Equal(again, raw) {
				t.Fatalf("AppendMessageRecord: %v\n got %X\nwant %X", aerr, again, raw)
			}
			// The decoded message re-encodes to an equal message.
			if len(m.Topic) > MaxTopicLengthV1 {
				continue // a v2 record; the v1 encoder refuses it
			}
			enc, eerr := EncodeMessageExt(m)
			if eerr != nil {
				t.Fatalf("EncodeMessageExt of a decoded message: %v", eerr)
			}
			m2, _, derr := DecodeMessage(enc, DecodeOptions{KeepCompressed: true})
			if derr != nil {
				t.Fatalf("decode of re-encoded message: %v", derr)
			}
			m2.StoreSize = m.StoreSize
			if !reflect.DeepEqual(m2, m) {
				t.Fatalf("re-encode changed the message:\n%+v\n%+v", m2, m)
			}
		}
		if err == nil && off != len(b) {
			t.Fatalf("decoded %d of %d bytes without an error", off, len(b))
		}
	})
}
