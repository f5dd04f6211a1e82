package admin

import (
	"strings"
	"testing"
)

func TestBodyDecoder(t *testing.T) {
	for _, c := range []struct {
		charset string
		body    []byte
		want    string
	}{
		{"", []byte("plain"), "plain"},
		{"UTF-8", []byte("中文"), "中文"},
		{"GBK", []byte{0xd6, 0xd0, 0xce, 0xc4}, "中文"},
		{"gbk", []byte{0xd6, 0xd0, 0xce, 0xc4}, "中文"},
		{"GB2312", []byte{0xd6, 0xd0, 0xce, 0xc4}, "中文"},
		{"GB18030", []byte{0xd6, 0xd0, 0x81, 0x30, 0x81, 0x30}, "中\u0080"},
		{"ISO-8859-1", []byte{'c', 'a', 'f', 0xe9, 0x80}, "café\u0080"}, // true Latin-1, not windows-1252's €
		{"ISO8859_1", []byte{0xe9}, "é"},
		{"Cp1252", []byte{0x80}, "€"},
		{"UTF-16", []byte{0xff, 0xfe, 'h', 0, 'i', 0}, "hi"}, // the BOM says little-endian
		{"UTF-16", []byte{0, 'h', 0, 'i'}, "hi"},             // no BOM: big-endian, as Java
		{"UTF-16LE", []byte{'h', 0, 'i', 0}, "hi"},
		{"UTF-32", []byte{0, 0, 0, 'h'}, "h"},
		{"Shift_JIS", []byte{0x82, 0xa0}, "あ"},
		{"Big5", []byte{0xa4, 0xa4}, "中"},
		{"EUC-KR", []byte{0xb0, 0xa1}, "가"},
	} {
		dec, err := bodyDecoder(c.charset)
		if err != nil {
			t.Errorf("%s: %v", c.charset, err)
			continue
		}
		if got := dec(c.body); got != c.want {
			t.Errorf("%s: %q, want %q", c.charset, got, c.want)
		}
	}
	for _, bad := range []string{"NoSuchCharset", "UTF-9"} {
		if _, err := bodyDecoder(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s: error %v does not name it", bad, err)
		}
	}
}
