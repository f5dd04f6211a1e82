package protocol

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// A custom header is the typed view of a command's extFields map. Java fills
// extFields by reflection over a header class: every non-null field becomes
// key = field name, value = the field's toString(). We do the same with
// struct tags:
//
//	type GetRouteInfoRequestHeader struct {
//		Topic                  string `ext:"topic,required"`
//		AcceptStandardJSONOnly *bool  `ext:"acceptStandardJsonOnly"`
//	}
//
// Tag options:
//
//	required   DecodeHeader fails with a *MissingFieldError when the key is
//	           absent (Java's @CFNotNull)
//	omitempty  EncodeHeader leaves out an empty string or a zero number
//
// Supported field types: string, bool, signed and unsigned integers, and
// pointers to those. A nil pointer is omitted when encoding and left nil
// when the key is absent, which models Java's nullable Integer/Long/Boolean.
// Numbers are written in decimal and bools as true/false, as Java prints
// them. Embedded structs contribute their fields, like Java superclasses.

// MissingFieldError reports a required extFields key that was absent.
type MissingFieldError struct {
	Header string // Go type name of the header
	Key    string // extFields key
}

func (e *MissingFieldError) Error() string {
	return fmt.Sprintf("missing required header field %q (%s)", e.Key, e.Header)
}

// ErrBadHeaderValue is wrapped by errors about unparsable extFields values.
var ErrBadHeaderValue = errors.New("bad header value")

// EncodeHeader returns the extFields map of header h, a struct or a pointer
// to one. It panics if h's type is not a valid header type: that is a
// programming error, caught by any test that encodes the header.
func EncodeHeader(h any) map[string]string {
	v := reflect.Indirect(reflect.ValueOf(h))
	p := planFor(v.Type())
	ext := make(map[string]string, len(p.fields))
	for i := range p.fields {
		f := &p.fields[i]
		fv := v.FieldByIndex(f.index)
		if f.ptr {
			if fv.IsNil() {
				continue
			}
			fv = fv.Elem()
		}
		if f.omitEmpty && fv.IsZero() {
			continue
		}
		ext[f.key] = formatValue(fv)
	}
	return ext
}

// DecodeHeader fills the header that h points to from ext. Keys not present
// in ext leave their fields untouched, so defaults set before the call
// survive. An empty value of a numeric field counts as absent. Unknown keys
// are ignored. The error names the offending key.
func DecodeHeader(ext map[string]string, h any) error {
	rv := reflect.ValueOf(h)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		panic(fmt.Sprintf("protocol.DecodeHeader: want a non-nil pointer to a header struct, got %T", h))
	}
	v := rv.Elem()
	p := planFor(v.Type())
	for i := range p.fields {
		f := &p.fields[i]
		s, ok := ext[f.key]
		if ok && s == "" && f.kind != reflect.String {
			ok = false
		}
		if !ok {
			if f.required {
				return &MissingFieldError{Header: p.name, Key: f.key}
			}
			continue
		}
		fv := v.FieldByIndex(f.index)
		if f.ptr {
			nv := reflect.New(fv.Type().Elem())
			if err := parseValue(nv.Elem(), f.kind, s); err != nil {
				return fmt.Errorf("header field %q (%s): %w", f.key, p.name, err)
			}
			fv.Set(nv)
			continue
		}
		if err := parseValue(fv, f.kind, s); err != nil {
			return fmt.Errorf("header field %q (%s): %w", f.key, p.name, err)
		}
	}
	return nil
}

type headerField struct {
	key       string
	index     []int
	kind      reflect.Kind // kind of the field, or of its element for pointers
	ptr       bool
	required  bool
	omitEmpty bool
}

type headerPlan struct {
	name   string
	fields []headerField
}

var headerPlans sync.Map // reflect.Type -> *headerPlan

func planFor(t reflect.Type) *headerPlan {
	if p, ok := headerPlans.Load(t); ok {
		return p.(*headerPlan)
	}
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("protocol: header type %v is not a struct", t))
	}
	p := &headerPlan{name: t.Name()}
	seen := map[string]bool{}
	for _, sf := range reflect.VisibleFields(t) {
		if sf.Anonymous && sf.Type.Kind() == reflect.Pointer {
			panic(fmt.Sprintf("protocol: header %v embeds pointer %v; embed the struct itself", t, sf.Type))
		}
		tag, ok := sf.Tag.Lookup("ext")
		if !ok || tag == "-" || sf.Anonymous {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" || !sf.IsExported() || seen[name] {
			panic(fmt.Sprintf("protocol: header %v field %s: empty, unexported or duplicate ext key %q", t, sf.Name, name))
		}
		seen[name] = true
		f := headerField{key: name, index: sf.Index, kind: sf.Type.Kind()}
		if f.kind == reflect.Pointer {
			f.ptr = true
			f.kind = sf.Type.Elem().Kind()
		}
		if !supportedKind(f.kind) {
			panic(fmt.Sprintf("protocol: header %v field %s: unsupported type %v", t, sf.Name, sf.Type))
		}
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "":
			case "required":
				f.required = true
			case "omitempty":
				f.omitEmpty = true
			default:
				panic(fmt.Sprintf("protocol: header %v field %s: unknown tag option %q", t, sf.Name, o))
			}
		}
		p.fields = append(p.fields, f)
	}
	actual, _ := headerPlans.LoadOrStore(t, p)
	return actual.(*headerPlan)
}

func supportedKind(k reflect.Kind) bool {
	switch k {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

func formatValue(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	default:
		return strconv.FormatUint(v.Uint(), 10)
	}
}

func parseValue(v reflect.Value, kind reflect.Kind, s string) error {
	switch kind {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		// Java's Boolean.parseBoolean: "true" in any case is true, anything else false.
		v.SetBool(strings.EqualFold(s, "true"))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%w: %q is not a %d-bit integer", ErrBadHeaderValue, truncate(s, 64), v.Type().Bits())
		}
		v.SetInt(n)
	default:
		n, err := strconv.ParseUint(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("%w: %q is not an unsigned %d-bit integer", ErrBadHeaderValue, truncate(s, 64), v.Type().Bits())
		}
		v.SetUint(n)
	}
	return nil
}

// truncate shortens s for error messages, so a hostile value cannot blow up logs.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
