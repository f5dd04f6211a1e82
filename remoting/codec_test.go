package remoting

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"strings"
	"testing"
)

// jsonFrame wraps a JSON header (and body) into a frame without length prefix.
func jsonFrame(hdr string, body string) []byte {
	return concat(u32(len(hdr)), []byte(hdr), []byte(body))
}

func TestJSONHeaderDecoding(t *testing.T) {
	cases := []struct {
		name string
		hdr  string
		want Command
	}{
		{"java request", `{"code":105,"extFields":{"topic":"TopicTest"},"flag":0,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":409}`,
			Command{Code: 105, Opaque: 7, Version: 409, ExtFields: map[string]string{"topic": "TopicTest"}}},
		{"whitespace and unknown keys", " {\n\t\"code\" : 10 , \"future\":{\"a\":[1,{\"b\":null}],\"c\":true}, \"language\":\"GO\" ,\"x\":-1.5e3 } ",
			Command{Code: 10, Language: LanguageGo}},
		{"numbers as strings", `{"code":"310","version":"409","opaque":"-3","flag":"1"}`,
			Command{Code: 310, Version: 409, Opaque: -3, Flag: 1}},
		{"integral float", `{"code":1.05e2,"opaque":7.0}`, Command{Code: 105, Opaque: 7}},
		{"nulls", `{"code":null,"remark":null,"extFields":null,"language":null}`, Command{}},
		{"language by ordinal", `{"language":12}`, Command{Language: LanguageRust}},
		{"unknown language name", `{"language":"COBOL"}`, Command{Language: LanguageOther}},
		{"ext values of any scalar type", `{"extFields":{"n":12,"f":1.5,"b":true,"s":"x","z":null,"o":{"k":[1]}}}`,
			Command{ExtFields: map[string]string{"n": "12", "f": "1.5", "b": "true", "s": "x", "o": `{"k":[1]}`}}},
		{"escapes", `{"remark":"a\"b\\c\/d\n\t\u0001\u00e9\ud83d\ude00","extFields":{"p":"UNIQ_KEY\u0001X\u0002"}}`,
			Command{Remark: "a\"b\\c/d\n\t\x01é😀", ExtFields: map[string]string{"p": "UNIQ_KEY\x01X\x02"}}},
		{"lone surrogates", `{"remark":"\ud800x\udc00\ud800\u0041"}`, Command{Remark: "\ufffdx\ufffd\ufffdA"}},
		{"invalid utf-8 replaced", "{\"remark\":\"a\xffb\"}", Command{Remark: "a\ufffdb"}},
		{"duplicate key: last wins", `{"code":1,"code":2}`, Command{Code: 2}},
		{"empty ext object", `{"extFields":{}}`, Command{ExtFields: map[string]string{}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(jsonFrame(tc.hdr, ""))
			if err != nil {
				t.Fatal(err)
			}
			assertCommand(t, got, &tc.want)
			if !maps.Equal(got.ExtFields, tc.want.ExtFields) || (got.ExtFields == nil) != (tc.want.ExtFields == nil) {
				t.Fatalf("extFields %#v, want %#v", got.ExtFields, tc.want.ExtFields)
			}
		})
	}
}

func TestJSONHeaderRejects(t *testing.T) {
	for _, hdr := range []string{
		``, ` `, `[]`, `{`, `{"code":1`, `{"code":1,}`, `{"code" 1}`, `{code:1}`, `{"code":1}x`,
		`{"code":2147483648}`, `{"code":1.5}`, `{"code":"abc"}`, `{"code":true}`, `{"code":01}`,
		`{"language":256}`, `{"language":-1}`, `{"extFields":[]}`, `{"extFields":"x"}`,
		`{"extFields":{"a":1,}}`, `{"remark":"a` + "\n" + `"}`, `{"remark":"\x"}`, `{"remark":"\u12"}`,
		`{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, `{"x":tru}`, `{"x":-}`, `{"x":1.}`, `{"x":1e}`,
	} {
		if c, err := Decode(jsonFrame(hdr, "")); !errors.Is(err, ErrMalformedFrame) {
			t.Errorf("header %q: want ErrMalformedFrame, got %v, %v", hdr, c, err)
		}
	}
}

// TestJSONEncoding checks our header against encoding/json and fastjson's
// conventions: alphabetical keys, empty remark and extFields left out.
func TestJSONEncoding(t *testing.T) {
	c := &Command{Code: 17, Language: LanguageGo, Version: 409, Opaque: -5, Flag: FlagResponse,
		Remark: "bad \"topic\"\n\x01\x1f\xff é", ExtFields: map[string]string{"z": "1", "a": "<&>", "m": "\x02"}}
	frame := mustEncode(t, c)
	hdr := headerOf(t, frame)
	want := `{"code":17,"extFields":{"a":"<&>","m":"\u0002","z":"1"},"flag":1,"language":"GO","opaque":-5,` +
		`"remark":"bad \"topic\"\n\u0001\u001f` + "\ufffd é" + `","serializeTypeCurrentRPC":"JSON","version":409}`
	if string(hdr) != want {
		t.Fatalf("header\n got %s\nwant %s", hdr, want)
	}
	var parsed struct {
		Remark    string
		ExtFields map[string]string
	}
	if err := json.Unmarshal(hdr, &parsed); err != nil {
		t.Fatal(err)
	}
	if parsed.Remark != "bad \"topic\"\n\x01\x1f\ufffd é" || !maps.Equal(parsed.ExtFields, c.ExtFields) {
		t.Fatalf("encoding/json reads %+v", parsed)
	}
	bare := mustEncode(t, &Command{Code: 0, ExtFields: map[string]string{}})
	if got := string(headerOf(t, bare)); got != `{"code":0,"flag":0,"language":"JAVA","opaque":0,"serializeTypeCurrentRPC":"JSON","version":0}` {
		t.Fatalf("bare header %s", got)
	}
}

func TestLanguageNames(t *testing.T) {
	for code := LanguageJava; code <= LanguageNodeJS; code++ {
		if got := ParseLanguage(code.String()); got != code {
			t.Errorf("%d: %s parses as %d", code, code, got)
		}
	}
	if LanguageGo.String() != "GO" || LanguageCode(99).String() != "OTHER" || ParseLanguage("") != LanguageOther {
		t.Fatal("language names")
	}
}

func TestBinaryEncodeLimits(t *testing.T) {
	for _, c := range []*Command{
		{Code: 200050, SerializeType: SerializeRocketMQ},
		{Code: -40000, SerializeType: SerializeRocketMQ},
		{Version: 70000, SerializeType: SerializeRocketMQ},
		{ExtFields: map[string]string{strings.Repeat("k", 1<<15): "v"}, SerializeType: SerializeRocketMQ},
		{SerializeType: 9},
	} {
		if _, err := Encode(c); err == nil {
			t.Errorf("%v (%v): encoded, want an error", c, c.SerializeType)
		}
	}
	// The same codes are fine in JSON.
	if _, err := Encode(&Command{Code: 200050}); err != nil {
		t.Fatal(err)
	}
	// A header beyond 24 bits of length cannot be framed.
	if _, err := Encode(&Command{Remark: strings.Repeat("r", 1<<24)}); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("16 MiB remark: %v", err)
	}
}

func TestBinaryHeaderRejects(t *testing.T) {
	fixed := func(remarkLen uint32) []byte {
		return concat([]byte{0, 10, 9, 1, 0x3d}, u32(1), u32(0), u32(int(remarkLen)))
	}
	frame := func(hdr []byte) []byte { return concat(u32(1<<24|len(hdr)), hdr) }
	for name, hdr := range map[string][]byte{
		"short fixed part":   make([]byte, 20),
		"remark too long":    concat(fixed(5), []byte("ab"), u32(0)),
		"negative remark":    concat(fixed(0xffffffff), u32(0)),
		"ext too long":       concat(fixed(0), u32(10), []byte{0, 1, 'k'}),
		"negative ext":       concat(fixed(0), u32(0x80000000)),
		"truncated key len":  concat(fixed(0), u32(1), []byte{0}),
		"key past end":       concat(fixed(0), u32(6), []byte{0, 9, 'k', 0, 0, 0}),
		"negative key len":   concat(fixed(0), u32(6), []byte{0xff, 0xff, 0, 0, 0, 0}),
		"value past end":     concat(fixed(0), u32(7), []byte{0, 1, 'k', 0, 0, 0, 9}),
		"negative value len": concat(fixed(0), u32(7), []byte{0, 1, 'k', 0xff, 0xff, 0xff, 0xff}),
	} {
		if c, err := Decode(frame(hdr)); !errors.Is(err, ErrMalformedFrame) {
			t.Errorf("%s: want ErrMalformedFrame, got %v, %v", name, c, err)
		}
	}
	// Zero-length keys and values are kept as empty strings; bytes after the
	// ext map are ignored, as Java ignores them.
	ok := concat(fixed(0), u32(13), []byte{0, 0, 0, 0, 0, 0}, []byte{0, 1, 'k', 0, 0, 0, 0}, []byte("trailing"))
	c, err := Decode(frame(ok))
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(c.ExtFields, map[string]string{"": "", "k": ""}) || c.Code != 10 || c.Language != LanguageGo || c.Version != 317 {
		t.Fatalf("got %v %q", c, c.ExtFields)
	}
}

func TestReadCommandErrors(t *testing.T) {
	valid := mustEncode(t, &Command{Code: 1, Body: []byte("body")})
	cases := []struct {
		name  string
		input []byte
		max   int
		want  error
	}{
		{"empty stream", nil, 0, io.EOF},
		{"partial length", []byte{0, 0}, 0, io.ErrUnexpectedEOF},
		{"partial header word", concat(u32(10), []byte{0}), 0, io.ErrUnexpectedEOF},
		{"truncated header", valid[:20], 0, io.ErrUnexpectedEOF},
		{"truncated body", valid[:len(valid)-1], 0, io.ErrUnexpectedEOF},
		{"length below 4", concat(u32(3), []byte{0, 0, 0}), 0, ErrMalformedFrame},
		{"negative length", []byte{0x80, 0, 0, 0}, 0, ErrMalformedFrame},
		{"over the limit", valid, len(valid) - 1, ErrFrameTooLarge},
		{"over the default limit", u32(DefaultMaxFrameSize - 3), 0, ErrFrameTooLarge},
		{"unknown serialize type", concat(u32(4), []byte{2, 0, 0, 0}), 0, ErrMalformedFrame},
		{"header longer than frame", concat(u32(6), u32(3), []byte("{}")), 0, ErrMalformedFrame},
	}
	for _, tc := range cases {
		_, err := ReadCommand(bytes.NewReader(tc.input), tc.max)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	// Exactly at the limit is fine (the limit counts the length prefix).
	if _, err := ReadCommand(bytes.NewReader(valid), len(valid)); err != nil {
		t.Fatalf("frame at the limit: %v", err)
	}
}

// TestReadCommandLargeBody goes through the path that grows the buffer as
// bytes arrive instead of trusting the announced length.
func TestReadCommandLargeBody(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), (5<<20)/16+3)
	frame := mustEncode(t, &Command{Code: 10, Body: body, SerializeType: SerializeRocketMQ})
	var fr frameReader
	for _, r := range []io.Reader{bytes.NewReader(frame), &splitReader{a: frame[:3<<20], b: frame[3<<20:]}} {
		c, err := fr.read(r, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(c.Body, body) {
			t.Fatalf("body of %d bytes differs", len(c.Body))
		}
	}
	if _, err := ReadCommand(bytes.NewReader(frame[:len(frame)-10]), 0); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated large body: %v", err)
	}
}

func TestEncodeBodyParts(t *testing.T) {
	c := &Command{Code: 11, Body: []byte("a"), BodyParts: [][]byte{[]byte("bc"), nil, []byte("d")}}
	if c.BodyLen() != 4 {
		t.Fatalf("BodyLen %d", c.BodyLen())
	}
	got, err := ReadCommand(bytes.NewReader(mustEncode(t, c)), 0)
	if err != nil || string(got.Body) != "abcd" || got.BodyParts != nil {
		t.Fatalf("got %v %v", got, err)
	}
}

func TestNewResponse(t *testing.T) {
	req := &Command{Code: 10, Opaque: 42, SerializeType: SerializeRocketMQ, Language: LanguageGo, Version: 317}
	resp := NewResponse(req, CodeSystemBusy, "[OVERLOAD]")
	if !resp.IsResponse() || resp.IsOneway() || resp.Opaque != 42 || resp.SerializeType != SerializeRocketMQ || resp.Code != CodeSystemBusy {
		t.Fatalf("got %v", resp)
	}
	if r := NewRequest(10, nil, nil); r.IsResponse() || r.Language != LanguageGo {
		t.Fatalf("request %v", r)
	}
}
