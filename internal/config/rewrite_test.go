package config

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// TestUpdateFileKeepsCommentsAndOrder rewrites a file in place and compares
// it with a golden file: comments, blank lines, spacing of untouched keys
// and order stay; a key written under its old alias and a key continued on
// two lines are replaced on their own line; new keys are appended.
func TestUpdateFileKeepsCommentsAndOrder(t *testing.T) {
	in, err := os.ReadFile("testdata/rewrite/in.properties")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("testdata/rewrite/want.properties")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "broker.conf")
	if err := os.WriteFile(path, in, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.conf")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	set := []Entry{
		{Key: "fileReservedTime", Value: "120"},
		{Key: "mappedFileSizeCommitLog", Value: "2147483647"},
		{Key: "namesrvAddr", Value: "10.0.0.3:9876"},
		{Key: "brokerPermission", Value: "4"},
		{Key: "storePathRootDir", Value: "/data/rocketmq store/${x}"},
	}
	if err := UpdateFile(link, &Broker{}, set); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("rewritten file:\n%s\nwant:\n%s", got, want)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the symbolic link was replaced: %v", err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600 kept", fi.Mode().Perm())
	}
	if bak, _ := os.ReadFile(path + ".bak"); !bytes.Equal(bak, in) {
		t.Fatalf("backup holds:\n%s", bak)
	}
	// The file loads back to exactly the values set, with no warning.
	cfg := DefaultBroker()
	warns, err := LoadFile(path, &cfg)
	if err != nil || len(warns) != 0 {
		t.Fatalf("load rewritten file: %v %v", err, warns)
	}
	if cfg.FileReservedTime != 120 || cfg.MappedFileSizeCommitLog != 2147483647 || cfg.NamesrvAddr != "10.0.0.3:9876" ||
		cfg.BrokerPermission != 4 || cfg.StorePathRootDir != "/data/rocketmq store/${x}" || cfg.BrokerName != "broker-a" {
		t.Fatalf("loaded back: %+v", cfg)
	}
	// A second update replaces the appended line instead of adding another.
	if err := UpdateFile(path, &Broker{}, []Entry{{Key: "brokerPermission", Value: "6"}}); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(path)
	if bytes.Count(got, []byte("brokerPermission=")) != 1 || !bytes.Contains(got, []byte("brokerPermission=6\n")) {
		t.Fatalf("second update:\n%s", got)
	}
}

func TestRewritePropertiesLineEndings(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"crlf", "# c\r\na=1\r\nb=2\r\n", "# c\r\na=9\r\nb=2\r\nc=3\r\n"},
		{"no final newline", "a=1\nb=2", "a=9\nb=2\nc=3\n"},
		{"empty", "", "a=9\nc=3\n"},
		{"repeated key", "a=1\na=2\n", "a=9\na=9\nc=3\n"},
		{"bom", "\ufeffa=1\n", "\ufeffa=9\nc=3\n"},
		{"comment ending in backslash", "#x\\\na=1\n", "#x\\\na=9\nc=3\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := RewriteProperties([]byte(tc.in), []Entry{{Key: "a", Value: "9"}, {Key: "c", Value: "3"}}, nil)
			if string(got) != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestUpdateFileCreatesMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config", "broker.properties")
	if err := UpdateFile(path, &Broker{}, []Entry{{Key: "fileReservedTime", Value: "1"}}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "fileReservedTime=1\n" {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := os.Stat(path + ".bak"); !os.IsNotExist(err) {
		t.Fatalf("a backup of nothing: %v", err)
	}
}

func TestKeyHelpers(t *testing.T) {
	if k, ok := CanonicalKey(&Broker{}, "mapedFileSizeCommitLog"); !ok || k != "mappedFileSizeCommitLog" {
		t.Fatalf("alias: %q %v", k, ok)
	}
	if _, ok := CanonicalKey(Broker{}, "nope"); ok {
		t.Fatal("unknown key found")
	}
	if s := SuggestKey(&Broker{}, "fileReserveTime"); s != "fileReservedTime" {
		t.Fatalf("suggest %q", s)
	}
	cfg := DefaultBroker()
	if v, ok := Value(&cfg, "deleteWhen"); !ok || v != "04" {
		t.Fatalf("value %q %v", v, ok)
	}
}

// FuzzRewriteProperties rewrites arbitrary file text: the key set must read
// back with exactly the value written, and every other line must be kept.
func FuzzRewriteProperties(f *testing.F) {
	f.Add([]byte("a=1\n# c\nfuzzKey=old\\\n  more\n"), "new value")
	f.Add([]byte("fuzzKey"), "${x}#\\")
	f.Add([]byte("\r\n\r\nfuzzKey : 1\r\n"), " ends with space ")
	f.Fuzz(func(t *testing.T, src []byte, value string) {
		if !utf8.ValidString(value) {
			return
		}
		out := RewriteProperties(src, []Entry{{Key: "fuzzKey", Value: value}}, nil)
		p, _, _ := ParseProperties(out, "fuzz", ParseOptions{LookupEnv: func(string) (string, bool) { return "", false }})
		e, ok := p.Get("fuzzKey")
		if !ok || e.Value != value {
			t.Fatalf("value read back %q (found %v), want %q\nout:\n%q", e.Value, ok, value, out)
		}
		if !bytes.Contains(src, []byte("fuzzKey")) && !bytes.HasPrefix(out, bytes.TrimPrefix(src, []byte("\xef\xbb\xbf"))) && !bytes.HasPrefix(out, src) {
			t.Fatalf("lines without the key changed:\n%q\n->\n%q", src, out)
		}
	})
}
