package broker

import (
	"context"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// BenchmarkSend measures synchronous 1 KiB sends through a remoting client
// to an in-process broker (ASYNC_FLUSH). Compare Serial with Parallel64
// from the same run: the machine is shared, absolute figures are noisy.
func BenchmarkSend(b *testing.B) {
	cfg := testConfig(b.TempDir())
	cfg.MappedFileSizeCommitLog = 256 << 20
	br := startBroker(b, cfg)
	c := newClient(b)
	body := make([]byte, 1024)
	props := protocol.EncodeProperties(map[string]string{protocol.PropertyTags: "TagA", protocol.PropertyUniqClientMessageID: "C0A800010000000000000000000000001"})
	send := func(b *testing.B) {
		h := protocol.SendMessageRequestHeader{ProducerGroup: "pg", Topic: "Bench", DefaultTopic: protocol.TopicAutoCreate,
			DefaultTopicQueueNums: 4, QueueID: -1, BornTimestamp: time.Now().UnixMilli(), Properties: props}
		resp, err := c.InvokeSync(context.Background(), br.Addr(), remoting.NewRequest(protocol.ReqSendMessageV2, h.EncodeV2(), body), 10*time.Second)
		if err != nil || resp.Code != protocol.RespSuccess {
			b.Fatalf("send: %v %v", resp, err)
		}
	}
	b.Run("Serial", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			send(b)
		}
	})
	b.Run("Parallel64", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		b.SetParallelism(32) // 2 CPUs x 32 = 64 senders
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				send(b)
			}
		})
	})
}
