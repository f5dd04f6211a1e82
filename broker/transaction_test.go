package broker

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// noChecks fails the test if the broker asks about a transaction.
func noChecks(t testing.TB) func(string) int32 {
	return func(body string) int32 {
		t.Errorf("unexpected transaction check about %q", body)
		return verdictSilent
	}
}

func TestTransactionCommitAndRollback(t *testing.T) {
	b := startBroker(t, txConfig(t.TempDir(), time.Hour, time.Hour))
	p := newTxProducer(t, b.Addr(), "PG_Tx", "tx-1", noChecks(t))

	commit := p.sendHalf("TxTopic", 2, "commit-me", nil)
	back := p.sendHalf("TxTopic", 1, "roll-me-back", nil)
	if commit.queueOffset != 0 || back.queueOffset != 1 {
		t.Fatalf("half queue offsets %d, %d; want 0, 1", commit.queueOffset, back.queueOffset)
	}
	if got := pullAll(t, b, "TxTopic"); len(got) != 0 {
		t.Fatalf("half messages are visible: %d in TxTopic", len(got))
	}
	halves := pullAll(t, b, protocol.TopicTransHalf)
	if len(halves) != 2 || halves[0].Property(protocol.PropertyRealTopic) != "TxTopic" ||
		halves[0].Property(protocol.PropertyRealQueueID) != "2" || halves[0].TransactionType() != protocol.SysFlagTransactionNotType {
		t.Fatalf("half topic holds %+v", halves)
	}

	mustCode(t, p.end(commit, protocol.SysFlagTransactionCommit), protocol.RespSuccess)
	mustCode(t, p.end(back, protocol.SysFlagTransactionRollback), protocol.RespSuccess)

	got := pullAll(t, b, "TxTopic")
	if len(got) != 1 {
		t.Fatalf("TxTopic holds %d messages after one commit and one rollback", len(got))
	}
	m := got[0]
	if string(m.Body) != "commit-me" || m.QueueID != 2 || m.TransactionType() != protocol.SysFlagTransactionCommit ||
		m.PreparedTransactionOffset != commit.phy || m.Property(protocol.PropertyTransactionPrepared) != "true" ||
		m.UniqKey() != commit.uniq || m.Tags() != "TagTx" || m.Property(protocol.PropertyProducerGroup) != "PG_Tx" {
		t.Fatalf("committed message %+v", m)
	}

	// Ending a transaction twice changes nothing.
	for _, h := range []half{commit, back} {
		for _, state := range []int32{protocol.SysFlagTransactionCommit, protocol.SysFlagTransactionRollback} {
			resp := p.end(h, state)
			mustCode(t, resp, protocol.RespSystemError)
			if resp.Remark != remarkTxEnded {
				t.Fatalf("second end: remark %q", resp.Remark)
			}
		}
	}
	if got := pullAll(t, b, "TxTopic"); len(got) != 1 {
		t.Fatalf("TxTopic holds %d messages after repeated ends", len(got))
	}

	ops := pullAll(t, b, protocol.TopicTransOpHalf)
	if len(ops) != 2 || string(ops[0].Body) != "0" || string(ops[1].Body) != "1" || ops[0].Tags() != opTag {
		t.Fatalf("op records %+v", ops)
	}
	if n := b.trans.pendingCount(); n != 0 {
		t.Fatalf("%d transactions still pending", n)
	}
}

func TestEndTransactionRefusals(t *testing.T) {
	b := startBroker(t, txConfig(t.TempDir(), time.Hour, time.Hour))
	p := newTxProducer(t, b.Addr(), "PG_Refuse", "tx-1", noChecks(t))
	h := p.sendHalf("TxRefuse", 0, "pending", nil)
	plain := call(t, p.c, b.Addr(), sendReq("TxRefuse", 0, []byte("plain"), nil))
	mustCode(t, plain, protocol.RespSuccess)
	_, plainPhy, _ := protocol.DecodeOffsetMsgID(plain.ExtFields["msgId"])

	other := &txProducer{t: t, c: p.c, addr: p.addr, group: "PG_Other"}
	wrongOffset, wrongPhy, beyond := h, h, h
	wrongOffset.queueOffset = 7
	wrongPhy.phy = plainPhy
	beyond.phy = 1 << 40
	cases := []struct {
		name   string
		req    *remoting.Command
		code   int32
		remark string
	}{
		{"unknown state", p.endReq(h, protocol.SysFlagTransactionNotType), protocol.RespSuccess, "unknown"},
		{"bad state", p.endReq(h, 5), protocol.RespSystemError, "neither"},
		{"wrong group", other.endReq(h, protocol.SysFlagTransactionCommit), protocol.RespSystemError, remarkTxGroupWrong},
		{"wrong queue offset", p.endReq(wrongOffset, protocol.SysFlagTransactionCommit), protocol.RespSystemError, remarkTxOffsetWrong},
		{"not a half message", p.endReq(wrongPhy, protocol.SysFlagTransactionCommit), protocol.RespSystemError, "not a half message"},
		{"offset past the log", p.endReq(beyond, protocol.SysFlagTransactionCommit), protocol.RespSystemError, remarkTxNotHalf},
		{"inside a record", p.endReq(half{queueOffset: 0, phy: h.phy + 3}, protocol.SysFlagTransactionCommit), protocol.RespSystemError, remarkTxNotHalf},
		{"header missing fields", remoting.NewRequest(protocol.ReqEndTransaction, map[string]string{"producerGroup": "x"}, nil), protocol.RespSystemError, "bad end transaction header"},
	}
	for _, tc := range cases {
		resp := call(t, p.c, b.Addr(), tc.req)
		mustCode(t, resp, tc.code)
		if !strings.Contains(resp.Remark, tc.remark) {
			t.Fatalf("%s: remark %q does not contain %q", tc.name, resp.Remark, tc.remark)
		}
	}
	if n := b.trans.pendingCount(); n != 1 {
		t.Fatalf("%d pending transactions, want the one still open", n)
	}
	mustCode(t, p.end(h, protocol.SysFlagTransactionCommit), protocol.RespSuccess)
	if got := bodyCounts(pullAll(t, b, "TxRefuse")); got["pending"] != 1 || got["plain"] != 1 || len(got) != 2 {
		t.Fatalf("TxRefuse holds %v", got)
	}
}

func TestTransactionalSendRefusals(t *testing.T) {
	cfg := txConfig(t.TempDir(), time.Hour, time.Hour)
	b := startBroker(t, cfg)
	p := newTxProducer(t, b.Addr(), "PG_Send", "tx-1", noChecks(t))
	halfProps := func(extra ...string) map[string]string {
		m := map[string]string{protocol.PropertyTransactionPrepared: "true", protocol.PropertyProducerGroup: "PG_Send"}
		for i := 0; i < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}
	batchReq := func(headerProps, recordProps map[string]string) *remoting.Command {
		body, err := protocol.EncodeBatch([]*protocol.Message{{Topic: "TxSend", Body: []byte("b"), Properties: recordProps}})
		if err != nil {
			t.Fatal(err)
		}
		h := protocol.SendMessageRequestHeader{ProducerGroup: "PG_Send", Topic: "TxSend", DefaultTopic: protocol.TopicAutoCreate,
			DefaultTopicQueueNums: 4, BornTimestamp: time.Now().UnixMilli(), Properties: protocol.EncodeProperties(headerProps), Batch: true}
		return remoting.NewRequest(protocol.ReqSendBatchMessage, h.EncodeV2(), body)
	}
	cases := []struct {
		name   string
		req    *remoting.Command
		code   int32
		remark string
	}{
		{"delayed", sendReq("TxSend", 0, []byte("x"), halfProps(protocol.PropertyDelayTimeLevel, "2")), protocol.RespMessageIllegal, remarkTxDelay},
		{"batch header", batchReq(halfProps(), nil), protocol.RespMessageIllegal, remarkTxBatch},
		{"batch record", batchReq(nil, halfProps()), protocol.RespMessageIllegal, remarkTxBatch},
		{"bad immunity", sendReq("TxSend", 0, []byte("x"), halfProps(protocol.PropertyCheckImmunityTimeInSeconds, "soon")), protocol.RespMessageIllegal, protocol.PropertyCheckImmunityTimeInSeconds},
	}
	for _, tc := range cases {
		resp := call(t, p.c, b.Addr(), tc.req)
		mustCode(t, resp, tc.code)
		if !strings.Contains(resp.Remark, tc.remark) {
			t.Fatalf("%s: remark %q does not contain %q", tc.name, resp.Remark, tc.remark)
		}
	}
	if got := pullAll(t, b, protocol.TopicTransHalf); len(got) != 0 {
		t.Fatalf("%d refused halves stored", len(got))
	}

	cfg = txConfig(t.TempDir(), time.Hour, time.Hour)
	cfg.RejectTransactionMessage = true
	b = startBroker(t, cfg)
	resp := call(t, p.c, b.Addr(), sendReq("TxSend", 0, []byte("x"), halfProps()))
	mustCode(t, resp, protocol.RespNoPermission)
	if !strings.Contains(resp.Remark, "sending transaction message is forbidden") {
		t.Fatalf("remark %q", resp.Remark)
	}
}

func TestTransactionUnknownThenCheckCommits(t *testing.T) {
	b := startBroker(t, txConfig(t.TempDir(), 20*time.Millisecond, 50*time.Millisecond))
	p := newTxProducer(t, b.Addr(), "PG_Check", "tx-1", func(body string) int32 {
		if body == "commit-on-check" {
			return verdictCommit
		}
		return verdictBack
	})
	sent := time.Now()
	c := p.sendHalf("TxCheck", 1, "commit-on-check", nil)
	r := p.sendHalf("TxCheck", 0, "rollback-on-check", nil)
	p.endOneway(c, protocol.SysFlagTransactionNotType)
	p.endOneway(r, protocol.SysFlagTransactionNotType)

	waitFor(t, 10*time.Second, "both transactions checked and ended", func() bool { return b.trans.pendingCount() == 0 })
	got := pullAll(t, b, "TxCheck")
	if len(got) != 1 || string(got[0].Body) != "commit-on-check" || got[0].QueueID != 1 {
		t.Fatalf("TxCheck holds %v", bodyCounts(got))
	}
	// Usually one check each; a check round may start before the answer
	// to the previous one arrives, and then asks again.
	checks := p.checked()
	if p.checksOf("commit-on-check") == 0 || p.checksOf("rollback-on-check") == 0 {
		t.Fatalf("checks: commit-on-check %d, rollback-on-check %d", p.checksOf("commit-on-check"), p.checksOf("rollback-on-check"))
	}
	origins := map[string]int64{c.body: c.queueOffset, r.body: r.queueOffset}
	for _, ck := range checks {
		m := ck.msg
		if ck.at.Sub(sent) < 50*time.Millisecond {
			t.Errorf("checked %v after the send, before transactionTimeOut", ck.at.Sub(sent))
		}
		if m.Topic != "TxCheck" || m.Property(protocol.PropertyTransactionCheckTimes) == "" ||
			ck.h.MsgID != m.UniqKey() || ck.h.TransactionID != m.UniqKey() || ck.h.OffsetMsgID != m.OffsetMsgID() ||
			ck.h.CommitLogOffset != m.CommitLogOffset || ck.h.TranStateTableOffset != m.QueueOffset ||
			m.QueueOffset <= origins[string(m.Body)] || m.Property(protocol.PropertyTransactionPreparedQueueOffset) != fmt.Sprint(origins[string(m.Body)]) {
			t.Errorf("check %+v about %+v", ck.h, m)
		}
	}
	if m := got[0]; m.PreparedTransactionOffset == c.phy || m.Property(protocol.PropertyTransactionPreparedQueueOffset) != fmt.Sprint(c.queueOffset) {
		t.Errorf("committed from the copy: prepared offset %d (first half at %d), %s=%q",
			m.PreparedTransactionOffset, c.phy, protocol.PropertyTransactionPreparedQueueOffset, m.Property(protocol.PropertyTransactionPreparedQueueOffset))
	}

	// The producer's late answer to the first half is refused: the
	// transaction already ended through the check.
	resp := p.end(c, protocol.SysFlagTransactionCommit)
	if resp.Code != protocol.RespSystemError || resp.Remark != remarkTxEnded {
		t.Fatalf("late end: %d %q", resp.Code, resp.Remark)
	}
	if n := len(pullAll(t, b, "TxCheck")); n != 1 {
		t.Fatalf("TxCheck holds %d messages after a late commit", n)
	}
}

func TestTransactionCheckAsksAnotherProducerOfTheGroup(t *testing.T) {
	cfg := txConfig(t.TempDir(), 20*time.Millisecond, 200*time.Millisecond)
	cfg.TransactionCheckMax = 1000
	b := startBroker(t, cfg)
	// The dying producer would never answer; under load it may still be
	// asked before it is gone.
	dead := newTxProducer(t, b.Addr(), "PG_Failover", "dying", func(string) int32 { return verdictSilent })
	other := newTxProducer(t, b.Addr(), "PG_Other", "other-group", noChecks(t))
	h := dead.sendHalf("TxFailover", 0, "orphan", nil)
	dead.c.Close()
	waitFor(t, 5*time.Second, "the dead producer's connection to be dropped", func() bool {
		return len(b.clients.producerConnection("PG_Failover").ConnectionSet) == 0
	})
	// With no producer of the group online the check is skipped, but
	// counted, as upstream does.
	waitFor(t, 5*time.Second, "a check round without producers", func() bool {
		b.trans.mu.Lock()
		defer b.trans.mu.Unlock()
		tx := b.trans.pending[h.queueOffset]
		return tx != nil && tx.checkTimes > len(dead.checked())
	})

	heir := newTxProducer(t, b.Addr(), "PG_Failover", "heir", func(string) int32 { return verdictCommit })
	waitFor(t, 10*time.Second, "the heir to commit", func() bool { return b.trans.pendingCount() == 0 })
	if got := bodyCounts(pullAll(t, b, "TxFailover")); got["orphan"] != 1 || len(got) != 1 {
		t.Fatalf("TxFailover holds %v", got)
	}
	if heir.checksOf("orphan") == 0 || len(other.checked()) != 0 {
		t.Fatalf("heir saw %d checks, the other group %d", heir.checksOf("orphan"), len(other.checked()))
	}
}

func TestTransactionCheckMaxDiscards(t *testing.T) {
	dir := t.TempDir()
	cfg := txConfig(dir, 20*time.Millisecond, 10*time.Millisecond)
	cfg.TransactionCheckMax = 3
	b := startBroker(t, cfg)
	p := newTxProducer(t, b.Addr(), "PG_Max", "tx-1", func(body string) int32 {
		if body == "unsure" {
			return verdictUnsure
		}
		return verdictSilent
	})
	p.sendHalf("TxMax", 0, "silent", nil)
	p.sendHalf("TxMax", 0, "unsure", nil)
	waitFor(t, 10*time.Second, "both halves discarded", func() bool { return b.trans.pendingCount() == 0 })
	// The last check may still be on its way to the producer.
	waitFor(t, 10*time.Second, "the last checks to arrive", func() bool { return p.checksOf("silent") >= 3 && p.checksOf("unsure") >= 3 })
	for _, body := range []string{"silent", "unsure"} {
		if n := p.checksOf(body); n != 3 {
			t.Errorf("%s: %d checks, want transactionCheckMax=3", body, n)
		}
	}
	if got := pullAll(t, b, "TxMax"); len(got) != 0 {
		t.Fatalf("discarded transactions delivered: %v", bodyCounts(got))
	}
	kept := pullAll(t, b, protocol.TopicTransCheckMaxTime)
	if got := bodyCounts(kept); got["silent"] != 1 || got["unsure"] != 1 || len(got) != 2 {
		t.Fatalf("%s holds %v", protocol.TopicTransCheckMaxTime, got)
	}
	if kept[0].Property(protocol.PropertyTransactionCheckTimes) != "3" || kept[0].Property(protocol.PropertyRealTopic) != "TxMax" {
		t.Fatalf("kept half %+v", kept[0])
	}

	// A restart does not bring them back.
	b = restartBroker(t, b, cfg)
	if n := b.trans.pendingCount(); n != 0 {
		t.Fatalf("%d discarded transactions pending again after a restart", n)
	}
}

func TestTransactionImmunity(t *testing.T) {
	b := startBroker(t, txConfig(t.TempDir(), 20*time.Millisecond, 10*time.Millisecond))
	p := newTxProducer(t, b.Addr(), "PG_Immune", "tx-1", func(string) int32 { return verdictCommit })
	sent := time.Now()
	p.sendHalf("TxImmune", 0, "immune", map[string]string{protocol.PropertyCheckImmunityTimeInSeconds: "1"})
	p.sendHalf("TxImmune", 0, "default", map[string]string{protocol.PropertyCheckImmunityTimeInSeconds: "-1"})
	waitFor(t, 10*time.Second, "both checked", func() bool { return b.trans.pendingCount() == 0 })
	for _, c := range p.checked() {
		age := c.at.Sub(sent)
		switch string(c.msg.Body) {
		case "immune":
			// Message times are whole milliseconds: the half's born time
			// can be up to 1 ms before sent, so allow that much.
			if age < time.Second-2*time.Millisecond {
				t.Errorf("immune half checked %v after its send, before its 1 s immunity", age)
			}
		case "default":
			if age > 900*time.Millisecond {
				t.Logf("half with immunity -1 checked only after %v (transactionTimeOut is 10 ms)", age)
			}
		}
	}
	if got := bodyCounts(pullAll(t, b, "TxImmune")); got["immune"] != 1 || got["default"] != 1 {
		t.Fatalf("TxImmune holds %v", got)
	}
}

func TestOpWindow(t *testing.T) {
	var w opWindow
	w.set(3, 9) // before reset: ignored
	w.reset(10)
	w.set(9, 1)   // below the base: ignored
	w.set(12, 50) // 10 and 11 unknown yet
	if got := w.advance(100); got != 10 {
		t.Fatalf("advance over unknown records: %d", got)
	}
	w.set(10, 4)
	w.set(11, 60)
	if got := w.advance(55); got != 11 {
		t.Fatalf("advance to the first record still needed: %d, want 11", got)
	}
	if got := w.advance(61); got != 13 {
		t.Fatalf("advance over everything: %d, want 13", got)
	}
	w.set(13, -1)
	if got := w.advance(0); got != 14 {
		t.Fatalf("a record without copies is always covered: %d", got)
	}
}
