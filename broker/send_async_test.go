package broker

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// syncFlushConfig is a SYNC_FLUSH broker with workers send workers.
func syncFlushConfig(dir string, workers int) config.Broker {
	cfg := testConfig(dir)
	cfg.FlushDiskType = config.SyncFlush
	cfg.SendMessageThreadPoolNums = workers
	return cfg
}

// TestSyncFlushSendsAnsweredAfterFlush sends from 64 goroutines over one
// connection to a SYNC_FLUSH broker with a single send worker: every send
// is answered SEND_OK, and only once the commit log is flushed past it.
func TestSyncFlushSendsAnsweredAfterFlush(t *testing.T) {
	b := startBroker(t, syncFlushConfig(t.TempDir(), 1))
	c := newClient(t) // one connection to the broker, shared by all senders
	const senders, each = 64, 10
	errs := make(chan error, senders)
	var wg sync.WaitGroup
	for w := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				req := sendReq("SyncSend", int32(w%4), []byte(fmt.Sprintf("%d-%d", w, i)), nil)
				resp, err := c.InvokeSync(context.Background(), b.Addr(), req, 20*time.Second)
				if err != nil {
					errs <- fmt.Errorf("sender %d: %v", w, err)
					return
				}
				if resp.Code != protocol.RespSuccess {
					errs <- fmt.Errorf("sender %d: code %d %q", w, resp.Code, resp.Remark)
					return
				}
				_, off, err := protocol.DecodeOffsetMsgID(resp.ExtFields["msgId"])
				if err != nil {
					errs <- fmt.Errorf("sender %d: msgId %q: %v", w, resp.ExtFields["msgId"], err)
					return
				}
				if flushed := b.store.CommitLogFlushedOffset(); flushed <= off {
					errs <- fmt.Errorf("sender %d: SEND_OK for the record at %d with the log flushed to %d", w, off, flushed)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	dispatched(t, b)
	if n := b.store.MaxOffsetInQueue("SyncSend", 0) + b.store.MaxOffsetInQueue("SyncSend", 1) +
		b.store.MaxOffsetInQueue("SyncSend", 2) + b.store.MaxOffsetInQueue("SyncSend", 3); n != senders*each {
		t.Fatalf("%d messages stored, want %d", n, senders*each)
	}

	// A batch is answered after its flush too, and WAIT=false at once.
	body, err := protocol.EncodeBatch([]*protocol.Message{{Topic: "SyncSend", Body: []byte("a")}, {Topic: "SyncSend", Body: []byte("b")}})
	if err != nil {
		t.Fatal(err)
	}
	h := protocol.SendMessageRequestHeader{ProducerGroup: "pg", Topic: "SyncSend", QueueID: 0, BornTimestamp: time.Now().UnixMilli(), Batch: true}
	resp := call(t, c, b.Addr(), remoting.NewRequest(protocol.ReqSendBatchMessage, h.EncodeV2(), body))
	mustCode(t, resp, protocol.RespSuccess)
	if ids := resp.ExtFields["msgId"]; strings.Count(ids, ",") != 1 {
		t.Fatalf("batch msgId %q does not name two messages", ids)
	}
	resp = call(t, c, b.Addr(), sendReq("SyncSend", 0, []byte("nowait"), map[string]string{protocol.PropertyWaitStoreMsgOK: "false"}))
	mustCode(t, resp, protocol.RespSuccess)
}

// BenchmarkSyncFlushSend compares 64 concurrent senders on a SYNC_FLUSH
// broker with the default two send workers, answered by the group commit
// (Async) or by workers that wait for their own flush (Blocking, the old
// path). Compare the two from the same run: the machine is shared.
func BenchmarkSyncFlushSend(b *testing.B) {
	for _, mode := range []struct {
		name     string
		blocking bool
	}{{"Blocking", true}, {"Async", false}} {
		b.Run(mode.name, func(b *testing.B) {
			blockingSends = mode.blocking // read by the broker started below
			b.Cleanup(func() { blockingSends = false })
			cfg := syncFlushConfig(b.TempDir(), 2)
			cfg.MappedFileSizeCommitLog = 256 << 20
			br := startBroker(b, cfg)
			c := newClient(b)
			body := make([]byte, 128)
			b.SetParallelism(32) // 2 CPUs x 32 = 64 senders
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := c.InvokeSync(context.Background(), br.Addr(), sendReq("BenchSync", -1, body, nil), 20*time.Second)
					if err != nil || resp.Code != protocol.RespSuccess {
						b.Errorf("send: %v %v", resp, err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
