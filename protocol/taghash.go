package protocol

import "unicode/utf8"

// JavaStringHash returns what Java's String.hashCode returns for s:
// h = 31*h + c over the UTF-16 code units, in wrapping 32-bit arithmetic.
//
// s is read as UTF-8. A rune outside the Basic Multilingual Plane counts
// as its two surrogate units, as in Java. An invalid byte counts as one
// U+FFFD, which is what Java's UTF-8 decoder produces for a lone bad byte;
// tags and keys written by real clients are always valid UTF-8.
func JavaStringHash(s string) int32 {
	var h int32
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf { // ASCII: one byte, one unit
			h = 31*h + int32(c)
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		h = javaHashRune(h, r)
		i += size
	}
	return h
}

// JavaBytesHash is JavaStringHash of UTF-8 bytes, without converting them
// to a string (for property values viewed in place).
func JavaBytesHash(b []byte) int32 {
	var h int32
	for i := 0; i < len(b); {
		if c := b[i]; c < utf8.RuneSelf {
			h = 31*h + int32(c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		h = javaHashRune(h, r)
		i += size
	}
	return h
}

// javaHashRune adds one rune as its UTF-16 unit or surrogate pair.
func javaHashRune(h int32, r rune) int32 {
	if r >= 0x10000 {
		r -= 0x10000
		h = 31*h + int32(0xD800+(r>>10))
		return 31*h + int32(0xDC00+(r&0x3FF))
	}
	return 31*h + int32(r)
}

// TagsCode is the consume-queue tagsCode of a message with the given TAGS
// property: the Java hash of the whole string widened to int64, or 0 when
// there is no tag. (Messages in the schedule topic use their delivery time
// instead; that choice belongs to the store.)
func TagsCode(tags string) int64 {
	if tags == "" {
		return 0
	}
	return int64(JavaStringHash(tags))
}

// TagsCodeBytes is TagsCode of a TAGS value viewed in place
// (see LookupProperty).
func TagsCodeBytes(tags []byte) int64 {
	if len(tags) == 0 {
		return 0
	}
	return int64(JavaBytesHash(tags))
}
