package protocol

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// RocketMQ bodies are JSON written by Alibaba fastjson on the Java side.
// fastjson differs from standard JSON in one way that matters here: a map
// whose keys are not strings is written with the key's own JSON form and no
// quotes, so a Map<Long,String> becomes {0:"10.0.0.1:10911"} and a map keyed
// by MessageQueue becomes {{"brokerName":"b","queueId":0,"topic":"t"}:5}.
//
// Decoding: NormalizeJSON rewrites such keys into JSON strings ("0", or the
// compact object text), after which encoding/json does the rest; DecodeJSON
// does both. A map[int64]V field then decodes from either form.
//
// Encoding: bodies without non-string keys use encoding/json with fields
// declared in alphabetical order, as fastjson sorts them. Bodies with
// number-keyed maps (route data, cluster info) are written by hand in the
// JSONForm the receiver expects.

// JSONForm selects how number-keyed maps are written.
type JSONForm uint8

const (
	// FastjsonForm writes number keys bare, {0:"addr"}: what every Java 4.x
	// peer writes by default, and the only form rocketmq-client-go before
	// v2.1.2 understands.
	FastjsonForm JSONForm = iota
	// StandardForm quotes every key, {"0":"addr"}: what a 4.9.4+ name server
	// sends to clients that announce version >= V4_9_4 or ask for it.
	StandardForm
)

// maxJSONDepth bounds nesting so hostile input cannot exhaust the stack.
const maxJSONDepth = 512

// JSONSyntaxError describes input that is neither JSON nor fastjson's dialect.
type JSONSyntaxError struct {
	Offset int // byte offset of the problem
	Msg    string
}

func (e *JSONSyntaxError) Error() string {
	return fmt.Sprintf("json syntax error at offset %d: %s", e.Offset, e.Msg)
}

// DecodeJSON decodes a body written by fastjson or by a standard JSON
// encoder into v, as encoding/json.Unmarshal does.
func DecodeJSON(data []byte, v any) error {
	norm, err := NormalizeJSON(data)
	if err != nil {
		return err
	}
	return json.Unmarshal(norm, v)
}

// NormalizeJSON turns fastjson output into standard JSON: object keys that
// are numbers, bare identifiers, objects or arrays become JSON strings
// holding their text. Everything else must already be standard JSON. When
// nothing needs rewriting the input slice itself is returned.
func NormalizeJSON(data []byte) ([]byte, error) {
	n := jsonNormalizer{in: data}
	n.skipSpace()
	if err := n.value(0); err != nil {
		return nil, err
	}
	n.skipSpace()
	if n.pos != len(n.in) {
		return nil, n.errorf("unexpected %s after the top-level value", n.describe())
	}
	return n.result(), nil
}

// jsonNormalizer is a validating recursive-descent scanner. It copies
// nothing until the first key that needs rewriting; from then on out holds
// the rewritten prefix and in[copied:] is still to be copied.
type jsonNormalizer struct {
	in     []byte
	pos    int
	out    []byte
	copied int
}

func (n *jsonNormalizer) result() []byte {
	if n.out == nil {
		return n.in[:n.pos]
	}
	return append(n.out, n.in[n.copied:n.pos]...)
}

// replace records that in[start:n.pos] is to be written as repl.
func (n *jsonNormalizer) replace(start int, repl []byte) {
	if n.out == nil {
		n.out = make([]byte, 0, len(n.in)+16)
	}
	n.out = append(n.out, n.in[n.copied:start]...)
	n.out = append(n.out, repl...)
	n.copied = n.pos
}

func (n *jsonNormalizer) errorf(format string, args ...any) error {
	return &JSONSyntaxError{Offset: n.pos, Msg: fmt.Sprintf(format, args...)}
}

func (n *jsonNormalizer) describe() string {
	if n.pos >= len(n.in) {
		return "end of input"
	}
	return strconv.QuoteRune(rune(n.in[n.pos]))
}

func (n *jsonNormalizer) skipSpace() {
	for n.pos < len(n.in) {
		switch n.in[n.pos] {
		case ' ', '\t', '\n', '\r':
			n.pos++
		default:
			return
		}
	}
}

func (n *jsonNormalizer) value(depth int) error {
	if n.pos >= len(n.in) {
		return n.errorf("unexpected end of input, want a value")
	}
	switch c := n.in[n.pos]; {
	case c == '{':
		return n.object(depth + 1)
	case c == '[':
		return n.array(depth + 1)
	case c == '"':
		return n.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return n.number()
	case c == 't':
		return n.literal("true")
	case c == 'f':
		return n.literal("false")
	case c == 'n':
		return n.literal("null")
	default:
		return n.errorf("unexpected %s, want a value", n.describe())
	}
}

func (n *jsonNormalizer) literal(word string) error {
	if len(n.in)-n.pos < len(word) || string(n.in[n.pos:n.pos+len(word)]) != word {
		return n.errorf("unexpected %s, want %q", n.describe(), word)
	}
	n.pos += len(word)
	return nil
}

func (n *jsonNormalizer) object(depth int) error {
	if depth > maxJSONDepth {
		return n.errorf("nesting deeper than %d", maxJSONDepth)
	}
	n.pos++ // '{'
	n.skipSpace()
	if n.pos < len(n.in) && n.in[n.pos] == '}' {
		n.pos++
		return nil
	}
	for {
		if err := n.key(depth); err != nil {
			return err
		}
		n.skipSpace()
		if n.pos >= len(n.in) || n.in[n.pos] != ':' {
			return n.errorf("unexpected %s after object key, want ':'", n.describe())
		}
		n.pos++
		n.skipSpace()
		if err := n.value(depth); err != nil {
			return err
		}
		n.skipSpace()
		if n.pos >= len(n.in) {
			return n.errorf("unexpected end of input in object")
		}
		switch n.in[n.pos] {
		case ',':
			n.pos++
			n.skipSpace()
		case '}':
			n.pos++
			return nil
		default:
			return n.errorf("unexpected %s in object, want ',' or '}'", n.describe())
		}
	}
}

func (n *jsonNormalizer) array(depth int) error {
	if depth > maxJSONDepth {
		return n.errorf("nesting deeper than %d", maxJSONDepth)
	}
	n.pos++ // '['
	n.skipSpace()
	if n.pos < len(n.in) && n.in[n.pos] == ']' {
		n.pos++
		return nil
	}
	for {
		if err := n.value(depth); err != nil {
			return err
		}
		n.skipSpace()
		if n.pos >= len(n.in) {
			return n.errorf("unexpected end of input in array")
		}
		switch n.in[n.pos] {
		case ',':
			n.pos++
			n.skipSpace()
		case ']':
			n.pos++
			return nil
		default:
			return n.errorf("unexpected %s in array, want ',' or ']'", n.describe())
		}
	}
}

// key scans an object key. Strings pass through; anything else is replaced
// by a JSON string of its (normalized) text.
func (n *jsonNormalizer) key(depth int) error {
	if n.pos >= len(n.in) {
		return n.errorf("unexpected end of input, want an object key")
	}
	start := n.pos
	var text []byte
	switch c := n.in[n.pos]; {
	case c == '"':
		return n.str()
	case c == '-' || (c >= '0' && c <= '9'):
		if err := n.number(); err != nil {
			return err
		}
		text = n.in[start:n.pos]
	case isIdentStart(c):
		for n.pos < len(n.in) && isIdentPart(n.in[n.pos]) {
			n.pos++
		}
		text = n.in[start:n.pos]
	case c == '{' || c == '[':
		// A composite key may itself hold keys to rewrite: normalize it on
		// its own, then quote the result.
		sub := jsonNormalizer{in: n.in[:len(n.in)], pos: start, copied: start}
		if err := sub.value(depth); err != nil {
			return err
		}
		n.pos = sub.pos
		if sub.out == nil {
			text = n.in[start:n.pos]
		} else {
			text = append(sub.out, n.in[sub.copied:sub.pos]...)
		}
	default:
		return n.errorf("unexpected %s, want an object key", n.describe())
	}
	n.replace(start, jsonAppendString(nil, string(text)))
	return nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9')
}

func (n *jsonNormalizer) str() error {
	n.pos++ // opening quote
	for n.pos < len(n.in) {
		c := n.in[n.pos]
		switch {
		case c == '"':
			n.pos++
			return nil
		case c == '\\':
			n.pos++
			if n.pos >= len(n.in) {
				return n.errorf("unexpected end of input in string escape")
			}
			switch n.in[n.pos] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				n.pos++
			case 'u':
				if len(n.in)-n.pos < 5 || !isHex4(n.in[n.pos+1:n.pos+5]) {
					return n.errorf("bad \\u escape in string")
				}
				n.pos += 5
			default:
				return n.errorf("bad escape %s in string", n.describe())
			}
		case c < 0x20:
			return n.errorf("control character %s in string", n.describe())
		default:
			n.pos++
		}
	}
	return n.errorf("unexpected end of input in string")
}

func isHex4(b []byte) bool {
	for _, c := range b[:4] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (n *jsonNormalizer) number() error {
	if n.in[n.pos] == '-' {
		n.pos++
	}
	switch {
	case n.pos < len(n.in) && n.in[n.pos] == '0':
		n.pos++
	case n.pos < len(n.in) && n.in[n.pos] >= '1' && n.in[n.pos] <= '9':
		n.digits()
	default:
		return n.errorf("unexpected %s in number", n.describe())
	}
	if n.pos < len(n.in) && n.in[n.pos] == '.' {
		n.pos++
		if !n.digits() {
			return n.errorf("unexpected %s after decimal point", n.describe())
		}
	}
	if n.pos < len(n.in) && (n.in[n.pos] == 'e' || n.in[n.pos] == 'E') {
		n.pos++
		if n.pos < len(n.in) && (n.in[n.pos] == '+' || n.in[n.pos] == '-') {
			n.pos++
		}
		if !n.digits() {
			return n.errorf("unexpected %s in exponent", n.describe())
		}
	}
	return nil
}

func (n *jsonNormalizer) digits() bool {
	start := n.pos
	for n.pos < len(n.in) && n.in[n.pos] >= '0' && n.in[n.pos] <= '9' {
		n.pos++
	}
	return n.pos > start
}

// jsonAppendString appends s as a JSON string. Like fastjson it leaves
// non-ASCII text unescaped; invalid UTF-8 becomes U+FFFD so the output is
// always valid JSON.
func jsonAppendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// jsonAppendKey appends "key": to dst.
func jsonAppendKey(dst []byte, key string) []byte {
	dst = jsonAppendString(dst, key)
	return append(dst, ':')
}

// jsonAppendIntKey appends a number key in the given form: 0: or "0":.
func jsonAppendIntKey(dst []byte, key int64, form JSONForm) []byte {
	if form == StandardForm {
		dst = append(dst, '"')
		dst = strconv.AppendInt(dst, key, 10)
		return append(dst, '"', ':')
	}
	dst = strconv.AppendInt(dst, key, 10)
	return append(dst, ':')
}

// jsonAppendStrings appends a JSON array of strings; nil becomes [].
func jsonAppendStrings(dst []byte, list []string) []byte {
	dst = append(dst, '[')
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonAppendString(dst, s)
	}
	return append(dst, ']')
}

// jsonMarshal encodes v with encoding/json without HTML escaping, so text
// such as "a<b" reaches Java peers as written.
func jsonMarshal(v any) ([]byte, error) {
	var buf jsonBuffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	b := []byte(buf)
	return b[:len(b)-1], nil // Encode adds a newline
}

type jsonBuffer []byte

func (b *jsonBuffer) Write(p []byte) (int, error) {
	*b = append(*b, p...)
	return len(p), nil
}
