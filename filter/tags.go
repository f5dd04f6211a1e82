package filter

import (
	"errors"
	"slices"
	"strings"
)

// SubAll is the tag expression that matches every message.
const SubAll = "*"

// Tags is a compiled tag expression: "*" or "TagA || TagB". The broker
// matches the consume queue's tags codes (Java hash codes of the TAGS
// property) against Codes; clients match the tag strings against Tags,
// which also weeds out hash collisions.
type Tags struct {
	all   bool
	tags  []string
	set   map[string]struct{} // tags, when there are many
	codes []int32             // sorted
}

// ErrTagsSplit is upstream's "subString split error": an expression made
// only of "||" separators, such as "||".
var ErrTagsSplit = errors.New("tag expression has no tags between its || separators")

// ParseTags compiles a tag expression as upstream's FilterAPI does: an
// empty string or exactly "*" matches all; otherwise the expression is
// split at "||", each part trimmed (Java's trim: every char <= ' '), and
// empty parts dropped. The whole string is not trimmed first, so " * "
// names the tag "*" and a blank expression names no tag and matches
// nothing, as upstream.
func ParseTags(expr string) (*Tags, error) {
	if expr == "" || expr == SubAll {
		return &Tags{all: true}, nil
	}
	parts := strings.Split(expr, "||")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1] // Java's split drops trailing empty strings
	}
	if len(parts) == 0 {
		return nil, ErrTagsSplit
	}
	t := &Tags{}
	seen := make(map[string]struct{}, len(parts))
	for _, part := range parts {
		tag := javaTrim(part)
		if _, dup := seen[tag]; dup || tag == "" {
			continue
		}
		seen[tag] = struct{}{}
		t.tags = append(t.tags, tag)
		t.codes = append(t.codes, javaStringHash(tag))
	}
	if len(t.tags) > 8 {
		t.set = seen
	}
	slices.Sort(t.codes)
	t.codes = slices.Compact(t.codes) // distinct tags may share a hash
	return t, nil
}

// All reports whether the expression is "*".
func (t *Tags) All() bool { return t.all }

// Tags returns the tag names, deduplicated, in expression order: the
// tagsSet of a SubscriptionData. The caller must not modify it.
func (t *Tags) Tags() []string { return t.tags }

// Codes returns the distinct Java hash codes of the tags, sorted: the
// codeSet of a SubscriptionData. The caller must not modify it.
func (t *Tags) Codes() []int32 { return t.codes }

// MatchTag reports whether a message with this TAGS property passes.
func (t *Tags) MatchTag(tag string) bool {
	if t.all {
		return true
	}
	if t.set != nil {
		_, ok := t.set[tag]
		return ok
	}
	for _, x := range t.tags {
		if x == tag {
			return true
		}
	}
	return false
}

// MatchCode reports whether a consume queue entry with this tags code
// passes. Upstream compares the code's low 32 bits with the code set.
func (t *Tags) MatchCode(tagsCode int64) bool {
	if t.all {
		return true
	}
	_, ok := slices.BinarySearch(t.codes, int32(tagsCode))
	return ok
}

// javaStringHash is Java's String.hashCode of s read as UTF-8: h = 31*h + c
// over UTF-16 code units, wrapping at 32 bits; a rune beyond the BMP counts
// as its surrogate pair and an invalid byte as U+FFFD. (protocol has the
// same function for message tags; filter imports nothing of ours.)
func javaStringHash(s string) int32 {
	var h int32
	for _, r := range s { // invalid bytes range as U+FFFD
		if r >= 0x10000 {
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			r = 0xDC00 + (r & 0x3FF)
		}
		h = 31*h + int32(r)
	}
	return h
}
