package protocol

import (
	"bytes"
	"errors"
	"maps"
	"strings"
	"testing"
)

// goldenBatch is two batch records written by hand from §5.5.
const goldenBatch = `
0000001D   // TOTALSIZE 29 = 22 + body 2 + properties 5
00000000   // MAGICCODE (clients write 0)
00000000   // BODYCRC (clients write 0)
00000001   // FLAG 1
00000002 6869     // BODYLEN 2, "hi"
0005 4B01 6B31 31 // PROPERTIESLEN 5, "K" 01 "k11"
00000016   // TOTALSIZE 22: empty body, no properties
00000000 00000000 // MAGICCODE, BODYCRC
FFFFFFFF   // FLAG -1
00000000   // BODYLEN 0
0000       // PROPERTIESLEN 0
`

func TestBatchGolden(t *testing.T) {
	b := unhex(t, goldenBatch)
	msgs, err := DecodeBatch(b, "TopicTest")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("%d messages", len(msgs))
	}
	if m := msgs[0]; m.Topic != "TopicTest" || m.Flag != 1 || string(m.Body) != "hi" || !maps.Equal(m.Properties, map[string]string{"K": "k11"}) {
		t.Fatalf("message 0: %+v", m)
	}
	if m := msgs[1]; m.Flag != -1 || len(m.Body) != 0 || m.Properties != nil {
		t.Fatalf("message 1: %+v", m)
	}
	enc, err := EncodeBatch(msgs)
	if err != nil || !bytes.Equal(enc, b) {
		t.Fatalf("EncodeBatch = %X, %v; want %X", enc, err, b)
	}
}

func TestBatchRoundTrip(t *testing.T) {
	var in []*Message
	for i := range 5 {
		m := &Message{Topic: "T", Flag: int32(i), Body: bytes.Repeat([]byte{byte(i)}, i*100)}
		m.SetProperty(PropertyUniqClientMessageID, strings.Repeat("A", 32))
		m.SetProperty(PropertyKeys, "k"+string(rune('0'+i)))
		in = append(in, m)
	}
	enc, err := EncodeBatch(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := DecodeBatch(enc, "T")
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if out[i].Flag != in[i].Flag || !bytes.Equal(out[i].Body, in[i].Body) || !maps.Equal(out[i].Properties, in[i].Properties) {
			t.Fatalf("message %d: %+v != %+v", i, out[i], in[i])
		}
	}
}

func TestDecodeBatchErrors(t *testing.T) {
	good := unhex(t, goldenBatch)
	mutate := func(pos int, with ...byte) []byte { return patched(good, pos, with...) }
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "body is empty"},
		{"short second", good[:40], "batch message 1 at offset 29: malformed batch body: a record needs at least 22 bytes, 11 left"},
		{"body too long", mutate(16, 0, 0, 1, 0), "batch message 0 at offset 0: malformed batch body: BODYLEN at +16: 256"},
		{"negative body", mutate(16, 0x80, 0, 0, 0), "BODYLEN at +16: -2147483648"},
		{"props too long", mutate(22, 0x7F, 0), "PROPERTIESLEN at +22: 32512"},
		{"negative props", mutate(22, 0xFF, 0xFF), "PROPERTIESLEN at +22: -1"},
		{"total mismatch", mutate(3, 30), "TOTALSIZE at +0: 30, but the fields take 29 bytes"},
		{"second total", mutate(29+3, 21), "batch message 1 at offset 29"},
	}
	for _, tt := range tests {
		_, err := DecodeBatch(tt.in, "T")
		if !errors.Is(err, ErrMalformedBatch) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestCheckBatch(t *testing.T) {
	msg := func(topic string, props ...string) *Message {
		m := &Message{Topic: topic}
		for i := 0; i+1 < len(props); i += 2 {
			m.SetProperty(props[i], props[i+1])
		}
		return m
	}
	tests := []struct {
		name string
		msgs []*Message
		want string
	}{
		{"ok", []*Message{msg("A"), msg("A", PropertyWaitStoreMsgOK, "true"), msg("A", PropertyDelayTimeLevel, "0")}, ""},
		{"empty", nil, "no messages"},
		{"delay", []*Message{msg("A"), msg("A", PropertyDelayTimeLevel, "3")}, "batch message 1: delay level 3"},
		{"retry", []*Message{msg("%RETRY%g")}, "batch message 0: retry topic"},
		{"topics", []*Message{msg("A"), msg("A"), msg("B")}, `batch message 2: topic "B" differs`},
		{"wait", []*Message{msg("A"), msg("A", PropertyWaitStoreMsgOK, "false")}, "batch message 1: WAIT differs"},
	}
	for _, tt := range tests {
		err := CheckBatch(tt.msgs)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestAppendMergedProperties(t *testing.T) {
	tests := []struct{ inner, batch, want string }{
		{"A\x01a", "CLUSTER\x01c", "A\x01a\x02CLUSTER\x01c"},
		{"A\x01a\x02", "CLUSTER\x01c", "A\x01a\x02CLUSTER\x01c"},
		{"", "CLUSTER\x01c", "CLUSTER\x01c"},
		{"A\x01a", "", "A\x01a"},
	}
	for _, tt := range tests {
		if got := string(AppendMergedProperties(nil, []byte(tt.inner), []byte(tt.batch))); got != tt.want {
			t.Errorf("merge(%q, %q) = %q, want %q", tt.inner, tt.batch, got, tt.want)
		}
	}
}

func FuzzBatchDecode(f *testing.F) {
	f.Add(unhex(f, goldenBatch))
	f.Add(unhex(f, goldenBatch)[:29])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		msgs, err := DecodeBatch(b, "T")
		if err != nil {
			return
		}
		// Every record was consumed, and each message re-encodes to a
		// record that decodes to the same message.
		for i, m := range msgs {
			enc, err := AppendBatchMessage(nil, m)
			if err != nil {
				t.Fatalf("message %d: re-encode: %v", i, err)
			}
			rec, n, err := ParseBatchRecord(enc)
			if err != nil || n != len(enc) {
				t.Fatalf("message %d: re-parse: %v", i, err)
			}
			if rec.Flag != m.Flag || !bytes.Equal(rec.Body, m.Body) || !maps.Equal(ParseProperties(rec.Properties), m.Properties) {
				t.Fatalf("message %d changed on re-encode", i)
			}
		}
	})
}
