package client

import (
	"testing"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// The decoders below read bytes from brokers or disk; none may panic.

func FuzzDecodeOffsetFile(f *testing.F) {
	f.Add(encodeOffsetFile(map[MessageQueue]int64{{"T", "b", 0}: 5}))
	f.Add([]byte(`{"offsetTable":[]}`))
	f.Add([]byte(`{"offsetTable":[{"topic":"T","brokerName":"b","queueId":0,"offset":1e30}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeOffsetFile(data)
		if err != nil {
			return
		}
		again, err := decodeOffsetFile(encodeOffsetFile(m))
		if err != nil || len(again) != len(m) {
			t.Fatalf("re-encoding %v: %v %v", m, again, err)
		}
	})
}

func FuzzPullResponse(f *testing.F) {
	rec, _ := protocol.EncodeMessageExt(&protocol.MessageExt{
		Message: protocol.Message{Topic: "T", Body: []byte("hello"), Properties: map[string]string{"TAGS": "a"}},
	})
	f.Add(int32(0), "0", "1", "0", "1", rec)
	f.Add(int32(19), "0", "5", "0", "5", []byte(nil))
	f.Add(int32(21), "x", "", "-1", "9999999999999999999", []byte{0, 0, 0, 4})
	f.Fuzz(func(t *testing.T, code int32, suggest, next, min, max string, body []byte) {
		resp := &remoting.Command{Code: code, ExtFields: map[string]string{
			"suggestWhichBrokerId": suggest, "nextBeginOffset": next, "minOffset": min, "maxOffset": max,
		}, Body: body}
		res, _, err := pullResponse(resp, "127.0.0.1:1", MessageQueue{Topic: "T"})
		if err == nil && res.Status == PullFound {
			for _, m := range res.Messages {
				if m.Topic != "T" {
					t.Fatalf("message of topic %q passed", m.Topic)
				}
			}
		}
	})
}

func FuzzSendResponse(f *testing.F) {
	f.Add(int32(0), "ABC", "1", "5", "")
	f.Add(int32(10), "", "x", "", "false")
	f.Fuzz(func(t *testing.T, code int32, msgID, queueID, offset, trace string) {
		resp := &remoting.Command{Code: code, ExtFields: map[string]string{
			"msgId": msgID, "queueId": queueID, "queueOffset": offset, "TRACE_ON": trace,
		}}
		r, err := sendResponse(resp, "127.0.0.1:1", MessageQueue{Topic: "T"}, "id")
		if err == nil && (r.Queue.Topic != "T" || r.MsgID != "id") {
			t.Fatalf("result %s", r)
		}
	})
}
