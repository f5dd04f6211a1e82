package filter

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// tokenKind is what a token is. Keywords are matched without regard to
// ASCII case, as upstream's lexer does.
type tokenKind uint8

const (
	tEOF tokenKind = iota
	tNot
	tAnd
	tOr
	tBetween
	tIn
	tTrue
	tFalse
	tNull
	tIs
	tContains
	tStartsWith
	tEndsWith
	tInteger // 0 | [1-9][0-9]*[lL]?
	tDecimal // 1.5, 1., .5, 1e5, 1.5E-3
	tString  // 'it''s'
	tIdent   // [A-Za-z_$][A-Za-z0-9_$]*
	tEq      // =
	tNe      // <>
	tGt      // >
	tGe      // >=
	tLt      // <
	tLe      // <=
	tLParen  // (
	tComma   // ,
	tRParen  // )
	tPlus    // +
	tMinus   // -
)

var keywords = map[string]tokenKind{
	"NOT": tNot, "AND": tAnd, "OR": tOr, "BETWEEN": tBetween, "IN": tIn,
	"TRUE": tTrue, "FALSE": tFalse, "NULL": tNull, "IS": tIs,
	"CONTAINS": tContains, "STARTSWITH": tStartsWith, "ENDSWITH": tEndsWith,
}

// token is one lexeme. text is the source slice it came from; str is the
// decoded value of a string literal.
type token struct {
	kind tokenKind
	pos  int // byte offset in the source
	text string
	str  string
}

// describe names a token for an error message.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of input"
	case tString:
		return "string " + quoteForError(t.text)
	case tInteger, tDecimal:
		return "number " + quoteForError(t.text)
	case tIdent:
		return "property " + quoteForError(t.text)
	}
	return quoteForError(t.text)
}

// quoteForError shows source text in an error, cut to a readable length.
func quoteForError(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		n := 0
		for i := range s {
			if n == max {
				s = s[:i] + "..."
				break
			}
			n++
		}
	}
	s = strings.Map(func(r rune) rune { // keep the message on one line
		if r == '\n' || r == '\r' || r == '\t' || r == '\f' {
			return ' '
		}
		return r
	}, s)
	if len(s) > 0 && s[0] == '\'' {
		return s
	}
	return "'" + s + "'"
}

// lex splits src into tokens, ending with tEOF. Whitespace is space, tab,
// CR, LF and form feed; comments are "-- to end of line" and "/* ... */".
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for {
		// Skip whitespace and comments.
		for i < len(src) {
			c := src[i]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' {
				i++
				continue
			}
			if c == '-' && i+1 < len(src) && src[i+1] == '-' {
				// Upstream needs a line end after "--"; at the end of the
				// input it ignores the trailing tokens instead, which comes
				// to the same thing for "a = 1 -- note".
				for i < len(src) && src[i] != '\n' && src[i] != '\r' {
					i++
				}
				continue
			}
			if c == '/' && i+1 < len(src) && src[i+1] == '*' {
				end := indexFrom(src, i+2, "*/")
				if end < 0 {
					return nil, syntaxErrorAt(src, i, "unterminated comment: '/*' without '*/'")
				}
				i = end + 2
				continue
			}
			break
		}
		if i >= len(src) {
			return append(toks, token{kind: tEOF, pos: len(src)}), nil
		}
		t, err := lexOne(src, i)
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		i += len(t.text)
	}
}

func indexFrom(s string, from int, sub string) int {
	for j := from; j+len(sub) <= len(s); j++ {
		if s[j:j+len(sub)] == sub {
			return j
		}
	}
	return -1
}

// lexOne reads the token starting at src[i], which is not blank.
func lexOne(src string, i int) (token, error) {
	c := src[i]
	op := func(kind tokenKind, n int) (token, error) {
		return token{kind: kind, pos: i, text: src[i : i+n]}, nil
	}
	next := byte(0)
	if i+1 < len(src) {
		next = src[i+1]
	}
	switch {
	case c == '\'':
		return lexString(src, i)
	case isDigit(c) || (c == '.' && isDigit(next)):
		return lexNumber(src, i), nil
	case isIdentStart(c):
		j := i + 1
		for j < len(src) && isIdentPart(src[j]) {
			j++
		}
		text := src[i:j]
		if kind, ok := keywords[asciiUpper(text)]; ok {
			return token{kind: kind, pos: i, text: text}, nil
		}
		return token{kind: tIdent, pos: i, text: text}, nil
	case c == '=':
		return op(tEq, 1)
	case c == '<' && next == '>':
		return op(tNe, 2)
	case c == '<' && next == '=':
		return op(tLe, 2)
	case c == '<':
		return op(tLt, 1)
	case c == '>' && next == '=':
		return op(tGe, 2)
	case c == '>':
		return op(tGt, 1)
	case c == '(':
		return op(tLParen, 1)
	case c == ')':
		return op(tRParen, 1)
	case c == ',':
		return op(tComma, 1)
	case c == '+':
		return op(tPlus, 1)
	case c == '-':
		return op(tMinus, 1)
	}
	r, _ := utf8.DecodeRuneInString(src[i:])
	msg := fmt.Sprintf("unexpected character %q", r)
	switch {
	case c == '!' && next == '=':
		msg += " (not equal is written <>)"
	case c == '"':
		msg += " (strings are written in single quotes)"
	case c == '&' || c == '|':
		msg += " (use AND and OR)"
	case r >= utf8.RuneSelf && isLetterish(r):
		msg += " (property names are ASCII letters, digits, _ and $)"
	}
	return token{}, syntaxErrorAt(src, i, msg)
}

// lexString reads 'text' where ” stands for one quote. Strings may span
// lines.
func lexString(src string, i int) (token, error) {
	var decoded []byte // nil until the first '' escape
	start := i + 1
	for j := start; j < len(src); j++ {
		if src[j] != '\'' {
			if decoded != nil {
				decoded = append(decoded, src[j])
			}
			continue
		}
		if j+1 < len(src) && src[j+1] == '\'' {
			if decoded == nil {
				decoded = append([]byte(nil), src[start:j]...)
			}
			decoded = append(decoded, '\'')
			j++
			continue
		}
		t := token{kind: tString, pos: i, text: src[i : j+1], str: src[start:j]}
		if decoded != nil {
			t.str = string(decoded)
		}
		return t, nil
	}
	return token{}, syntaxErrorAt(src, i, "unterminated string: a quote ' without its closing quote")
}

// lexNumber reads a numeric literal with upstream's longest-match rules:
// a decimal point or an exponent makes it a decimal; otherwise it is an
// integer, which is either "0" alone or starts with 1-9 and may end in L.
// So "0123" lexes as "0" followed by "123", as upstream's lexer does.
func lexNumber(src string, i int) token {
	j := i
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	decimal := false
	if j < len(src) && src[j] == '.' {
		decimal = true
		j++
		for j < len(src) && isDigit(src[j]) {
			j++
		}
	}
	if k := exponentEnd(src, j); k > j {
		decimal = true
		j = k
	}
	if decimal {
		return token{kind: tDecimal, pos: i, text: src[i:j]}
	}
	if src[i] == '0' {
		return token{kind: tInteger, pos: i, text: src[i : i+1]}
	}
	if j < len(src) && (src[j] == 'l' || src[j] == 'L') {
		j++
	}
	return token{kind: tInteger, pos: i, text: src[i:j]}
}

// exponentEnd returns the end of an exponent ([eE][+-]?[0-9]+) starting at
// src[j], or j if there is none.
func exponentEnd(src string, j int) int {
	if j >= len(src) || (src[j] != 'e' && src[j] != 'E') {
		return j
	}
	k := j + 1
	if k < len(src) && (src[k] == '+' || src[k] == '-') {
		k++
	}
	if k >= len(src) || !isDigit(src[k]) {
		return j
	}
	for k < len(src) && isDigit(src[k]) {
		k++
	}
	return k
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isIdentStart(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || c == '_' || c == '$'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }

// isLetterish is a cheap test for "the user probably meant a name here".
func isLetterish(r rune) bool { return r != utf8.RuneError && r > 0x7f }

// asciiUpper upper-cases ASCII letters only; keywords are ASCII.
func asciiUpper(s string) string {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'a' <= b[j] && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
