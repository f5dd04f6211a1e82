package broker

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store"
)

// TestUpdateMaxMessageSize: maxMessageSize takes effect at once, in the
// send check and in the store: a message over the old limit and under the
// new one is accepted after raising it, and one under the old limit and
// over the new one is refused after lowering it.
func TestUpdateMaxMessageSize(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MaxMessageSize = 16 << 10
	b := startBroker(t, cfg)
	c := newClient(t)
	sendCode := func(size int) int32 {
		t.Helper()
		return call(t, c, b.Addr(), sendReq("Sized", 0, bytes.Repeat([]byte("s"), size), nil)).Code
	}
	// storeCode puts straight into the store, past the send check, as a
	// transaction commit or a send-back does.
	storeCode := func(size int) store.PutStatus {
		return b.Store().PutMessage(&store.MessageInput{Topic: "Sized", Body: bytes.Repeat([]byte("s"), size)}).Status
	}
	if code := sendCode(20 << 10); code != protocol.RespMessageIllegal {
		t.Fatalf("20 KiB under a 16 KiB limit: %s", protocol.ResponseCodeName(code))
	}
	if st := storeCode(20 << 10); st != store.MessageIllegal {
		t.Fatalf("store put of 20 KiB under a 16 KiB limit: %v", st)
	}

	resp := updateConfig(t, c, b.Addr(), fmt.Sprintf("maxMessageSize=%d\n", 32<<10))
	mustCode(t, resp, protocol.RespSuccess)
	if strings.Contains(resp.Remark, "maxMessageSize") {
		t.Fatalf("maxMessageSize reported as waiting for a restart: %q", resp.Remark)
	}
	if got := b.Store().MaxMessageSize(); got != 32<<10 {
		t.Fatalf("store limit %d after the update, want %d", got, 32<<10)
	}
	if code := sendCode(20 << 10); code != protocol.RespSuccess {
		t.Fatalf("20 KiB after raising the limit to 32 KiB: %s", protocol.ResponseCodeName(code))
	}
	if st := storeCode(20 << 10); st != store.PutOK {
		t.Fatalf("store put of 20 KiB after raising the limit: %v", st)
	}
	if code := sendCode(40 << 10); code != protocol.RespMessageIllegal {
		t.Fatalf("40 KiB over the new 32 KiB limit: %s", protocol.ResponseCodeName(code))
	}

	mustCode(t, updateConfig(t, c, b.Addr(), fmt.Sprintf("maxMessageSize=%d\n", 8<<10)), protocol.RespSuccess)
	if code := sendCode(12 << 10); code != protocol.RespMessageIllegal {
		t.Fatalf("12 KiB after lowering the limit to 8 KiB: %s", protocol.ResponseCodeName(code))
	}
	if st := storeCode(12 << 10); st != store.MessageIllegal {
		t.Fatalf("store put of 12 KiB after lowering the limit: %v", st)
	}
	if code := sendCode(4 << 10); code != protocol.RespSuccess {
		t.Fatalf("4 KiB under the 8 KiB limit: %s", protocol.ResponseCodeName(code))
	}
	if !strings.Contains(brokerConfigText(t, c, b.Addr()), fmt.Sprintf("maxMessageSize=%d\n", 8<<10)) {
		t.Fatal("getBrokerConfig does not show the limit in effect")
	}

	// A limit that does not fit a commit log file is refused, nothing changes.
	resp = updateConfig(t, c, b.Addr(), fmt.Sprintf("maxMessageSize=%d\n", cfg.MappedFileSizeCommitLog))
	if resp.Code == protocol.RespSuccess || b.Store().MaxMessageSize() != 8<<10 {
		t.Fatalf("a limit as large as a commit log file: %s %q, store limit %d", protocol.ResponseCodeName(resp.Code), resp.Remark, b.Store().MaxMessageSize())
	}
}
