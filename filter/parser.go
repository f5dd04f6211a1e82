package filter

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// Limits on what Compile accepts. Upstream has none; ours keep a hostile
// subscription from costing the broker much at compile or pull time.
const (
	// MaxExpressionLen is the longest expression, in bytes. It leaves room
	// for IN lists of a few hundred ids.
	MaxExpressionLen = 32 << 10
	// MaxDepth bounds nesting: parentheses, prefix operators and chained
	// comparisons such as ((a = 1) = TRUE) = FALSE. AND and OR chains are
	// flat and do not count.
	MaxDepth = 100
)

// SyntaxError is a SQL92 expression that does not compile: it breaks the
// grammar, or one of upstream's checks (a string compared with '>', NULL
// compared with '=', an empty BETWEEN range...).
type SyntaxError struct {
	Column int // 1-based, in characters from the start (a line break counts as one)
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("SQL92 parse error at column %d: %s", e.Column, e.Msg)
}

func syntaxErrorAt(src string, pos int, msg string) *SyntaxError {
	return &SyntaxError{Column: utf8.RuneCountInString(src[:pos]) + 1, Msg: msg}
}

// ErrTooLong is returned for expressions over MaxExpressionLen bytes.
var ErrTooLong = errors.New("SQL92 expression too long")

// class is what upstream's parser knows about an expression while it
// builds it; its checks depend on it.
type class uint8

const (
	classValue     class = iota // a number or string constant, or a negation
	classProperty               // a bare property name
	classCondition              // yields true/false/unknown, incl. TRUE, FALSE, NULL
)

// pexpr is an expression during parsing.
type pexpr struct {
	n          *node
	class      class
	start, end int // source span, for messages
}

func (e pexpr) isConst() bool { return e.n.op == opConst }

type parser struct {
	src   string
	toks  []token
	i     int
	depth int // recursion depth of nested parentheses and prefix operators
}

// Compile parses a SQL92 selector once; the result is safe for concurrent
// use by any number of goroutines.
func Compile(expr string) (*Expression, error) {
	if len(expr) > MaxExpressionLen {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLong, len(expr), MaxExpressionLen)
	}
	toks, err := lex(expr)
	if err != nil {
		return nil, err
	}
	p := &parser{src: expr, toks: toks}
	e, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tRParen {
			return nil, p.errAt(t.pos, "unbalanced ')': no '(' to close")
		}
		msg := "expected an operator, AND, OR or end of input, found " + t.describe()
		if prev := p.toks[p.i-1]; t.kind == tInteger && prev.text == "0" && prev.pos+1 == t.pos {
			msg += " (an integer other than 0 cannot start with 0)"
		}
		return nil, p.errAt(t.pos, msg)
	}
	root, err := p.condition(e, "", "")
	if err != nil {
		return nil, err
	}
	return &Expression{src: expr, root: root}, nil
}

// peek returns the next token; past the end it keeps returning tEOF.
func (p *parser) peek() token { return p.toks[min(p.i, len(p.toks)-1)] }

// next consumes a token. p.i counts even the tEOF it hands out, so
// p.toks[p.i-2] is always the token before the one just consumed.
func (p *parser) next() token {
	t := p.peek()
	p.i++
	return t
}

// before is the text of the token before the one just consumed.
func (p *parser) before() string {
	if p.i < 2 {
		return ""
	}
	return p.toks[min(p.i-2, len(p.toks)-1)].text
}

func (p *parser) errAt(pos int, msg string) error { return syntaxErrorAt(p.src, pos, msg) }

func (p *parser) text(e pexpr) string { return quoteForError(p.src[e.start:e.end]) }

// endPos is where the last consumed token ends.
func (p *parser) endPos() int {
	if p.i == 0 {
		return 0
	}
	t := p.toks[min(p.i, len(p.toks))-1]
	return t.pos + len(t.text)
}

// enter guards recursion; every call is paired with leave.
func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errAt(pos, fmt.Sprintf("expression nested deeper than %d levels", MaxDepth))
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

// made checks the depth of a new node of the tree.
func (p *parser) made(n *node, start int, c class) (pexpr, error) {
	if n.depth > MaxDepth {
		return pexpr{}, p.errAt(start, fmt.Sprintf("expression nested deeper than %d levels", MaxDepth))
	}
	return pexpr{n: n, class: c, start: start, end: p.endPos()}, nil
}

// condition is upstream's asBooleanExpression: AND, OR, NOT and the whole
// selector take conditions; a bare property counts as one (it is true only
// if its value is the boolean TRUE, which a message property never is).
func (p *parser) condition(e pexpr, where, op string) (*node, error) {
	switch e.class {
	case classCondition:
		return e.n, nil
	case classProperty:
		return newNode(opCast, e.n), nil
	}
	msg := "expected a condition"
	if where != "" {
		msg += " " + where + " " + op
	}
	return nil, p.errAt(e.start, msg+", found "+p.text(e)+", which is not true or false")
}

// or = and { OR and }
func (p *parser) parseOr() (pexpr, error) { return p.parseChain(tOr, opOr, p.parseAnd) }

// and = equality { AND equality }
func (p *parser) parseAnd() (pexpr, error) { return p.parseChain(tAnd, opAnd, p.parseEquality) }

// parseChain reads operand { keyword operand } into one flat AND or OR
// node; every operand must be a condition.
func (p *parser) parseChain(keyword tokenKind, o op, operand func() (pexpr, error)) (pexpr, error) {
	left, err := operand()
	if err != nil || p.peek().kind != keyword {
		return left, err
	}
	name := p.peek().text
	first, err := p.condition(left, "before", asciiUpper(name))
	if err != nil {
		return pexpr{}, err
	}
	n := newNode(o, first)
	for p.peek().kind == keyword {
		p.next()
		right, err := operand()
		if err != nil {
			return pexpr{}, err
		}
		k, err := p.condition(right, "after", asciiUpper(name))
		if err != nil {
			return pexpr{}, err
		}
		n.add(k)
	}
	return p.made(n, left.start, classCondition)
}

// equality = comparison { ("=" | "<>") comparison | IS [NOT] NULL }
func (p *parser) parseEquality() (pexpr, error) {
	left, err := p.parseComparison()
	if err != nil {
		return left, err
	}
	for {
		t := p.peek()
		var n *node
		switch t.kind {
		case tEq, tNe:
			p.next()
			right, err := p.parseComparison()
			if err != nil {
				return pexpr{}, err
			}
			if err := p.checkEqualOperands(t, left, right); err != nil {
				return pexpr{}, err
			}
			n = newNode(opEq, left.n, right.n)
			n.not = t.kind == tNe
		case tIs:
			p.next()
			not := false
			if p.peek().kind == tNot {
				p.next()
				not = true
			}
			if nt := p.next(); nt.kind != tNull {
				want, after := "NULL or NOT NULL", "IS"
				if not {
					want, after = "NULL", "IS NOT"
				}
				return pexpr{}, p.errAt(nt.pos, fmt.Sprintf("expected %s after %s, found %s", want, after, nt.describe()))
			}
			n = newNode(opIsNull, left.n)
			n.not = not
		default:
			return left, nil
		}
		if left, err = p.made(n, left.start, classCondition); err != nil {
			return pexpr{}, err
		}
	}
}

// checkEqualOperands applies upstream's checks for = and <>: neither side
// may be NULL, and a TRUE/FALSE constant cannot be compared with a number
// or string constant.
func (p *parser) checkEqualOperands(op token, left, right pexpr) error {
	for _, e := range []pexpr{left, right} {
		if e.isConst() && e.n.val.kind == kindNull {
			fix := "IS NULL"
			if op.kind == tNe {
				fix = "IS NOT NULL"
			}
			return p.errAt(e.start, fmt.Sprintf("NULL cannot be compared with '%s': write %s", op.text, fix))
		}
	}
	if left.isConst() && right.isConst() && left.class == classCondition && right.class != classCondition {
		return p.errAt(right.start, fmt.Sprintf("%s cannot be compared with %s", p.text(left), p.text(right)))
	}
	return nil
}

var orderOps = map[tokenKind]op{tGt: opGt, tGe: opGe, tLt: opLt, tLe: opLe}

var stringOps = map[tokenKind]op{tContains: opContains, tStartsWith: opStartsWith, tEndsWith: opEndsWith}

// comparison = unary { ( ">" | ">=" | "<" | "<=" ) unary
//
//	| [NOT] ( CONTAINS | STARTSWITH | ENDSWITH ) string
//	| [NOT] BETWEEN unary AND unary
//	| [NOT] IN "(" string { "," string } ")" }
func (p *parser) parseComparison() (pexpr, error) {
	left, err := p.parseUnary()
	if err != nil {
		return left, err
	}
	for {
		t := p.peek()
		var n *node
		switch t.kind {
		case tGt, tGe, tLt, tLe:
			p.next()
			right, err := p.parseUnary()
			if err != nil {
				return pexpr{}, err
			}
			if err := p.checkNumericOperands(t.text, left, right); err != nil {
				return pexpr{}, err
			}
			n = newNode(orderOps[t.kind], left.n, right.n)
		case tNot, tContains, tStartsWith, tEndsWith, tBetween, tIn:
			p.next()
			not := t.kind == tNot
			if not {
				t = p.next()
			}
			switch t.kind {
			case tContains, tStartsWith, tEndsWith:
				s := p.next()
				if s.kind != tString {
					return pexpr{}, p.errAt(s.pos, fmt.Sprintf("expected a string after %s, found %s", t.text, s.describe()))
				}
				n = newNode(stringOps[t.kind], left.n)
				n.not, n.search = not, s.str
			case tBetween:
				if n, err = p.parseBetween(left, not); err != nil {
					return pexpr{}, err
				}
			case tIn:
				if n, err = p.parseIn(left, not); err != nil {
					return pexpr{}, err
				}
			default:
				return pexpr{}, p.errAt(t.pos, "expected BETWEEN, IN, CONTAINS, STARTSWITH or ENDSWITH after NOT, found "+t.describe())
			}
		default:
			return left, nil
		}
		if left, err = p.made(n, left.start, classCondition); err != nil {
			return pexpr{}, err
		}
	}
}

// checkNumericOperands is upstream's check for <, <=, >, >= and BETWEEN:
// constants must be numbers and neither side may be a condition.
func (p *parser) checkNumericOperands(op string, operands ...pexpr) error {
	for _, e := range operands {
		if e.class == classCondition || (e.isConst() && !e.n.val.isNumber()) {
			return p.errAt(e.start, fmt.Sprintf("'%s' compares numbers, found %s", op, p.text(e)))
		}
	}
	return nil
}

// parseBetween reads "low AND high" after [NOT] BETWEEN. Only BETWEEN
// checks the order of constant bounds, as upstream.
func (p *parser) parseBetween(x pexpr, not bool) (*node, error) {
	kw := "BETWEEN"
	if not {
		kw = "NOT BETWEEN"
	}
	low, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	if t := p.next(); t.kind != tAnd {
		return nil, p.errAt(t.pos, fmt.Sprintf("expected AND after %s %s, found %s", kw, p.text(low), t.describe()))
	}
	high, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	if err := p.checkNumericOperands(kw, x, low, high); err != nil {
		return nil, err
	}
	if !not && low.isConst() && high.isConst() {
		if c, f := compare(high.n.val, low.n.val); f == faultNone && c < 0 {
			return nil, p.errAt(low.start, fmt.Sprintf("empty range BETWEEN %s AND %s: the first bound must not be greater than the second", p.text(low), p.text(high)))
		}
	}
	n := newNode(opBetween, x.n, low.n, high.n)
	n.not = not
	return n, nil
}

// parseIn reads "(" string { "," string } ")" after [NOT] IN.
func (p *parser) parseIn(x pexpr, not bool) (*node, error) {
	kw := "IN"
	if not {
		kw = "NOT IN"
	}
	if x.class != classProperty {
		return nil, p.errAt(x.start, fmt.Sprintf("%s needs a property on its left, found %s", kw, p.text(x)))
	}
	if t := p.next(); t.kind != tLParen {
		return nil, p.errAt(t.pos, fmt.Sprintf("expected '(' after %s, found %s", kw, t.describe()))
	}
	var list []string
	for {
		t := p.next()
		if t.kind != tString {
			return nil, p.errAt(t.pos, fmt.Sprintf("expected a string in the %s list, found %s", kw, t.describe()))
		}
		list = append(list, t.str)
		t = p.next()
		if t.kind == tRParen {
			break
		}
		if t.kind != tComma {
			return nil, p.errAt(t.pos, fmt.Sprintf("expected ',' or ')' in the %s list, found %s", kw, t.describe()))
		}
	}
	n := &node{op: opIn, not: not, name: x.n.name, depth: 1}
	n.setList(list)
	return n, nil
}

// unary = ( "+" | "-" | NOT ) unary | primary
func (p *parser) parseUnary() (pexpr, error) {
	t := p.peek()
	switch t.kind {
	case tPlus, tMinus, tNot:
	default:
		return p.parsePrimary()
	}
	p.next()
	if err := p.enter(t.pos); err != nil {
		return pexpr{}, err
	}
	defer p.leave()
	x, err := p.parseUnary()
	if err != nil {
		return pexpr{}, err
	}
	switch t.kind {
	case tPlus: // upstream drops a unary plus: +'a' is still the constant 'a'
		x.start = t.pos
		return x, nil
	case tMinus:
		return p.made(newNode(opNeg, x.n), t.pos, classValue)
	}
	c, err := p.condition(x, "after", "NOT")
	if err != nil {
		return pexpr{}, err
	}
	return p.made(newNode(opNot, c), t.pos, classCondition)
}

// primary = literal | property | "(" or ")"
func (p *parser) parsePrimary() (pexpr, error) {
	t := p.next()
	lit := func(v value, c class) (pexpr, error) {
		return pexpr{n: &node{op: opConst, val: v, depth: 1}, class: c, start: t.pos, end: t.pos + len(t.text)}, nil
	}
	switch t.kind {
	case tString:
		return lit(stringValue(t.str), classValue)
	case tInteger:
		v, err := p.integer(t)
		if err != nil {
			return pexpr{}, err
		}
		return lit(v, classValue)
	case tDecimal:
		v, err := p.decimal(t)
		if err != nil {
			return pexpr{}, err
		}
		return lit(v, classValue)
	case tTrue:
		return lit(boolValue(true), classCondition)
	case tFalse:
		return lit(boolValue(false), classCondition)
	case tNull:
		return lit(value{}, classCondition)
	case tIdent:
		return pexpr{n: &node{op: opProp, name: t.text, depth: 1}, class: classProperty, start: t.pos, end: t.pos + len(t.text)}, nil
	case tLParen:
		if err := p.enter(t.pos); err != nil {
			return pexpr{}, err
		}
		defer p.leave()
		x, err := p.parseOr()
		if err != nil {
			return pexpr{}, err
		}
		if c := p.next(); c.kind != tRParen {
			return pexpr{}, p.errAt(c.pos, fmt.Sprintf("expected ')' to close the '(' at column %d, found %s", syntaxErrorAt(p.src, t.pos, "").Column, c.describe()))
		}
		// Parentheses add nothing: (a) is still a property, as upstream.
		x.start, x.end = t.pos, p.endPos()
		return x, nil
	}
	msg := "expected a value"
	if b := p.before(); b != "" {
		msg += " after '" + b + "'"
	}
	return pexpr{}, p.errAt(t.pos, msg+", found "+t.describe())
}

// integer converts an integer literal as upstream does: an optional L
// suffix, a 64-bit range, and Java int when the value fits in 32 bits.
func (p *parser) integer(t token) (value, error) {
	digits := t.text
	if last := digits[len(digits)-1]; last == 'l' || last == 'L' {
		digits = digits[:len(digits)-1]
	}
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return value{}, p.errAt(t.pos, fmt.Sprintf("integer %s does not fit in 64 bits", t.text))
	}
	return numberValue(n), nil
}

// decimal converts a decimal literal. Upstream refuses values that
// overflow to infinity and, by comparing with Double.MIN_VALUE, also every
// value that is zero (0.0, .0, 1e-400): we refuse the same ones.
func (p *parser) decimal(t token) (value, error) {
	f, err := strconv.ParseFloat(t.text, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return value{}, p.errAt(t.pos, fmt.Sprintf("bad decimal %s", t.text))
	}
	if math.IsInf(f, 0) {
		return value{}, p.errAt(t.pos, fmt.Sprintf("decimal %s is too large for a double", t.text))
	}
	if f == 0 {
		return value{}, p.errAt(t.pos, fmt.Sprintf("decimal %s is zero, which RocketMQ does not accept as a decimal constant: write 0", t.text))
	}
	return doubleValue(f), nil
}
