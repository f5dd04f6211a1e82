package broker

import (
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store"
)

// BenchmarkTimerEnqueue: reading one timer record into the heap, the
// timer's per-record cost when it scans its topic (no store, no I/O).
func BenchmarkTimerEnqueue(b *testing.B) {
	o := store.DefaultOptions(b.TempDir())
	o.MappedFileSizeCommitLog = 1 << 20
	o.MappedFileSizeConsumeQueue = 20 * 100
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(o)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	props := map[string]string{protocol.PropertyUniqClientMessageID: "7F00000100012A9F8E5C5B2C00000001",
		propertyTimerOutMS: strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10), protocol.PropertyRealTopic: "Later",
		protocol.PropertyRealQueueID: "3", protocol.PropertyKeys: "order-1", protocol.PropertyTags: "TagA"}
	if res := st.PutMessage(&store.MessageInput{Topic: timerTopic, Body: make([]byte, 128), Properties: protocol.EncodeProperties(props)}); !res.Status.Stored() {
		b.Fatal(res.Status)
	}
	waitFor(b, 5*time.Second, "dispatch", func() bool { return st.MaxOffsetInQueue(timerTopic, 0) == 1 })
	res, err := st.GetMessage("", timerTopic, 0, 0, 1, 0, nil)
	if err != nil || len(res.Messages) != 1 {
		b.Fatalf("read back: %v", err)
	}
	raw := append([]byte(nil), res.Messages[0]...)
	res.Release()
	tm := newTimerService(b.TempDir(), testLogger(), time.Now)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%65536 == 0 {
			tm.q = tm.q[:0]
		}
		tm.enqueue(raw, int64(i))
	}
}
