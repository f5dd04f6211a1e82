package protocol

import (
	"errors"
	"reflect"
	"testing"
)

func TestEncodeHeaderRegisterBroker(t *testing.T) {
	h := RegisterBrokerRequestHeader{
		BrokerName: "broker-a", BrokerAddr: "10.0.0.1:10911", ClusterName: "DefaultCluster",
		HAServerAddr: "10.0.0.1:10912", BrokerID: 0, BodyCRC32: 12345,
	}
	got := EncodeHeader(&h)
	want := map[string]string{
		"brokerName": "broker-a", "brokerAddr": "10.0.0.1:10911", "clusterName": "DefaultCluster",
		"haServerAddr": "10.0.0.1:10912", "brokerId": "0", "compressed": "false", "bodyCrc32": "12345",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("EncodeHeader:\n got %v\nwant %v", got, want)
	}
	var back RegisterBrokerRequestHeader
	if err := DecodeHeader(got, &back); err != nil {
		t.Fatal(err)
	}
	if back != h {
		t.Fatalf("round trip: got %+v, want %+v", back, h)
	}
}

func TestDecodeHeaderMissingRequired(t *testing.T) {
	ext := map[string]string{"brokerName": "b", "brokerAddr": "a:1", "clusterName": "c", "brokerId": "1"}
	var h RegisterBrokerRequestHeader
	err := DecodeHeader(ext, &h)
	var missing *MissingFieldError
	if !errors.As(err, &missing) || missing.Key != "haServerAddr" {
		t.Fatalf("err = %v, want a MissingFieldError for haServerAddr", err)
	}
	if want := `missing required header field "haServerAddr" (RegisterBrokerRequestHeader)`; err.Error() != want {
		t.Fatalf("message %q, want %q", err.Error(), want)
	}
	// An empty number counts as absent.
	ext["haServerAddr"], ext["brokerId"] = "a:2", ""
	if err := DecodeHeader(ext, &h); !errors.As(err, &missing) || missing.Key != "brokerId" {
		t.Fatalf("empty brokerId: err = %v, want missing brokerId", err)
	}
}

func TestDecodeHeaderBadNumber(t *testing.T) {
	ext := map[string]string{"brokerName": "b", "brokerAddr": "a:1", "clusterName": "c", "haServerAddr": "a:2", "brokerId": "x1"}
	var h RegisterBrokerRequestHeader
	err := DecodeHeader(ext, &h)
	if !errors.Is(err, ErrBadHeaderValue) {
		t.Fatalf("err = %v, want ErrBadHeaderValue", err)
	}
	if want := `header field "brokerId" (RegisterBrokerRequestHeader): bad header value: "x1" is not a 64-bit integer`; err.Error() != want {
		t.Fatalf("message %q\nwant    %q", err.Error(), want)
	}
	ext["brokerId"] = "1"
	ext["bodyCrc32"] = "4294967296" // does not fit an int32
	if err := DecodeHeader(ext, &h); !errors.Is(err, ErrBadHeaderValue) {
		t.Fatalf("overflow: err = %v", err)
	}
}

func TestDecodeHeaderBoolAndDefaults(t *testing.T) {
	// Java's Boolean.parseBoolean: only "true" (any case) is true.
	for in, want := range map[string]bool{"true": true, "TRUE": true, "True": true, "false": false, "1": false, "yes": false} {
		var h GetRouteInfoRequestHeader
		if err := DecodeHeader(map[string]string{"topic": "T", "acceptStandardJsonOnly": in}, &h); err != nil {
			t.Fatal(err)
		}
		if h.AcceptStandardJSONOnly == nil || *h.AcceptStandardJSONOnly != want {
			t.Errorf("%q decoded as %v, want %v", in, h.AcceptStandardJSONOnly, want)
		}
	}
	// Absent optional keys leave the field (and a preset default) alone.
	h := RegisterBrokerRequestHeader{BodyCRC32: 7}
	ext := map[string]string{"brokerName": "b", "brokerAddr": "a:1", "clusterName": "c", "haServerAddr": "a:2", "brokerId": "1"}
	if err := DecodeHeader(ext, &h); err != nil {
		t.Fatal(err)
	}
	if h.BodyCRC32 != 7 || h.Compressed {
		t.Fatalf("defaults changed: %+v", h)
	}
	var r GetRouteInfoRequestHeader
	if err := DecodeHeader(map[string]string{"topic": "T", "unknownKey": "x"}, &r); err != nil || r.AcceptStandardJSONOnly != nil {
		t.Fatalf("absent pointer: %+v, %v", r, err)
	}
}

func TestEncodeHeaderOmits(t *testing.T) {
	got := EncodeHeader(RegisterBrokerResponseHeader{})
	if len(got) != 0 {
		t.Fatalf("empty response header encoded as %v", got)
	}
	got = EncodeHeader(&GetKVConfigResponseHeader{})
	if len(got) != 0 {
		t.Fatalf("nil value encoded as %v", got)
	}
	v := ""
	got = EncodeHeader(&GetKVConfigResponseHeader{Value: &v})
	if s, ok := got["value"]; !ok || s != "" {
		t.Fatalf("empty non-nil value: %v", got)
	}
	got = EncodeHeader(&QueryDataVersionResponseHeader{Changed: false})
	if got["changed"] != "false" {
		t.Fatalf("bool primitive must always be written: %v", got)
	}
}

// A header built from a shared base, as broker headers inherit Java's
// RpcRequestHeader (bname).
type testRPCBase struct {
	BrokerName string `ext:"bname,omitempty"`
}

type testQueueHeader struct {
	testRPCBase
	Topic   string `ext:"topic,required"`
	QueueID int32  `ext:"queueId,required"`
	Offset  *int64 `ext:"offset"`
	Flag    uint16 `ext:"flag"`
	Ignored string
}

func TestHeaderEmbeddedAndKinds(t *testing.T) {
	off := int64(-5)
	h := testQueueHeader{testRPCBase: testRPCBase{BrokerName: "b"}, Topic: "T", QueueID: 3, Offset: &off, Flag: 9, Ignored: "x"}
	ext := EncodeHeader(&h)
	want := map[string]string{"bname": "b", "topic": "T", "queueId": "3", "offset": "-5", "flag": "9"}
	if !reflect.DeepEqual(ext, want) {
		t.Fatalf("got %v, want %v", ext, want)
	}
	var back testQueueHeader
	if err := DecodeHeader(ext, &back); err != nil {
		t.Fatal(err)
	}
	if back.BrokerName != "b" || back.Topic != "T" || back.QueueID != 3 || back.Offset == nil || *back.Offset != -5 || back.Flag != 9 || back.Ignored != "" {
		t.Fatalf("round trip: %+v", back)
	}
	if err := DecodeHeader(map[string]string{"topic": "T", "queueId": "1", "flag": "-1"}, &back); !errors.Is(err, ErrBadHeaderValue) {
		t.Fatalf("negative unsigned: %v", err)
	}
}

func TestHeaderTypeMisuse(t *testing.T) {
	type bad struct {
		F float64 `ext:"f"`
	}
	for name, f := range map[string]func(){
		"float field":   func() { EncodeHeader(bad{}) },
		"not a struct":  func() { EncodeHeader(3) },
		"not a pointer": func() { DecodeHeader(nil, RegisterBrokerRequestHeader{}) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func BenchmarkDecodeHeader(b *testing.B) {
	ext := EncodeHeader(&RegisterBrokerRequestHeader{BrokerName: "broker-a", BrokerAddr: "10.0.0.1:10911", ClusterName: "c", HAServerAddr: "10.0.0.1:10912", BrokerID: 1})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var h RegisterBrokerRequestHeader
		if err := DecodeHeader(ext, &h); err != nil {
			b.Fatal(err)
		}
	}
}
