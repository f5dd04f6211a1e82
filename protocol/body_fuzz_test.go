package protocol

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// Seeds live in testdata/fuzz/<Target>/ (committed); the f.Add calls repeat
// the most important shapes so a plain `go test` always exercises them.

func FuzzNormalizeJSON(f *testing.F) {
	f.Add([]byte(goldenRouteFastjson))
	f.Add([]byte(`{{"brokerName":"b","queueId":0,"topic":"t"}:5}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := NormalizeJSON(in)
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("NormalizeJSON(%q) = %q is not valid JSON", in, out)
		}
		if json.Valid(in) && !bytes.Equal(out, in) {
			t.Fatalf("standard JSON %q was rewritten to %q", in, out)
		}
		again, err := NormalizeJSON(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q -> %q (%v)", out, again, err)
		}
	})
}

func FuzzDecodeTopicRouteData(f *testing.F) {
	f.Add([]byte(goldenRouteFastjson))
	f.Add([]byte(goldenRouteStandard))
	f.Fuzz(func(t *testing.T, in []byte) {
		r, err := DecodeTopicRouteData(in)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode, in both forms, to bodies that
		// decode to the same route and re-encode to the same bytes.
		for _, form := range []JSONForm{FastjsonForm, StandardForm} {
			enc := r.Encode(form)
			back, err := DecodeTopicRouteData(enc)
			if err != nil {
				t.Fatalf("re-decode %s: %v", enc, err)
			}
			if again := back.Encode(form); !bytes.Equal(again, enc) {
				t.Fatalf("unstable encoding:\n%s\n%s", enc, again)
			}
		}
	})
}

func FuzzDecodeRegisterBrokerBody(f *testing.F) {
	f.Add([]byte(goldenRegisterBody), false)
	if z, err := sampleRegisterBody().Encode(true); err == nil {
		f.Add(z, true)
	}
	f.Fuzz(func(t *testing.T, in []byte, compressed bool) {
		b, err := DecodeRegisterBrokerBody(in, compressed)
		if err != nil {
			return
		}
		enc, err := b.Encode(false)
		if err != nil {
			t.Fatalf("encode decoded body: %v", err)
		}
		back, err := DecodeRegisterBrokerBody(enc, false)
		if err != nil {
			t.Fatalf("re-decode %s: %v", enc, err)
		}
		if !reflect.DeepEqual(back.TopicConfigSerializeWrapper, b.TopicConfigSerializeWrapper) {
			t.Fatalf("round trip changed the topic table:\n%+v\n%+v", b, back)
		}
	})
}

// FuzzDecodeHeader feeds extFields maps, written as "key=value" lines.
func FuzzDecodeHeader(f *testing.F) {
	f.Add("brokerName=broker-a\nbrokerAddr=10.0.0.1:10911\nclusterName=c\nhaServerAddr=10.0.0.1:10912\nbrokerId=0\ncompressed=false\nbodyCrc32=-5")
	f.Add("topic=T\nacceptStandardJsonOnly=TRUE")
	f.Fuzz(func(t *testing.T, text string) {
		ext := map[string]string{}
		for _, line := range strings.Split(text, "\n") {
			k, v, _ := strings.Cut(line, "=")
			ext[k] = v
		}
		for _, h := range []any{&RegisterBrokerRequestHeader{}, &GetRouteInfoRequestHeader{}, &QueryDataVersionRequestHeader{}, &testQueueHeader{}} {
			if err := DecodeHeader(ext, h); err != nil {
				continue
			}
			// A decoded header re-encodes to extFields that decode to it again.
			fresh := reflect.New(reflect.TypeOf(h).Elem()).Interface()
			if err := DecodeHeader(EncodeHeader(h), fresh); err != nil {
				t.Fatalf("%T: re-decode: %v", h, err)
			}
			if !reflect.DeepEqual(fresh, h) {
				t.Fatalf("%T: round trip %+v -> %+v", h, h, fresh)
			}
		}
	})
}

// FuzzDecodeBodies runs the small body decoders over the same input.
func FuzzDecodeBodies(f *testing.F) {
	f.Add([]byte(`{"brokerAddrTable":{"b":{"brokerAddrs":{0:"h:1"},"brokerName":"b","cluster":"c"}},"clusterAddrTable":{"c":["b"]}}`))
	f.Add([]byte(`{"counter":{"value":3},"timestamp":1}`))
	f.Add([]byte(`{"table":{"k":"v"}}`))
	f.Add([]byte(`{"brokerAddr":"h:1","topicList":["a"]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		if c, err := DecodeClusterInfo(in); err == nil {
			for _, form := range []JSONForm{FastjsonForm, StandardForm} {
				enc := c.Encode(form)
				back, err := DecodeClusterInfo(enc)
				if err != nil || !bytes.Equal(back.Encode(form), enc) {
					t.Fatalf("ClusterInfo round trip of %s: %v", enc, err)
				}
			}
		}
		if v, err := DecodeDataVersion(in); err == nil {
			if back, err := DecodeDataVersion(v.Encode()); err != nil || back != v {
				t.Fatalf("DataVersion round trip: %+v %+v %v", v, back, err)
			}
		}
		if kv, err := DecodeKVTable(in); err == nil {
			if back, err := DecodeKVTable(kv.Encode()); err != nil || !reflect.DeepEqual(back, kv) {
				t.Fatalf("KVTable round trip: %+v %+v %v", kv, back, err)
			}
		}
		if l, err := DecodeTopicList(in); err == nil {
			if _, err := DecodeTopicList(l.Encode()); err != nil {
				t.Fatalf("TopicList round trip: %v", err)
			}
		}
		if w, err := DecodeTopicConfigSerializeWrapper(in); err == nil {
			enc, err := w.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := DecodeTopicConfigSerializeWrapper(enc); err != nil {
				t.Fatalf("wrapper round trip of %s: %v", enc, err)
			}
		}
	})
}
