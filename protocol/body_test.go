package protocol

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Golden bodies below are written from the reference sheet (§4), in the
// key order fastjson uses (alphabetical), not produced by our encoders.

const goldenRouteFastjson = `{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],` +
	`"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`

const goldenRouteStandard = `{"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}],` +
	`"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4}]}`

func sampleRoute() *TopicRouteData {
	return &TopicRouteData{
		QueueDatas:        []QueueData{{BrokerName: "broker-a", Perm: 6, ReadQueueNums: 4, WriteQueueNums: 4}},
		BrokerDatas:       []BrokerData{{Cluster: "DefaultCluster", BrokerName: "broker-a", BrokerAddrs: map[int64]string{0: "10.0.0.1:10911", 1: "10.0.0.2:10911"}}},
		FilterServerTable: map[string][]string{},
	}
}

func TestTopicRouteDataGolden(t *testing.T) {
	r := sampleRoute()
	if got := string(r.Encode(FastjsonForm)); got != goldenRouteFastjson {
		t.Errorf("fastjson form:\n got %s\nwant %s", got, goldenRouteFastjson)
	}
	if got := string(r.Encode(StandardForm)); got != goldenRouteStandard {
		t.Errorf("standard form:\n got %s\nwant %s", got, goldenRouteStandard)
	}
	for _, in := range []string{goldenRouteFastjson, goldenRouteStandard} {
		back, err := DecodeTopicRouteData([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, r) {
			t.Errorf("decode %s\n got %+v\nwant %+v", in, back, r)
		}
	}
}

func TestTopicRouteDataOrderAndFilters(t *testing.T) {
	r := &TopicRouteData{
		OrderTopicConf: "broker-a:4;broker-b:4",
		QueueDatas:     []QueueData{{BrokerName: "broker-b", Perm: 4, ReadQueueNums: 2, WriteQueueNums: 2, TopicSysFlag: 1}, {BrokerName: "broker-a", Perm: 6, ReadQueueNums: 4, WriteQueueNums: 4}},
		BrokerDatas: []BrokerData{
			{Cluster: "c", BrokerName: "broker-b", BrokerAddrs: map[int64]string{10: "h:3", 2: "h:2", 0: "h:1"}},
			{Cluster: "c", BrokerName: "broker-a", BrokerAddrs: map[int64]string{}},
		},
		FilterServerTable: map[string][]string{"h:1": {"f:1", "f:2"}},
	}
	want := `{"brokerDatas":[{"brokerAddrs":{},"brokerName":"broker-a","cluster":"c"},{"brokerAddrs":{0:"h:1",2:"h:2",10:"h:3"},"brokerName":"broker-b","cluster":"c"}],` +
		`"filterServerTable":{"h:1":["f:1","f:2"]},"orderTopicConf":"broker-a:4;broker-b:4",` +
		`"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4},{"brokerName":"broker-b","perm":4,"readQueueNums":2,"topicSysFlag":1,"writeQueueNums":2}]}`
	if got := string(r.Encode(FastjsonForm)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	back, err := DecodeTopicRouteData([]byte(want))
	if err != nil {
		t.Fatal(err)
	}
	if back.OrderTopicConf != r.OrderTopicConf || len(back.FilterServerTable["h:1"]) != 2 || back.BrokerDatas[1].BrokerAddrs[10] != "h:3" {
		t.Fatalf("decoded %+v", back)
	}
}

// A route as a 5.x name server writes it, with whitespace and extra keys a
// 4.x reader must ignore.
func TestTopicRouteDataTolerant(t *testing.T) {
	in := `{
	  "brokerDatas": [ { "brokerAddrs": { 0 : "10.0.0.1:10911" }, "brokerName": "broker-a", "cluster": "DefaultCluster",
	                     "enableActingMaster": false, "zoneName": "z1" } ],
	  "filterServerTable": {}, "topicQueueMappingByBroker": null,
	  "queueDatas": [ { "brokerName": "broker-a", "perm": 6, "readQueueNums": 4, "topicSysFlag": 0, "writeQueueNums": 4 } ]
	}`
	r, err := DecodeTopicRouteData([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if r.BrokerDatas[0].MasterAddr() != "10.0.0.1:10911" || r.QueueDatas[0].WriteQueueNums != 4 {
		t.Fatalf("decoded %+v", r)
	}
	if _, err := DecodeTopicRouteData([]byte(`{"brokerDatas":[{"brokerAddrs":{x1:"a"}}]}`)); err == nil {
		t.Fatal("non-numeric broker id accepted")
	}
}

func TestRouteFormFor(t *testing.T) {
	cases := []struct {
		version int32
		ask     bool
		want    JSONForm
	}{
		{VersionV4_5_2, false, FastjsonForm}, // the Go client
		{VersionV4_5_2, true, StandardForm},
		{VersionV4_9_4 - 1, false, FastjsonForm},
		{VersionV4_9_4, false, StandardForm},
		{VersionV4_9_8, false, StandardForm},
	}
	for _, c := range cases {
		if got := RouteFormFor(c.version, c.ask); got != c.want {
			t.Errorf("RouteFormFor(%d, %v) = %v, want %v", c.version, c.ask, got, c.want)
		}
	}
}

func TestBrokerDataSelect(t *testing.T) {
	b := BrokerData{BrokerAddrs: map[int64]string{0: "m", 1: "s1"}}
	if b.SelectBrokerAddr() != "m" {
		t.Fatal("master not preferred")
	}
	b = BrokerData{BrokerAddrs: map[int64]string{1: "s1", 2: "s2"}}
	seen := map[string]bool{}
	for i := 0; i < 200 && len(seen) < 2; i++ {
		seen[b.SelectBrokerAddr()] = true
	}
	if !seen["s1"] || !seen["s2"] || len(seen) != 2 {
		t.Fatalf("slaves picked: %v", seen)
	}
	if (&BrokerData{}).SelectBrokerAddr() != "" {
		t.Fatal("empty broker data picked an address")
	}
	c := b.Clone()
	c.BrokerAddrs[5] = "x"
	if _, ok := b.BrokerAddrs[5]; ok {
		t.Fatal("Clone shares the address map")
	}
}

func TestClusterInfoGolden(t *testing.T) {
	want := `{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"10.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"},` +
		`"broker-b":{"brokerAddrs":{0:"10.0.0.2:10911",1:"10.0.0.3:10911"},"brokerName":"broker-b","cluster":"DefaultCluster"}},` +
		`"clusterAddrTable":{"DefaultCluster":["broker-a","broker-b"]}}`
	c := &ClusterInfo{
		BrokerAddrTable: map[string]BrokerData{
			"broker-b": {Cluster: "DefaultCluster", BrokerName: "broker-b", BrokerAddrs: map[int64]string{1: "10.0.0.3:10911", 0: "10.0.0.2:10911"}},
			"broker-a": {Cluster: "DefaultCluster", BrokerName: "broker-a", BrokerAddrs: map[int64]string{0: "10.0.0.1:10911"}},
		},
		ClusterAddrTable: map[string][]string{"DefaultCluster": {"broker-b", "broker-a"}},
	}
	if got := string(c.Encode(FastjsonForm)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	back, err := DecodeClusterInfo([]byte(want))
	if err != nil {
		t.Fatal(err)
	}
	if back.BrokerAddrTable["broker-b"].BrokerAddrs[1] != "10.0.0.3:10911" || len(back.ClusterAddrTable["DefaultCluster"]) != 2 {
		t.Fatalf("decoded %+v", back)
	}
	if got := string((&ClusterInfo{}).Encode(StandardForm)); got != `{"brokerAddrTable":{},"clusterAddrTable":{}}` {
		t.Fatalf("empty cluster info: %s", got)
	}
}

func TestDataVersionJSON(t *testing.T) {
	v := DataVersion{Counter: 3, Timestamp: 1700000000123}
	if got := string(v.Encode()); got != `{"counter":3,"timestamp":1700000000123}` {
		t.Fatalf("encode: %s", got)
	}
	for _, in := range []string{`{"counter":3,"timestamp":1700000000123}`, `{"timestamp":1700000000123,"counter":{"value":3}}`, `{"counter":3,"timestamp":1700000000123,"stateVersion":0}`} {
		got, err := DecodeDataVersion([]byte(in))
		if err != nil || got != v {
			t.Errorf("decode %s = %+v, %v", in, got, err)
		}
	}
	if _, err := DecodeDataVersion([]byte(`{"counter":"x"}`)); err == nil {
		t.Error("string counter accepted")
	}
	now := time.UnixMilli(1700000009999)
	v.Next(now)
	if v.Counter != 4 || v.Timestamp != now.UnixMilli() {
		t.Fatalf("Next: %+v", v)
	}
	if NewDataVersion(now) != (DataVersion{Timestamp: now.UnixMilli()}) {
		t.Fatal("NewDataVersion")
	}
}

func TestTopicConfigJSON(t *testing.T) {
	golden := `{"order":false,"perm":6,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"T","topicSysFlag":0,"writeQueueNums":8}`
	tc := NewTopicConfig("T")
	tc.ReadQueueNums, tc.WriteQueueNums = 8, 8
	b, err := jsonMarshal(tc)
	if err != nil || string(b) != golden {
		t.Fatalf("encode: %s, %v", b, err)
	}
	var back TopicConfig
	if err := DecodeJSON([]byte(`{"topicName":"U","perm":7}`), &back); err != nil {
		t.Fatal(err)
	}
	want := NewTopicConfig("U")
	want.Perm = 7
	if back != want {
		t.Fatalf("absent keys must keep Java defaults: %+v", back)
	}
	if err := DecodeJSON([]byte(`{"topicName":"U","topicFilterType":"TAGS"}`), &back); err == nil {
		t.Fatal("unknown filter type accepted")
	}
}

func TestPerm(t *testing.T) {
	for perm, want := range map[int32]string{6: "RW-", 4: "R--", 2: "-W-", 7: "RWX", 0: "---", 1: "--X"} {
		if got := PermString(perm); got != want {
			t.Errorf("PermString(%d) = %s, want %s", perm, got, want)
		}
	}
	if !PermReadable(6) || !PermWritable(6) || PermInherited(6) || PermWritable(4) {
		t.Error("perm predicates")
	}
}

const goldenRegisterBody = `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":2,"timestamp":1700000000000},` +
	`"topicConfigTable":{"TBW102":{"order":false,"perm":7,"readQueueNums":8,"topicFilterType":"SINGLE_TAG","topicName":"TBW102","topicSysFlag":0,"writeQueueNums":8},` +
	`"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}}}}`

func sampleRegisterBody() *RegisterBrokerBody {
	tbw := NewTopicConfig("TBW102")
	tbw.Perm, tbw.ReadQueueNums, tbw.WriteQueueNums = 7, 8, 8
	tt := NewTopicConfig("TopicTest")
	tt.ReadQueueNums, tt.WriteQueueNums = 4, 4
	return &RegisterBrokerBody{
		FilterServerList: []string{},
		TopicConfigSerializeWrapper: TopicConfigSerializeWrapper{
			DataVersion:      DataVersion{Counter: 2, Timestamp: 1700000000000},
			TopicConfigTable: map[string]TopicConfig{"TBW102": tbw, "TopicTest": tt},
		},
	}
}

func TestRegisterBrokerBodyPlain(t *testing.T) {
	b := sampleRegisterBody()
	got, err := b.Encode(false)
	if err != nil || string(got) != goldenRegisterBody {
		t.Fatalf("encode:\n got %s\nwant %s (%v)", got, goldenRegisterBody, err)
	}
	back, err := DecodeRegisterBrokerBody([]byte(goldenRegisterBody), false)
	if err != nil || !reflect.DeepEqual(back, b) {
		t.Fatalf("decode: %+v, %v", back, err)
	}
	// A broker older than V3_0_11 sends only the wrapper; its table decodes too.
	w, err := DecodeTopicConfigSerializeWrapper([]byte(`{"dataVersion":{"counter":2,"timestamp":1700000000000},"topicConfigTable":{}}`))
	if err != nil || w.DataVersion.Counter != 2 || w.TopicConfigTable == nil {
		t.Fatalf("wrapper: %+v, %v", w, err)
	}
}

func TestRegisterBrokerBodyCompressed(t *testing.T) {
	b := sampleRegisterBody()
	b.FilterServerList = []string{"10.0.0.9:1"}
	z, err := b.Encode(true)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeRegisterBrokerBody(z, true)
	if err != nil || !reflect.DeepEqual(back, b) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}

	// Build one by hand from the sheet's description (§4.4) to pin the layout.
	var raw bytes.Buffer
	chunk := func(s string) {
		binary.Write(&raw, binary.BigEndian, int32(len(s)))
		raw.WriteString(s)
	}
	chunk(`{"counter":1,"timestamp":5}`)
	binary.Write(&raw, binary.BigEndian, int32(1))
	chunk("T 4 2 6 MULTI_TAG")
	chunk(`["a:1"]`)
	var zb bytes.Buffer
	zw := zlib.NewWriter(&zb)
	zw.Write(raw.Bytes())
	zw.Close()
	got, err := DecodeRegisterBrokerBody(zb.Bytes(), true)
	if err != nil {
		t.Fatal(err)
	}
	tc := got.TopicConfigSerializeWrapper.TopicConfigTable["T"]
	if tc.ReadQueueNums != 4 || tc.WriteQueueNums != 2 || tc.Perm != 6 || tc.TopicFilterType != MultiTag ||
		got.TopicConfigSerializeWrapper.DataVersion.Counter != 1 || got.FilterServerList[0] != "a:1" {
		t.Fatalf("decoded %+v", got)
	}

	// Truncations and lies are errors, not panics.
	for _, cut := range []int{0, 2, 10, zb.Len() - 5} {
		if _, err := DecodeRegisterBrokerBody(zb.Bytes()[:cut], true); err == nil {
			t.Errorf("truncated at %d: no error", cut)
		}
	}
	var liar bytes.Buffer
	zw = zlib.NewWriter(&liar)
	binary.Write(zw, binary.BigEndian, int32(1<<30))
	zw.Write([]byte("short"))
	zw.Close()
	if _, err := DecodeRegisterBrokerBody(liar.Bytes(), true); err == nil || !strings.Contains(err.Error(), "data version") {
		t.Errorf("length beyond data: %v", err)
	}
}

func TestRegisterBodyCRC32(t *testing.T) {
	// crc32("123456789") = 0xCBF43926; masked to 31 bits.
	if got := RegisterBodyCRC32([]byte("123456789")); got != 0x4BF43926 {
		t.Fatalf("got %#x", got)
	}
}

func TestKVTableAndTopicList(t *testing.T) {
	kv := &KVTable{Table: map[string]string{"b": "2", "a": "1"}}
	if got := string(kv.Encode()); got != `{"table":{"a":"1","b":"2"}}` {
		t.Fatalf("KVTable: %s", got)
	}
	if got := string((&KVTable{}).Encode()); got != `{"table":{}}` {
		t.Fatalf("empty KVTable: %s", got)
	}
	back, err := DecodeKVTable([]byte(`{"table":{"TopicTest":"broker-a:4;broker-b:4"}}`))
	if err != nil || back.Table["TopicTest"] != "broker-a:4;broker-b:4" {
		t.Fatalf("decode KVTable: %+v %v", back, err)
	}
	tl := &TopicList{TopicList: []string{"T1", "T2"}, BrokerAddr: "10.0.0.1:10911"}
	if got := string(tl.Encode()); got != `{"brokerAddr":"10.0.0.1:10911","topicList":["T1","T2"]}` {
		t.Fatalf("TopicList: %s", got)
	}
	if got := string((&TopicList{}).Encode()); got != `{"topicList":[]}` {
		t.Fatalf("empty TopicList: %s", got)
	}
	// The sheet's example puts topicList first; key order does not matter to readers.
	l, err := DecodeTopicList([]byte(`{"topicList":["T1","T2"],"brokerAddr":"ip:port"}`))
	if err != nil || len(l.TopicList) != 2 || l.BrokerAddr != "ip:port" {
		t.Fatalf("decode TopicList: %+v %v", l, err)
	}
}

func TestTopicNames(t *testing.T) {
	if !IsSystemTopic("TBW102") || !IsSystemTopic("rmq_sys_x") || IsSystemTopic("TopicTest") {
		t.Error("IsSystemTopic")
	}
	if !IsNotAllowedSendTopic(TopicSchedule) || IsNotAllowedSendTopic(TopicAutoCreate) {
		t.Error("IsNotAllowedSendTopic")
	}
	if RetryTopic("g") != "%RETRY%g" || DLQTopic("g") != "%DLQ%g" {
		t.Error("retry/DLQ names")
	}
	for name, ok := range map[string]bool{"TopicTest": true, "%RETRY%g|x-y_z": true, "": false, " ": false, "a b": false, "中": false, strings.Repeat("a", 127): true, strings.Repeat("a", 128): false} {
		if got := ValidateTopicName(name) == ""; got != ok {
			t.Errorf("ValidateTopicName(%q) ok=%v, want %v", name, got, ok)
		}
	}
}
