package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// field is one configurable key of a config struct.
type field struct {
	key     string
	aliases []string // older spellings accepted without a warning
	index   []int    // reflect path from the root struct
	kind    reflect.Kind
	addrs   bool // the value is a name server list: check it with SplitAddrs
}

// schema is the ordered list of keys of one config struct type.
type schema struct {
	fields []field
	byKey  map[string]int // key and aliases -> index in fields
}

var schemas sync.Map // reflect.Type -> *schema

// schemaOf returns the keys of struct type t: every field with a `key` tag,
// walking nested and embedded structs in declaration order. The tag is
// `key:"name[,addrs]"`; `alias:"old1,old2"` lists older key names.
func schemaOf(t reflect.Type) *schema {
	if s, ok := schemas.Load(t); ok {
		return s.(*schema)
	}
	s := &schema{byKey: make(map[string]int)}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			index := append(append([]int(nil), prefix...), i)
			tag, ok := sf.Tag.Lookup("key")
			if !ok {
				if sf.Type.Kind() == reflect.Struct {
					walk(sf.Type, index)
				}
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			f := field{key: name, index: index, kind: sf.Type.Kind(), addrs: opts == "addrs"}
			if a := sf.Tag.Get("alias"); a != "" {
				f.aliases = strings.Split(a, ",")
			}
			switch f.kind {
			case reflect.String, reflect.Bool, reflect.Int, reflect.Int32, reflect.Int64, reflect.Float64:
			default:
				panic(fmt.Sprintf("config: %s.%s has unsupported kind %s", t.Name(), sf.Name, f.kind))
			}
			for _, k := range append([]string{f.key}, f.aliases...) {
				if _, dup := s.byKey[k]; dup {
					panic(fmt.Sprintf("config: key %s appears twice in %s", k, t.Name()))
				}
				s.byKey[k] = len(s.fields)
			}
			s.fields = append(s.fields, f)
		}
	}
	walk(t, nil)
	actual, _ := schemas.LoadOrStore(t, s)
	return actual.(*schema)
}

// structValue checks that cfg is a non-nil pointer to a struct.
func structValue(cfg any) (reflect.Value, error) {
	v := reflect.ValueOf(cfg)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}, fmt.Errorf("config: want a non-nil pointer to a config struct, got %T", cfg)
	}
	return v.Elem(), nil
}

// LoadFile reads the .properties file at path into dst, a pointer to a config
// struct that already holds its defaults (DefaultNamesrv, DefaultBroker).
// Keys in the file overwrite those defaults; keys it does not know are
// ignored with a warning that suggests the closest known key.
//
// err joins every problem found (each an *Error naming file, line and key);
// on error dst may be partly filled. LoadFile does not call Validate: the
// command applies its flags first and then validates the result.
func LoadFile(path string, dst any) (warnings []Warning, err error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return Load(src, path, dst)
}

// Load is LoadFile for text already in memory; name labels errors.
func Load(src []byte, name string, dst any) (warnings []Warning, err error) {
	v, err := structValue(dst)
	if err != nil {
		return nil, err
	}
	s := schemaOf(v.Type())
	opts := ParseOptions{Defaults: func(key string) (string, bool) {
		i, ok := s.byKey[key]
		if !ok {
			return "", false
		}
		return format(v.FieldByIndex(s.fields[i].index)), true
	}}
	props, warnings, perr := ParseProperties(src, name, opts)
	bw, berr := bind(props, v, s)
	return append(warnings, bw...), errors.Join(perr, berr)
}

// bind sets the fields of v from props.
func bind(props *Properties, v reflect.Value, s *schema) ([]Warning, error) {
	var (
		warns []Warning
		errs  []error
		setBy = make(map[int]Entry) // field index -> entry that set it
	)
	for _, e := range props.Entries {
		i, ok := s.byKey[e.Key]
		if !ok {
			msg, old := deprecated[e.Key]
			if !old {
				msg = unknownKeyMessage(e.Key, s)
			}
			warns = append(warns, Warning{File: props.File, Line: e.Line, Key: e.Key, Msg: msg})
			continue
		}
		f := s.fields[i]
		if prev, ok := setBy[i]; ok {
			warns = append(warns, Warning{File: props.File, Line: e.Line, Key: e.Key,
				Msg: fmt.Sprintf("%s and %s (line %d) are the same key; the value on line %d wins", e.Key, prev.Key, prev.Line, e.Line)})
		}
		setBy[i] = e
		if err := setField(v.FieldByIndex(f.index), f, e.Value); err != nil {
			errs = append(errs, &Error{File: props.File, Line: e.Line, Key: e.Key, Msg: err.Error() + inlineCommentHint(e.Value)})
			continue
		}
		if f.addrs {
			_, aw := SplitAddrs(e.Value)
			for _, w := range aw {
				w.File, w.Line, w.Key = props.File, e.Line, e.Key
				warns = append(warns, w)
			}
		}
	}
	return warns, errors.Join(errs...)
}

// Set sets one key of cfg from its text form, as a command-line flag would
// (mqbroker -n sets namesrvAddr). Aliases are accepted; an unknown key is an
// error that suggests the closest known key.
func Set(cfg any, key, value string) error {
	v, err := structValue(cfg)
	if err != nil {
		return err
	}
	s := schemaOf(v.Type())
	i, ok := s.byKey[key]
	if !ok {
		return &Error{Key: key, Msg: unknownKeyMessage(key, s)}
	}
	if err := setField(v.FieldByIndex(s.fields[i].index), s.fields[i], strings.TrimSpace(value)); err != nil {
		return &Error{Key: key, Msg: err.Error()}
	}
	return nil
}

// setField converts text to the field's type. Numbers are plain decimal as
// Java's parseInt/parseLong/parseDouble read them; booleans are true or false
// in any case (Java would quietly read anything else as false; we refuse it).
func setField(fv reflect.Value, f field, text string) error {
	switch f.kind {
	case reflect.String:
		fv.SetString(text)
	case reflect.Bool:
		switch strings.ToLower(text) {
		case "true":
			fv.SetBool(true)
		case "false":
			fv.SetBool(false)
		default:
			return fmt.Errorf("%q is not a boolean (want true or false)", text)
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		bits := 64
		if f.kind == reflect.Int32 || f.kind == reflect.Int {
			bits = 32 // upstream's int keys are Java ints
		}
		n, err := strconv.ParseInt(text, 10, bits)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return fmt.Errorf("%s is out of range for a %d-bit integer", text, bits)
			}
			return fmt.Errorf("%q is not an integer", text)
		}
		fv.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", text)
		}
		fv.SetFloat(n)
	}
	return nil
}

// format renders a field value the way Print and ${} defaults show it.
func format(fv reflect.Value) string {
	switch fv.Kind() {
	case reflect.String:
		return fv.String()
	case reflect.Bool:
		return strconv.FormatBool(fv.Bool())
	case reflect.Int, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(fv.Int(), 10)
	case reflect.Float64:
		return strconv.FormatFloat(fv.Float(), 'f', -1, 64)
	}
	return fmt.Sprint(fv.Interface())
}

// Print writes every key of cfg as key=value, one per line, in declaration
// order: what upstream's -p (printConfigItem) prints, values as they are. An
// unset storePathCommitLog prints empty (Store.Paths resolves it). Use Encode
// for text that must load back.
func Print(w io.Writer, cfg any) error { return writeKeys(w, cfg, false) }

// Encode writes every key of cfg like Print but with .properties escapes, so
// Load reads back exactly the same values whatever they contain (a '\' in a
// path, a literal "${"): the form to persist a configuration in.
func Encode(w io.Writer, cfg any) error { return writeKeys(w, cfg, true) }

func writeKeys(w io.Writer, cfg any, escaped bool) error {
	v := reflect.ValueOf(cfg)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return fmt.Errorf("config: want a config struct, got %T", cfg)
	}
	var b strings.Builder
	for _, f := range schemaOf(v.Type()).fields {
		val := format(v.FieldByIndex(f.index))
		if escaped {
			val = escapeValue(val)
		}
		b.WriteString(f.key)
		b.WriteByte('=')
		b.WriteString(val)
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Keys returns the keys of cfg's type in declaration order.
func Keys(cfg any) []string {
	t := reflect.TypeOf(cfg)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for _, f := range schemaOf(t).fields {
		out = append(out, f.key)
	}
	return out
}
