package broker

import (
	"bytes"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// TestPullExpiredQueue: after the commit log under a queue expired and
// cleanExpiredCQ removed the queue, a consumer pulling from 0 is moved to
// the queue's kept offset (PULL_OFFSET_MOVED), a consumer at that offset
// waits for new messages (PULL_NOT_FOUND, not moved back to 0), and
// GET_MIN_OFFSET / GET_MAX_OFFSET report it.
func TestPullExpiredQueue(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MappedFileSizeCommitLog = 64 << 10
	cfg.MappedFileSizeConsumeQueue = 20 * 10
	cfg.MaxMessageSize = 16 << 10
	cfg.FileReservedTime = 0 // every full segment has expired
	cfg.CleanResourceInterval = 10
	cfg.DeleteCommitLogFilesInterval = 1
	b := startBroker(t, cfg)
	c := newClient(t)
	body := bytes.Repeat([]byte("x"), 3000)
	const old = 25
	for range old {
		mustCode(t, call(t, c, b.Addr(), sendReq("Old", 0, body, nil)), protocol.RespSuccess)
	}
	for range 60 { // fill later segments so Old's lie wholly below the head
		mustCode(t, call(t, c, b.Addr(), sendReq("New", 0, body, nil)), protocol.RespSuccess)
	}
	dispatched(t, b)
	oldEnd := b.Store().MaxOffsetInQueue("Old", 0)
	if oldEnd != old {
		t.Fatalf("Old holds %d messages, want %d", oldEnd, old)
	}
	mustCode(t, call(t, c, b.Addr(), remoting.NewRequest(protocol.ReqDeleteExpiredCommitLog, nil, nil)), protocol.RespSuccess)
	waitFor(t, 10*time.Second, "the segments under Old deleted", func() bool {
		return b.Store().CommitLogMinOffset() > int64(old*(len(body)+200))
	})
	mustCode(t, call(t, c, b.Addr(), remoting.NewRequest(protocol.ReqCleanExpiredConsumeQueue, nil, nil)), protocol.RespSuccess)

	pullAt := func(offset int64, code int32) {
		t.Helper()
		resp := call(t, c, b.Addr(), pullReq("cg", "Old", 0, offset, 0, 0, "*"))
		mustCode(t, resp, code)
		if next, lo, hi := extInt(t, resp, "nextBeginOffset"), extInt(t, resp, "minOffset"), extInt(t, resp, "maxOffset"); next != old || lo != old || hi != old {
			t.Fatalf("pull at %d: next %d min %d max %d, want all %d", offset, next, lo, hi, old)
		}
	}
	pullAt(0, protocol.RespPullOffsetMoved)
	pullAt(old-1, protocol.RespPullOffsetMoved)
	pullAt(old, protocol.RespPullNotFound)
	pullAt(old+10, protocol.RespPullOffsetMoved)
	qh := protocol.EncodeHeader(&protocol.QueueRequestHeader{Topic: "Old", QueueID: 0})
	for _, code := range []int32{protocol.ReqGetMinOffset, protocol.ReqGetMaxOffset} {
		resp := call(t, c, b.Addr(), remoting.NewRequest(code, qh, nil))
		if mustCode(t, resp, protocol.RespSuccess); extInt(t, resp, "offset") != old {
			t.Fatalf("%s: %v, want %d", protocol.RequestCodeName(code), resp.ExtFields, old)
		}
	}

	// A consumer waiting at the kept offset gets the next message.
	held := callAsync(t, c, b.Addr(), pullReq("cg", "Old", 0, old, protocol.PullFlagSuspend, 20*time.Second, "*"))
	mustCode(t, call(t, c, b.Addr(), sendReq("Old", 0, []byte("after"), nil)), protocol.RespSuccess)
	select {
	case resp := <-held:
		mustCode(t, resp, protocol.RespSuccess)
		if next := extInt(t, resp, "nextBeginOffset"); next != old+1 {
			t.Fatalf("next offset after the new message %d, want %d", next, old+1)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the held pull at the kept offset was not answered")
	}
}
