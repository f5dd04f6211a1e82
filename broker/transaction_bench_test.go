package broker

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

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
	body := make([]byte, 1024)
	clients := make([]*remoting.Client, producers)
	for i := range clients {
		clients[i] = newClient(b)
	}
	var seq atomic.Int64
	send := func(b *testing.B, c *remoting.Client, transactional bool) {
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
		resp, err := c.InvokeSync(context.Background(), br.Addr(), remoting.NewRequest(protocol.ReqSendMessageV2, h.EncodeV2(), body), 10*time.Second)
		if err != nil || resp.Code != protocol.RespSuccess {
			b.Fatalf("send: %v %v", resp, err)
		}
		if !transactional {
			return
		}
		_, phy, err := protocol.DecodeOffsetMsgID(resp.ExtFields["msgId"])
		if err != nil {
			b.Fatal(err)
		}
		end := protocol.EndTransactionRequestHeader{ProducerGroup: "PG_Bench", TranStateTableOffset: extInt(b, resp, "queueOffset"),
			CommitLogOffset: phy, CommitOrRollback: protocol.SysFlagTransactionCommit, MsgID: props[protocol.PropertyUniqClientMessageID]}
		if err := c.InvokeOneway(context.Background(), br.Addr(), remoting.NewRequest(protocol.ReqEndTransaction, protocol.EncodeHeader(&end), nil)); err != nil {
			b.Fatal(err)
		}
	}
	run := func(transactional bool) func(b *testing.B) {
		return func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			var next atomic.Int64
			b.SetParallelism((producers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
			b.RunParallel(func(pb *testing.PB) {
				c := clients[next.Add(1)%producers]
				for pb.Next() {
					send(b, c, transactional)
				}
			})
			waitFor(b, time.Minute, "every transaction committed", func() bool { return br.trans.pendingCount() == 0 })
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		}
	}
	b.Run("Plain16", run(false))
	b.Run("Transactional16", run(true))
}
