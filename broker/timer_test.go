package broker

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/store"
)

func TestTimerQueueOrder(t *testing.T) {
	var q timerQueue
	var want []timerEntry
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		e := timerEntry{fireAt: r.Int64N(100), qoff: int64(i)}
		q.push(e)
		want = append(want, e)
		if r.IntN(3) == 0 { // interleave pops
			slices.SortFunc(want, func(a, b timerEntry) int {
				if a.fireAt != b.fireAt {
					return int(a.fireAt - b.fireAt)
				}
				return int(a.qoff - b.qoff)
			})
			if got := q.pop(); got != want[0] {
				t.Fatalf("pop %+v, want %+v", got, want[0])
			}
			want = want[1:]
		}
	}
	if lo := q.minQueueOffset(math.MaxInt64); lo != slices.MinFunc(want, func(a, b timerEntry) int { return int(a.qoff - b.qoff) }).qoff {
		t.Fatalf("minQueueOffset %d", lo)
	}
	prev := timerEntry{fireAt: -1}
	for len(q) > 0 {
		e := q.pop()
		if e.fireAt < prev.fireAt || e.fireAt == prev.fireAt && e.qoff < prev.qoff {
			t.Fatalf("%+v popped after %+v", e, prev)
		}
		prev = e
	}
}

func TestTimerCheckpointRule(t *testing.T) {
	tm := newTimerService(t.TempDir(), testLogger(), time.Now)
	decode := func() timerCheckpoint {
		var c timerCheckpoint
		if err := json.Unmarshal(tm.checkpoint(), &c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	tm.scan = 10
	if c := decode(); c.LowOffset != 10 || c.ScanOffset != 10 || c.DoneUntilMs != 0 {
		t.Fatalf("empty timer checkpoint %+v", c)
	}
	tm.q.push(timerEntry{fireAt: 500, qoff: 7})
	tm.q.push(timerEntry{fireAt: 300, qoff: 8})
	if c := decode(); c.LowOffset != 7 || c.ScanOffset != 10 || c.DoneUntilMs != 299 {
		t.Fatalf("checkpoint %+v", c)
	}
	// Stopped while rescanning what the last run had read: nothing fired
	// since, so its checkpoint stands as it was.
	tm.resume = timerCheckpoint{ScanOffset: 20, LowOffset: 5, DoneUntilMs: 100, RollWindowMs: 1000, PrecisionMs: 0,
		Earlier: []timerRule{{ScanOffset: 6, DoneUntilMs: 50, RollWindowMs: 1000}}}
	if c := decode(); !reflect.DeepEqual(c, tm.resume) {
		t.Fatalf("checkpoint while rescanning %+v, want %+v", c, tm.resume)
	}
	// Past the rescan: the last run's rules are kept while they cover
	// records above the low offset (7).
	tm.adoptCheckpoint()
	tm.scan = 25
	want := []timerRule{{ScanOffset: 20, DoneUntilMs: 100, RollWindowMs: 1000}}
	if c := decode(); c.LowOffset != 7 || c.ScanOffset != 25 || c.DoneUntilMs != 299 || !reflect.DeepEqual(c.Earlier, want) {
		t.Fatalf("checkpoint after the rescan %+v, want earlier %+v", c, want)
	}
}

// TestTimerRules: a rule judges fire times with its own roll window and
// tick (none before timerPrecisionMs existed), and one that cannot be
// right handles nothing.
func TestTimerRules(t *testing.T) {
	out := []byte("10500")
	for _, tc := range []struct {
		rule timerRule
		qoff int64
		want bool
	}{
		{timerRule{ScanOffset: 10, DoneUntilMs: 10500, RollWindowMs: 60_000}, 3, true},                     // to the millisecond
		{timerRule{ScanOffset: 10, DoneUntilMs: 10500, RollWindowMs: 60_000, PrecisionMs: 1000}, 3, false}, // due at 11000
		{timerRule{ScanOffset: 10, DoneUntilMs: 11000, RollWindowMs: 60_000, PrecisionMs: 1000}, 3, true},
		{timerRule{ScanOffset: 10, DoneUntilMs: 5000, RollWindowMs: 1000}, 3, true}, // rolled at 1000 + 1000
		{timerRule{ScanOffset: 3, DoneUntilMs: 20_000, RollWindowMs: 60_000}, 3, false},
		{timerRule{ScanOffset: 10, DoneUntilMs: 20_000, RollWindowMs: 0}, 3, false},
		{timerRule{ScanOffset: 10, DoneUntilMs: 20_000, RollWindowMs: 60_000, PrecisionMs: -1}, 3, false},
	} {
		if got := tc.rule.handled(tc.qoff, out, 1000); got != tc.want {
			t.Errorf("%+v handles the record at %d (TIMER_OUT_MS 10500, stored at 1000): %v", tc.rule, tc.qoff, got)
		}
	}
}

// sendKeyed sends a message with UNIQ_KEY key and props.
func sendKeyed(t testing.TB, b *Broker, c *remoting.Client, topic, key string, props map[string]string) *remoting.Command {
	t.Helper()
	all := map[string]string{protocol.PropertyUniqClientMessageID: key}
	for k, v := range props {
		all[k] = v
	}
	return call(t, c, b.Addr(), sendReq(topic, 0, []byte("body-"+key), all))
}

func storedAt(t testing.TB, b *Broker, resp *remoting.Command) *protocol.MessageExt {
	t.Helper()
	mustCode(t, resp, protocol.RespSuccess)
	_, phy, err := protocol.DecodeOffsetMsgID(resp.ExtFields["msgId"])
	if err != nil {
		t.Fatal(err)
	}
	m, err := b.store.LookMessageByOffset(phy)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTimerMessages(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MessageDelayLevel = "1s"
	cfg.TimerMaxDelaySec = 40 * 86400 // 5.x allows 3 days
	b := startBroker(t, cfg)
	c := newClient(t)
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	now := time.Now()
	timed := map[string]map[string]string{
		"T1": {protocol.PropertyTimerDelayMS: "1500"},
		"T2": {protocol.PropertyTimerDelaySec: "1"},
		"T3": {protocol.PropertyTimerDeliverMS: strconv.FormatInt(now.Add(1200*time.Millisecond).UnixMilli(), 10)},
		// TIMER_DELAY_SEC is read first.
		"T4": {protocol.PropertyTimerDelaySec: "1", protocol.PropertyTimerDeliverMS: strconv.FormatInt(now.Add(time.Hour).UnixMilli(), 10)},
	}
	for key, props := range timed {
		m := storedAt(t, b, sendKeyed(t, b, c, "Timed", key, props))
		if m.Topic != timerTopic || m.QueueID != 0 || m.Property(protocol.PropertyRealTopic) != "Timed" ||
			m.Property(protocol.PropertyRealQueueID) != "0" || m.Property(propertyTimerOutMS) == "" {
			t.Fatalf("%s stored as %s/%d %v", key, m.Topic, m.QueueID, m.Properties)
		}
	}
	// Due already: stored as a plain message.
	past := storedAt(t, b, sendKeyed(t, b, c, "Timed", "P1", map[string]string{protocol.PropertyTimerDeliverMS: strconv.FormatInt(now.Add(-time.Minute).UnixMilli(), 10)}))
	if past.Topic != "Timed" || past.Property(propertyTimerOutMS) != "" {
		t.Fatalf("past delivery time stored as %s %v", past.Topic, past.Properties)
	}
	// A delay level wins; the timer properties go.
	lv := storedAt(t, b, sendKeyed(t, b, c, "Timed", "L1", map[string]string{protocol.PropertyDelayTimeLevel: "1", protocol.PropertyTimerDelaySec: "100"}))
	if lv.Topic != store.ScheduleTopic || lv.Property(protocol.PropertyTimerDelaySec) != "" {
		t.Fatalf("delay level with timer properties stored as %s %v", lv.Topic, lv.Properties)
	}
	// 40 days ahead is accepted (timerMaxDelaySec) and waits.
	far := storedAt(t, b, sendKeyed(t, b, c, "Timed", "F1", map[string]string{protocol.PropertyTimerDelaySec: strconv.Itoa(40 * 86400)}))
	if far.Topic != timerTopic {
		t.Fatalf("40-day timer stored in %s", far.Topic)
	}

	for _, tc := range []struct {
		name   string
		resp   *remoting.Command
		code   int32
		remark string
	}{
		{"beyond the max delay", sendKeyed(t, b, c, "Timed", "X1", map[string]string{protocol.PropertyTimerDelayMS: ms(41 * 24 * time.Hour)}), protocol.RespMessageIllegal, "max delay 3456000000ms (timerMaxDelaySec=3456000)"},
		{"not a number", sendKeyed(t, b, c, "Timed", "X2", map[string]string{protocol.PropertyTimerDelaySec: "soon"}), protocol.RespMessageIllegal, "not a number"},
		{"the timer topic itself", sendKeyed(t, b, c, timerTopic, "X3", nil), protocol.RespNoPermission, "forbidden"},
	} {
		if tc.resp.Code != tc.code || !strings.Contains(tc.resp.Remark, tc.remark) {
			t.Errorf("%s: code %d remark %q, want %d with %q", tc.name, tc.resp.Code, tc.resp.Remark, tc.code, tc.remark)
		}
	}

	waitFor(t, 10*time.Second, "timer messages delivered", func() bool { return b.store.MaxOffsetInQueue("Timed", 0) == 6 })
	for _, m := range readQueue(t, b.store, "Timed", 0) {
		key := m.UniqKey()
		if timed[key] == nil {
			continue
		}
		out, err := strconv.ParseInt(m.Property(propertyTimerOutMS), 10, 64)
		if err != nil || out%1000 != 0 || m.StoreTimestamp < out+1000 {
			t.Errorf("%s delivered at %d, TIMER_OUT_MS %q (the start of the 1 s tick that ends at the delivery time)", key, m.StoreTimestamp, m.Property(propertyTimerOutMS))
		}
		if _, ok := m.Properties[protocol.PropertyRealTopic]; ok || m.Property(propertyTimerEnqueueMS) == "" ||
			m.Property(propertyTimerDequeueMS) == "" || string(m.Body) != "body-"+key {
			t.Errorf("delivered %s: %v", key, m.Properties)
		}
	}
	waitFor(t, 5*time.Second, "one message left in the timer", func() bool { return b.timer.pending.Load() == 1 })
	info := runtimeInfo(t, c, b.Addr())
	if info["timerOffsetBehind"] != "0" || info["timerReadBehind"] != "0" {
		t.Errorf("timer runtime info %q %q", info["timerOffsetBehind"], info["timerReadBehind"])
	}
}

// TestTimerRollsAndSurvivesRestart: with a one-second roll window every
// message is copied forward at least once, and a restart in the middle of
// delivery loses none and repeats none.
func TestTimerRollsAndSurvivesRestart(t *testing.T) {
	const n = 1000
	cfg := testConfig(t.TempDir())
	cfg.FlushDelayOffsetInterval = 50
	cfg.TimerPrecisionMs, cfg.TimerRollWindowSlot = 100, 10 // a 1 s roll window
	cfg.TimerMaxDelaySec = 40 * 86400
	start := func() *Broker {
		b, err := New(cfg, WithLogger(testLogger()))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Start(); err != nil {
			t.Fatal(err)
		}
		if b.timer.rollWindow != time.Second {
			t.Fatalf("roll window %v from timerRollWindowSlot 10 x timerPrecisionMs 100", b.timer.rollWindow)
		}
		return b
	}
	b := start()
	c := newClient(t)
	base := time.Now().Add(4 * time.Second).UnixMilli()
	for i := range n {
		at := strconv.FormatInt(base+int64(i), 10)
		m := storedAt(t, b, sendKeyed(t, b, c, "Rolled", fmt.Sprintf("K%04d", i), map[string]string{protocol.PropertyTimerDeliverMS: at}))
		if m.Topic != timerTopic {
			t.Fatalf("sending took too long: message %d is already due", i)
		}
	}
	sendKeyed(t, b, c, "Rolled", "FAR", map[string]string{protocol.PropertyTimerDelaySec: strconv.Itoa(40 * 86400)})
	waitFor(t, 20*time.Second, "some deliveries", func() bool { return b.store.MaxOffsetInQueue("Rolled", 0) >= 100 })
	shutdown(t, b)

	b = start()
	defer shutdown(t, b)
	waitFor(t, 20*time.Second, "all delivered after the restart", func() bool { return b.store.MaxOffsetInQueue("Rolled", 0) >= n })
	waitFor(t, 5*time.Second, "only the far message pending", func() bool { return b.timer.pending.Load() == 1 })
	seen := map[string]int{}
	rolled := 0
	for _, m := range readQueue(t, b.store, "Rolled", 0) {
		seen[m.UniqKey()]++
		out, _ := strconv.ParseInt(m.Property(propertyTimerOutMS), 10, 64)
		if due := tickEnd(out, 100); m.StoreTimestamp < due {
			t.Errorf("%s delivered %d ms early", m.UniqKey(), due-m.StoreTimestamp)
		}
		if m.Property(propertyTimerRollTimes) != "" {
			rolled++
		}
	}
	if seen["FAR"] != 0 {
		t.Errorf("the 40-day message was delivered")
	}
	for i := range n {
		if k := fmt.Sprintf("K%04d", i); seen[k] != 1 {
			t.Errorf("%s delivered %d times", k, seen[k])
		}
	}
	if rolled < n/2 {
		t.Errorf("only %d of %d messages were rolled with a 1 s window", rolled, n)
	}
}

// TestTimerFortyDays drives the timer over a store on a fake clock: a
// message 40 days ahead is copied forward once a day (a one-day roll
// window, so its record never outlives the commit log's retention),
// survives a restart in the middle, and is delivered at the end of the
// tick of its TIMER_OUT_MS on the 40th day, not an hour before.
func TestTimerFortyDays(t *testing.T) {
	f := newFakeTimer(t, 24*time.Hour)
	t0 := f.now()
	// The tick before the 40th day: delivered when the day begins.
	outMs := t0.Add(40*24*time.Hour - time.Second).UnixMilli()
	deliverAt := tickEnd(outMs, 1000)
	f.put("Far", "FAR", outMs, "")
	for day := 1; day < 40; day++ {
		f.advance(24 * time.Hour)
		waitFor(t, 5*time.Second, fmt.Sprintf("roll on day %d", day), func() bool {
			return f.st.MaxOffsetInQueue(timerTopic, 0) == int64(day)+1
		})
		if day == 20 {
			f.close()
			f.open()
		}
	}
	// An hour before, and 1 ms before: the last copy waits for the
	// delivery time itself.
	for _, before := range []int64{3_600_000, 1} {
		f.advance(time.Duration(deliverAt-before-f.now().UnixMilli()) * time.Millisecond)
		waitFor(t, 5*time.Second, "the last copy read", func() bool { return f.tm.earliest.Load() == deliverAt })
		if n := f.st.MaxOffsetInQueue("Far", 0); n != 0 {
			t.Fatalf("%d ms before the end of the tick: delivered %d", before, n)
		}
	}
	f.advance(time.Millisecond)
	waitFor(t, 5*time.Second, "delivery on day 40", func() bool { return f.st.MaxOffsetInQueue("Far", 0) == 1 })
	m := readQueue(t, f.st, "Far", 0)[0]
	if string(m.Body) != "FAR" || m.Property(propertyTimerRollTimes) != "39" || m.StoreTimestamp < deliverAt {
		t.Fatalf("delivered %q rolls %s at %d (due %d)", m.Body, m.Property(propertyTimerRollTimes), m.StoreTimestamp, deliverAt)
	}
	f.close()
}
