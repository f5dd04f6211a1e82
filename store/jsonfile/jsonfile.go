package jsonfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
)

// Suffixes of the sibling files.
const (
	TmpSuffix = ".tmp"
	BakSuffix = ".bak"
)

// Write stores v as indented JSON at path, keeping the previous content as
// path.bak. See the package doc for the crash behaviour.
func Write(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return WriteBytes(path, append(data, '\n'))
}

// WriteBytes is Write for content already encoded.
func WriteBytes(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := path + TmpSuffix
	if err := writeSynced(tmp, data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(path, path+BakSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("write %s: keep backup: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Read decodes path into v (a non-nil pointer), falling back to path.bak.
// found is false, with a nil error, when neither file exists.
func Read(path string, v any) (found bool, err error) {
	used, err := ReadFrom(path, v)
	return used != "", err
}

// ReadFrom is Read that also returns the file it decoded: path, path.bak, or
// "" when neither exists. v is only changed by a successful decode.
func ReadFrom(path string, v any) (used string, err error) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return "", fmt.Errorf("read %s: need a non-nil pointer, got %T", path, v)
	}
	mainErr := decodeFile(path, rv)
	if mainErr == nil {
		return path, nil
	}
	bak := path + BakSuffix
	bakErr := decodeFile(bak, rv)
	switch {
	case bakErr == nil:
		return bak, nil
	case errors.Is(mainErr, os.ErrNotExist) && errors.Is(bakErr, os.ErrNotExist):
		return "", nil
	case errors.Is(bakErr, os.ErrNotExist):
		return "", fmt.Errorf("read %s: %w (no %s to fall back to)", path, mainErr, filepath.Base(bak))
	default:
		return "", fmt.Errorf("read %s: %w; backup: %w", path, mainErr, bakErr)
	}
}

var errEmpty = errors.New("file is empty")

// decodeFile decodes one file into a fresh value and copies it to *rv only
// on success, so a corrupt main file cannot leave half its fields in v.
func decodeFile(path string, rv reflect.Value) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(bytesTrimSpace(data)) == 0 {
		return errEmpty
	}
	fresh := reflect.New(rv.Elem().Type())
	if err := Unmarshal(data, fresh.Interface()); err != nil {
		return err
	}
	rv.Elem().Set(fresh.Elem())
	return nil
}

// Unmarshal is json.Unmarshal after QuoteIntKeys, for fastjson output.
func Unmarshal(data []byte, v any) error {
	return json.Unmarshal(QuoteIntKeys(data), v)
}

func bytesTrimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
