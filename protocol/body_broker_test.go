package protocol

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeSendMessageRequestV1AndV2Agree(t *testing.T) {
	rt, max := int32(2), int32(16)
	want := SendMessageRequestHeader{
		ProducerGroup: "pg", Topic: "T", DefaultTopic: "TBW102", DefaultTopicQueueNums: 4,
		QueueID: -1, SysFlag: 1, BornTimestamp: 1700000000123, Flag: 7,
		Properties: "KEYS\x01k\x02", ReconsumeTimes: &rt, MaxReconsumeTimes: &max,
		UnitMode: false, Batch: true,
	}
	v1, err := DecodeSendMessageRequest(EncodeHeader(&want), false)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := DecodeSendMessageRequest(want.EncodeV2(), true)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v1, want) || !reflect.DeepEqual(v2, want) {
		t.Fatalf("decoded\nv1 %+v\nv2 %+v\nwant %+v", v1, v2, want)
	}
	// The short keys are what a Java producer sends.
	ext := want.EncodeV2()
	if ext["b"] != "T" || ext["e"] != "-1" || ext["m"] != "true" {
		t.Fatalf("V2 keys: %v", ext)
	}
}

func TestDecodeSendMessageRequestBadNumberNamesKey(t *testing.T) {
	_, err := DecodeSendMessageRequest(map[string]string{"b": "T", "e": "x"}, true)
	if !errors.Is(err, ErrBadHeaderValue) || !strings.Contains(err.Error(), `"e"`) {
		t.Fatalf("err = %v", err)
	}
	h, err := DecodeSendMessageRequest(map[string]string{"topic": "T"}, false)
	if err != nil || h.Topic != "T" || h.ReconsumeTimes != nil {
		t.Fatalf("absent fields: %+v %v", h, err)
	}
}

// A heartbeat as rocketmq-client-go v2.1.2 writes it: codeSet entries are
// strings, subVersion is in nanoseconds.
const goClientHeartbeat = `{"clientID":"10.0.0.5@4242","producerDataSet":[],"consumerDataSet":[{"groupName":"cg","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_FIRST_OFFSET","subscriptionDataSet":[{"classFilterMode":false,"topic":"T","subString":"TagA || TagC","tagsSet":["TagA","TagC"],"codeSet":["2598919","2598921"],"subVersion":1700000000000000000,"expressionType":"TAG"}],"unitMode":false}]}`

// And as a Java client writes it.
const javaHeartbeat = `{"clientID":"10.0.0.6@123#456","consumerDataSet":[],"producerDataSet":[{"groupName":"pg"},{"groupName":"CLIENT_INNER_PRODUCER"}]}`

func TestDecodeHeartbeatData(t *testing.T) {
	h, err := DecodeHeartbeatData([]byte(goClientHeartbeat))
	if err != nil {
		t.Fatal(err)
	}
	sd := h.ConsumerDataSet[0].SubscriptionDataSet[0]
	if h.ClientID != "10.0.0.5@4242" || sd.Topic != "T" || len(sd.CodeSet) != 2 ||
		sd.CodeSet[0] != JavaStringHash("TagA") || sd.CodeSet[1] != JavaStringHash("TagC") {
		t.Fatalf("decoded %+v", h)
	}
	h, err = DecodeHeartbeatData([]byte(javaHeartbeat))
	if err != nil || len(h.ProducerDataSet) != 2 || h.ProducerDataSet[0].GroupName != "pg" {
		t.Fatalf("java heartbeat: %+v %v", h, err)
	}
	var sd2 SubscriptionData
	if err := DecodeJSON([]byte(`{"codeSet":[2598919,-5],"topic":"T"}`), &sd2); err != nil || sd2.CodeSet[1] != -5 {
		t.Fatalf("numeric codeSet: %+v %v", sd2, err)
	}
	if err := DecodeJSON([]byte(`{"codeSet":["x"]}`), &sd2); err == nil {
		t.Fatal("non-numeric code accepted")
	}
}

func TestSubscriptionGroupConfigDefaults(t *testing.T) {
	var c SubscriptionGroupConfig
	if err := DecodeJSON([]byte(`{"groupName":"g","consumeEnable":false}`), &c); err != nil {
		t.Fatal(err)
	}
	want := NewSubscriptionGroupConfig("g")
	want.ConsumeEnable = false
	if c != want {
		t.Fatalf("got %+v want %+v", c, want)
	}
	var w ConsumerOffsetTable
	if err := DecodeJSON([]byte(`{"offsetTable":{"T@g":{0:12,1:7}}}`), &w); err != nil || w.OffsetTable["T@g"][1] != 7 {
		t.Fatalf("fastjson offset table: %+v %v", w, err)
	}
}

func FuzzDecodeHeartbeatData(f *testing.F) {
	f.Add([]byte(goClientHeartbeat))
	f.Add([]byte(javaHeartbeat))
	f.Add([]byte(`{"clientID":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := DecodeHeartbeatData(data)
		if err != nil {
			return
		}
		if _, err := DecodeHeartbeatData(h.Encode()); err != nil {
			t.Fatalf("re-decode of encoded heartbeat: %v", err)
		}
	})
}

func FuzzDecodeSendMessageRequest(f *testing.F) {
	f.Add("T", "-1", "1700000000000", "KEYS\x01k", true)
	f.Add("", "x", "", "", false)
	f.Fuzz(func(t *testing.T, topic, queue, born, props string, v2 bool) {
		k := func(long, short string) string {
			if v2 {
				return short
			}
			return long
		}
		ext := map[string]string{k("topic", "b"): topic, k("queueId", "e"): queue,
			k("bornTimestamp", "g"): born, k("properties", "i"): props}
		h, err := DecodeSendMessageRequest(ext, v2)
		if err != nil {
			return
		}
		if h.Topic != topic || h.Properties != props {
			t.Fatalf("fields lost: %+v", h)
		}
	})
}

func TestStatsBodiesUseFastjsonKeys(t *testing.T) {
	mq := MessageQueue{BrokerName: "b", QueueID: 1, Topic: "t"}
	ts := TopicStatsTable{OffsetTable: map[MessageQueue]TopicOffset{mq: {LastUpdateTimestamp: 9, MaxOffset: 5, MinOffset: 1}}}
	want := `{"offsetTable":{{"brokerName":"b","queueId":1,"topic":"t"}:{"lastUpdateTimestamp":9,"maxOffset":5,"minOffset":1}}}`
	if got := string(ts.Encode()); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	back, err := DecodeTopicStatsTable(ts.Encode())
	if err != nil || back.OffsetTable[mq].MaxOffset != 5 {
		t.Fatalf("round trip %+v %v", back, err)
	}
	cs := ConsumeStats{ConsumeTps: 1.5, OffsetTable: map[MessageQueue]OffsetWrapper{mq: {BrokerOffset: 5, ConsumerOffset: 3, LastTimestamp: 7}}}
	got, err := DecodeConsumeStats(cs.Encode())
	if err != nil || got.ConsumeTps != 1.5 || got.OffsetTable[mq].ConsumerOffset != 3 {
		t.Fatalf("consume stats %s -> %+v %v", cs.Encode(), got, err)
	}
	if _, err := DecodeConsumeStats([]byte(`{"offsetTable":{"x":{}}}`)); err == nil {
		t.Fatal("a key that is no MessageQueue was accepted")
	}
}
