package config

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseProperties feeds arbitrary bytes to the parser, which reads files
// users write. It must not panic, every problem must carry a line inside the
// input, and whatever parses must survive a round trip: the entries written
// back out with escapes parse to the same entries.
func FuzzParseProperties(f *testing.F) {
	for _, s := range []string{
		"a=1\nb : 2\nc 3\n",
		"# comment\n! other\nkey=value\\\n   continued\n",
		`a=\u4e2d\t\n\\ \${x}` + "\nb=${a}/x\n",
		"a=${b}\nb=${a}\n",
		"a=${undefined}\n",
		"a=${\n",
		"\xef\xbb\xbfk\\=ey\\ x=v\\ \n",
		"a=\\uD83D\\uDE00\\uD800",
		"a=x\r\nb=y\rc=z\\",
		"=\n:\n \\\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		lines := strings.Count(string(src), "\n") + strings.Count(string(src), "\r") + 1
		p, _, err := ParseProperties(src, "f", ParseOptions{LookupEnv: noEnv("E", "env")})
		for _, e := range Errors(err) {
			if e.Line < 1 || e.Line > lines {
				t.Fatalf("error %v on line %d of %d", e, e.Line, lines)
			}
		}
		if p == nil {
			t.Fatal("nil Properties")
		}
		seen := map[string]bool{}
		for _, e := range p.Entries {
			if e.Line < 1 || e.Line > lines {
				t.Fatalf("entry %+v on line %d of %d", e, e.Line, lines)
			}
			if seen[e.Key] {
				t.Fatalf("key %q twice", e.Key)
			}
			seen[e.Key] = true
			if !utf8.ValidString(e.Key) || !utf8.ValidString(e.Value) {
				t.Fatalf("entry %+v is not valid UTF-8", e)
			}
			// Whitespace is what java.util.Properties calls whitespace. Only
			// the written text is trimmed: an escape or an expansion (of an
			// empty value, say) may leave spaces at the ends.
			if v := e.Value; v != "" && (isSpace(v[0]) || isSpace(v[len(v)-1])) &&
				!strings.Contains(string(src), `\`) && !strings.Contains(string(src), "${") {
				t.Fatalf("value %q not trimmed and no escape in input", e.Value)
			}
		}

		var b strings.Builder
		for _, e := range p.Entries {
			fmt.Fprintf(&b, "%s=%s\n", escapeKey(e.Key), escapeValue(e.Value))
		}
		q, _, err := ParseProperties([]byte(b.String()), "round trip", ParseOptions{LookupEnv: noEnv()})
		if err != nil {
			t.Fatalf("round trip of %q: %v", b.String(), err)
		}
		if len(q.Entries) != len(p.Entries) {
			t.Fatalf("round trip: %d entries, want %d\n%q", len(q.Entries), len(p.Entries), b.String())
		}
		for i, e := range p.Entries {
			if q.Entries[i].Key != e.Key || q.Entries[i].Value != e.Value {
				t.Fatalf("round trip entry %d: %+v, want %+v", i, q.Entries[i], e)
			}
		}
	})
}
