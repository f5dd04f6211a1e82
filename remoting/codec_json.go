package remoting

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The JSON header is what fastjson makes of a RemotingCommand: keys in
// alphabetical order, absent (null) fields left out, language as the enum
// name, every extFields value a string. It is encoded and decoded by hand:
// the header is on every request's path, and a dedicated scanner can hand out
// substrings of one copy of the header instead of a string per field.

// appendJSONHeader appends c's header as fastjson would write it.
func appendJSONHeader(dst []byte, c *Command) []byte {
	dst = append(dst, `{"code":`...)
	dst = strconv.AppendInt(dst, int64(c.Code), 10)
	if len(c.ExtFields) > 0 {
		dst = append(dst, `,"extFields":{`...)
		var scratch [32]string
		for i, k := range sortedKeys(c.ExtFields, scratch[:0]) {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, k)
			dst = append(dst, ':')
			dst = appendJSONString(dst, c.ExtFields[k])
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `,"flag":`...)
	dst = strconv.AppendInt(dst, int64(c.Flag), 10)
	dst = append(dst, `,"language":"`...)
	dst = append(dst, c.Language.String()...)
	dst = append(dst, `","opaque":`...)
	dst = strconv.AppendInt(dst, int64(c.Opaque), 10)
	if c.Remark != "" {
		dst = append(dst, `,"remark":`...)
		dst = appendJSONString(dst, c.Remark)
	}
	dst = append(dst, `,"serializeTypeCurrentRPC":"JSON","version":`...)
	dst = strconv.AppendInt(dst, int64(c.Version), 10)
	return append(dst, '}')
}

// sortedKeys returns m's keys in order, using scratch to avoid an allocation
// for the usual header sizes.
func sortedKeys(m map[string]string, scratch []string) []string {
	keys := scratch
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Control characters are
// escaped (message properties carry \u0001 and \u0002); invalid UTF-8 becomes
// U+FFFD because a Java peer could not hold it anyway.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, "\ufffd"...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		if b >= 0x20 && b != '"' && b != '\\' {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		switch b {
		case '"', '\\':
			dst = append(dst, '\\', b)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// maxJSONDepth bounds the nesting of unknown values we skip, so a hostile
// header cannot make the scanner recurse without limit.
const maxJSONDepth = 64

// jsonScanner reads one JSON header. s is a single copy of the header bytes;
// strings without escapes are returned as substrings of it.
type jsonScanner struct {
	s string
	i int
}

func decodeJSONHeader(hdr []byte, c *Command) error {
	d := jsonScanner{s: string(hdr)}
	if err := d.header(c); err != nil {
		return fmt.Errorf("%w: JSON header: %v", ErrMalformedFrame, err)
	}
	return nil
}

func (d *jsonScanner) header(c *Command) error {
	d.skipSpace()
	if !d.eat('{') {
		return d.errorf("expected '{'")
	}
	d.skipSpace()
	if !d.eat('}') {
		for {
			d.skipSpace()
			key, err := d.str()
			if err != nil {
				return err
			}
			d.skipSpace()
			if !d.eat(':') {
				return d.errorf("expected ':' after key %q", key)
			}
			d.skipSpace()
			if err := d.field(key, c); err != nil {
				return err
			}
			d.skipSpace()
			if d.eat('}') {
				break
			}
			if !d.eat(',') {
				return d.errorf("expected ',' or '}'")
			}
		}
	}
	d.skipSpace()
	if d.i != len(d.s) {
		return d.errorf("trailing data after header object")
	}
	return nil
}

func (d *jsonScanner) field(key string, c *Command) error {
	var err error
	switch key {
	case "code":
		c.Code, err = d.int32Value()
	case "version":
		c.Version, err = d.int32Value()
	case "opaque":
		c.Opaque, err = d.int32Value()
	case "flag":
		c.Flag, err = d.int32Value()
	case "language":
		c.Language, err = d.languageValue()
	case "remark":
		c.Remark, err = d.scalarText()
	case "extFields":
		c.ExtFields, err = d.extFields()
	default:
		err = d.skipValue(0)
	}
	if err != nil {
		return fmt.Errorf("field %q: %w", key, err)
	}
	return nil
}

// int32Value accepts a number or a string holding one; null means 0.
func (d *jsonScanner) int32Value() (int32, error) {
	var text string
	switch d.peek() {
	case 'n':
		return 0, d.literal("null")
	case '"':
		s, err := d.str()
		if err != nil {
			return 0, err
		}
		text = s
	default:
		s, err := d.number()
		if err != nil {
			return 0, err
		}
		text = s
	}
	return parseInt32(text)
}

func parseInt32(text string) (int32, error) {
	if v, err := strconv.ParseInt(text, 10, 32); err == nil {
		return int32(v), nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f != math.Trunc(f) || f < math.MinInt32 || f > math.MaxInt32 {
		return 0, fmt.Errorf("%q is not a 32-bit integer", text)
	}
	return int32(f), nil
}

// languageValue accepts the enum name (what Java writes) or its ordinal.
func (d *jsonScanner) languageValue() (LanguageCode, error) {
	switch d.peek() {
	case 'n':
		return LanguageJava, d.literal("null")
	case '"':
		s, err := d.str()
		return ParseLanguage(s), err
	}
	s, err := d.number()
	if err != nil {
		return 0, err
	}
	v, err := parseInt32(s)
	if err != nil || v < 0 || v > math.MaxUint8 {
		return 0, fmt.Errorf("language %s out of range", s)
	}
	return LanguageCode(v), nil
}

// scalarText returns a string value as is, and the literal text of numbers
// and booleans (some clients send extFields values unquoted); null is "".
// Objects and arrays are kept as their raw JSON text.
func (d *jsonScanner) scalarText() (string, error) {
	switch d.peek() {
	case '"':
		return d.str()
	case 'n':
		return "", d.literal("null")
	}
	start := d.i
	if err := d.skipValue(0); err != nil {
		return "", err
	}
	return d.s[start:d.i], nil
}

func (d *jsonScanner) extFields() (map[string]string, error) {
	if d.peek() == 'n' {
		return nil, d.literal("null")
	}
	if !d.eat('{') {
		return nil, d.errorf("extFields is not an object")
	}
	// Collect the pairs first so the map is made at its final size: growing
	// a map entry by entry costs several allocations per header.
	var stack [24][2]string
	pairs := stack[:0]
	d.skipSpace()
	if d.eat('}') {
		return map[string]string{}, nil
	}
	for {
		d.skipSpace()
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if !d.eat(':') {
			return nil, d.errorf("expected ':' after extFields key %q", k)
		}
		d.skipSpace()
		isNull := d.peek() == 'n'
		v, err := d.scalarText()
		if err != nil {
			return nil, fmt.Errorf("extFields[%q]: %w", k, err)
		}
		if !isNull {
			pairs = append(pairs, [2]string{k, v})
		}
		d.skipSpace()
		if d.eat('}') {
			return pairMap(pairs), nil
		}
		if !d.eat(',') {
			return nil, d.errorf("expected ',' or '}' in extFields")
		}
	}
}

// pairMap makes a map of exactly the pairs' size; later pairs win.
func pairMap(pairs [][2]string) map[string]string {
	m := make(map[string]string, len(pairs))
	for _, p := range pairs {
		m[p[0]] = p[1]
	}
	return m
}

// skipValue validates and steps over any JSON value.
func (d *jsonScanner) skipValue(depth int) error {
	if depth > maxJSONDepth {
		return d.errorf("nested deeper than %d", maxJSONDepth)
	}
	switch d.peek() {
	case '"':
		_, err := d.str()
		return err
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	case '{', '[':
		return d.skipContainer(depth)
	}
	_, err := d.number()
	return err
}

func (d *jsonScanner) skipContainer(depth int) error {
	object := d.s[d.i] == '{'
	closer := byte(']')
	if object {
		closer = '}'
	}
	d.i++
	d.skipSpace()
	if d.eat(closer) {
		return nil
	}
	for {
		d.skipSpace()
		if object {
			if _, err := d.str(); err != nil {
				return err
			}
			d.skipSpace()
			if !d.eat(':') {
				return d.errorf("expected ':'")
			}
			d.skipSpace()
		}
		if err := d.skipValue(depth + 1); err != nil {
			return err
		}
		d.skipSpace()
		if d.eat(closer) {
			return nil
		}
		if !d.eat(',') {
			return d.errorf("expected ',' or %q", closer)
		}
	}
}

// number scans a JSON number and returns its text.
func (d *jsonScanner) number() (string, error) {
	start := d.i
	d.eat('-')
	switch {
	case d.eat('0'):
	case d.digits() == 0:
		return "", d.errorf("invalid value")
	}
	if d.eat('.') && d.digits() == 0 {
		return "", d.errorf("invalid number")
	}
	if d.eat('e') || d.eat('E') {
		if !d.eat('+') {
			d.eat('-')
		}
		if d.digits() == 0 {
			return "", d.errorf("invalid number exponent")
		}
	}
	return d.s[start:d.i], nil
}

func (d *jsonScanner) digits() int {
	start := d.i
	for d.i < len(d.s) && d.s[d.i] >= '0' && d.s[d.i] <= '9' {
		d.i++
	}
	return d.i - start
}

func (d *jsonScanner) literal(word string) error {
	if len(d.s)-d.i < len(word) || d.s[d.i:d.i+len(word)] != word {
		return d.errorf("invalid literal")
	}
	d.i += len(word)
	return nil
}

// str reads a JSON string. The common case (no escapes, valid UTF-8) costs
// no allocation: it is a substring of the header copy.
func (d *jsonScanner) str() (string, error) {
	if !d.eat('"') {
		return "", d.errorf("expected string")
	}
	start := d.i
	ascii := true
	for d.i < len(d.s) {
		switch b := d.s[d.i]; {
		case b == '"':
			s := d.s[start:d.i]
			d.i++
			if !ascii && !utf8.ValidString(s) {
				var sb strings.Builder
				writeValidUTF8(&sb, s)
				return sb.String(), nil
			}
			return s, nil
		case b == '\\':
			return d.escapedStr(start)
		case b < 0x20:
			return "", d.errorf("control character in string")
		case b >= utf8.RuneSelf:
			ascii = false
		}
		d.i++
	}
	return "", d.errorf("unterminated string")
}

// escapedStr finishes a string that holds escapes; d.i is at the first backslash.
// Lone surrogates and invalid UTF-8 become U+FFFD, as encoding/json does.
func (d *jsonScanner) escapedStr(start int) (string, error) {
	var sb strings.Builder
	if q := strings.IndexByte(d.s[d.i:], '"'); q >= 0 {
		sb.Grow(d.i - start + q) // enough unless the string holds \" escapes
	}
	writeValidUTF8(&sb, d.s[start:d.i])
	for d.i < len(d.s) {
		b := d.s[d.i]
		switch {
		case b == '"':
			d.i++
			return sb.String(), nil
		case b < 0x20:
			return "", d.errorf("control character in string")
		case b != '\\':
			end := d.i
			for end < len(d.s) && d.s[end] != '"' && d.s[end] != '\\' && d.s[end] >= 0x20 {
				end++
			}
			writeValidUTF8(&sb, d.s[d.i:end])
			d.i = end
			continue
		}
		if d.i+1 >= len(d.s) {
			break
		}
		e := d.s[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			sb.WriteByte(e)
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return "", d.errorf("invalid \\u escape")
			}
			if r >= 0xD800 && r < 0xDC00 && d.i+1 < len(d.s) && d.s[d.i] == '\\' && d.s[d.i+1] == 'u' {
				save := d.i
				d.i += 2
				if r2, ok := d.hex4(); ok && utf16.IsSurrogate(r2) && utf16.DecodeRune(r, r2) != utf8.RuneError {
					r = utf16.DecodeRune(r, r2)
				} else {
					d.i = save
				}
			}
			if r >= 0xD800 && r < 0xE000 {
				r = utf8.RuneError
			}
			sb.WriteRune(r)
		default:
			return "", d.errorf("invalid escape '\\%c'", e)
		}
	}
	return "", d.errorf("unterminated string")
}

func (d *jsonScanner) hex4() (rune, bool) {
	if len(d.s)-d.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(d.s[d.i : d.i+4]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.i += 4
	return r, true
}

// writeValidUTF8 writes s with each invalid byte replaced by U+FFFD.
func writeValidUTF8(sb *strings.Builder, s string) {
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		if r == utf8.RuneError && size == 1 {
			sb.WriteString("\ufffd")
		} else {
			sb.WriteString(s[:size])
		}
		s = s[size:]
	}
}

func (d *jsonScanner) skipSpace() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *jsonScanner) peek() byte {
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

func (d *jsonScanner) eat(b byte) bool {
	if d.i < len(d.s) && d.s[d.i] == b {
		d.i++
		return true
	}
	return false
}

func (d *jsonScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", d.i, fmt.Sprintf(format, args...))
}
