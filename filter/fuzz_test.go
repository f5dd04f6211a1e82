package filter

import (
	"errors"
	"testing"
	"unicode/utf8"
)

// fuzzSeeds are expressions that reach every part of the grammar; the
// committed corpus in testdata/fuzz holds more.
var fuzzSeeds = []string{
	"a > 5 AND b = 'x' OR c IS NULL",
	"a BETWEEN 0 AND 3",
	"a NOT BETWEEN -1.5 AND 2e3",
	"a IN ('x', 'y''z') AND b NOT IN ('1')",
	"a CONTAINS 'x' OR b NOT STARTSWITH 'y' OR c ENDSWITH 'z'",
	"NOT (a = 1) AND NOT a IS NULL",
	"(a = 1) = TRUE AND b <> c",
	"a = 3000000000L OR -a < +5",
	"a = 1 /* c */ -- d\n OR b",
	"TAGS = 'TagA' AND a >= 0.5",
	"a = 0.0",
	"a != 1",
	"(((a)))",
	"a = '",
}

func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		e, err := Compile(expr)
		if err != nil {
			if errors.Is(err, ErrTooLong) {
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Compile(%q): %v is not a *SyntaxError", expr, err)
			}
			if se.Column < 1 || se.Column > utf8.RuneCountInString(expr)+1 {
				t.Fatalf("Compile(%q): column %d outside the input", expr, se.Column)
			}
			return
		}
		if e.String() != expr {
			t.Fatalf("String() = %q, want %q", e.String(), expr)
		}
		for _, p := range []Lookup{props(), props("a", "1", "b", "x", "c", "2.5", "TAGS", "TagA")} {
			checkConsistent(t, e, p)
		}
	})
}

func FuzzMatch(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "7", "x", "", uint8(3))
	}
	f.Add("a > b", "NaN", "-Infinity", "", uint8(3))
	f.Add("a = b", "1", "1.0", "", uint8(1))
	f.Add("a = TRUE", "tRuE", "", "", uint8(1))
	f.Add("a > 5.0", " 0x1p3d ", "", "", uint8(1))
	f.Fuzz(func(t *testing.T, expr, a, b, c string, present uint8) {
		e, err := Compile(expr)
		if err != nil {
			return
		}
		m := map[string]string{}
		for i, kv := range [][2]string{{"a", a}, {"b", b}, {"c", c}, {"TAGS", a}} {
			if present&(1<<i) != 0 {
				m[kv[0]] = kv[1]
			}
		}
		p := MapLookup(m)
		got := checkConsistent(t, e, p)

		// Three-valued identities: NOT flips TRUE and FALSE and keeps
		// UNKNOWN; OR FALSE and AND TRUE change nothing; a fault stays one.
		// The line break ends a trailing "--" comment.
		for _, w := range []struct {
			expr string
			want func(Truth) Truth
		}{
			{"NOT (" + expr + "\n)", func(x Truth) Truth {
				return map[Truth]Truth{True: False, False: True, Unknown: Unknown, faulted: faulted}[x]
			}},
			{"(" + expr + "\n) OR FALSE", func(x Truth) Truth { return x }},
			{"TRUE AND (" + expr + "\n)", func(x Truth) Truth { return x }},
			{"(" + expr + "\n) IS NULL", func(x Truth) Truth {
				return map[Truth]Truth{True: False, False: False, Unknown: True, faulted: faulted}[x]
			}},
		} {
			we, err := Compile(w.expr)
			if err != nil {
				continue // over a limit now
			}
			if g := checkConsistent(t, we, p); g != w.want(got) {
				t.Fatalf("%q gives %#v, but %q gives %#v", expr, got, w.expr, g)
			}
		}
	})
}

// checkConsistent evaluates e both ways and checks Match agrees with Eval.
func checkConsistent(t *testing.T, e *Expression, p Lookup) Truth {
	t.Helper()
	tr, err := e.Eval(p)
	if err != nil {
		var ee *EvalError
		if !errors.As(err, &ee) || tr != Unknown {
			t.Fatalf("%q: Eval = %v, %v", e, tr, err)
		}
		tr = faulted
	}
	if e.Match(p) != (tr == True) {
		t.Fatalf("%q: Match = %v but Eval = %#v", e, e.Match(p), tr)
	}
	return tr
}
