package broker

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// syncFlushTxConfig is a SYNC_FLUSH broker with one send worker and one
// END_TRANSACTION worker, whose check service stays out of the way.
func syncFlushTxConfig(dir string) config.Broker {
	cfg := txConfig(dir, time.Hour, time.Hour)
	cfg.FlushDiskType = config.SyncFlush
	cfg.SendMessageThreadPoolNums = 1
	cfg.EndTransactionThreadPoolNums = 1
	return cfg
}

// txHalfReq builds a prepare of body for group.
func txHalfReq(group, topic string, queueID int32, body []byte, uniq string) *remoting.Command {
	props := map[string]string{
		protocol.PropertyTransactionPrepared: "true", protocol.PropertyProducerGroup: group,
		protocol.PropertyUniqClientMessageID: uniq, protocol.PropertyTags: "TagTx",
	}
	h := protocol.SendMessageRequestHeader{
		ProducerGroup: group, Topic: topic, DefaultTopic: protocol.TopicAutoCreate, DefaultTopicQueueNums: 4,
		QueueID: queueID, SysFlag: protocol.SysFlagTransactionPrepared, BornTimestamp: time.Now().UnixMilli(),
		Properties: protocol.EncodeProperties(props),
	}
	return remoting.NewRequest(protocol.ReqSendMessageV2, h.EncodeV2(), body)
}

// txEndReq builds the END_TRANSACTION of the half a prepare was answered with.
func txEndReq(group string, prepared *remoting.Command, state int32) (*remoting.Command, int64, error) {
	_, phy, err := protocol.DecodeOffsetMsgID(prepared.ExtFields["msgId"])
	if err != nil {
		return nil, 0, fmt.Errorf("half msgId %q: %v", prepared.ExtFields["msgId"], err)
	}
	var queueOffset int64
	if _, err := fmt.Sscan(prepared.ExtFields["queueOffset"], &queueOffset); err != nil {
		return nil, 0, fmt.Errorf("half queueOffset %q: %v", prepared.ExtFields["queueOffset"], err)
	}
	end := protocol.EndTransactionRequestHeader{ProducerGroup: group, TranStateTableOffset: queueOffset, CommitLogOffset: phy,
		CommitOrRollback: state, MsgID: prepared.ExtFields["transactionId"], TransactionID: prepared.ExtFields["transactionId"]}
	return remoting.NewRequest(protocol.ReqEndTransaction, protocol.EncodeHeader(&end), nil), phy, nil
}

// TestSyncFlushTransactions runs 32 concurrent transactional producers
// over one connection against a SYNC_FLUSH broker with a single send
// worker and a single END_TRANSACTION worker. Prepares are answered only
// once the half is flushed, commits only once the committed message is;
// every transaction ends once (a second, concurrent commit of the same
// half is refused), rolled-back messages never appear, and afterwards the
// table is empty and the committed progress covers both system queues.
func TestSyncFlushTransactions(t *testing.T) {
	b := startBroker(t, syncFlushTxConfig(t.TempDir()))
	c := newClient(t)
	const producers, each = 32, 6
	var (
		mu        sync.Mutex
		flushedAt = map[string]int64{} // committed body -> flushed offset when its commit was answered
		rolled    = map[string]bool{}
	)
	invoke := func(req *remoting.Command) (*remoting.Command, error) {
		return c.InvokeSync(context.Background(), b.Addr(), req, 20*time.Second)
	}
	errs := make(chan error, producers)
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				body := fmt.Sprintf("tx-%d-%d", p, i)
				resp, err := invoke(txHalfReq("PG_Sync", "TxSync", int32(p%4), []byte(body), "UNIQ-"+body))
				if err != nil || resp.Code != protocol.RespSuccess {
					errs <- fmt.Errorf("prepare %s: %v %v", body, resp, err)
					return
				}
				state := int32(protocol.SysFlagTransactionCommit)
				if i%3 == 2 {
					state = protocol.SysFlagTransactionRollback
				}
				end, phy, err := txEndReq("PG_Sync", resp, state)
				if err != nil {
					errs <- err
					return
				}
				if flushed := b.store.CommitLogFlushedOffset(); flushed <= phy {
					errs <- fmt.Errorf("prepare %s answered with the half at %d and the log flushed to %d", body, phy, flushed)
					return
				}
				if i == 0 && state == protocol.SysFlagTransactionCommit {
					// Two commits of one half at once: exactly one wins.
					twice := make(chan *remoting.Command, 2)
					for range 2 {
						req, _, _ := txEndReq("PG_Sync", resp, state) // a request is sent once
						go func() {
							r, err := invoke(req)
							if err != nil {
								r = remoting.NewResponse(req, -1, err.Error())
							}
							twice <- r
						}()
					}
					r1, r2 := <-twice, <-twice
					ok := 0
					for _, r := range []*remoting.Command{r1, r2} {
						if r.Code == protocol.RespSuccess {
							ok++
						} else if r.Remark != remarkTxEnded {
							errs <- fmt.Errorf("second commit of %s: %d %q", body, r.Code, r.Remark)
							return
						}
					}
					if ok != 1 {
						errs <- fmt.Errorf("two concurrent commits of %s: %d succeeded", body, ok)
						return
					}
				} else if r, err := invoke(end); err != nil || r.Code != protocol.RespSuccess {
					errs <- fmt.Errorf("end %s: %v %v", body, r, err)
					return
				}
				flushed := b.store.CommitLogFlushedOffset()
				mu.Lock()
				if state == protocol.SysFlagTransactionCommit {
					flushedAt[body] = flushed
				} else {
					rolled[body] = true
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	msgs := pullAll(t, b, "TxSync")
	counts := bodyCounts(msgs)
	for _, m := range msgs {
		body := string(m.Body)
		at, ok := flushedAt[body]
		switch {
		case rolled[body]:
			t.Fatalf("rolled-back %s delivered", body)
		case !ok:
			t.Fatalf("unknown message %q", body)
		case counts[body] != 1:
			t.Fatalf("%s delivered %d times", body, counts[body])
		case m.CommitLogOffset >= at:
			t.Fatalf("commit of %s answered with the log flushed to %d, the message is at %d", body, at, m.CommitLogOffset)
		}
	}
	if len(counts) != len(flushedAt) {
		t.Fatalf("%d committed messages delivered, want %d", len(counts), len(flushedAt))
	}
	if n := b.trans.pendingCount(); n != 0 {
		t.Fatalf("%d transactions still pending", n)
	}
	dispatched(t, b)
	half, op := b.trans.committedOffsets()
	if wantHalf, wantOp := b.store.MaxOffsetInQueue(protocol.TopicTransHalf, 0), b.store.MaxOffsetInQueue(protocol.TopicTransOpHalf, 0); half != wantHalf || op != wantOp || half != producers*each {
		t.Fatalf("committed offsets half %d op %d, want %d (%d halves) and %d", half, op, wantHalf, producers*each, wantOp)
	}
}

// TestSyncFlushCommitRefused: a commit whose message the store refuses
// (here: over a maxMessageSize lowered after the prepare) leaves the
// transaction open under SYNC_FLUSH too; once the limit is raised again
// the commit goes through, once.
func TestSyncFlushCommitRefused(t *testing.T) {
	b := startBroker(t, syncFlushTxConfig(t.TempDir()))
	p := newTxProducer(t, b.Addr(), "PG_Refused", "p1", func(string) int32 { return verdictSilent })
	body := string(bytes.Repeat([]byte("r"), 20<<10))
	h := p.sendHalf("TxRefused", 0, body, nil)
	mustCode(t, updateConfig(t, p.c, b.Addr(), fmt.Sprintf("maxMessageSize=%d\n", 8<<10)), protocol.RespSuccess)
	mustCode(t, p.end(h, verdictCommit), protocol.RespMessageIllegal)
	if tx := b.trans.lookup(h.queueOffset); tx == nil || b.trans.pendingCount() != 1 {
		t.Fatalf("a refused commit ended the transaction (pending %d)", b.trans.pendingCount())
	}
	if msgs := pullAll(t, b, "TxRefused"); len(msgs) != 0 {
		t.Fatalf("refused commit delivered %d messages", len(msgs))
	}
	mustCode(t, updateConfig(t, p.c, b.Addr(), fmt.Sprintf("maxMessageSize=%d\n", 32<<10)), protocol.RespSuccess)
	mustCode(t, p.end(h, verdictCommit), protocol.RespSuccess)
	resp := p.end(h, verdictCommit)
	if resp.Code == protocol.RespSuccess || resp.Remark != remarkTxEnded {
		t.Fatalf("second commit: %d %q", resp.Code, resp.Remark)
	}
	if counts := bodyCounts(pullAll(t, b, "TxRefused")); len(counts) != 1 || counts[body] != 1 {
		t.Fatalf("delivered %d distinct messages, want the committed one once", len(counts))
	}
	if n := b.trans.pendingCount(); n != 0 {
		t.Fatalf("%d transactions pending after the commit", n)
	}
}
