package filter

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// props builds a Lookup from name, value pairs.
func props(kv ...string) Lookup {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return MapLookup(m)
}

// fault is the expected outcome of an evaluation that stops (upstream
// throws and drops the message).
const faulted Truth = -1

type evalCase struct {
	expr  string
	props []string
	want  Truth
}

func runEvalCases(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, c := range cases {
		e, err := Compile(c.expr)
		if err != nil {
			t.Errorf("Compile(%q): %v", c.expr, err)
			continue
		}
		p := props(c.props...)
		got, err := e.Eval(p)
		if err != nil {
			var ee *EvalError
			if !errors.As(err, &ee) {
				t.Errorf("%q %v: error %v is not an *EvalError", c.expr, c.props, err)
			}
			got = faulted
		}
		if got != c.want {
			t.Errorf("%q with %v = %v (err %v), want %v", c.expr, c.props, got, err, c.want)
		}
		if m := e.Match(p); m != (c.want == True) {
			t.Errorf("%q with %v: Match = %v, want %v", c.expr, c.props, m, c.want == True)
		}
	}
}

func (t Truth) GoString() string {
	if t == faulted {
		return "faulted"
	}
	return t.String()
}

func TestEvalEquality(t *testing.T) {
	runEvalCases(t, []evalCase{
		// A property string meets an int constant: Integer.valueOf, or a fault.
		{"a = 3", []string{"a", "3"}, True},
		{"a = 3", []string{"a", "+3"}, True},
		{"a = 3", []string{"a", "03"}, True},
		{"a = 3", []string{"a", "4"}, False},
		{"a = 3", nil, Unknown},
		{"a = 3", []string{"a", "abc"}, faulted},
		{"a = 3", []string{"a", "3.0"}, faulted},
		{"a = 3", []string{"a", " 3"}, faulted},
		{"a = 3", []string{"a", ""}, faulted},
		{"a = 3", []string{"a", "3000000000"}, faulted}, // not an int
		{"a = 3000000000", []string{"a", "3000000000"}, True},
		{"a = 3000000000", []string{"a", "3"}, False}, // a long constant parses the property as a long
		{"a = 3L", []string{"a", "3"}, True},
		{"a = -2147483648", []string{"a", "-2147483648"}, True},
		// Strings compare as strings.
		{"a = '3'", []string{"a", "3"}, True},
		{"a = '3'", []string{"a", "03"}, False},
		{"a = 'it''s'", []string{"a", "it's"}, True},
		{"a = ''", []string{"a", ""}, True},
		{"a <> 'x'", []string{"a", "y"}, True},
		{"a <> 'x'", []string{"a", "x"}, False},
		{"a <> 'x'", nil, Unknown},
		// Decimals: Double.valueOf, which trims and takes Java's forms.
		{"a = 1.5", []string{"a", "1.5"}, True},
		{"a = 1.5", []string{"a", " 1.5 "}, True},
		{"a = 1.5", []string{"a", "1.5d"}, True},
		{"a = 1.5", []string{"a", "15e-1"}, True},
		{"a = 1.5", []string{"a", "0x1.8p0"}, True},
		{"a = 1.5", []string{"a", "1,5"}, faulted},
		{"a = 1.5", []string{"a", "inf"}, faulted},
		{"a = 2.0", []string{"a", "2"}, True},
		// Two properties; upstream's NULL handling is asymmetric.
		{"a = b", []string{"a", "x", "b", "x"}, True},
		{"a = b", []string{"a", "1", "b", "1.0"}, False},
		{"a = b", nil, True},                   // both NULL: equal
		{"a = b", []string{"a", "x"}, False},   // right NULL: FALSE
		{"a = b", []string{"b", "x"}, Unknown}, // left NULL: unknown
		{"a <> b", nil, False},
		{"a <> b", []string{"a", "x"}, True},
		{"a <> b", []string{"b", "x"}, Unknown},
		{"5 = a", nil, False},
		{"5 <> a", nil, True},
		// Booleans: a string on the left converts with Boolean.valueOf; a
		// boolean on the left of a string is a fault upstream.
		{"a = TRUE", []string{"a", "true"}, True},
		{"a = TRUE", []string{"a", "TrUe"}, True},
		{"a = TRUE", []string{"a", "yes"}, False},
		{"a = FALSE", []string{"a", "yes"}, True},
		{"a = TRUE", nil, Unknown},
		{"TRUE = a", []string{"a", "true"}, faulted},
		{"(a = 1) = TRUE", []string{"a", "1"}, True},
		{"(a = 1) = TRUE", []string{"a", "2"}, False},
		{"a = 1 = TRUE", []string{"a", "1"}, True}, // = chains left to right
		{"(a = 1) = 'x'", []string{"a", "1"}, faulted},
		{"(a = 1) = b", []string{"a", "1", "b", "true"}, faulted},
		{"1 = TRUE", nil, False}, // different types compare as "less"
		// Constants.
		{"1 = 1", nil, True},
		{"1 = 1.0", nil, True},
		{"2147483648 = 2147483648.0", nil, True},
		{"'a' = 1", nil, faulted},
		{"1 = 'a'", nil, faulted},
		{"TRUE = FALSE", nil, False},
		{"TRUE <> FALSE", nil, True},
	})
}

func TestEvalOrder(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"a > 5", []string{"a", "7"}, True},
		{"a > 5", []string{"a", "5"}, False},
		{"a >= 5", []string{"a", "5"}, True},
		{"a < 5", []string{"a", "-7"}, True},
		{"a <= 5", []string{"a", "6"}, False},
		{"a > 5", nil, Unknown},
		{"a > 5", []string{"a", "5.5"}, faulted}, // Integer.valueOf("5.5")
		{"a > 5", []string{"a", "x"}, faulted},
		{"a > 5", []string{"a", "3000000000"}, faulted},
		{"a > 3000000000", []string{"a", "3000000001"}, True},
		{"a > 3000000000", []string{"a", "5"}, False},
		{"a > 5.0", []string{"a", "5.5"}, True},
		{"a > 5.0", []string{"a", " 6 "}, True},
		{"a > 5.0", []string{"a", "6f"}, True},
		{"a > 5.0", []string{"a", "Infinity"}, True},
		{"a < 5.0", []string{"a", "-Infinity"}, True},
		{"a > 5.0", []string{"a", "NaN"}, True}, // Double.compare puts NaN last
		{"a < 5.0", []string{"a", "NaN"}, False},
		{"a > 5.0", []string{"a", "0x1p3"}, True},
		{"a > 5.0", []string{"a", "x"}, faulted},
		{"a > 1e2", []string{"a", "101"}, True},
		// Two strings are ordered as doubles, never as text.
		{"a > b", []string{"a", "10", "b", "9"}, True},
		{"a > b", []string{"a", "1e1", "b", "9.5"}, True},
		{"a > b", []string{"a", "x", "b", "1"}, faulted},
		{"a > b", []string{"a", "1", "b", "x"}, faulted},
		{"a > b", []string{"a", "10"}, Unknown},
		{"a > b", []string{"a", "x"}, Unknown}, // NULL right side wins over a bad left one
		{"a > b", []string{"b", "x"}, Unknown},
		// Negation works on numbers only; a property is a string.
		{"-a > 1", []string{"a", "-5"}, Unknown},
		{"-(-5) = 5", nil, True},
		{"- 5 = -5", nil, True},
		{"a > -5", []string{"a", "-4"}, True},
		{"a > -2147483648", []string{"a", "-2147483648"}, False}, // a long: 2147483648 does not fit in an int
		{"-1.5 < a", []string{"a", "0"}, True},
		{"+a = 1", []string{"a", "1"}, True},
		{"-(a = 1) > 0", []string{"a", "x"}, faulted}, // the fault inside the negation still stops everything
		{"-(a = 1) > 0", []string{"a", "1"}, Unknown},
	})
}

func TestEvalBetween(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"a BETWEEN 0 AND 3", []string{"a", "0"}, True},
		{"a BETWEEN 0 AND 3", []string{"a", "3"}, True},
		{"a BETWEEN 0 AND 3", []string{"a", "4"}, False},
		{"a BETWEEN 0 AND 3", []string{"a", "-1"}, False},
		{"a BETWEEN 0 AND 3", nil, Unknown},
		{"a BETWEEN 0 AND 3", []string{"a", "1.5"}, faulted},
		{"a BETWEEN 0 AND 3", []string{"a", "abc"}, faulted},
		{"a NOT BETWEEN 0 AND 3", []string{"a", "5"}, True},
		{"a NOT BETWEEN 0 AND 3", []string{"a", "-5"}, True},
		{"a NOT BETWEEN 0 AND 3", []string{"a", "2"}, False},
		{"a NOT BETWEEN 0 AND 3", nil, Unknown},
		{"NOT (a BETWEEN 0 AND 3)", []string{"a", "5"}, True},
		// a >= 1 is checked first, with Integer.valueOf.
		{"a BETWEEN 1 AND 2.5", []string{"a", "2.5"}, faulted},
		{"a BETWEEN 1.0 AND 2.5", []string{"a", "2"}, True},
		{"a BETWEEN 1.0 AND 2.5", []string{"a", "2.6"}, False},
		// A string property between numbers is converted; string bounds do not compile (parser tests).
		{"a BETWEEN 10 AND 20", []string{"a", "15"}, True},  // not "15" between "10" and "20" as text
		{"a BETWEEN 10 AND 200", []string{"a", "15"}, True}, // as text "15" > "10" but < "200": same answer
		{"a BETWEEN 2 AND 10", []string{"a", "9"}, True},    // as text "9" > "10": would differ
		// Negated bounds are not constants, so upstream does not check their order.
		{"a BETWEEN -5 AND -1", []string{"a", "-3"}, True},
		{"a BETWEEN -1 AND -5", []string{"a", "-3"}, False},
		// BETWEEN's AND binds before the logical AND.
		{"a BETWEEN 1 AND 2 AND b = 'x'", []string{"a", "1", "b", "x"}, True},
		{"a BETWEEN 1 AND 2 AND b = 'x'", []string{"a", "1", "b", "y"}, False},
		{"a BETWEEN 1 AND 2 AND b = 'x'", []string{"a", "5"}, False},
	})
}

func TestEvalInAndStrings(t *testing.T) {
	long := "a IN ('k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8', 'k9')"
	runEvalCases(t, []evalCase{
		{"a IN ('x', 'y')", []string{"a", "x"}, True},
		{"a IN ('x', 'y')", []string{"a", "z"}, False},
		{"a IN ('x', 'y')", nil, Unknown},
		{"a NOT IN ('x', 'y')", []string{"a", "z"}, True},
		{"a NOT IN ('x', 'y')", []string{"a", "x"}, False},
		{"a NOT IN ('x', 'y')", nil, Unknown},
		{"a IN ('1')", []string{"a", "1"}, True},
		{"a IN ('it''s')", []string{"a", "it's"}, True},
		{"(a) IN ('x')", []string{"a", "x"}, True},
		{long, []string{"a", "k7"}, True},
		{long, []string{"a", "k10"}, False},
		{"a IN ('x') OR TRUE", nil, True},
		{"a IN ('x') AND FALSE", nil, False},
		{"a IN ('x') AND TRUE", nil, Unknown},
		// String functions answer FALSE, not NULL, for a missing property.
		{"a CONTAINS 'bc'", []string{"a", "abcd"}, True},
		{"a CONTAINS 'bc'", []string{"a", "xyz"}, False},
		{"a CONTAINS 'bc'", nil, False},
		{"a NOT CONTAINS 'bc'", []string{"a", "xyz"}, True},
		{"a NOT CONTAINS 'bc'", []string{"a", "abc"}, False},
		{"a NOT CONTAINS 'bc'", nil, False},
		{"NOT (a CONTAINS 'bc')", nil, True},
		{"a CONTAINS ''", []string{"a", "x"}, False},
		{"a NOT CONTAINS ''", []string{"a", "x"}, False},
		{"a STARTSWITH 'ab'", []string{"a", "abc"}, True},
		{"a STARTSWITH 'ab'", []string{"a", "cab"}, False},
		{"a NOT STARTSWITH 'ab'", []string{"a", "cab"}, True},
		{"a NOT STARTSWITH 'ab'", nil, False},
		{"a ENDSWITH 'ab'", []string{"a", "cab"}, True},
		{"a ENDSWITH 'ab'", []string{"a", "abc"}, False},
		{"a NOT ENDSWITH 'ab'", []string{"a", "abc"}, True},
		{"a contains 'é'", []string{"a", "café"}, True},
		{"a CONTAINS 'x' CONTAINS 'x'", []string{"a", "x"}, False}, // the left side is now a condition
		{"5 CONTAINS '5'", nil, False},
		{"TAGS IN ('TagA', 'TagB')", []string{"TAGS", "TagB"}, True},
	})
}

func TestEvalNullLogic(t *testing.T) {
	// SQL's three-valued AND, OR and NOT over TRUE, FALSE and NULL.
	vals := map[string]Truth{"TRUE": True, "FALSE": False, "NULL": Unknown}
	and := func(x, y Truth) Truth {
		switch {
		case x == False || y == False:
			return False
		case x == Unknown || y == Unknown:
			return Unknown
		}
		return True
	}
	or := func(x, y Truth) Truth {
		switch {
		case x == True || y == True:
			return True
		case x == Unknown || y == Unknown:
			return Unknown
		}
		return False
	}
	not := map[Truth]Truth{True: False, False: True, Unknown: Unknown}
	var cases []evalCase
	for xs, x := range vals {
		cases = append(cases, evalCase{"NOT " + xs, nil, not[x]})
		for ys, y := range vals {
			cases = append(cases,
				evalCase{xs + " AND " + ys, nil, and(x, y)},
				evalCase{xs + " OR " + ys, nil, or(x, y)})
		}
	}
	// The same with missing properties standing for NULL.
	cases = append(cases, []evalCase{
		{"a = 1 AND b = 1", []string{"a", "1"}, Unknown},
		{"a = 1 AND b = 1", []string{"a", "2"}, False},
		{"a = 1 OR b = 1", []string{"a", "1"}, True},
		{"a = 1 OR b = 1", []string{"a", "2"}, Unknown},
		{"NOT (a = 1)", nil, Unknown},
		{"NOT (a = 1)", []string{"a", "2"}, True},
		{"a IS NULL", nil, True},
		{"a IS NULL", []string{"a", ""}, False},
		{"a IS NOT NULL", nil, False},
		{"a IS NOT NULL", []string{"a", ""}, True},
		{"(a = 1) IS NULL", nil, True},
		{"(a = 1) IS NULL", []string{"a", "2"}, False},
		{"a IS NULL IS NULL", nil, False},
		{"NULL IS NULL", nil, True},
		{"TRUE IS NOT NULL", nil, True},
		// A property used as a condition is never TRUE: its value is a string.
		{"a", []string{"a", "true"}, False},
		{"a", nil, Unknown},
		{"NOT a", []string{"a", "true"}, True},
		{"a OR b = 1", []string{"a", "true", "b", "1"}, True},
	}...)
	runEvalCases(t, cases)
}

func TestEvalPrecedence(t *testing.T) {
	runEvalCases(t, []evalCase{
		// AND binds tighter than OR.
		{"a = 1 OR b = 2 AND c = 3", []string{"a", "1", "b", "0", "c", "0"}, True},
		{"a = 1 OR b = 2 AND c = 3", []string{"a", "0", "b", "2", "c", "0"}, False},
		{"(a = 1 OR b = 2) AND c = 3", []string{"a", "1", "b", "0", "c", "0"}, False},
		{"a = 1 AND b = 2 OR c = 3", []string{"a", "0", "b", "0", "c", "3"}, True},
		// Nested NOT.
		{"NOT NOT (a = 1)", []string{"a", "1"}, True},
		{"NOT NOT NOT (a = 1)", []string{"a", "1"}, False},
		{"NOT (NOT (a = 1) OR b IS NULL)", []string{"a", "1", "b", "x"}, True},
		{"NOT (NOT (a = 1) OR b IS NULL)", []string{"a", "1"}, False},
		{"NOT (a = 1 AND NOT (b = 2))", []string{"a", "1", "b", "2"}, True},
		{"NOT (a = 1) AND NOT (b = 2)", []string{"a", "0", "b", "0"}, True},
		// Upstream's NOT is a prefix operator that binds tighter than any
		// comparison: NOT a = 1 is (NOT a) = 1, where NOT a is a boolean.
		{"NOT a = 1", []string{"a", "1"}, False},
		{"NOT a = 1", []string{"a", "2"}, False},
		{"NOT a = 1", nil, Unknown},
		{"NOT a = TRUE", []string{"a", "x"}, True},
		{"NOT a IS NULL", nil, True}, // (NOT a) IS NULL: the same as a IS NULL
		{"NOT a IS NULL", []string{"a", "x"}, False},
		{"NOT a CONTAINS 'x'", []string{"a", "x"}, False},
		// = binds looser than >, so this is (a > 1) = (b > 1).
		{"a > 1 = b > 1", []string{"a", "5", "b", "5"}, True},
		{"a > 1 = b > 1", []string{"a", "5", "b", "0"}, False},
		{"a > 1 = b > 1", []string{"a", "5"}, False}, // right NULL
		// Comments and case.
		{"a = 1 /* note */ and -- rest of line\n b = 2", []string{"a", "1", "b", "2"}, True},
		{"a = 1 -- trailing note", []string{"a", "1"}, True},
		{"a between 0 and 3 AnD b is not null", []string{"a", "1", "b", ""}, True},
	})
}

func TestEvalStopsLikeUpstream(t *testing.T) {
	// A fault ends the whole evaluation unless an earlier operand already
	// decided AND or OR: evaluation is left to right and short-circuits.
	runEvalCases(t, []evalCase{
		{"b = 'x' OR a > 5", []string{"a", "abc", "b", "x"}, True},
		{"a > 5 OR b = 'x'", []string{"a", "abc", "b", "x"}, faulted},
		{"a = 1 AND b > 5", []string{"a", "2", "b", "x"}, False},
		{"b > 5 AND a = 1", []string{"a", "2", "b", "x"}, faulted},
		{"NOT (a > 5)", []string{"a", "x"}, faulted},
		{"(a > 5) IS NULL", []string{"a", "x"}, faulted},
		{"a > 5 OR b = 'x' OR c > 1", []string{"a", "1", "b", "x", "c", "x"}, True},
		{"(a = 1) CONTAINS ''", []string{"a", "x"}, False}, // empty search decides before the operand is evaluated
	})
}

func TestIssueExample(t *testing.T) {
	// Issue 8: a BETWEEN 0 AND 3 over a = 0..9 delivers exactly 4.
	e, err := Compile("a BETWEEN 0 AND 3")
	if err != nil {
		t.Fatal(err)
	}
	var matched []int
	for i := 0; i < 10; i++ {
		if e.Match(props("a", fmt.Sprint(i))) {
			matched = append(matched, i)
		}
	}
	if fmt.Sprint(matched) != "[0 1 2 3]" {
		t.Fatalf("matched %v, want [0 1 2 3]", matched)
	}
}

func TestEvalErrorMessages(t *testing.T) {
	cases := []struct{ expr, a, want string }{
		{"a = 3", "x", `"x" is not a 32-bit integer`},
		{"a = 3000000000", "x", `"x" is not a 64-bit integer`},
		{"a = 1.5", "x", `"x" is not a number, so it cannot be compared with a decimal`},
		{"a > '1' ", "x", ""}, // does not compile; skipped below
		{"a > b", "x", `"x" is not a number: <, <=, > and >= compare two strings only as numbers`},
		{"TRUE = a", "x", `a condition cannot be compared with the string "x"`},
	}
	for _, c := range cases {
		e, err := Compile(c.expr)
		if err != nil {
			if c.want != "" {
				t.Errorf("Compile(%q): %v", c.expr, err)
			}
			continue
		}
		_, err = e.Eval(props("a", c.a, "b", "1"))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "SQL92 evaluation failed: ") {
			t.Errorf("%q with a=%q: error %v, want one containing %q", c.expr, c.a, err, c.want)
		}
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	e, err := Compile("a > 5 AND b = 'x' OR c IS NULL OR d IN ('p', 'q') OR e CONTAINS 'z' OR f BETWEEN 1.5 AND 2")
	if err != nil {
		t.Fatal(err)
	}
	raw := map[string]string{"a": "7", "b": "y", "c": "1", "d": "r", "e": "abc", "f": "3"}
	lookup := func(name string) (string, bool) { // a closure capturing state, as the broker's will
		v, ok := raw[name]
		return v, ok
	}
	if e.Match(lookup) {
		t.Fatal("matched, want no match (every clause evaluated)")
	}
	if n := testing.AllocsPerRun(100, func() { e.Match(lookup) }); n != 0 {
		t.Fatalf("Match allocates %v times per call", n)
	}
}

func TestNestedBetweenEvaluatesOnce(t *testing.T) {
	// Each BETWEEN reads its operand once, so nesting them costs linear
	// work, not 2^depth lookups.
	expr := "a = 1"
	for i := 0; i < 20; i++ {
		expr = "-(" + expr + ") NOT BETWEEN 1 AND 2"
	}
	e, err := Compile(expr)
	if err != nil {
		t.Fatal(err)
	}
	lookups := 0
	got, err := e.Eval(func(name string) (string, bool) {
		lookups++
		return "1", true
	})
	// -(condition) is NULL, so every NOT BETWEEN is unknown.
	if got != Unknown || err != nil || lookups != 1 {
		t.Fatalf("Eval = %v, %v after %d lookups; want UNKNOWN after 1", got, err, lookups)
	}
}
