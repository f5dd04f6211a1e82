package config

import (
	"errors"
	"fmt"
	"strings"
)

// Error is one problem with a configuration: a line that cannot be parsed, a
// value that does not convert to its key's type, or a value that fails
// validation. File and Line are set when the problem comes from a file; Key is
// set whenever the problem belongs to one key.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	writePos(&b, e.File, e.Line)
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Warning is a problem that does not stop the process: an unknown key, a
// duplicated key, a name server list separated by commas. The process runs,
// but the user most likely did not get what they meant.
type Warning struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (w Warning) String() string {
	var b strings.Builder
	writePos(&b, w.File, w.Line)
	b.WriteString(w.Msg)
	return b.String()
}

// writePos writes "file:line: " with whichever parts are known.
func writePos(b *strings.Builder, file string, line int) {
	switch {
	case file != "" && line > 0:
		fmt.Fprintf(b, "%s:%d: ", file, line)
	case file != "":
		fmt.Fprintf(b, "%s: ", file)
	case line > 0:
		fmt.Fprintf(b, "line %d: ", line)
	}
}

// Errors returns every *Error inside err (as built by errors.Join in this
// package), in order. It lets callers and tests look at problems one by one.
func Errors(err error) []*Error {
	if err == nil {
		return nil
	}
	var out []*Error
	var walk func(error)
	walk = func(err error) {
		if e, ok := err.(*Error); ok {
			out = append(out, e)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, inner := range j.Unwrap() {
				walk(inner)
			}
			return
		}
		if inner := errors.Unwrap(err); inner != nil {
			walk(inner)
		}
	}
	walk(err)
	return out
}

// problems collects validation errors so Validate can report all of them at
// once instead of stopping at the first.
type problems struct {
	errs []error
}

func (p *problems) add(key, format string, args ...any) {
	p.errs = append(p.errs, &Error{Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (p *problems) err() error {
	return errors.Join(p.errs...)
}
