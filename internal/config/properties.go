package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"
)

// Entry is one key and its final value, with the line its logical line starts
// on.
type Entry struct {
	Key   string
	Value string
	Line  int
}

// Properties is a parsed .properties file: its entries in file order, each
// key once (when a key repeats, the last value wins and sits at the last
// position, as java.util.Properties keeps it).
type Properties struct {
	File    string
	Entries []Entry
	index   map[string]int
}

// Get returns the entry for key.
func (p *Properties) Get(key string) (Entry, bool) {
	i, ok := p.index[key]
	if !ok {
		return Entry{}, false
	}
	return p.Entries[i], true
}

// ParseOptions tunes ${name} expansion.
type ParseOptions struct {
	// LookupEnv resolves ${name} when name is not a key of the file.
	// Nil means os.LookupEnv.
	LookupEnv func(name string) (string, bool)
	// Defaults resolves ${name} when name is neither a key of the file nor an
	// environment variable; the loader passes the target struct's defaults so
	// ${storePathRootDir} works even when the file does not set it.
	Defaults func(name string) (string, bool)
}

// rawEntry is a key with its value as written (escapes and ${} still in it).
type rawEntry struct {
	key  string
	raw  string
	line int
}

// ParseProperties reads the java.util.Properties text format from src:
// "key=value", "key: value" and "key value" lines; '#' and '!' comment lines;
// a line ending in an odd number of backslashes continues on the next line;
// the escapes \t \n \r \f \uXXXX and backslash-anything for the character
// itself; whitespace around keys and values is dropped. Unlike Java the text
// is UTF-8 (a leading byte order mark is skipped), and ${name} in a value is
// replaced by the value of key name in this file, else by the environment
// variable name, else by opts.Defaults. A literal "${" is written "\${".
//
// file names the source in errors and warnings. All problems are returned at
// once: err joins one *Error per bad line or value.
func ParseProperties(src []byte, file string, opts ParseOptions) (*Properties, []Warning, error) {
	raws, errs := splitEntries(src, file)
	p := &Properties{File: file, index: make(map[string]int)}
	var warns []Warning

	// Keep the last value of each key, at its last position.
	last := make(map[string]int, len(raws))
	for i, r := range raws {
		if prev, ok := last[r.key]; ok {
			warns = append(warns, Warning{File: file, Line: r.line, Key: r.key,
				Msg: fmt.Sprintf("key %s is set again (first on line %d); the last value wins", r.key, raws[prev].line)})
		}
		last[r.key] = i
	}
	var kept []rawEntry
	for i, r := range raws {
		if last[r.key] == i {
			kept = append(kept, r)
		}
	}

	for _, r := range kept {
		if hasUnescapedHash(r.raw) {
			warns = append(warns, Warning{File: file, Line: r.line, Key: r.key,
				Msg: fmt.Sprintf("the value of %s contains '#': a comment starts only at the beginning of a line, so %q is all value (write \\# if that is meant)", r.key, r.raw)})
		}
	}

	x := newExpander(file, kept, opts)
	for _, r := range kept {
		v, ok := x.resolveKey(r.key)
		if !ok {
			continue
		}
		p.index[r.key] = len(p.Entries)
		p.Entries = append(p.Entries, Entry{Key: r.key, Value: v, Line: r.line})
	}
	errs = append(errs, x.errs...)
	return p, warns, errors.Join(errs...)
}

// splitEntries turns the text into logical lines and splits each into a key
// (unescaped) and a raw value.
func splitEntries(src []byte, file string) ([]rawEntry, []error) {
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))
	var (
		out  []rawEntry
		errs []error
	)
	lineNo := 0
	for len(src) > 0 {
		line, rest := nextLine(src)
		src = rest
		lineNo++
		start := lineNo
		line = trimLeftSpace(line)
		if len(line) == 0 || line[0] == '#' || line[0] == '!' {
			continue // blank or comment; a comment never continues
		}
		var logical []byte
		for {
			cont := endsInOddBackslashes(line)
			if cont {
				line = line[:len(line)-1]
			}
			logical = append(logical, line...)
			if !cont || len(src) == 0 {
				break
			}
			line, src = nextLine(src)
			lineNo++
			line = trimLeftSpace(line)
		}
		if !utf8.Valid(logical) {
			errs = append(errs, &Error{File: file, Line: start,
				Msg: "line is not valid UTF-8 (files are read as UTF-8; write other characters as \\uXXXX)"})
			continue
		}
		rawKey, rawVal := splitKeyValue(string(logical))
		key, err := unescape(rawKey)
		if err != nil {
			errs = append(errs, &Error{File: file, Line: start, Key: rawKey, Msg: "key: " + err.Error()})
			continue
		}
		out = append(out, rawEntry{key: key, raw: trimRightUnescaped(rawVal), line: start})
	}
	return out, errs
}

// hasUnescapedHash reports whether a raw value has a '#' not written "\#":
// almost always a comment the user meant to end the value with.
func hasUnescapedHash(raw string) bool {
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			i++
		case '#':
			return true
		}
	}
	return false
}

// nextLine returns the first natural line of src (without its terminator) and
// what follows. \n, \r and \r\n all end a line.
func nextLine(src []byte) (line, rest []byte) {
	i := bytes.IndexAny(src, "\r\n")
	if i < 0 {
		return src, nil
	}
	line, rest = src[:i], src[i+1:]
	if src[i] == '\r' && len(rest) > 0 && rest[0] == '\n' {
		rest = rest[1:]
	}
	return line, rest
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\f' }

func trimLeftSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

func endsInOddBackslashes(b []byte) bool {
	n := 0
	for i := len(b) - 1; i >= 0 && b[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

// splitKeyValue splits a logical line (leading whitespace already gone) at the
// first unescaped '=', ':' or whitespace; whitespace and one '=' or ':' after
// the key are skipped.
func splitKeyValue(s string) (key, value string) {
	i := 0
	for i < len(s) {
		c := s[i]
		if c == '\\' {
			i += 2
			continue
		}
		if c == '=' || c == ':' || isSpace(c) {
			break
		}
		i++
	}
	if i > len(s) {
		i = len(s) // a lone trailing backslash
	}
	key = s[:i]
	j := i
	for j < len(s) && isSpace(s[j]) {
		j++
	}
	if j < len(s) && (s[j] == '=' || s[j] == ':') {
		j++
	}
	for j < len(s) && isSpace(s[j]) {
		j++
	}
	return key, s[j:]
}

// trimRightUnescaped drops trailing whitespace that is not escaped, so
// "a\ " keeps its space.
func trimRightUnescaped(s string) string {
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		n := 0
		for i := len(s) - 2; i >= 0 && s[i] == '\\'; i-- {
			n++
		}
		if n%2 == 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s
}

// unescape applies the .properties escapes to s.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			i++
			continue
		}
		r, n, err := decodeEscape(s[i:])
		if err != nil {
			return "", err
		}
		b.WriteRune(r)
		i += n
	}
	return b.String(), nil
}

// decodeEscape decodes the escape at the start of s (s[0] is a backslash) and
// returns the rune and how many bytes it took.
func decodeEscape(s string) (rune, int, error) {
	if len(s) < 2 {
		return 0, len(s), nil // a lone trailing backslash means nothing
	}
	switch s[1] {
	case 't':
		return '\t', 2, nil
	case 'n':
		return '\n', 2, nil
	case 'r':
		return '\r', 2, nil
	case 'f':
		return '\f', 2, nil
	case 'u':
		r, n, err := decodeUnicode(s)
		return r, n, err
	}
	r, size := utf8.DecodeRuneInString(s[1:])
	return r, 1 + size, nil
}

// decodeUnicode decodes \uXXXX, joining a UTF-16 surrogate pair written as two
// escapes.
func decodeUnicode(s string) (rune, int, error) {
	hi, ok := hex4(s)
	if !ok {
		return 0, 0, fmt.Errorf("malformed \\uXXXX escape %q", clip(s, 6))
	}
	if hi < 0xD800 || hi > 0xDFFF {
		return hi, 6, nil
	}
	if hi <= 0xDBFF {
		if lo, ok := hex4(s[6:]); ok && lo >= 0xDC00 && lo <= 0xDFFF {
			return 0x10000 + (hi-0xD800)<<10 + (lo - 0xDC00), 12, nil
		}
	}
	return 0, 0, fmt.Errorf("\\u%04X is half of a UTF-16 surrogate pair with no other half", hi)
}

func hex4(s string) (rune, bool) {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range s[2:6] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | (c - '0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | (c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | (c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// escapeKey writes a key so ParseProperties reads it back unchanged.
func escapeKey(s string) string { return escape(s, true) }

// escapeValue writes a value so ParseProperties reads it back unchanged.
func escapeValue(s string) string { return escape(s, false) }

func escape(s string, key bool) string {
	var b strings.Builder
	for i, r := range s {
		switch r {
		case '\\', '$', '=', ':', '#', '!':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\uFEFF': // a byte order mark at the start of a file is dropped
			b.WriteString(`\uFEFF`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\f':
			b.WriteString(`\f`)
		case ' ':
			// Spaces end a key, and are trimmed around a value.
			if key || i == 0 || i == len(s)-1 {
				b.WriteString(`\ `)
			} else {
				b.WriteByte(' ')
			}
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// lookupEnv is os.LookupEnv, kept as a variable only so the zero ParseOptions
// means "the real environment".
var lookupEnv = os.LookupEnv
