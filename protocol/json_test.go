package protocol

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestNormalizeJSON(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"a":1}`, `{"a":1}`},
		{`{0:"10.0.0.1:10911",1:"10.0.0.2:10911"}`, `{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"}`},
		{`{ -1 : "x" , 12:[] }`, `{ "-1" : "x" , "12":[] }`},
		{`{brokerName:"b"}`, `{"brokerName":"b"}`},
		{`{{"brokerName":"b","queueId":0,"topic":"t"}:5}`, `{"{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"t\"}":5}`},
		{`{{"x":{1:2}}:3}`, `{"{\"x\":{\"1\":2}}":3}`},
		{`{"t":{"0":"a"},"u":{0:"b"}}`, `{"t":{"0":"a"},"u":{"0":"b"}}`},
		{`[1,{2:3},"s\"{4:5}"]`, `[1,{"2":3},"s\"{4:5}"]`},
		{` "x" `, ` "x" `},
		{`1.5e-3`, `1.5e-3`},
	}
	for _, c := range cases {
		got, err := NormalizeJSON([]byte(c.in))
		if err != nil {
			t.Errorf("NormalizeJSON(%s): %v", c.in, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("NormalizeJSON(%s)\n got %s\nwant %s", c.in, got, c.want)
		}
		if !json.Valid(got) {
			t.Errorf("NormalizeJSON(%s) = %s is not valid JSON", c.in, got)
		}
	}
}

func TestNormalizeJSONErrors(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a"}`, `{"a":}`, `{1:2,}`, `[1,]`, `{'a':1}`, `"\x"`, "\"a\x01\"", `01`, `1.`, `-`, `tru`, `{"a":1}x`, `{:1}`, `"\u12"`, strings.Repeat("[", 600) + strings.Repeat("]", 600)} {
		_, err := NormalizeJSON([]byte(in))
		var se *JSONSyntaxError
		if !errors.As(err, &se) {
			t.Errorf("NormalizeJSON(%q): err = %v, want a JSONSyntaxError", in, err)
		}
	}
}

func TestNormalizeJSONNoCopy(t *testing.T) {
	in := []byte(`{"a":[1,2,{"b":"c"}]}`)
	out, err := NormalizeJSON(in)
	if err != nil {
		t.Fatal(err)
	}
	if &out[0] != &in[0] {
		t.Fatal("standard JSON was copied")
	}
}

func TestJSONAppendString(t *testing.T) {
	cases := map[string]string{
		"plain":            `"plain"`,
		"q\"b\\s":          `"q\"b\\s"`,
		"a\nb\tc\r\x01":    `"a\nb\tc\r\u0001"`,
		"a<b>&":            `"a<b>&"`,
		"中文":               `"中文"`,
		"bad\xffutf8":      `"bad\ufffdutf8"`,
		"\u0001KEYS\u0002": `"\u0001KEYS\u0002"`,
	}
	for in, want := range cases {
		got := string(jsonAppendString(nil, in))
		if got != want {
			t.Errorf("jsonAppendString(%q) = %s, want %s", in, got, want)
		}
		var back string
		if err := json.Unmarshal([]byte(got), &back); err != nil {
			t.Errorf("%s does not parse: %v", got, err)
		}
	}
}

func BenchmarkNormalizeJSON(b *testing.B) {
	fast := []byte(`{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`)
	std, _ := NormalizeJSON(fast)
	// Baseline: the standard library's validator over the same bytes.
	b.Run("json.Valid", func(b *testing.B) {
		b.SetBytes(int64(len(std)))
		for i := 0; i < b.N; i++ {
			json.Valid(std)
		}
	})
	b.Run("standard", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(std)))
		for i := 0; i < b.N; i++ {
			NormalizeJSON(std)
		}
	})
	b.Run("fastjson", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(fast)))
		for i := 0; i < b.N; i++ {
			NormalizeJSON(fast)
		}
	})
}
