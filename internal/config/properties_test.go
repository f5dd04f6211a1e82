package config

import (
	"fmt"
	"strings"
	"testing"
)

// noEnv is an environment with only the given variables, so tests do not
// depend on the machine's.
func noEnv(vars ...string) func(string) (string, bool) {
	m := map[string]string{}
	for i := 0; i+1 < len(vars); i += 2 {
		m[vars[i]] = vars[i+1]
	}
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func parse(t *testing.T, src string) *Properties {
	t.Helper()
	p, _, err := ParseProperties([]byte(src), "t.properties", ParseOptions{LookupEnv: noEnv("HOME_DIR", "/home/mq")})
	if err != nil {
		t.Fatalf("parse %q: %v", src, err)
	}
	return p
}

func TestParseProperties(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want map[string]string // every entry, nothing else
	}{
		{"equals", "a=1", map[string]string{"a": "1"}},
		{"colon", "a: 1", map[string]string{"a": "1"}},
		{"space separator", "a 1", map[string]string{"a": "1"}},
		{"spaces around equals", "  a  =  1  ", map[string]string{"a": "1"}},
		{"tab and formfeed", "\ta\t=\f1\t", map[string]string{"a": "1"}},
		{"only the first separator splits", "a=b=c:d", map[string]string{"a": "b=c:d"}},
		{"space then equals", "a = =b", map[string]string{"a": "=b"}},
		{"empty value", "a=", map[string]string{"a": ""}},
		{"key alone", "a", map[string]string{"a": ""}},
		{"hash comment", "# a=1\nb=2", map[string]string{"b": "2"}},
		{"bang comment", "  ! a=1\nb=2", map[string]string{"b": "2"}},
		{"hash mid-line is value", "a=x # y", map[string]string{"a": "x # y"}},
		{"blank lines", "\n\n  \na=1\n\n", map[string]string{"a": "1"}},
		{"CRLF", "a=1\r\nb=2\r\n", map[string]string{"a": "1", "b": "2"}},
		{"CR only", "a=1\rb=2", map[string]string{"a": "1", "b": "2"}},
		{"continuation", "a=one, \\\n    two\nb=3", map[string]string{"a": "one, two", "b": "3"}},
		{"continuation chain", "a=x\\\n y\\\n  z", map[string]string{"a": "xyz"}},
		{"continuation at EOF", "a=x\\", map[string]string{"a": "x"}},
		{"even backslashes do not continue", "a=x\\\\\nb=2", map[string]string{"a": `x\`, "b": "2"}},
		{"continued key", "ke\\\n  y=v", map[string]string{"key": "v"}},
		{"comment does not continue", "# c \\\nb=2", map[string]string{"b": "2"}},
		{"blank continuation line ends it", "a=x\\\n\nb=2", map[string]string{"a": "x", "b": "2"}},
		{"escapes", `a=t\tn\nr\rf\f`, map[string]string{"a": "t\tn\nr\rf\f"}},
		{"escaped separators in key", `a\=b\:c\ d=v`, map[string]string{"a=b:c d": "v"}},
		{"escaped hash key", `\#notcomment=1`, map[string]string{"#notcomment": "1"}},
		{"escaped trailing space kept", `a=x\ `, map[string]string{"a": "x "}},
		{"escaped leading space kept", `a=\  x`, map[string]string{"a": "  x"}},
		{"other escapes are the char", `a=\q\\`, map[string]string{"a": `q\`}},
		{"unicode escape", `a=\u4e2d\u6587`, map[string]string{"a": "中文"}},
		{"unicode escape upper", `a=\u00E9`, map[string]string{"a": "é"}},
		{"surrogate pair", `a=\uD83D\uDE00`, map[string]string{"a": "😀"}},
		{"raw UTF-8", "名=值 # 注释", map[string]string{"名": "值 # 注释"}},
		{"BOM", "\xef\xbb\xbfa=1", map[string]string{"a": "1"}},
		{"duplicate last wins", "a=1\nb=2\na=3", map[string]string{"a": "3", "b": "2"}},
		{"expand key", "root=/data\npath=${root}/log", map[string]string{"root": "/data", "path": "/data/log"}},
		{"expand forward reference", "path=${root}/log\nroot=/data", map[string]string{"root": "/data", "path": "/data/log"}},
		{"expand chain", "a=${b}x\nb=${c}y\nc=z", map[string]string{"a": "zyx", "b": "zy", "c": "z"}},
		{"expand twice", "a=1\nb=${a}${a}", map[string]string{"a": "1", "b": "11"}},
		{"expand env", "a=${HOME_DIR}/store", map[string]string{"a": "/home/mq/store"}},
		{"file key beats env", "HOME_DIR=/x\na=${HOME_DIR}", map[string]string{"HOME_DIR": "/x", "a": "/x"}},
		{"escaped dollar is literal", `a=\${b}`, map[string]string{"a": "${b}"}},
		{"lone dollar", "a=$b $ {c}", map[string]string{"a": "$b $ {c}"}},
		{"expanded value is not rescanned", "a=\\${b}\nc=${a}", map[string]string{"a": "${b}", "c": "${b}"}},
		{"escape inside referenced value", `a=x\ty` + "\nb=${a}", map[string]string{"a": "x\ty", "b": "x\ty"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := parse(t, tc.src)
			if len(p.Entries) != len(tc.want) {
				t.Errorf("got %d entries %v, want %v", len(p.Entries), p.Entries, tc.want)
			}
			for k, v := range tc.want {
				e, ok := p.Get(k)
				if !ok {
					t.Errorf("key %q missing (entries %v)", k, p.Entries)
					continue
				}
				if e.Value != v {
					t.Errorf("%q = %q, want %q", k, e.Value, v)
				}
			}
		})
	}
}

func TestParsePropertiesLines(t *testing.T) {
	src := "# header\n\na=1\nb=x\\\n  y\\\n  z\nc=3\r\nd=4"
	p := parse(t, src)
	want := map[string]int{"a": 3, "b": 4, "c": 7, "d": 8}
	for k, line := range want {
		if e, _ := p.Get(k); e.Line != line {
			t.Errorf("%s on line %d, want %d", k, e.Line, line)
		}
	}
	// Entries keep file order; a repeated key moves to its last position.
	p = parse(t, "a=1\nb=2\na=3")
	if got := p.Entries[0].Key + p.Entries[1].Key; got != "ba" {
		t.Errorf("order %q, want ba", got)
	}
}

func TestParsePropertiesErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // one substring per expected *Error, in order
	}{
		{"undefined", "a=1\nb=${nope}/x", []string{"t.properties:2: b: ${nope} is not defined"}},
		{"self cycle", "a=${a}", []string{"t.properties:1: a: cyclic ${} reference: a (line 1) -> a (line 1)"}},
		{"cycle", "x=1\na=${b}\nb=${c}\nc=${a}", []string{"t.properties:2: a: cyclic ${} reference: a (line 2) -> b (line 3) -> c (line 4) -> a (line 2)"}},
		{"dependent of a bad key is quiet", "a=${nope}\nb=${a}\nc=${b}", []string{"t.properties:1: a: ${nope} is not defined"}},
		{"unterminated", "a=${b", []string{"t.properties:1: a: unterminated ${"}},
		{"empty reference", "a=${}", []string{"t.properties:1: a: empty ${} reference"}},
		{"bad unicode in value", `a=\u12G4`, []string{`t.properties:1: a: malformed \uXXXX escape`}},
		{"short unicode", `a=\u12`, []string{`t.properties:1: a: malformed \uXXXX escape`}},
		{"bad unicode in key", `k\uZZZZ=1`, []string{`t.properties:1: k\uZZZZ: key: malformed \uXXXX escape`}},
		{"lone surrogate", `a=\uD800x`, []string{"half of a UTF-16 surrogate pair"}},
		{"invalid UTF-8", "a=\xff\xfe", []string{"t.properties:1: line is not valid UTF-8"}},
		{"all problems at once", "a=${x}\nb=2\nc=\\uQQQQ\nd=${y}", []string{"t.properties:1: a:", "t.properties:3: c:", "t.properties:4: d:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, _, err := ParseProperties([]byte(tc.src), "t.properties", ParseOptions{LookupEnv: noEnv()})
			got := Errors(err)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d errors %v, want %d like %q", len(got), err, len(tc.want), tc.want)
			}
			for i, e := range got {
				if !strings.Contains(e.Error(), tc.want[i]) {
					t.Errorf("error %d = %q, want it to contain %q", i, e, tc.want[i])
				}
			}
			if p == nil {
				t.Fatal("nil Properties with errors; want the good entries kept")
			}
		})
	}
	// Good keys survive bad ones.
	p, _, _ := ParseProperties([]byte("a=${x}\nb=2"), "t", ParseOptions{LookupEnv: noEnv()})
	if e, ok := p.Get("b"); !ok || e.Value != "2" {
		t.Errorf("b = %v, %v; want 2 kept", e, ok)
	}
	if _, ok := p.Get("a"); ok {
		t.Error("a with an undefined reference was kept")
	}
}

func TestParsePropertiesDefaults(t *testing.T) {
	opts := ParseOptions{LookupEnv: noEnv("R", "/env"), Defaults: func(k string) (string, bool) {
		if k == "R" || k == "root" {
			return "/default", true
		}
		return "", false
	}}
	p, _, err := ParseProperties([]byte("a=${root}/x\nb=${R}"), "t", opts)
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := p.Get("a"); e.Value != "/default/x" {
		t.Errorf("a = %q, want the default", e.Value)
	}
	if e, _ := p.Get("b"); e.Value != "/env" {
		t.Errorf("b = %q, want the environment before defaults", e.Value)
	}
}

func TestParsePropertiesDuplicateWarning(t *testing.T) {
	_, warns, err := ParseProperties([]byte("a=1\nb=2\na=3"), "t", ParseOptions{LookupEnv: noEnv()})
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || warns[0].Line != 3 || !strings.Contains(warns[0].String(), "key a is set again (first on line 1)") {
		t.Errorf("warnings %v, want one about a on line 3", warns)
	}
}

func TestParsePropertiesExpansionBomb(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "k%d=${k%d}${k%d}\n", i, i+1, i+1)
	}
	b.WriteString("k40=xxxxxxxx\nok=1\n")
	p, _, err := ParseProperties([]byte(b.String()), "t", ParseOptions{LookupEnv: noEnv()})
	errs := Errors(err)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), "value expands to more than 1048576 bytes") {
		t.Fatalf("errors %v", err)
	}
	if e, ok := p.Get("ok"); !ok || e.Value != "1" {
		t.Error("unrelated key lost")
	}
	if e, ok := p.Get("k25"); !ok || len(e.Value) != 8<<15 {
		t.Errorf("k25 = %d bytes, want %d", len(e.Value), 8<<15)
	}
}

func TestParsePropertiesHashWarning(t *testing.T) {
	tests := []struct {
		src  string
		warn bool
	}{
		{"a=ASYNC_FLUSH # comment", true},
		{"a=c1# comment", true},
		{`a=c1\# not a comment`, false},
		{`a=c1\\# escaped backslash, then a real hash`, true},
		{"# a=1", false},
		{"a=1", false},
	}
	for _, tc := range tests {
		_, warns, err := ParseProperties([]byte(tc.src), "t", ParseOptions{LookupEnv: noEnv()})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(warns) == 1 && strings.Contains(warns[0].Msg, "the value of a contains '#'"); got != tc.warn || len(warns) > 1 {
			t.Errorf("%q: warnings %v, want warning=%v", tc.src, warns, tc.warn)
		}
	}
	// A number with a comment after it says why it is not a number.
	c := DefaultNamesrv()
	_, err := Load([]byte("listenPort=9876 # the port"), "n", &c)
	if err == nil || !strings.Contains(err.Error(), "put comments on their own line") {
		t.Errorf("err %v", err)
	}
}
