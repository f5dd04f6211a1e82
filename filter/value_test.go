package filter

import (
	"math"
	"testing"
)

func TestParseJavaInt(t *testing.T) {
	cases := []struct {
		s    string
		bits int
		want int64
		ok   bool
	}{
		{"0", 32, 0, true},
		{"-0", 32, 0, true},
		{"+7", 32, 7, true},
		{"007", 32, 7, true},
		{"2147483647", 32, math.MaxInt32, true},
		{"-2147483648", 32, math.MinInt32, true},
		{"2147483648", 32, 0, false},
		{"-2147483649", 32, 0, false},
		{"2147483648", 64, 2147483648, true},
		{"9223372036854775807", 64, math.MaxInt64, true},
		{"-9223372036854775808", 64, math.MinInt64, true},
		{"9223372036854775808", 64, 0, false},
		{"99999999999999999999999", 64, 0, false},
		{"", 32, 0, false},
		{"+", 32, 0, false},
		{"-", 64, 0, false},
		{" 1", 32, 0, false},
		{"1 ", 32, 0, false},
		{"1_000", 32, 0, false},
		{"0x10", 32, 0, false},
		{"1.0", 32, 0, false},
		{"1L", 64, 0, false},
		{"+-1", 32, 0, false},
		{"١", 32, 0, false}, // Java would read this Arabic-Indic one; see parseJavaInt
	}
	for _, c := range cases {
		got, ok := parseJavaInt(c.s, c.bits)
		if ok != c.ok || got != c.want {
			t.Errorf("parseJavaInt(%q, %d) = %d, %v, want %d, %v", c.s, c.bits, got, ok, c.want, c.ok)
		}
	}
}

func TestParseJavaDouble(t *testing.T) {
	cases := []struct {
		s    string
		want float64
		ok   bool
	}{
		{"1", 1, true},
		{"1.5", 1.5, true},
		{"-1.5", -1.5, true},
		{"+.5", 0.5, true},
		{"5.", 5, true},
		{"1e3", 1000, true},
		{"1E+3", 1000, true},
		{"1e-3", 0.001, true},
		{"1.5f", 1.5, true},
		{"1.5D", 1.5, true},
		{"1e3d", 1000, true},
		{" \t1.5\n", 1.5, true},
		{"\x001.5\x1f", 1.5, true}, // trim takes every char <= ' '
		{"0x1p3", 8, true},
		{"-0X1.8P1", -3, true},
		{"0x.8p1", 1, true},
		{"0x1p3f", 8, true},
		{"Infinity", math.Inf(1), true},
		{"-Infinity", math.Inf(-1), true},
		{"+Infinity", math.Inf(1), true},
		{"1e999", math.Inf(1), true},
		{"1e-999", 0, true},
		{"", 0, false},
		{"   ", 0, false},
		{".", 0, false},
		{"e3", 0, false},
		{"1e", 0, false},
		{"1e+", 0, false},
		{"1.5ff", 0, false},
		{"f", 0, false},
		{"inf", 0, false},
		{"infinity", 0, false},
		{"nan", 0, false},
		{"NaNd", 0, false},
		{"1_000", 0, false},
		{"0x1", 0, false}, // hex needs a binary exponent
		{"0x1.8", 0, false},
		{"0xp1", 0, false},
		{"0x_1p1", 0, false},
		{"1,5", 0, false},
		{"\u00a01", 0, false}, // a no-break space is not <= ' '
		{"--1", 0, false},
	}
	for _, c := range cases {
		got, ok := parseJavaDouble(c.s)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("parseJavaDouble(%q) = %v, %v, want %v, %v", c.s, got, ok, c.want, c.ok)
		}
	}
	for _, s := range []string{"NaN", "-NaN", "+NaN", " NaN "} {
		if f, ok := parseJavaDouble(s); !ok || !math.IsNaN(f) {
			t.Errorf("parseJavaDouble(%q) = %v, %v, want NaN", s, f, ok)
		}
	}
}

func TestCompareDouble(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		a, b float64
		want int
	}{
		{1, 2, -1},
		{2, 1, 1},
		{1, 1, 0},
		{math.Copysign(0, -1), 0, -1}, // Double.compare: -0.0 < 0.0
		{nan, nan, 0},
		{nan, math.Inf(1), 1},
		{math.Inf(-1), nan, -1},
	}
	for _, c := range cases {
		if got := compareDouble(c.a, c.b); got != c.want {
			t.Errorf("compareDouble(%v, %v) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestCompareMixedTypes(t *testing.T) {
	cases := []struct {
		l, r  value
		want  int
		fault fault
	}{
		{numberValue(1), numberValue(3000000000), -1, faultNone},
		{numberValue(3000000000), numberValue(1), 1, faultNone},
		{numberValue(2), doubleValue(1.5), 1, faultNone},
		{doubleValue(1.5), numberValue(2), -1, faultNone},
		{stringValue("2"), numberValue(2), 0, faultNone},
		{numberValue(2), stringValue("x"), 0, faultNotInt},
		{numberValue(3000000000), stringValue("x"), 0, faultNotLong},
		{doubleValue(2), stringValue("x"), 0, faultNotDouble},
		{stringValue("x"), doubleValue(2), 0, faultNotDouble},
		{stringValue("TRUE"), boolValue(true), 0, faultNone},
		{boolValue(true), stringValue("true"), 0, faultBoolString},
		{boolValue(true), numberValue(1), -1, faultNone}, // no conversion: "less"
		{numberValue(1), boolValue(true), -1, faultNone},
		{doubleValue(1), boolValue(false), -1, faultNone},
		{boolValue(false), boolValue(true), -1, faultNone},
	}
	for _, c := range cases {
		got, f := compare(c.l, c.r)
		if f != c.fault || (f == faultNone && got != c.want) {
			t.Errorf("compare(%+v, %+v) = %d, fault %d; want %d, fault %d", c.l, c.r, got, f, c.want, c.fault)
		}
	}
}
