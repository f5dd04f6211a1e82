package filter

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestJavaStringHash(t *testing.T) {
	// Values of Java's String.hashCode; protocol.JavaStringHash pins the same.
	for s, want := range map[string]int32{
		"":            0,
		"*":           42,
		"TagA":        2598919,
		"TagB":        2598920,
		"hello":       99162322,
		"hello world": 1794106052,
		"Aa":          2112,
		"BB":          2112,
		"中":           20013,
		"😀":           1772899, // a surrogate pair: 31*0xD83D + 0xDE00
		"\xff":        0xFFFD,  // an invalid byte is U+FFFD, as Java's decoder makes it
		"a😀b":         57849694,
		"😀😀😀😀":        47065356, // wraps at 32 bits
	} {
		if got := javaStringHash(s); got != want {
			t.Errorf("javaStringHash(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestParseTags(t *testing.T) {
	cases := []struct {
		expr string
		all  bool
		tags []string
	}{
		{"", true, nil},
		{"*", true, nil},
		{"TagA", false, []string{"TagA"}},
		{"TagA || TagB", false, []string{"TagA", "TagB"}},
		{"TagA||TagB||TagA", false, []string{"TagA", "TagB"}},
		{" TagA ||  || TagB ||", false, []string{"TagA", "TagB"}},
		{"||TagA", false, []string{"TagA"}},
		{"TagA|||TagB", false, []string{"TagA", "|TagB"}}, // split is left to right, as Java's
		{"TagA | TagB", false, []string{"TagA | TagB"}},
		{" * ", false, []string{"*"}},                 // the whole string is not trimmed: this is the tag "*"
		{"\x01TagA\x7f", false, []string{"TagA\x7f"}}, // Java's trim: chars <= ' ' only
		{" ", false, nil},                             // no tag at all: matches nothing
		{"|| ||", false, nil},
	}
	for _, c := range cases {
		tg, err := ParseTags(c.expr)
		if err != nil {
			t.Errorf("ParseTags(%q): %v", c.expr, err)
			continue
		}
		if tg.All() != c.all || !slices.Equal(tg.Tags(), c.tags) {
			t.Errorf("ParseTags(%q) = all %v tags %q, want all %v tags %q", c.expr, tg.All(), tg.Tags(), c.all, c.tags)
		}
		var codes []int32
		for _, tag := range c.tags {
			codes = append(codes, javaStringHash(tag))
		}
		slices.Sort(codes)
		if !slices.Equal(tg.Codes(), codes) {
			t.Errorf("ParseTags(%q).Codes() = %v, want %v", c.expr, tg.Codes(), codes)
		}
	}
	for _, expr := range []string{"||", "||||"} {
		if _, err := ParseTags(expr); !errors.Is(err, ErrTagsSplit) {
			t.Errorf("ParseTags(%q): %v, want ErrTagsSplit", expr, err)
		}
	}
}

func TestTagsMatch(t *testing.T) {
	tg, err := ParseTags("TagA || Aa")
	if err != nil {
		t.Fatal(err)
	}
	for tag, want := range map[string]bool{"TagA": true, "Aa": true, "TagB": false, "BB": false, "": false, "taga": false} {
		if got := tg.MatchTag(tag); got != want {
			t.Errorf("MatchTag(%q) = %v, want %v", tag, got, want)
		}
	}
	// Codes collide where hashes do ("BB" hashes like "Aa"): the client's
	// MatchTag weeds those out, as upstream.
	for code, want := range map[int64]bool{2598919: true, 2112: true, 2598920: false, 0: false, 1<<32 | 2598919: true} {
		if got := tg.MatchCode(code); got != want {
			t.Errorf("MatchCode(%d) = %v, want %v", code, got, want)
		}
	}
	all, _ := ParseTags("*")
	if !all.MatchTag("x") || !all.MatchCode(12345) || !all.MatchTag("") {
		t.Error("* does not match everything")
	}
	none, _ := ParseTags(" ")
	if none.MatchTag("") || none.MatchCode(0) {
		t.Error("a blank expression matched")
	}

	// Many tags: the set path.
	var names []string
	for i := 0; i < 20; i++ {
		names = append(names, "T"+strings.Repeat("x", i))
	}
	many, err := ParseTags(strings.Join(names, " || "))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if !many.MatchTag(n) || !many.MatchCode(int64(javaStringHash(n))) {
			t.Errorf("many tags: %q does not match", n)
		}
	}
	if many.MatchTag("Ty") {
		t.Error("many tags: Ty matched")
	}
}

func TestSelector(t *testing.T) {
	for _, typ := range []string{"", TypeTag} {
		s, err := NewSelector(typ, "TagA || TagB")
		if err != nil {
			t.Fatal(err)
		}
		if s.Tags == nil || s.SQL != nil || s.NeedsProperties() {
			t.Fatalf("type %q: not a tag selector", typ)
		}
		if !s.MatchTagsCode(2598919) || s.MatchTagsCode(1) {
			t.Errorf("type %q: tags codes not matched", typ)
		}
		if !s.MatchProperties(props()) {
			t.Errorf("type %q: a tag selector rejected properties", typ)
		}
	}

	s, err := NewSelector(TypeSQL92, "a BETWEEN 0 AND 3")
	if err != nil {
		t.Fatal(err)
	}
	if s.SQL == nil || s.Tags != nil || !s.NeedsProperties() || !s.MatchTagsCode(1) {
		t.Fatal("not a SQL92 selector that passes every tags code")
	}
	if !s.MatchProperties(props("a", "2")) || s.MatchProperties(props("a", "7")) || s.MatchProperties(props()) {
		t.Error("SQL92 selector matched wrongly")
	}

	if _, err := NewSelector(TypeSQL92, "a BETWEEN"); err == nil || !strings.HasPrefix(err.Error(), "SQL92 parse error at column 10") {
		t.Errorf("bad SQL92: %v", err)
	}
	if _, err := NewSelector(TypeTag, "||"); !errors.Is(err, ErrTagsSplit) {
		t.Errorf("bad tags: %v", err)
	}
	for _, typ := range []string{"sql92", "tag", "CLASS"} { // types are case-sensitive, as upstream's
		if _, err := NewSelector(typ, "a = 1"); err == nil || !strings.Contains(err.Error(), "unsupported expression type") {
			t.Errorf("type %q: %v", typ, err)
		}
	}
}
