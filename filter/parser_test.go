package filter

import (
	"errors"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	cases := []struct {
		expr   string
		column int
		msg    string // a part of the message
	}{
		{"", 1, "expected a value, found end of input"},
		{"   ", 4, "expected a value, found end of input"},
		{"a =", 4, "expected a value after '=', found end of input"},
		{"a > 5 =", 8, "expected a value after '=', found end of input"},
		{"a == 1", 4, "expected a value after '=', found '='"},
		{"a = 1 AND", 10, "expected a value after 'AND', found end of input"},
		{"a = 1 OR OR b = 2", 10, "expected a value after 'OR', found 'OR'"},
		{"a != 1", 3, `unexpected character '!' (not equal is written <>)`},
		{`a = "x"`, 5, "strings are written in single quotes"},
		{"a = 1 && b = 2", 7, "use AND and OR"},
		{"a = 'abc", 5, "unterminated string"},
		{"a = 1 /* note", 7, "unterminated comment"},
		{"名 = 1", 1, "property names are ASCII"},
		{"a = '名前' AND b ==", 17, "expected a value after '=', found '='"}, // columns count characters, not bytes
		{"a = 1 b", 7, "expected an operator, AND, OR or end of input, found property 'b'"},
		{"a = 0123", 6, "an integer other than 0 cannot start with 0"},
		{"a = 1)", 6, "unbalanced ')'"},
		{"(a = 1", 7, "expected ')' to close the '(' at column 1, found end of input"},
		{"((a = 1) AND (b = 2)", 21, "expected ')' to close the '(' at column 1"},
		{"5", 1, "expected a condition, found '5', which is not true or false"},
		{"'x'", 1, "expected a condition, found 'x'"},
		{"-a", 1, "expected a condition, found '-a'"},
		{"a = 1 AND 5", 11, "expected a condition after AND, found '5'"},
		{"5 OR a = 1", 1, "expected a condition before OR, found '5'"},
		{"NOT 5", 5, "expected a condition after NOT, found '5'"},
		{"a IS 5", 6, "expected NULL or NOT NULL after IS, found number '5'"},
		{"a IS NOT 5", 10, "expected NULL after IS NOT, found number '5'"},
		{"a NOT LIKE 'x'", 7, "expected BETWEEN, IN, CONTAINS, STARTSWITH or ENDSWITH after NOT, found property 'LIKE'"},
		{"a LIKE 'x'", 3, "found property 'LIKE'"},
		// Upstream's operand checks.
		{"a = NULL", 5, "NULL cannot be compared with '=': write IS NULL"},
		{"NULL <> a", 1, "NULL cannot be compared with '<>': write IS NOT NULL"},
		{"TRUE = 1", 8, "'TRUE' cannot be compared with '1'"},
		{"FALSE = 'x'", 9, "'FALSE' cannot be compared with 'x'"},
		{"a > 'x'", 5, "'>' compares numbers, found 'x'"},
		{"'x' <= a", 1, "'<=' compares numbers, found 'x'"},
		{"a < TRUE", 5, "'<' compares numbers, found 'TRUE'"},
		{"a >= NULL", 6, "'>=' compares numbers, found 'NULL'"},
		{"(a = 1) > 0", 1, "'>' compares numbers, found '(a = 1)'"},
		{"a > 1 > 2", 1, "'>' compares numbers, found 'a > 1'"},
		{"NOT a > 1", 1, "'>' compares numbers, found 'NOT a'"}, // NOT binds tighter than >
		{"a BETWEEN 'a' AND 'b'", 11, "'BETWEEN' compares numbers, found 'a'"},
		{"a BETWEEN 1 AND 'b'", 17, "'BETWEEN' compares numbers, found 'b'"},
		{"a NOT BETWEEN 'a' AND 'b'", 15, "'NOT BETWEEN' compares numbers"},
		{"a BETWEEN NULL AND 3", 11, "'BETWEEN' compares numbers, found 'NULL'"},
		{"TRUE BETWEEN 1 AND 3", 1, "'BETWEEN' compares numbers, found 'TRUE'"},
		{"a BETWEEN 3 AND 1", 11, "empty range BETWEEN '3' AND '1'"},
		{"a BETWEEN 2.5 AND 2", 11, "empty range"},
		{"a BETWEEN 1 OR 3", 13, "expected AND after BETWEEN '1', found 'OR'"},
		{"a IN (1, 2)", 7, "expected a string in the IN list, found number '1'"},
		{"a IN ()", 7, "expected a string in the IN list, found ')'"},
		{"a IN 'x'", 6, "expected '(' after IN, found string 'x'"},
		{"a IN ('x' 'y')", 11, "expected ',' or ')' in the IN list, found string 'y'"},
		{"a NOT IN ('x',)", 15, "expected a string in the NOT IN list, found ')'"},
		{"'x' IN ('x')", 1, "IN needs a property on its left, found 'x'"},
		{"NOT a IN ('x')", 1, "IN needs a property on its left, found 'NOT a'"},
		{"-a IN ('x')", 1, "IN needs a property on its left"},
		{"a CONTAINS b", 12, "expected a string after CONTAINS, found property 'b'"},
		{"a NOT STARTSWITH 5", 18, "expected a string after STARTSWITH, found number '5'"},
		{"a ENDSWITH", 11, "expected a string after ENDSWITH, found end of input"},
		// Literals upstream refuses.
		{"a = 99999999999999999999", 5, "integer 99999999999999999999 does not fit in 64 bits"},
		{"a = 9223372036854775808L", 5, "does not fit in 64 bits"},
		{"a = 1e400", 5, "decimal 1e400 is too large for a double"},
		{"a = 0.0", 5, "decimal 0.0 is zero"},
		{"a = .0", 5, "is zero"},
		{"a = 1e-400", 5, "is zero"},
		{"a = 0L", 6, "found property 'L'"}, // only 1-9 integers take the L suffix
		{"a = 5e", 6, "found property 'e'"},
		{"a = 1.5.3", 8, "found number '.3'"},
	}
	for _, c := range cases {
		e, err := Compile(c.expr)
		if err == nil {
			t.Errorf("Compile(%q) = %v, want an error", c.expr, e)
			continue
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Compile(%q): %v is not a *SyntaxError", c.expr, err)
			continue
		}
		if se.Column != c.column || !strings.Contains(se.Msg, c.msg) {
			t.Errorf("Compile(%q):\n got %v\nwant column %d, message containing %q", c.expr, err, c.column, c.msg)
		}
		if !strings.HasPrefix(err.Error(), "SQL92 parse error at column ") {
			t.Errorf("Compile(%q): %q does not start the way the broker's remark should", c.expr, err)
		}
	}
}

func TestCompileErrorText(t *testing.T) {
	_, err := Compile("a > 5 =")
	want := "SQL92 parse error at column 8: expected a value after '=', found end of input"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestCompileAccepts(t *testing.T) {
	for _, expr := range []string{
		"a",
		"TRUE",
		"NULL",
		"NOT NULL",
		"(a)",
		"((((a = 1))))",
		"a = 1L",
		"a = 5l",
		"a > 1.",
		"a > .5",
		"a > 5E10",
		"a > 5.e-3",
		"a > 4.9e-324", // the smallest double is still accepted
		"a = -9223372036854775807",
		"a = +'x'",
		"a = 1 = TRUE",
		"a <> b",
		"$x_1 = 1 AND _y IS NULL",
		"a IN ('x')",
		"a NOT IN ('x', 'y', 'z')",
		"a BETWEEN 1 AND 1",
		"a BETWEEN 1 AND 1.5",
		"a BETWEEN -1 AND -5", // negations are not constants: upstream does not check their order
		"a NOT BETWEEN 3 AND 1",
		"a\tBETWEEN\n0\rAND\f3",
		"not a is null",
		"a CONTAINS 'x' AND b NOT ENDSWITH 'y' OR c NOT STARTSWITH 'z'",
		"a = 'multi\nline'",
		"a = 1 -- comment",
		"a = 1 --",
		"/* lead */ a = 1",
		"a = 1 /* a * b / c **/",
	} {
		e, err := Compile(expr)
		if err != nil {
			t.Errorf("Compile(%q): %v", expr, err)
			continue
		}
		if e.String() != expr {
			t.Errorf("String() = %q, want %q", e.String(), expr)
		}
	}
}

func TestCompileLimits(t *testing.T) {
	deep := strings.Repeat("(", MaxDepth+1) + "a = 1" + strings.Repeat(")", MaxDepth+1)
	ok := strings.Repeat("(", MaxDepth-2) + "a = 1" + strings.Repeat(")", MaxDepth-2)
	for _, c := range []struct {
		expr    string
		wantErr bool
	}{
		{ok, false},
		{deep, true},
		{strings.Repeat("NOT ", MaxDepth+1) + "TRUE", true},
		{strings.Repeat("NOT ", MaxDepth-1) + "TRUE", false},
		{strings.Repeat("- ", MaxDepth+1) + "1 = 1", true}, // "--" would start a comment
		{"a" + strings.Repeat(" IS NULL", MaxDepth+1), true},
		{"a" + strings.Repeat(" IS NULL", MaxDepth-2), false},
		// AND and OR chains are flat: long ones are fine.
		{"a = 1" + strings.Repeat(" OR a = 1 AND b = 2", 500), false},
	} {
		_, err := Compile(c.expr)
		if (err != nil) != c.wantErr {
			t.Errorf("Compile(%.40q...) error %v, want error %v", c.expr, err, c.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "nested deeper than 100 levels") {
			t.Errorf("Compile(%.40q...): %v, want the depth error", c.expr, err)
		}
	}

	long := "a IN ('" + strings.Repeat("x", MaxExpressionLen) + "')"
	if _, err := Compile(long); !errors.Is(err, ErrTooLong) {
		t.Errorf("Compile of %d bytes: %v, want ErrTooLong", len(long), err)
	}
	justFits := "a IN ('" + strings.Repeat("x", MaxExpressionLen-len("a IN ('')")) + "')"
	if _, err := Compile(justFits); err != nil {
		t.Errorf("Compile of %d bytes: %v", len(justFits), err)
	}
}

func TestLexNumbers(t *testing.T) {
	// Upstream's longest-match rules for numeric literals.
	cases := []struct {
		src  string
		want []string
	}{
		{"0", []string{"0"}},
		{"0123", []string{"0", "123"}},
		{"0123.5", []string{"0123.5"}},
		{"0e5", []string{"0e5"}},
		{"123L", []string{"123L"}},
		{"123l5", []string{"123l", "5"}},
		{"5e", []string{"5", "e"}},
		{"5e+", []string{"5", "e", "+"}},
		{"5E-3", []string{"5E-3"}},
		{"5.", []string{"5."}},
		{".5e2", []string{".5e2"}},
		{"1.5.3", []string{"1.5", ".3"}},
		{"5abc", []string{"5", "abc"}},
	}
	for _, c := range cases {
		toks, err := lex(c.src)
		if err != nil {
			t.Errorf("lex(%q): %v", c.src, err)
			continue
		}
		var got []string
		for _, tk := range toks[:len(toks)-1] {
			got = append(got, tk.text)
		}
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("lex(%q) = %q, want %q", c.src, got, c.want)
		}
	}
}

func TestLexKeywordsIgnoreCase(t *testing.T) {
	toks, err := lex("not And oR between In true False NULL is Contains startsWith ENDSWITH notx")
	if err != nil {
		t.Fatal(err)
	}
	want := []tokenKind{tNot, tAnd, tOr, tBetween, tIn, tTrue, tFalse, tNull, tIs, tContains, tStartsWith, tEndsWith, tIdent, tEOF}
	if len(toks) != len(want) {
		t.Fatalf("%d tokens, want %d", len(toks), len(want))
	}
	for i, tk := range toks {
		if tk.kind != want[i] {
			t.Errorf("token %d %q: kind %d, want %d", i, tk.text, tk.kind, want[i])
		}
	}
}
