package config

import (
	"fmt"
	"strings"
)

// expander turns raw values into final ones: escapes applied and ${name}
// replaced. Each key is resolved once; a key whose value cannot be resolved
// is reported once, and keys that refer to it fail quietly so one mistake
// gives one error.
type expander struct {
	file  string
	raw   map[string]rawEntry
	opts  ParseOptions
	state map[string]resolveState
	value map[string]string
	stack []string // keys being resolved, for cycle reports
	errs  []error
}

// maxValueLen bounds an expanded value: references can double a value at
// each level (a=${b}${b}, b=${c}${c}, ...), so a small file could otherwise
// ask for gigabytes.
const maxValueLen = 1 << 20

type resolveState uint8

const (
	unresolved resolveState = iota
	resolving
	resolved
	failed
)

func newExpander(file string, entries []rawEntry, opts ParseOptions) *expander {
	if opts.LookupEnv == nil {
		opts.LookupEnv = lookupEnv
	}
	x := &expander{
		file:  file,
		raw:   make(map[string]rawEntry, len(entries)),
		opts:  opts,
		state: make(map[string]resolveState, len(entries)),
		value: make(map[string]string, len(entries)),
	}
	for _, e := range entries {
		x.raw[e.key] = e
	}
	return x
}

// resolveKey returns the final value of a key of the file.
func (x *expander) resolveKey(key string) (string, bool) {
	switch x.state[key] {
	case resolved:
		return x.value[key], true
	case failed:
		return "", false
	case resolving:
		x.reportCycle(key)
		return "", false
	}
	x.state[key] = resolving
	x.stack = append(x.stack, key)
	v, ok := x.expand(x.raw[key])
	x.stack = x.stack[:len(x.stack)-1]
	if x.state[key] == failed { // marked by a cycle report while we were inside
		return "", false
	}
	if !ok {
		x.state[key] = failed
		return "", false
	}
	x.state[key] = resolved
	x.value[key] = v
	return v, true
}

// reportCycle reports the cycle that ends at key and marks all its members
// failed.
func (x *expander) reportCycle(key string) {
	i := len(x.stack) - 1
	for i > 0 && x.stack[i] != key {
		i--
	}
	cycle := append(append([]string(nil), x.stack[i:]...), key)
	var parts []string
	for _, k := range cycle {
		parts = append(parts, fmt.Sprintf("%s (line %d)", k, x.raw[k].line))
	}
	first := x.raw[cycle[0]]
	x.errs = append(x.errs, &Error{File: x.file, Line: first.line, Key: first.key,
		Msg: "cyclic ${} reference: " + strings.Join(parts, " -> ")})
	for _, k := range cycle {
		x.state[k] = failed
	}
}

// expand applies escapes and ${} references to one raw value.
func (x *expander) expand(e rawEntry) (string, bool) {
	s := e.raw
	if !strings.ContainsAny(s, `\$`) {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		switch {
		case s[i] == '\\':
			r, n, err := decodeEscape(s[i:])
			if err != nil {
				x.fail(e, err.Error())
				return "", false
			}
			b.WriteRune(r)
			i += n
		case strings.HasPrefix(s[i:], "${"):
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				x.fail(e, fmt.Sprintf("unterminated ${ in %q (write \\${ for a literal ${)", s))
				return "", false
			}
			name, err := unescape(s[i+2 : i+2+end])
			if err != nil {
				x.fail(e, err.Error())
				return "", false
			}
			v, ok := x.lookup(e, name)
			if !ok {
				return "", false
			}
			if b.Len()+len(v) > maxValueLen {
				x.fail(e, fmt.Sprintf("value expands to more than %d bytes", maxValueLen))
				return "", false
			}
			b.WriteString(v)
			i += 2 + end + 1
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String(), true
}

// lookup resolves ${name} for entry e: a key of the file first, then the
// environment, then the defaults.
func (x *expander) lookup(e rawEntry, name string) (string, bool) {
	if name == "" {
		x.fail(e, "empty ${} reference")
		return "", false
	}
	if _, ok := x.raw[name]; ok {
		return x.resolveKey(name)
	}
	if v, ok := x.opts.LookupEnv(name); ok {
		return v, true
	}
	if x.opts.Defaults != nil {
		if v, ok := x.opts.Defaults(name); ok {
			return v, true
		}
	}
	x.fail(e, fmt.Sprintf("${%s} is not defined: no key %s in this file and no environment variable %s", name, name, name))
	return "", false
}

func (x *expander) fail(e rawEntry, msg string) {
	x.errs = append(x.errs, &Error{File: x.file, Line: e.line, Key: e.key, Msg: msg})
}
