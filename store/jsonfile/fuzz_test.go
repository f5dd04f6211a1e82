package jsonfile

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzQuoteIntKeys checks the pre-pass never panics, leaves standard JSON
// alone, is idempotent, and only ever adds quote characters.
func FuzzQuoteIntKeys(f *testing.F) {
	for _, s := range []string{
		`{"offsetTable":{"TopicTest@group":{0:12,1:30}}}`,
		`{"offsetTable":{1:5,2:0}}`,
		`{"a":"{0:1}","b":[1,-2],3:4}`,
		`{"esc\\":{0:1}}`,
		`{ -7 :{8:[{9:0}]}}`,
		`"unterminated {0:1`,
		`{0:`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out := QuoteIntKeys(data)
		if json.Valid(data) && !bytes.Equal(out, data) {
			t.Fatalf("standard JSON changed: %q -> %q", data, out)
		}
		if again := QuoteIntKeys(out); !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q -> %q -> %q", data, out, again)
		}
		if !bytes.Equal(bytes.ReplaceAll(out, []byte(`"`), nil), bytes.ReplaceAll(data, []byte(`"`), nil)) {
			t.Fatalf("changed more than quotes: %q -> %q", data, out)
		}
		var v any
		_ = Unmarshal(data, &v)
	})
}
