package filter

import (
	"cmp"
	"errors"
	"math"
	"strconv"
	"strings"
)

// kind is the Java type a value would have in upstream's evaluator.
// Integer constants are Java int when they fit in 32 bits and long
// otherwise; the difference shows when a property is converted to the
// constant's type ("3000000000" is not an int).
type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindInt  // java.lang.Integer
	kindLong // java.lang.Long
	kindDouble
	kindString
	kindFault // evaluation stopped: upstream threw an exception
)

// fault says why an evaluation stopped. Upstream's evaluator throws in
// these cases and the broker then drops the message whatever the rest of
// the expression says.
type fault uint8

const (
	faultNone       fault = iota
	faultNotInt           // a string compared with an int constant is not an int
	faultNotLong          // ... with a long constant is not a long
	faultNotDouble        // ... with a decimal is not a double
	faultOrderText        // two strings ordered with < > <= >= are not both numbers
	faultBoolString       // a condition compared with a string (a ClassCastException upstream)
)

// value is one evaluated operand. It is passed by value and never
// allocates; s may alias a property value the caller owns. A kindFault
// value carries no detail: the evaluation records it.
type value struct {
	kind kind
	b    bool
	n    int64 // kindInt, kindLong
	f    float64
	s    string
}

func boolValue(b bool) value      { return value{kind: kindBool, b: b} }
func stringValue(s string) value  { return value{kind: kindString, s: s} }
func doubleValue(f float64) value { return value{kind: kindDouble, f: f} }

// numberValue is an integer constant: int if it fits in 32 bits, else long.
func numberValue(n int64) value {
	if n >= math.MinInt32 && n <= math.MaxInt32 {
		return value{kind: kindInt, n: n}
	}
	return value{kind: kindLong, n: n}
}

func (v value) isNumber() bool {
	return v.kind == kindInt || v.kind == kindLong || v.kind == kindDouble
}

// compare orders l and r, neither of them null, as upstream's
// ComparisonExpression does: values of one type compare naturally; an int
// meeting a long or double is widened; a string meeting a number or a
// boolean is converted to the other side's type first (and a string that
// does not convert is a fault); anything else compares as "less" (-1),
// except a boolean on the left of a string, which upstream fails on.
func compare(l, r value) (int, fault) {
	if l.kind == r.kind {
		switch l.kind {
		case kindBool:
			return compareBool(l.b, r.b), faultNone
		case kindInt, kindLong:
			return compareInt(l.n, r.n), faultNone
		case kindDouble:
			return compareDouble(l.f, r.f), faultNone
		case kindString:
			return compareString(l.s, r.s), faultNone
		}
		return -1, faultNone
	}
	switch l.kind {
	case kindBool:
		if r.kind == kindString {
			return 0, faultBoolString
		}
	case kindInt, kindLong:
		switch r.kind {
		case kindInt, kindLong:
			return compareInt(l.n, r.n), faultNone
		case kindDouble:
			return compareDouble(float64(l.n), r.f), faultNone
		case kindString:
			n, f := convertInteger(r.s, l.kind)
			if f != faultNone {
				return 0, f
			}
			return compareInt(l.n, n), faultNone
		}
	case kindDouble:
		switch r.kind {
		case kindInt, kindLong:
			return compareDouble(l.f, float64(r.n)), faultNone
		case kindString:
			x, ok := parseJavaDouble(r.s)
			if !ok {
				return 0, faultNotDouble
			}
			return compareDouble(l.f, x), faultNone
		}
	case kindString:
		switch r.kind {
		case kindBool:
			return compareBool(javaParseBoolean(l.s), r.b), faultNone
		case kindInt, kindLong:
			n, f := convertInteger(l.s, r.kind)
			if f != faultNone {
				return 0, f
			}
			return compareInt(n, r.n), faultNone
		case kindDouble:
			x, ok := parseJavaDouble(l.s)
			if !ok {
				return 0, faultNotDouble
			}
			return compareDouble(x, r.f), faultNone
		}
	}
	return -1, faultNone
}

// convertInteger is Integer.valueOf or Long.valueOf of s.
func convertInteger(s string, k kind) (int64, fault) {
	if k == kindInt {
		n, ok := parseJavaInt(s, 32)
		if !ok {
			return 0, faultNotInt
		}
		return n, faultNone
	}
	n, ok := parseJavaInt(s, 64)
	if !ok {
		return 0, faultNotLong
	}
	return n, faultNone
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

func compareInt(a, b int64) int { return cmp.Compare(a, b) }

// compareDouble is Java's Double.compare: -0.0 sorts before 0.0, NaN after
// everything and equal to itself.
func compareDouble(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	ab, bb := javaDoubleBits(a), javaDoubleBits(b)
	switch {
	case ab < bb:
		return -1
	case ab > bb:
		return 1
	}
	return 0
}

// javaDoubleBits is Double.doubleToLongBits: every NaN is the canonical one.
func javaDoubleBits(f float64) int64 {
	if f != f {
		return 0x7ff8000000000000
	}
	return int64(math.Float64bits(f))
}

// compareString is only ever asked about equality (upstream orders two
// strings as doubles, see evaluation.order), so byte order is enough.
func compareString(a, b string) int { return strings.Compare(a, b) }

// parseJavaInt is Integer.parseInt (bits 32) or Long.parseLong (bits 64):
// an optional sign and ASCII digits, nothing else, no blanks.
// (Java also takes non-ASCII Unicode digits; message properties in the
// wild do not use them.)
func parseJavaInt(s string, bits int) (int64, bool) {
	i, neg := 0, false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg, i = s[0] == '-', 1
	}
	if i == len(s) {
		return 0, false
	}
	limit := uint64(1)<<(bits-1) - 1 // max magnitude of a positive value
	if neg {
		limit++
	}
	var u uint64
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if u > (limit-uint64(c-'0'))/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		return int64(-u), true // two's complement: also right for the minimum
	}
	return int64(u), true
}

// javaParseBoolean is Boolean.valueOf(String): "true" in any case.
func javaParseBoolean(s string) bool {
	if len(s) != 4 {
		return false
	}
	return (s[0]|0x20) == 't' && (s[1]|0x20) == 'r' && (s[2]|0x20) == 'u' && (s[3]|0x20) == 'e'
}

// parseJavaDouble is Double.valueOf(String): blanks (<= ' ') trimmed at
// both ends, an optional sign, then NaN, Infinity, a decimal with optional
// exponent, or a hex float with a binary exponent (0x1.8p1); decimals and
// hex floats may end in one of fFdD.
func parseJavaDouble(s string) (float64, bool) {
	s = javaTrim(s)
	body := s
	if len(body) > 0 && (body[0] == '+' || body[0] == '-') {
		body = body[1:]
	}
	switch body {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		if s[0] == '-' {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case "":
		return 0, false
	}
	if last := body[len(body)-1]; last == 'f' || last == 'F' || last == 'd' || last == 'D' {
		s, body = s[:len(s)-1], body[:len(body)-1]
	}
	if !validJavaFloat(body) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true // out-of-range values are ±Inf or 0, as in Java
}

// validJavaFloat checks an unsigned float body without its type suffix, so
// that strconv.ParseFloat never sees forms Java refuses ("inf", "1_0").
func validJavaFloat(b string) bool {
	if len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		i, nd := scanMantissa(b, 2, isHexDigit)
		if nd == 0 || i == len(b) || (b[i] != 'p' && b[i] != 'P') {
			return false // a hex float needs digits and a binary exponent
		}
		return validExponentDigits(b[i+1:])
	}
	i, nd := scanMantissa(b, 0, isDigit)
	if nd == 0 {
		return false
	}
	if i == len(b) {
		return true
	}
	if b[i] != 'e' && b[i] != 'E' {
		return false
	}
	return validExponentDigits(b[i+1:])
}

// scanMantissa reads digits [ "." digits ] from b[i:] and returns where it
// stopped and how many digits it saw.
func scanMantissa(b string, i int, digit func(byte) bool) (end, digits int) {
	for i < len(b) && digit(b[i]) {
		i, digits = i+1, digits+1
	}
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && digit(b[i]) {
			i, digits = i+1, digits+1
		}
	}
	return i, digits
}

// validExponentDigits is [+-]?[0-9]+.
func validExponentDigits(e string) bool {
	if len(e) > 0 && (e[0] == '+' || e[0] == '-') {
		e = e[1:]
	}
	if e == "" {
		return false
	}
	for i := 0; i < len(e); i++ {
		if !isDigit(e[i]) {
			return false
		}
	}
	return true
}

func isHexDigit(c byte) bool {
	return isDigit(c) || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

// javaTrim is String.trim: it strips every char <= ' ' at both ends,
// control characters included, and nothing else.
func javaTrim(s string) string {
	i, j := 0, len(s)
	for i < j && s[i] <= ' ' {
		i++
	}
	for j > i && s[j-1] <= ' ' {
		j--
	}
	return s[i:j]
}
