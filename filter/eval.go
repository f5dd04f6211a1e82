package filter

import (
	"fmt"
	"strings"
)

// Lookup finds a message property by name; ok is false when the message
// has no such property. Match and Eval keep no reference to the strings it
// returns, so they may be views into a buffer that is reused after the call.
type Lookup func(name string) (value string, ok bool)

// MapLookup looks properties up in a map.
func MapLookup(m map[string]string) Lookup {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// Expression is a compiled SQL92 selector. It is immutable: one compiled
// expression serves every pull of a subscription, concurrently.
type Expression struct {
	src  string
	root *node
}

// String returns the expression's source text.
func (e *Expression) String() string { return e.src }

// Match reports whether a message with the given properties passes the
// selector: true only when the expression evaluates to TRUE, so unknown
// (a NULL somewhere) and failed evaluations do not match, as upstream.
// It does not allocate.
func (e *Expression) Match(props Lookup) bool {
	ev := evaluation{props: props}
	return ev.cond(e.root) == triTrue
}

// Truth is a three-valued SQL result.
type Truth int8

const (
	Unknown Truth = iota
	False
	True
)

func (t Truth) String() string {
	switch t {
	case False:
		return "FALSE"
	case True:
		return "TRUE"
	}
	return "UNKNOWN"
}

// Eval is Match with the detail kept, for logs and tests: the three-valued
// result, or an error when the evaluation stopped where upstream's throws
// (a property that is not a number compared with a number, for one).
// Upstream then drops the message whatever the rest of the expression
// would say, and so does Match; the error says why.
func (e *Expression) Eval(props Lookup) (Truth, error) {
	ev := evaluation{props: props}
	switch ev.cond(e.root) {
	case triFault:
		return Unknown, &EvalError{Value: ev.text, fault: ev.fault}
	case triTrue:
		return True, nil
	case triFalse:
		return False, nil
	}
	return Unknown, nil
}

// EvalError says why an evaluation stopped.
type EvalError struct {
	Value string // the string that did not convert
	fault fault
}

func (e *EvalError) Error() string {
	var why string
	switch e.fault {
	case faultNotInt:
		why = fmt.Sprintf("%q is not a 32-bit integer, so it cannot be compared with an integer constant", e.Value)
	case faultNotLong:
		why = fmt.Sprintf("%q is not a 64-bit integer, so it cannot be compared with a long constant", e.Value)
	case faultNotDouble:
		why = fmt.Sprintf("%q is not a number, so it cannot be compared with a decimal", e.Value)
	case faultOrderText:
		why = fmt.Sprintf("%q is not a number: <, <=, > and >= compare two strings only as numbers", e.Value)
	case faultBoolString:
		why = fmt.Sprintf("a condition cannot be compared with the string %q", e.Value)
	default:
		why = "unknown fault"
	}
	return "SQL92 evaluation failed: " + why
}

// tri is a condition's result while evaluating: SQL's three values, or
// a fault, which ends the whole evaluation (upstream throws).
type tri uint8

const (
	triUnknown tri = iota
	triFalse
	triTrue
	triFault
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

// evaluation is one evaluation of an expression. It lives on Match's
// stack: nothing in it escapes, so evaluating allocates nothing.
type evaluation struct {
	props Lookup
	fault fault  // why it stopped, with triFault / kindFault
	text  string // the string that did not convert
}

// stop records a fault; the caller returns triFault or kindFault.
func (ev *evaluation) stop(f fault, text string) {
	ev.fault, ev.text = f, text
}

// cond evaluates a node that yields a condition: the parser puts only
// those where AND, OR, NOT and the selector itself expect one.
func (ev *evaluation) cond(n *node) tri {
	switch n.op {
	case opAnd, opOr:
		return ev.logic(n)
	case opEq:
		return ev.equal(n)
	case opLt, opLe, opGt, opGe:
		return ev.order(ev.value(n.l), n.r, n.op)
	case opBetween:
		return ev.between(n)
	case opIn:
		s, ok := ev.props(n.name)
		if !ok {
			return triUnknown
		}
		return triOf(n.inList(s) != n.not)
	case opContains, opStartsWith, opEndsWith:
		return ev.stringFunc(n)
	case opIsNull:
		v := ev.value(n.l)
		if v.kind == kindFault {
			return triFault
		}
		return triOf((v.kind == kindNull) != n.not)
	case opNot:
		t := ev.cond(n.l)
		switch t {
		case triTrue:
			return triFalse
		case triFalse:
			return triTrue
		}
		return t
	case opCast:
		// Only the boolean TRUE is true, and a property value is a
		// string: FALSE, or unknown when the property is missing.
		if _, ok := ev.props(n.l.name); ok {
			return triFalse
		}
		return triUnknown
	case opConst: // TRUE, FALSE, NULL
		if n.val.kind == kindBool {
			return triOf(n.val.b)
		}
		return triUnknown
	}
	return triUnknown // unreachable: the parser builds no other condition
}

// value evaluates an operand: a constant, a property (always a string),
// a negation, or a condition used as a value, as in (a = 1) = TRUE.
func (ev *evaluation) value(n *node) value {
	switch n.op {
	case opProp:
		if s, ok := ev.props(n.name); ok {
			return stringValue(s)
		}
		return value{}
	case opConst:
		return n.val
	case opNeg:
		return ev.negate(n)
	}
	switch ev.cond(n) {
	case triTrue:
		return valTrue
	case triFalse:
		return valFalse
	case triFault:
		return value{kind: kindFault}
	}
	return value{}
}

var (
	valTrue  = boolValue(true)
	valFalse = boolValue(false)
)

// negate is unary minus, which upstream applies to numbers only.
func (ev *evaluation) negate(n *node) value {
	v := ev.value(n.l)
	switch v.kind {
	case kindInt:
		v.n = int64(-int32(v.n)) // Java int arithmetic wraps
	case kindLong:
		v.n = -v.n
	case kindDouble:
		v.f = -v.f
	case kindFault:
	default:
		return value{}
	}
	return v
}

// logic is AND (OR): the first FALSE (TRUE) decides and stops the
// evaluation; otherwise any unknown makes the result unknown.
func (ev *evaluation) logic(n *node) tri {
	decides := triFalse
	if n.op == opOr {
		decides = triTrue
	}
	unknown := false
	for _, k := range n.kids {
		switch t := ev.cond(k); t {
		case decides, triFault:
			return t
		case triUnknown:
			unknown = true
		}
	}
	switch {
	case unknown:
		return triUnknown
	case decides == triTrue:
		return triFalse
	}
	return triTrue
}

// equal is = and <> with upstream's NULL quirks: both sides NULL is TRUE,
// a NULL left side is unknown, and a NULL right side alone is FALSE.
func (ev *evaluation) equal(n *node) tri {
	l := ev.value(n.l)
	if l.kind == kindFault {
		return triFault
	}
	r := ev.value(n.r)
	if r.kind == kindFault {
		return triFault
	}
	var eq bool
	switch {
	case l.kind == kindNull && r.kind == kindNull:
		eq = true
	case l.kind == kindNull:
		return triUnknown
	case r.kind == kindNull:
		eq = false
	case l.kind == kindString && r.kind == kindString: // the common case, short
		eq = l.s == r.s
	default:
		c, f := compare(l, r)
		if f != faultNone {
			ev.stop(f, stringSide(l, r))
			return triFault
		}
		eq = c == 0
	}
	return triOf(eq != n.not)
}

// order is l < r (<=, >, >=) with r still to evaluate: upstream skips
// the right side when the left is NULL. Two strings are compared as
// doubles, and fail when either is not one; otherwise compare's
// conversions apply.
func (ev *evaluation) order(l value, rn *node, o op) tri {
	switch l.kind {
	case kindFault:
		return triFault
	case kindNull:
		return triUnknown
	}
	r := ev.value(rn)
	switch r.kind {
	case kindFault:
		return triFault
	case kindNull:
		return triUnknown
	}
	var c int
	if l.kind == kindString && r.kind == kindString {
		x, ok := parseJavaDouble(l.s)
		if !ok {
			ev.stop(faultOrderText, l.s)
			return triFault
		}
		y, ok := parseJavaDouble(r.s)
		if !ok {
			ev.stop(faultOrderText, r.s)
			return triFault
		}
		c = compareDouble(x, y)
	} else {
		var f fault
		if c, f = compare(l, r); f != faultNone {
			ev.stop(f, stringSide(l, r))
			return triFault
		}
	}
	switch o {
	case opLt:
		return triOf(c < 0)
	case opLe:
		return triOf(c <= 0)
	case opGt:
		return triOf(c > 0)
	}
	return triOf(c >= 0)
}

// between is upstream's x >= lo AND x <= hi, or for NOT BETWEEN
// x < lo OR x > hi, with x evaluated once: upstream evaluates it twice,
// to the same value, and a tree that shared x between two comparisons
// would double the work at each nested BETWEEN.
func (ev *evaluation) between(n *node) tri {
	x := ev.value(n.l)
	lowOp, highOp, decides := opGe, opLe, triFalse
	if n.not {
		lowOp, highOp, decides = opLt, opGt, triTrue
	}
	first := ev.order(x, n.r, lowOp)
	if first == decides || first == triFault {
		return first
	}
	second := ev.order(x, n.hi, highOp)
	switch {
	case second == decides || second == triFault:
		return second
	case first == triUnknown || second == triUnknown:
		return triUnknown
	}
	return first
}

// stringSide picks the string that made compare fail.
func stringSide(l, r value) string {
	if l.kind == kindString {
		return l.s
	}
	return r.s
}

// stringFunc is [NOT] CONTAINS, STARTSWITH, ENDSWITH. Upstream answers
// FALSE, not unknown, for a missing or non-string operand and for an
// empty search string, with or without NOT.
func (ev *evaluation) stringFunc(n *node) tri {
	if n.search == "" {
		return triFalse
	}
	v := ev.value(n.l)
	if v.kind == kindFault {
		return triFault
	}
	if v.kind != kindString {
		return triFalse
	}
	var hit bool
	switch n.op {
	case opContains:
		hit = strings.Contains(v.s, n.search)
	case opStartsWith:
		hit = strings.HasPrefix(v.s, n.search)
	default:
		hit = strings.HasSuffix(v.s, n.search)
	}
	return triOf(hit != n.not)
}
