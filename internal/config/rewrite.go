package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
)

// RewriteProperties returns src with each key of set given its new value in
// place: the logical line of the key (with its continuation lines) becomes
// "key=value", and everything else (comments, blank lines, the order of
// keys, other keys' spelling and escapes, line endings) stays byte for
// byte. A key set more than once in src is replaced everywhere. Keys src
// does not have are appended at the end, in set's order.
//
// same reports whether a key as written in src is set's key (aliases);
// nil means the two strings are equal. Values are written escaped, so
// ParseProperties reads back exactly set's values ("${" included).
func RewriteProperties(src []byte, set []Entry, same func(fileKey, key string) bool) []byte {
	if same == nil {
		same = func(a, b string) bool { return a == b }
	}
	nl := []byte("\n")
	if bytes.Contains(src, []byte("\r\n")) {
		nl = []byte("\r\n")
	}
	var out bytes.Buffer
	out.Grow(len(src) + 64*len(set))
	rest := src
	if bytes.HasPrefix(rest, []byte("\xef\xbb\xbf")) {
		out.Write(rest[:3])
		rest = rest[3:]
	}
	written := make([]bool, len(set))
	for len(rest) > 0 {
		start := rest
		line, after := nextLine(rest)
		rest = after
		first := trimLeftSpace(line)
		if len(first) == 0 || first[0] == '#' || first[0] == '!' {
			out.Write(start[:len(start)-len(rest)])
			continue
		}
		logical := append([]byte(nil), first...)
		for endsInOddBackslashes(line) && len(rest) > 0 {
			logical = logical[:len(logical)-1]
			line, rest = nextLine(rest)
			logical = append(logical, trimLeftSpace(line)...)
		}
		chunk := start[:len(start)-len(rest)]
		rawKey, _ := splitKeyValue(string(logical))
		key, err := unescape(rawKey)
		i := -1
		if err == nil {
			for j := range set {
				if same(key, set[j].Key) {
					i = j
					break
				}
			}
		}
		if i < 0 {
			out.Write(chunk)
			continue
		}
		written[i] = true
		out.WriteString(escapeKey(set[i].Key) + "=" + escapeRewritten(set[i].Value))
		if n := len(chunk); n > 0 && (chunk[n-1] == '\n' || chunk[n-1] == '\r') {
			out.Write(lineEnd(chunk))
		}
	}
	for i, e := range set {
		if written[i] {
			continue
		}
		endLine(&out, nl)
		out.WriteString(escapeKey(e.Key) + "=" + escapeRewritten(e.Value))
		out.Write(nl)
		written[i] = true
	}
	return out.Bytes()
}

// endLine ends out's last line so that what is appended starts a line of
// its own: a missing terminator is added, and a line ending in an odd
// number of backslashes (which would continue onto the next) gets a blank
// line after it.
func endLine(out *bytes.Buffer, nl []byte) {
	b := out.Bytes()
	if len(b) == 0 {
		return
	}
	body := b
	switch {
	case bytes.HasSuffix(body, []byte("\r\n")):
		body = body[:len(body)-2]
	case body[len(body)-1] == '\n' || body[len(body)-1] == '\r':
		body = body[:len(body)-1]
	}
	terminated := len(body) < len(b)
	last := body[bytes.LastIndexAny(body, "\r\n")+1:]
	if !terminated {
		out.Write(nl)
	}
	if endsInOddBackslashes(last) {
		out.Write(nl)
	}
}

// lineEnd is the terminator chunk ends with.
func lineEnd(chunk []byte) []byte {
	if bytes.HasSuffix(chunk, []byte("\r\n")) {
		return []byte("\r\n")
	}
	return chunk[len(chunk)-1:]
}

// UpdateFile sets keys of the properties file at path as RewriteProperties
// does, for the config struct type of cfg (a key written in the file under
// an older alias is replaced too), and writes it with WriteFileAtomic. A
// file that does not exist is created holding only set.
func UpdateFile(path string, cfg any, set []Entry) error {
	v, err := structValue(cfg)
	if err != nil {
		return err
	}
	s := schemaOf(v.Type())
	src, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("update config file: %w", err)
	}
	same := func(fileKey, key string) bool {
		if fileKey == key {
			return true
		}
		i, ok := s.byKey[fileKey]
		j, ok2 := s.byKey[key]
		return ok && ok2 && i == j
	}
	if err := WriteFileAtomic(path, RewriteProperties(src, set, same)); err != nil {
		return fmt.Errorf("update config file: %w", err)
	}
	return nil
}

// WriteFileAtomic replaces the file at path with data so that a crash
// leaves either the old or the new content: data goes to a temporary file
// in the same directory, which is synced and renamed over path, and the
// directory is synced. The previous content is kept as path.bak. A
// symbolic link at path is followed, so the file it names is replaced and
// the link stays. The file keeps its permission bits (new files: 0644).
func WriteFileAtomic(path string, data []byte) error {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	fi, statErr := os.Stat(path)
	if statErr == nil {
		mode = fi.Mode().Perm()
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // after a successful rename there is nothing to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", tmpName, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod %s: %w", tmpName, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", tmpName, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", tmpName, err)
	}
	if statErr == nil {
		if err := backup(path); err != nil {
			return fmt.Errorf("back up %s: %w", path, err)
		}
	}
	if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// backup makes path.bak hold path's current content: a hard link where
// the file system allows one, else a synced copy.
func backup(path string) error {
	bak := path + ".bak"
	if err := os.Remove(bak); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if os.Link(path, bak) == nil {
		return nil
	}
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(bak, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// CanonicalKey returns the key of cfg's struct type that key names (key
// itself, or the current name of an older alias); ok is false for a key
// the type does not have.
func CanonicalKey(cfg any, key string) (canonical string, ok bool) {
	t := reflectType(cfg)
	s := schemaOf(t)
	i, ok := s.byKey[key]
	if !ok {
		return "", false
	}
	return s.fields[i].key, true
}

// SuggestKey returns the known key of cfg's type closest to an unknown key
// (the "did you mean" of the loader's warnings), or "".
func SuggestKey(cfg any, key string) string {
	return suggest(key, schemaOf(reflectType(cfg)))
}

// Value returns the text form of cfg's key as Print shows it; ok is false
// for an unknown key.
func Value(cfg any, key string) (string, bool) {
	v, err := structValue(cfg)
	if err != nil {
		return "", false
	}
	s := schemaOf(v.Type())
	i, ok := s.byKey[key]
	if !ok {
		return "", false
	}
	return format(v.FieldByIndex(s.fields[i].index)), true
}

// reflectType is the struct type of cfg or of what it points to.
func reflectType(cfg any) reflect.Type {
	t := reflect.TypeOf(cfg)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// escapeRewritten escapes a value for a file people read: only what
// ParseProperties would otherwise change ('\\', "${", '#' that the loader
// warns about, control characters, spaces at the ends), so a name server
// list keeps its ':'.
func escapeRewritten(v string) string {
	var b strings.Builder
	for i, r := range v {
		switch r {
		case '\\', '$', '#':
			b.WriteByte('\\')
			b.WriteRune(r)
		case ' ':
			if i == 0 || i == len(v)-1 {
				b.WriteByte('\\')
			}
			b.WriteByte(' ')
		case '\t', '\n', '\r', '\f', '\uFEFF':
			b.WriteString(escapeValue(string(r)))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
