package broker

import (
	"context"
	"encoding/binary"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/store"
)

// BenchmarkPullFilter reads one queue of 20 000 messages (256-byte bodies,
// properties a = i%100 and TAGS = Tag<i%100>) from start to end through a
// remoting client, 32 messages per pull, with each filter in turn; an op
// is one pass. ns/msg is wall time per message scanned, cpu-ns/msg the
// CPU time of the whole process (client and broker) per message, which
// moves less when other processes compete for the cores. The 1% filters answer far
// fewer messages per pull, so they also make fewer round trips: compare
// the sub-benchmarks of one run only (the machine is shared).
func BenchmarkPullFilter(b *testing.B) {
	const n = 20000
	cfg := testConfig(b.TempDir())
	cfg.MappedFileSizeCommitLog = 64 << 20
	br := startBroker(b, cfg)
	c := newClient(b)
	const topic = "BenchFilter"
	// The first message creates the topic; the rest go straight to the store.
	mustCode(b, call(b, c, br.Addr(), sendReq(topic, 0, make([]byte, 256), benchProps(0))), protocol.RespSuccess)
	now := time.Now().UnixMilli()
	for i := 1; i < n; i++ {
		res := br.store.PutMessage(&store.MessageInput{Topic: topic, QueueID: 0, BornTimestamp: now, BornHost: br.storeHost,
			StoreHost: br.storeHost, Body: make([]byte, 256), Properties: protocol.EncodeProperties(benchProps(i))})
		if !res.Status.Stored() {
			b.Fatalf("put %d: %s", i, res.Status)
		}
	}
	dispatched(b, br)

	cases := []struct {
		name, exprType, expr string
		want                 int // messages delivered per pass
	}{
		{"none", protocol.ExpressionTypeTag, "*", n},
		{"tag-1pct", protocol.ExpressionTypeTag, "Tag7", n / 100},
		{"sql92-1pct", protocol.ExpressionTypeSQL92, "a = 7", n / 100},
		{"sql92-all", protocol.ExpressionTypeSQL92, "a >= 0 AND TAGS IS NOT NULL", n},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu := processCPU(b)
			for b.Loop() {
				if got := pullPass(b, c, br.Addr(), topic, tc.exprType, tc.expr, n); got != tc.want {
					b.Fatalf("pass delivered %d messages, want %d", got, tc.want)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/msg")
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N*n), "cpu-ns/msg")
		})
	}
}

func benchProps(i int) map[string]string {
	return map[string]string{"a": strconv.Itoa(i % 100), protocol.PropertyTags: "Tag" + strconv.Itoa(i%100),
		protocol.PropertyUniqClientMessageID: "C0A800010000000000000000000000001"}
}

// pullPass pulls queue 0 from offset 0 to max and counts the messages.
func pullPass(b *testing.B, c *remoting.Client, addr, topic, exprType, expr string, max int64) int {
	delivered := 0
	for offset := int64(0); offset < max; {
		h := protocol.PullMessageRequestHeader{ConsumerGroup: "bench", Topic: topic, QueueOffset: offset, MaxMsgNums: 32,
			SysFlag: protocol.PullFlagSubscription, Subscription: expr, ExpressionType: exprType, SubVersion: 1}
		resp, err := c.InvokeSync(context.Background(), addr, remoting.NewRequest(protocol.ReqPullMessage, protocol.EncodeHeader(&h), nil), 10*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		switch resp.Code {
		case protocol.RespSuccess:
			delivered += countRecords(b, resp.Body)
		case protocol.RespPullRetryImmediately:
		default:
			b.Fatalf("pull at %d: %d %s", offset, resp.Code, resp.Remark)
		}
		next, err := strconv.ParseInt(resp.ExtFields["nextBeginOffset"], 10, 64)
		if err != nil || next <= offset {
			b.Fatalf("pull at %d: next offset %q", offset, resp.ExtFields["nextBeginOffset"])
		}
		offset = next
	}
	return delivered
}

// countRecords counts the records of a pull body by their TOTALSIZE
// fields, without decoding them (the client's cost is not the point).
func countRecords(b *testing.B, body []byte) int {
	n := 0
	for len(body) >= 4 {
		size := int(binary.BigEndian.Uint32(body))
		if size < 4 || size > len(body) {
			b.Fatalf("bad record size %d", size)
		}
		body = body[size:]
		n++
	}
	return n
}

// processCPU is the user+system CPU time of this process so far, in ns.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
