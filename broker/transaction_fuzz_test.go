package broker

import (
	"strconv"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store"
)

// FuzzEndTransaction feeds END_TRANSACTION headers from the network to a
// broker holding a few half messages and a plain one: whatever the
// offsets point at (past the log, inside a record, another topic), the
// broker answers without panicking, commits only a pending half it was
// pointed at exactly, and never delivers a message twice.
func FuzzEndTransaction(f *testing.F) {
	b := startBroker(f, txConfig(f.TempDir(), time.Hour, time.Hour))
	p := newTxProducer(f, b.Addr(), "PG_Fuzz", "fuzz", func(string) int32 { return verdictSilent })
	halves := map[int64]half{}
	for _, body := range []string{"h0", "h1", "h2", "h3"} {
		h := p.sendHalf("TxFuzz", 0, body, nil)
		halves[h.phy] = h
	}
	plain := call(f, p.c, b.Addr(), sendReq("TxFuzz", 0, []byte("plain"), nil))
	mustCode(f, plain, protocol.RespSuccess)
	_, plainPhy, _ := protocol.DecodeOffsetMsgID(plain.ExtFields["msgId"])

	str := func(n int64) string { return strconv.FormatInt(n, 10) }
	for _, h := range halves {
		f.Add("PG_Fuzz", str(h.queueOffset), str(h.phy), "8")
		f.Add("PG_Fuzz", str(h.queueOffset), str(h.phy), "12")
		f.Add("PG_Fuzz", str(h.queueOffset), str(h.phy+1), "8")
		f.Add("PG_Other", str(h.queueOffset), str(h.phy), "8")
	}
	f.Add("PG_Fuzz", "0", str(plainPhy), "8")
	f.Add("PG_Fuzz", "-1", "-1", "8")
	f.Add("PG_Fuzz", "0", "9223372036854775807", "12")
	f.Add("", "", "", "")
	f.Add("PG_Fuzz", "0x1", "1e3", "commit")

	f.Fuzz(func(t *testing.T, group, queueOffset, phy, state string) {
		ext := map[string]string{"producerGroup": group, "tranStateTableOffset": queueOffset, "commitLogOffset": phy, "commitOrRollback": state}
		var h protocol.EndTransactionRequestHeader
		if err := protocol.DecodeHeader(ext, &h); err != nil {
			return
		}
		wasPending := b.trans.lookup(h.TranStateTableOffset) != nil
		code, remark := b.trans.end(&h)
		if code == protocol.RespSuccess && h.CommitOrRollback != protocol.SysFlagTransactionNotType {
			hf, ok := halves[h.CommitLogOffset]
			if !ok || hf.queueOffset != h.TranStateTableOffset || group != "PG_Fuzz" || !wasPending {
				t.Fatalf("ended a transaction for %+v (%q)", h, remark)
			}
		}
		for body, n := range bodyCounts(pullAll(t, b, "TxFuzz")) {
			if n != 1 {
				t.Fatalf("%s delivered %d times", body, n)
			}
		}
	})
}

// FuzzTransactionRecover stores half and op records with arbitrary
// properties and bodies, as a damaged or foreign store could hold them,
// and rebuilds the transaction table from them: no panic, every pending
// transaction's key lies at or below its latest copy, and ending one
// never panics either.
func FuzzTransactionRecover(f *testing.F) {
	cfg := txConfig(f.TempDir(), time.Hour, time.Hour)
	cfg.MappedFileSizeCommitLog = 256 << 20 // a long run writes hundreds of MB
	cfg.MappedFileSizeConsumeQueue = 20 * 300_000
	b := startBroker(f, cfg)
	f.Add("0", "1", "-1", "TxRecover", "2", []byte("0"))
	f.Add("", "", "", "", "", []byte(""))
	f.Add("99", "x", "60", "TxRecover", "-3", []byte("-7"))
	f.Add("-1", "16", "2147483648", "", "9999999999", []byte("18446744073709551616"))
	f.Add("3", "2", "1", "bad topic!", "0", []byte("1,2,3"))

	f.Fuzz(func(t *testing.T, origin, checkTimes, immunity, realTopic, realQID string, opBody []byte) {
		props := map[string]string{
			protocol.PropertyProducerGroup: "PG_Recover", protocol.PropertyTransactionPrepared: "true",
			protocol.PropertyTransactionPreparedQueueOffset: origin, protocol.PropertyTransactionCheckTimes: checkTimes,
			protocol.PropertyCheckImmunityTimeInSeconds: immunity, protocol.PropertyRealTopic: realTopic,
			protocol.PropertyRealQueueID: realQID,
		}
		res := b.store.PutMessage(&store.MessageInput{
			Topic: protocol.TopicTransHalf, BornTimestamp: time.Now().UnixMilli(), BornHost: b.storeHost, StoreHost: b.storeHost,
			Body: []byte("fuzz"), Properties: protocol.EncodeProperties(props),
		})
		if !res.Status.Stored() {
			t.Fatalf("put half: %s %s", res.Status, res.Remark)
		}
		res = b.store.PutMessage(&store.MessageInput{
			Topic: protocol.TopicTransOpHalf, BornTimestamp: time.Now().UnixMilli(), BornHost: b.storeHost, StoreHost: b.storeHost,
			Body: opBody, Properties: protocol.EncodeProperties(map[string]string{protocol.PropertyTags: opTag}),
		})
		if !res.Status.Stored() {
			t.Fatalf("put op: %s %s", res.Status, res.Remark)
		}
		dispatched(t, b)
		if err := b.trans.recover(); err != nil {
			t.Fatal(err)
		}
		b.trans.mu.Lock()
		var open []*halfTxn
		for key, tx := range b.trans.pending {
			if key != tx.origin || tx.origin > tx.queueOffset || tx.checkTimes < 0 || tx.immunity < 0 {
				t.Errorf("pending %d: %+v", key, tx)
			}
			open = append(open, tx)
		}
		b.trans.mu.Unlock()
		half, op := b.trans.committedOffsets()
		if max := b.store.MaxOffsetInQueue(protocol.TopicTransHalf, 0); half > max || op > b.store.MaxOffsetInQueue(protocol.TopicTransOpHalf, 0) {
			t.Fatalf("committed offsets %d/%d past the queues (half max %d)", half, op, max)
		}
		for _, tx := range open {
			h := protocol.EndTransactionRequestHeader{ProducerGroup: "PG_Recover", TranStateTableOffset: tx.queueOffset, CommitLogOffset: tx.phyOffset,
				CommitOrRollback: protocol.SysFlagTransactionCommit}
			if code, _ := b.trans.end(&h); code != protocol.RespSuccess {
				h.CommitOrRollback = protocol.SysFlagTransactionRollback
				if code, remark := b.trans.end(&h); code != protocol.RespSuccess {
					t.Fatalf("rollback of a recovered transaction %+v: %s", tx, remark)
				}
			}
		}
		b.trans.persistOffsets() // the next round recovers from here
	})
}
