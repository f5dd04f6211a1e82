package protocol

import (
	"maps"
	"strings"
	"testing"
)

func TestParsePropertiesBothForms(t *testing.T) {
	want := map[string]string{"TAGS": "TagA", "KEYS": "k1 k2", "UNIQ_KEY": "AC11000100002A9F0000000000000000"}
	forms := map[string]string{
		// 4.9.1+ (and Java today): no separator after the last pair.
		"current": "KEYS\x01k1 k2\x02TAGS\x01TagA\x02UNIQ_KEY\x01AC11000100002A9F0000000000000000",
		// 4.9.0 and older, and the Go client: a trailing 0x02.
		"pre-4.9.1": "KEYS\x01k1 k2\x02TAGS\x01TagA\x02UNIQ_KEY\x01AC11000100002A9F0000000000000000\x02",
	}
	for name, s := range forms {
		got := ParseProperties([]byte(s))
		if !maps.Equal(got, want) {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
}

func TestParsePropertiesSkipsMalformed(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
	}{
		{"", nil},
		{"\x02\x02", nil},
		{"novalue", nil},
		{"A\x01", nil}, // empty value
		{"\x01v", nil}, // empty name
		{"A\x01\x02B\x01b", map[string]string{"B": "b"}}, // first pair empty value
		{"junk\x02A\x01a\x02\x02", map[string]string{"A": "a"}},
		{"A\x01x\x01y", map[string]string{"A": "x\x01y"}}, // value keeps later 0x01
		{"A\x011\x02A\x012", map[string]string{"A": "2"}}, // last wins
		{"名\x01値", map[string]string{"名": "値"}},
	}
	for _, tt := range tests {
		got := ParseProperties([]byte(tt.in))
		if !maps.Equal(got, tt.want) {
			t.Errorf("ParseProperties(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if tt.want == nil && got != nil {
			t.Errorf("ParseProperties(%q) = %#v, want nil map", tt.in, got)
		}
	}
}

func TestAppendProperties(t *testing.T) {
	props := map[string]string{"TAGS": "TagA", "KEYS": "k1", "WAIT": "true"}
	got := string(AppendProperties([]byte("x"), props))
	want := "xKEYS\x01k1\x02TAGS\x01TagA\x02WAIT\x01true"
	if got != want {
		t.Fatalf("AppendProperties = %q, want %q", got, want)
	}
	if n := PropertiesSize(props); n != len(want)-1 {
		t.Fatalf("PropertiesSize = %d, want %d", n, len(want)-1)
	}
	if EncodeProperties(nil) != "" || PropertiesSize(nil) != 0 {
		t.Fatal("empty map must encode to nothing")
	}
	// Pairs no reader could get back are skipped, and the size agrees.
	bad := map[string]string{"A": "a", "": "x", "E": "", "N\x01": "v", "V": "a\x02b", "ok": "x\x01y"}
	enc := EncodeProperties(bad)
	if enc != "A\x01a\x02ok\x01x\x01y" {
		t.Fatalf("EncodeProperties(bad) = %q", enc)
	}
	if PropertiesSize(bad) != len(enc) {
		t.Fatalf("PropertiesSize(bad) = %d, want %d", PropertiesSize(bad), len(enc))
	}
	for k, v := range bad {
		if (CheckProperty(k, v) == nil) != storable(k, v) {
			t.Errorf("CheckProperty(%q, %q) disagrees with the encoder", k, v)
		}
	}
}

func TestAppendPropertiesManyKeys(t *testing.T) {
	// More names than the stack buffer holds still sort and encode.
	props := map[string]string{}
	for i := range 40 {
		props[string(rune('A'+i%26))+strings.Repeat("x", i/26)] = "v"
	}
	got := ParseProperties(AppendProperties(nil, props))
	if !maps.Equal(got, props) {
		t.Fatalf("round trip lost pairs: %d of %d", len(got), len(props))
	}
}

func TestAppendProperty(t *testing.T) {
	tests := []struct{ dst, want string }{
		{"", "CLUSTER\x01c"},
		{"A\x01a", "A\x01a\x02CLUSTER\x01c"},
		{"A\x01a\x02", "A\x01a\x02CLUSTER\x01c"}, // pre-4.9.1 trailing separator is reused
	}
	for _, tt := range tests {
		if got := string(AppendProperty([]byte(tt.dst), "CLUSTER", "c")); got != tt.want {
			t.Errorf("AppendProperty(%q) = %q, want %q", tt.dst, got, tt.want)
		}
	}
}

func TestLookupProperty(t *testing.T) {
	b := []byte("TAGS\x01TagA\x02TAGSX\x01no\x02KEYS\x01a b\x02E\x01\x02T\x01x\x01y\x02KEYS\x01c")
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"TAGS", "TagA", true},
		{"KEYS", "c", true}, // last wins, as in ParseProperties
		{"T", "x\x01y", true},
		{"TAG", "", false},
		{"E", "", false}, // empty value is no value
		{"", "", false},
		{"T\x01x", "", false},
	}
	for _, tt := range tests {
		v, ok := LookupProperty(b, tt.name)
		if ok != tt.ok || string(v) != tt.want {
			t.Errorf("LookupProperty(%q) = %q, %v; want %q, %v", tt.name, v, ok, tt.want, tt.ok)
		}
	}
}

func TestPropertiesAllocs(t *testing.T) {
	props := map[string]string{"TAGS": "TagA", "KEYS": "k1 k2", "UNIQ_KEY": "AC110001", "WAIT": "true", "CLUSTER": "DefaultCluster"}
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf = AppendProperties(buf[:0], props) }); n != 0 {
		t.Errorf("AppendProperties allocates %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { LookupProperty(buf, "UNIQ_KEY") }); n != 0 {
		t.Errorf("LookupProperty allocates %v times, want 0", n)
	}
}

func FuzzProperties(f *testing.F) {
	f.Add([]byte("KEYS\x01k1 k2\x02TAGS\x01TagA"))
	f.Add([]byte("KEYS\x01k1\x02TAGS\x01TagA\x02"))
	f.Add([]byte("A\x01\x02\x01b\x02c\x01x\x01y\x02\x02"))
	f.Add([]byte("\xff\x01\xfe"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := ParseProperties(b)
		for k, v := range m {
			if got, ok := LookupProperty(b, k); !ok || string(got) != v {
				t.Fatalf("LookupProperty(%q) = %q, %v; map has %q", k, got, ok, v)
			}
		}
		// Encoding what was parsed gives back the same pairs.
		enc := AppendProperties(nil, m)
		if len(enc) != PropertiesSize(m) {
			t.Fatalf("PropertiesSize %d != encoded %d", PropertiesSize(m), len(enc))
		}
		if again := ParseProperties(enc); !maps.Equal(again, m) {
			t.Fatalf("re-parse: %q != %q", again, m)
		}
	})
}

func BenchmarkAppendProperties(b *testing.B) {
	props := map[string]string{"TAGS": "TagA", "KEYS": "order-1 order-2", "UNIQ_KEY": "7F0000010A2C18B4AAC27B1C3B1A0000", "WAIT": "true", "CLUSTER": "DefaultCluster"}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendProperties(buf[:0], props)
	}
}

func BenchmarkParseProperties(b *testing.B) {
	enc := []byte(EncodeProperties(map[string]string{"TAGS": "TagA", "KEYS": "order-1 order-2", "UNIQ_KEY": "7F0000010A2C18B4AAC27B1C3B1A0000", "WAIT": "true", "CLUSTER": "DefaultCluster"}))
	b.ReportAllocs()
	for b.Loop() {
		ParseProperties(enc)
	}
}

func BenchmarkLookupProperty(b *testing.B) {
	enc := []byte(EncodeProperties(map[string]string{"TAGS": "TagA", "KEYS": "order-1 order-2", "UNIQ_KEY": "7F0000010A2C18B4AAC27B1C3B1A0000", "WAIT": "true", "CLUSTER": "DefaultCluster"}))
	b.ReportAllocs()
	for b.Loop() {
		LookupProperty(enc, PropertyTags)
	}
}
