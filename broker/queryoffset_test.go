package broker

import (
	"testing"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// TestQueryOffsetOfNewGroup: a group with no committed offset is told 0 on
// an empty queue and on one whose first message is still within the page
// cache share of RAM; once that message counts as in disk
// (accessMessageInMemoryMaxRatio 0 puts every message there)
// the answer is QUERY_NOT_FOUND, so the client's ConsumeFromWhere decides,
// as with upstream 4.9's queryConsumerOffset.
func TestQueryOffsetOfNewGroup(t *testing.T) {
	for _, tc := range []struct {
		ratio    int
		wantCode int32
	}{{40, protocol.RespSuccess}, {0, protocol.RespQueryNotFound}} {
		cfg := testConfig(t.TempDir())
		cfg.AccessMessageInMemoryMaxRatio = tc.ratio
		b := startBroker(t, cfg)
		c := newClient(t)
		query := func(group string, queue int32) *remoting.Command {
			h := protocol.QueryConsumerOffsetRequestHeader{ConsumerGroup: group, Topic: "NewGroup", QueueID: queue}
			return call(t, c, b.Addr(), remoting.NewRequest(protocol.ReqQueryConsumerOffset, protocol.EncodeHeader(&h), nil))
		}

		resp := query("cg", 0)
		if mustCode(t, resp, protocol.RespSuccess); extInt(t, resp, "offset") != 0 {
			t.Fatalf("ratio %d, empty queue: offset %v, want 0", tc.ratio, resp.ExtFields)
		}
		for _, body := range []string{"a", "b"} {
			mustCode(t, call(t, c, b.Addr(), sendReq("NewGroup", 0, []byte(body), nil)), protocol.RespSuccess)
		}
		dispatched(t, b)
		resp = query("cg", 0)
		mustCode(t, resp, tc.wantCode)
		if tc.wantCode == protocol.RespSuccess && extInt(t, resp, "offset") != 0 {
			t.Fatalf("ratio %d: offset %v, want 0", tc.ratio, resp.ExtFields)
		}
		// Another queue of the topic, still empty, starts at 0 either way.
		resp = query("cg", 1)
		if mustCode(t, resp, protocol.RespSuccess); extInt(t, resp, "offset") != 0 {
			t.Fatalf("ratio %d, empty queue 1: offset %v, want 0", tc.ratio, resp.ExtFields)
		}
		// A committed offset wins over every rule.
		up := protocol.UpdateConsumerOffsetRequestHeader{ConsumerGroup: "cg", Topic: "NewGroup", QueueID: 0, CommitOffset: 1}
		mustCode(t, call(t, c, b.Addr(), remoting.NewRequest(protocol.ReqUpdateConsumerOffset, protocol.EncodeHeader(&up), nil)), protocol.RespSuccess)
		resp = query("cg", 0)
		if mustCode(t, resp, protocol.RespSuccess); extInt(t, resp, "offset") != 1 {
			t.Fatalf("ratio %d, committed: offset %v, want 1", tc.ratio, resp.ExtFields)
		}
	}
}
