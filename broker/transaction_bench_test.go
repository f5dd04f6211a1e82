package broker

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// benchSend sends one 1 KiB message as a producer does: plain, or a half
// message (sync) followed by a oneway END_TRANSACTION commit.
func benchSend(b *testing.B, br *Broker, c *remoting.Client, seq *atomic.Int64, body []byte, transactional bool) error {
	n := seq.Add(1)
	props := map[string]string{protocol.PropertyTags: "TagA", protocol.PropertyUniqClientMessageID: fmt.Sprintf("BENCH%028d", n)}
	sysFlag := int32(0)
	if transactional {
		props[protocol.PropertyTransactionPrepared] = "true"
		props[protocol.PropertyProducerGroup] = "PG_Bench"
		sysFlag = protocol.SysFlagTransactionPrepared
	}
	h := protocol.SendMessageRequestHeader{ProducerGroup: "PG_Bench", Topic: "TxBench", DefaultTopic: protocol.TopicAutoCreate,
		DefaultTopicQueueNums: 4, QueueID: int32(n % 4), SysFlag: sysFlag, BornTimestamp: time.Now().UnixMilli(),
		Properties: protocol.EncodeProperties(props)}
	resp, err := c.InvokeSync(context.Background(), br.Addr(), remoting.NewRequest(protocol.ReqSendMessageV2, h.EncodeV2(), body), 20*time.Second)
	if err != nil || resp.Code != protocol.RespSuccess {
		return fmt.Errorf("send: %v %v", resp, err)
	}
	if !transactional {
		return nil
	}
	end, _, err := txEndReq("PG_Bench", resp, protocol.SysFlagTransactionCommit)
	if err != nil {
		return err
	}
	return c.InvokeOneway(context.Background(), br.Addr(), end)
}

// runProducers runs b.N sends over producers connections, then waits
// until every transaction is committed.
func runProducers(b *testing.B, br *Broker, clients []*remoting.Client, transactional bool) {
	var seq, next atomic.Int64
	body := make([]byte, 1024)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	producers := len(clients)
	b.SetParallelism((producers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.RunParallel(func(pb *testing.PB) {
		c := clients[next.Add(1)%int64(producers)]
		for pb.Next() {
			if err := benchSend(b, br, c, &seq, body, transactional); err != nil {
				b.Error(err)
				return
			}
		}
	})
	waitFor(b, time.Minute, "every transaction committed", func() bool { return br.trans.pendingCount() == 0 })
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkTransactionalSend compares 16 producers sending plain 1 KiB
// messages with 16 producers running transactions: a half message (sync)
// and a oneway END_TRANSACTION commit, as clients do. The transactional
// figure includes storing every committed message and its op record (the
// timer stops only when no transaction is pending). Compare the two
// sub-benchmarks of one run; the machine is shared.
func BenchmarkTransactionalSend(b *testing.B) {
	const producers = 16
	cfg := txConfig(b.TempDir(), time.Hour, time.Hour)
	cfg.MappedFileSizeCommitLog = 256 << 20
	br := startBroker(b, cfg)
	clients := make([]*remoting.Client, producers)
	for i := range clients {
		clients[i] = newClient(b)
	}
	b.Run("Plain16", func(b *testing.B) { runProducers(b, br, clients, false) })
	b.Run("Transactional16", func(b *testing.B) { runProducers(b, br, clients, true) })
}

// BenchmarkTransactionalSendSyncFlush runs 16 and 64 transactional
// producers against a SYNC_FLUSH broker with the default worker pools,
// whose prepares and commits are answered by workers waiting for their own
// flush (Blocking, the old path) or by the group commit (Async). Besides
// msgs/s (transactions per second) it reports tx/sync and msgs/sync: the
// transactions and the stored records (halves, committed messages, op
// records) per commit log sync. Compare within one run: the machine is
// shared.
func BenchmarkTransactionalSendSyncFlush(b *testing.B) {
	for _, producers := range []int{16, 64} {
		for _, mode := range []struct {
			name     string
			blocking bool
		}{{"Blocking", true}, {"Async", false}} {
			b.Run(fmt.Sprintf("%s%d", mode.name, producers), func(b *testing.B) {
				blockingSends = mode.blocking // read by the broker started below
				b.Cleanup(func() { blockingSends = false })
				cfg := txConfig(b.TempDir(), time.Hour, time.Hour)
				cfg.FlushDiskType = config.SyncFlush
				cfg.MappedFileSizeCommitLog = 256 << 20
				br := startBroker(b, cfg)
				clients := make([]*remoting.Client, producers)
				for i := range clients {
					clients[i] = newClient(b)
				}
				syncs, puts := br.store.CommitLogSyncs(), br.store.PutMessageTimesTotal()
				b.ResetTimer()
				runProducers(b, br, clients, true)
				b.StopTimer()
				dispatched(b, br)
				syncs = max(br.store.CommitLogSyncs()-syncs, 1)
				puts = br.store.PutMessageTimesTotal() - puts
				b.ReportMetric(float64(b.N)/float64(syncs), "tx/sync")
				b.ReportMetric(float64(puts)/float64(syncs), "msgs/sync")
			})
		}
	}
}
