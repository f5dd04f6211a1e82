package broker

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store"
)

// Measurements of delayed delivery (run with -benchtime=1x: each
// iteration is one whole experiment on a fresh broker).
//
//	go test -run '^$' -bench 'Delayed|Timer' -benchtime=1x ./broker/

// putDue stores n messages that fall due together: either in delay level 1
// or in the timer topic with the TIMER_OUT_MS a send asking for at gets
// (the 1 s tick before it). It returns each message's due time by key.
func putDue(b testing.TB, st *store.Store, n int, timer bool, at int64) map[string]int64 {
	due := make(map[string]int64, n)
	body := make([]byte, 128)
	for i := range n {
		key := "M" + strconv.Itoa(i)
		props := map[string]string{protocol.PropertyUniqClientMessageID: key}
		topic := "Due"
		if timer {
			topic = timerTopic
			props[propertyTimerOutMS] = strconv.FormatInt(tickStart(at, 1000), 10)
			props[protocol.PropertyRealTopic], props[protocol.PropertyRealQueueID] = "Due", "0"
		} else {
			props[protocol.PropertyDelayTimeLevel] = "1"
		}
		res := st.PutMessage(&store.MessageInput{Topic: topic, Body: body, Properties: protocol.EncodeProperties(props)})
		if !res.Status.Stored() {
			b.Fatalf("put %d: %v", i, res.Status)
		}
		due[key] = tickEnd(tickStart(at, 1000), 1000)
		if !timer {
			due[key] = res.StoreTimestamp + time.Second.Milliseconds()
		}
	}
	return due
}

// lateness waits for every message to be delivered and returns how late
// each one was, sorted.
func lateness(b testing.TB, br *Broker, due map[string]int64) []time.Duration {
	waitFor(b, 120*time.Second, "delivery", func() bool { return br.store.MaxOffsetInQueue("Due", 0) >= int64(len(due)) })
	var late []time.Duration
	for _, m := range readQueue(b, br.store, "Due", 0) {
		late = append(late, time.Duration(m.StoreTimestamp-due[m.UniqKey()])*time.Millisecond)
	}
	slices.Sort(late)
	return late
}

func pct(late []time.Duration, p float64) float64 {
	return float64(late[int(float64(len(late)-1)*p)].Milliseconds())
}

// BenchmarkDelayedLateness10k: 10,000 messages due in the same second (a
// delay level: put back to back; the timer: one TIMER_OUT_MS). Baseline:
// the time the same 10,000 puts take on the same store, which bounds how
// fast any delivery can be.
func BenchmarkDelayedLateness10k(b *testing.B) {
	const n = 10_000
	for _, timer := range []bool{false, true} {
		name := map[bool]string{false: "level", true: "timer"}[timer]
		b.Run(name, func(b *testing.B) {
			for range b.N {
				cfg := testConfig(b.TempDir())
				cfg.MessageDelayLevel = "1s"
				cfg.MappedFileSizeCommitLog = 64 << 20
				br := startBroker(b, cfg)
				putSpan := putPlain(b, br.store, n)
				at := time.Now().Add(2 * time.Second).UnixMilli()
				due := putDue(b, br.store, n, timer, at)
				late := lateness(b, br, due)
				b.ReportMetric(pct(late, 0.5), "p50-late-ms")
				b.ReportMetric(pct(late, 0.99), "p99-late-ms")
				b.ReportMetric(pct(late, 1), "max-late-ms")
				b.ReportMetric(float64(putSpan.Milliseconds()), "baseline-put-10k-ms")
			}
		})
	}
}

// BenchmarkTimer100kPending: 100,000 timer messages at spread delivery
// times 1 h ahead are read into the timer (enqueue), then 100,000 due at
// one moment are delivered (dequeue) while the first 100,000 stay pending.
// Baseline: plain puts of the same messages in the same run.
func BenchmarkTimer100kPending(b *testing.B) {
	const n = 100_000
	for range b.N {
		cfg := testConfig(b.TempDir())
		cfg.MappedFileSizeCommitLog = 128 << 20
		cfg.MappedFileSizeConsumeQueue = 20 * 300_000
		br := startBroker(b, cfg)
		putRate := n / putPlain(b, br.store, n).Seconds()
		body := make([]byte, 128)
		hour := time.Now().Add(time.Hour).UnixMilli()
		begin := time.Now()
		for i := range n {
			props := map[string]string{protocol.PropertyUniqClientMessageID: "P" + strconv.Itoa(i),
				propertyTimerOutMS: strconv.FormatInt(hour+int64(i%3_600_000), 10), protocol.PropertyRealTopic: "Later", protocol.PropertyRealQueueID: "0"}
			if res := br.store.PutMessage(&store.MessageInput{Topic: timerTopic, Body: body, Properties: protocol.EncodeProperties(props)}); !res.Status.Stored() {
				b.Fatal(res.Status)
			}
		}
		waitFor(b, 120*time.Second, "100k pending", func() bool { return br.timer.pending.Load() == n })
		enqueueRate := n / time.Since(begin).Seconds()

		at := time.Now().Add(5 * time.Second).UnixMilli()
		putDue(b, br.store, n, true, at)
		waitFor(b, 120*time.Second, "200k pending", func() bool { return br.timer.pending.Load() == 2*n })
		dueAt := tickEnd(tickStart(at, 1000), 1000)
		waitFor(b, 10*time.Second, "the due moment", func() bool { return time.Now().UnixMilli() >= dueAt })
		begin = time.Now()
		waitFor(b, 120*time.Second, "100k delivered", func() bool { return br.store.MaxOffsetInQueue("Due", 0) == n })
		deliverRate := n / time.Since(begin).Seconds()
		if p := br.timer.pending.Load(); p != n {
			b.Fatalf("%d pending after delivery, want %d", p, n)
		}
		b.ReportMetric(putRate, "baseline-put/s")
		b.ReportMetric(enqueueRate, "put+enqueue/s")
		b.ReportMetric(deliverRate, "deliver/s")
		b.ReportMetric(deliverRate/putRate, "deliver/put")
		b.Logf("pending heap: %d entries x 32 B = %.1f MiB", 2*n, float64(2*n*32)/(1<<20))
	}
}

// putPlain is the baseline: n plain puts of the same size into one queue.
func putPlain(b testing.TB, st *store.Store, n int) time.Duration {
	body := make([]byte, 128)
	begin := time.Now()
	for i := range n {
		props := map[string]string{protocol.PropertyUniqClientMessageID: "B" + strconv.Itoa(i)}
		if res := st.PutMessage(&store.MessageInput{Topic: "Plain", Body: body, Properties: protocol.EncodeProperties(props)}); !res.Status.Stored() {
			b.Fatalf("baseline put %d: %v", i, res.Status)
		}
	}
	return time.Since(begin)
}
