package admin

import (
	"fmt"
	"regexp"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode/utf32"
)

// Message bodies printed in a charset (printMsg and printMsgByQueue -c),
// as upstream's new String(body, charsetName) does.

// javaCharsetAliases maps the historical java.io names Java still accepts
// (and upstream users type) to the IANA names the index knows.
var javaCharsetAliases = map[string]string{
	"utf8":                  "UTF-8",
	"iso8859_1":             "ISO-8859-1",
	"ascii":                 "US-ASCII",
	"unicodebig":            "UTF-16",
	"unicodebigunmarked":    "UTF-16BE",
	"unicodelittleunmarked": "UTF-16LE",
	"utf_16":                "UTF-16",
	"utf_16be":              "UTF-16BE",
	"utf_16le":              "UTF-16LE",
	"ms936":                 "GBK",
	"euc_cn":                "GB2312", // the WHATWG index reads it as GBK, a superset
	"sjis":                  "Shift_JIS",
	"ms932":                 "windows-31j",
	"euc_jp":                "EUC-JP",
	"euc_kr":                "EUC-KR",
	"koi8_r":                "KOI8-R",
}

// javaCodePage matches Java's Cp1252-style names.
var javaCodePage = regexp.MustCompile(`^(?i)cp(\d+)$`)

// bodyDecoder returns the function that turns a message body into text in
// the named charset: "" or UTF-8 prints the bytes as they are. Bytes the
// charset cannot map become U+FFFD, as in Java. An unknown or unsupported
// charset is an error naming it.
func bodyDecoder(charset string) (func([]byte) string, error) {
	name := strings.TrimSpace(charset)
	if name == "" || strings.EqualFold(name, "UTF-8") {
		return func(b []byte) string { return string(b) }, nil
	}
	enc, err := lookupCharset(name)
	if err != nil {
		return nil, err
	}
	return func(b []byte) string {
		s, err := enc.NewDecoder().Bytes(b)
		if err != nil { // decoders replace bad input; this is a transformer failure
			return string(b)
		}
		return string(s)
	}, nil
}

func lookupCharset(name string) (encoding.Encoding, error) {
	key := strings.ToLower(name)
	if alias, ok := javaCharsetAliases[key]; ok {
		key = strings.ToLower(alias)
	} else if m := javaCodePage.FindStringSubmatch(name); m != nil {
		if strings.HasPrefix(m[1], "125") {
			key = "windows-" + m[1]
		} else {
			key = "ibm" + m[1]
		}
	}
	switch key {
	case "utf-32":
		return utf32.UTF32(utf32.BigEndian, utf32.UseBOM), nil
	case "utf-32be":
		return utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM), nil
	case "utf-32le":
		return utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM), nil
	}
	// IANA first: the WHATWG index reads ISO-8859-1 and US-ASCII as
	// windows-1252, which Java does not.
	if enc, err := ianaindex.IANA.Encoding(key); err == nil && enc != nil {
		return enc, nil
	}
	if enc, err := htmlindex.Get(key); err == nil && enc != nil {
		return enc, nil
	}
	return nil, fmt.Errorf("-c %s: unknown or unsupported charset (give a name Java knows, eg: UTF-8, GBK, GB18030, ISO-8859-1, UTF-16)", name)
}
