package protocol

import (
	"testing"
	"unicode/utf16"
)

func TestJavaStringHash(t *testing.T) {
	tests := []struct {
		s    string
		want int32
	}{
		// Worked by hand with h = 31*h + unit:
		{"", 0},
		// 'T'=84, 'a'=97, 'g'=103, 'A'=65: 84 -> 2701 -> 83834 -> 2598919.
		{"TagA", 2598919},
		// U+6807, U+7B7E: 26631*31 + 31614 = 857175.
		{"标签", 857175},
		// U+1F600 is the surrogate pair D83D DE00 (55357, 56832):
		// 55357*31 + 56832 = 1772899.
		{"😀", 1772899},
		// 97 -> 97*31+55357 = 58364 -> 58364*31+56832 = 1866116 -> 1866116*31+98.
		{"a😀b", 57849694},
		// Wraps past 2^31; the value Java prints for "Hello World".hashCode().
		{"Hello World", -862545276},
		{"hello world", 1794106052},
		// A bad byte decodes as U+FFFD (65533), as Java's decoder does.
		{"\xff", 65533},
	}
	for _, tt := range tests {
		if got := JavaStringHash(tt.s); got != tt.want {
			t.Errorf("JavaStringHash(%q) = %d, want %d", tt.s, got, tt.want)
		}
		if got := JavaBytesHash([]byte(tt.s)); got != tt.want {
			t.Errorf("JavaBytesHash(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

func TestTagsCode(t *testing.T) {
	if got := TagsCode(""); got != 0 {
		t.Errorf("TagsCode(\"\") = %d, want 0", got)
	}
	if got := TagsCodeBytes(nil); got != 0 {
		t.Errorf("TagsCodeBytes(nil) = %d, want 0", got)
	}
	if got := TagsCodeBytes([]byte("Hello World")); got != -862545276 {
		t.Errorf("TagsCodeBytes(Hello World) = %d", got)
	}
	if got := TagsCode("TagA"); got != 2598919 {
		t.Errorf("TagsCode(TagA) = %d, want 2598919", got)
	}
	// A negative hash stays negative when widened (sign extension).
	if got := TagsCode("Hello World"); got != -862545276 {
		t.Errorf("TagsCode(Hello World) = %d, want -862545276", got)
	}
}

func FuzzJavaHash(f *testing.F) {
	f.Add("TagA")
	f.Add("a😀b\xff")
	f.Fuzz(func(t *testing.T, s string) {
		// Cross-check against the UTF-16 units Go's own encoder produces.
		var want int32
		for _, u := range utf16.Encode([]rune(s)) {
			want = 31*want + int32(u)
		}
		if got := JavaStringHash(s); got != want {
			t.Fatalf("JavaStringHash(%q) = %d, want %d", s, got, want)
		}
		if got := JavaBytesHash([]byte(s)); got != want {
			t.Fatalf("JavaBytesHash(%q) = %d, want %d", s, got, want)
		}
	})
}

func BenchmarkJavaStringHash(b *testing.B) {
	for b.Loop() {
		JavaStringHash("TagA||TagB||标签")
	}
}
