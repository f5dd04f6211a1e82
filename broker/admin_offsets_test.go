package broker

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// TestResetOffsetForCppClient: a reset sent as C++ (mqadmin
// resetOffsetByTime -c) reaches the live consumer as ResetOffsetBodyForC,
// the offsets as a list; sent as Java or Go it is the map form. The
// answer to the admin is the map form either way.
func TestResetOffsetForCppClient(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	addr := b.Addr()
	c := newClient(t)
	for i := range 3 {
		mustCode(t, call(t, c, addr, sendReq("CppT", int32(i%2), []byte("m"), nil)), protocol.RespSuccess)
	}
	dispatched(t, b)

	notices := make(chan *remoting.Command, 4)
	consumer := newClient(t)
	consumer.Handle(protocol.ReqResetConsumerClientOffset, func(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
		notices <- req
		return nil, nil
	})
	hb := heartbeatReq("cpp-client", "cppg", "CppT", "*")
	hb.Language = remoting.LanguageCPP
	mustCode(t, call(t, consumer, addr, hb), protocol.RespSuccess)
	for q, off := range []int64{1, 1, 0, 0} { // sendReq's topics get 4 queues; 0 and 1 hold messages
		up := protocol.UpdateConsumerOffsetRequestHeader{ConsumerGroup: "cppg", Topic: "CppT", QueueID: int32(q), CommitOffset: off}
		mustCode(t, call(t, c, addr, remoting.NewRequest(protocol.ReqUpdateConsumerOffset, protocol.EncodeHeader(&up), nil)), protocol.RespSuccess)
	}

	reset := func(lang remoting.LanguageCode) (answer, notice []byte) {
		t.Helper()
		h := resetOffsetHeader{Topic: "CppT", Group: "cppg", Timestamp: 0, IsForce: true}
		req := remoting.NewRequest(protocol.ReqInvokeBrokerToResetOffset, protocol.EncodeHeader(&h), nil)
		req.Language = lang
		resp := call(t, c, addr, req)
		mustCode(t, resp, protocol.RespSuccess)
		select {
		case n := <-notices:
			if n.ExtFields["group"] != "cppg" || n.ExtFields["topic"] != "CppT" {
				t.Fatalf("reset notice header %v", n.ExtFields)
			}
			return resp.Body, n.Body
		case <-time.After(10 * time.Second):
			t.Fatal("the consumer was not told of the reset")
			return nil, nil
		}
	}

	answer, notice := reset(remoting.LanguageCPP)
	wantC := `{"offsetTable":[` +
		`{"brokerName":"broker-test","offset":0,"queueId":0,"topic":"CppT"},` +
		`{"brokerName":"broker-test","offset":0,"queueId":1,"topic":"CppT"},` +
		`{"brokerName":"broker-test","offset":0,"queueId":2,"topic":"CppT"},` +
		`{"brokerName":"broker-test","offset":0,"queueId":3,"topic":"CppT"}]}`
	if string(notice) != wantC {
		t.Errorf("C++ reset notice\n got %s\nwant %s", notice, wantC)
	}
	wantMap := `{"offsetTable":{` +
		`{"brokerName":"broker-test","queueId":0,"topic":"CppT"}:0,` +
		`{"brokerName":"broker-test","queueId":1,"topic":"CppT"}:0,` +
		`{"brokerName":"broker-test","queueId":2,"topic":"CppT"}:0,` +
		`{"brokerName":"broker-test","queueId":3,"topic":"CppT"}:0}}`
	if string(answer) != wantMap {
		t.Errorf("answer to a C++ reset\n got %s\nwant %s", answer, wantMap)
	}
	var list struct {
		OffsetTable []map[string]any `json:"offsetTable"`
	}
	if err := json.Unmarshal(notice, &list); err != nil || len(list.OffsetTable) != 4 {
		t.Errorf("C++ notice is not a list of 4 queues: %v", err)
	}

	answer, notice = reset(remoting.LanguageJava)
	if string(notice) != wantMap || string(answer) != wantMap {
		t.Errorf("Java reset\nnotice %s\nanswer %s\nwant   %s", notice, answer, wantMap)
	}
}
