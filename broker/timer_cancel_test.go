package broker

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/store"
)

// TestTimerCancel: cancels (TIMER_DEL_UNIQKEY) sent over the wire drop the
// pending message they name when it is due at or before the cancel, and
// are never delivered themselves; a marker due after all of them proves
// the dropped ones would have gone out by then.
func TestTimerCancel(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	c := newClient(t)
	const topic = "Cancelled"
	base := time.Now().Add(2 * time.Second).UnixMilli()
	at := func(ms int64) map[string]string {
		return map[string]string{protocol.PropertyTimerDeliverMS: strconv.FormatInt(base+ms, 10)}
	}
	cancel := func(ms int64, key string) map[string]string {
		p := at(ms)
		p[propertyTimerDelUniqKey] = key
		return p
	}
	send := func(key string, props map[string]string) *protocol.MessageExt {
		t.Helper()
		m := storedAt(t, b, sendKeyed(t, b, c, topic, key, props))
		if m.Topic != timerTopic {
			t.Fatalf("%s stored in %s", key, m.Topic)
		}
		return m
	}
	send("A1", at(0))    // cancelled as 5.x's recall does: same delivery time, "<topic>+<UNIQ_KEY>"
	send("A2", at(0))    // cancelled with a bare UNIQ_KEY
	send("A3", at(-500)) // due a tick before its cancel or in the same: cancelled
	send("B1", at(1500)) // due a tick after its cancel: delivered
	stored := send("C1", cancel(0, topic+"+A1"))
	if got := stored.Property(propertyTimerDelUniqKey); got != topic+"+A1" {
		t.Fatalf("cancel stored with TIMER_DEL_UNIQKEY %q", got)
	}
	if got := send("C2", cancel(0, "A2")).Property(propertyTimerDelUniqKey); got != topic+"+A2" {
		t.Fatalf("a bare key is stored as %q, want %q", got, topic+"+A2")
	}
	send("C3", cancel(0, topic+"+A3"))
	send("C4", cancel(0, topic+"+B1"))
	send("C5", cancel(0, topic+"+NOBODY")) // names no message: harmless
	send("M", at(2500))

	waitFor(t, 15*time.Second, "the marker", func() bool {
		return slices.ContainsFunc(readQueue(t, b.store, topic, 0), func(m *protocol.MessageExt) bool { return m.UniqKey() == "M" })
	})
	var got []string
	for _, m := range readQueue(t, b.store, topic, 0) {
		got = append(got, m.UniqKey())
		if m.Property(propertyTimerDelUniqKey) != "" {
			t.Errorf("a cancel was delivered: %s %v", m.UniqKey(), m.Properties)
		}
	}
	if strings.Join(got, ",") != "B1,M" {
		t.Fatalf("delivered %v, want B1 (due after its cancel) and the marker M", got)
	}
	waitFor(t, 5*time.Second, "nothing pending", func() bool { return b.timer.pending.Load() == 0 })
}

// TestTimerCancelRefused: cancels that cannot work are refused with a
// reason, and the timer keys act on sends at once.
func TestTimerCancelRefused(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	c := newClient(t)
	later := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	past := strconv.FormatInt(time.Now().Add(-time.Minute).UnixMilli(), 10)
	check := func(name string, resp *remoting.Command, code int32, remark string) {
		t.Helper()
		if resp.Code != code || !strings.Contains(resp.Remark, remark) {
			t.Errorf("%s: code %d remark %q, want %d with %q", name, resp.Code, resp.Remark, code, remark)
		}
	}
	for _, tc := range []struct {
		name, remark string
		props        map[string]string
	}{
		{"no delivery time", "needs TIMER_DELIVER_MS", map[string]string{propertyTimerDelUniqKey: "T+K"}},
		{"delivery time passed", "must have a delivery time ahead", map[string]string{propertyTimerDelUniqKey: "T+K", protocol.PropertyTimerDeliverMS: past}},
		{"another topic", `names topic "Other"`, map[string]string{propertyTimerDelUniqKey: "Other+K", protocol.PropertyTimerDeliverMS: later}},
		{"no UNIQ_KEY", "names no UNIQ_KEY", map[string]string{propertyTimerDelUniqKey: "T+", protocol.PropertyTimerDeliverMS: later}},
		{"delay level", "cannot have a delay level", map[string]string{propertyTimerDelUniqKey: "T+K", protocol.PropertyTimerDeliverMS: later, protocol.PropertyDelayTimeLevel: "2"}},
	} {
		check(tc.name, sendKeyed(t, b, c, "T", "X", tc.props), protocol.RespMessageIllegal, tc.remark)
	}

	// 5.x's default limit is 3 days; timerMaxDelaySec moves it at once.
	fourDays := map[string]string{protocol.PropertyTimerDelaySec: strconv.Itoa(4 * 86400)}
	check("4 days", sendKeyed(t, b, c, "T", "D1", fourDays), protocol.RespMessageIllegal, "max delay 259200000ms (timerMaxDelaySec=259200)")
	if restart, err := b.UpdateConfig([]byte("timerMaxDelaySec=432000")); err != nil || len(restart) != 0 {
		t.Fatalf("update timerMaxDelaySec: restart %v, %v", restart, err)
	}
	if m := storedAt(t, b, sendKeyed(t, b, c, "T", "D2", fourDays)); m.Topic != timerTopic {
		t.Fatalf("4 days with timerMaxDelaySec=5 days stored in %s", m.Topic)
	}
	if _, err := b.UpdateConfig([]byte("timerWheelEnable=false")); err != nil {
		t.Fatal(err)
	}
	check("wheel off", sendKeyed(t, b, c, "T", "D3", fourDays), protocol.RespSystemError, "timerWheelEnable is false")
	// A plain message still goes through.
	mustCode(t, sendKeyed(t, b, c, "T", "P1", nil), protocol.RespSuccess)
	restart, err := b.UpdateConfig([]byte("timerPrecisionMs=100\ntimerRollWindowSlot=600"))
	if err != nil || strings.Join(restart, ",") != "timerPrecisionMs,timerRollWindowSlot" {
		t.Fatalf("update tick and roll window: restart %v, %v", restart, err)
	}
	if b.timer.precision != time.Second {
		t.Fatalf("timerPrecisionMs took effect before a restart: %v", b.timer.precision)
	}
	if _, err := b.UpdateConfig([]byte("timerPrecisionMs=300")); err == nil || !strings.Contains(err.Error(), "not one of 100, 200, 500, 1000") {
		t.Fatalf("timerPrecisionMs=300: %v", err)
	}
}

// fakeTimer runs a timerService over a store on a fake clock, as the
// broker does, and can be closed and opened again on the same files.
type fakeTimer struct {
	t     *testing.T
	dir   string
	clock *atomic.Int64
	roll  time.Duration // the roll window, and the tick when set
	tick  time.Duration
	st    *store.Store
	tm    *timerService
	stop  chan struct{}
	done  chan struct{}
}

func (f *fakeTimer) now() time.Time { return time.Unix(0, f.clock.Load()) }

func (f *fakeTimer) advance(d time.Duration) {
	f.clock.Add(int64(d))
	f.tm.kick()
}

func (f *fakeTimer) open() {
	f.stop, f.done = make(chan struct{}), make(chan struct{})
	f.tm = newTimerService(filepath.Join(f.dir, "config"), testLogger(), f.now)
	if f.roll > 0 {
		f.tm.rollWindow = f.roll
	}
	if f.tick > 0 {
		f.tm.precision = f.tick
	}
	o := store.DefaultOptions(f.dir)
	o.MappedFileSizeCommitLog = 4 << 20
	o.MappedFileSizeConsumeQueue = 10000 * 20
	o.MaxHashSlotNum, o.MaxIndexNum = 1024, 4096
	o.CleanResourceInterval = int(time.Hour / time.Millisecond)
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	o.Now = f.now
	tm := f.tm
	o.MessageArrived = func(a store.Arrival) {
		if a.Topic == timerTopic {
			tm.kick()
		}
	}
	st, err := store.Open(o)
	if err != nil {
		f.t.Fatal(err)
	}
	f.st = st
	if err := f.tm.load(st); err != nil {
		f.t.Fatal(err)
	}
	go func() { tm.run(time.Hour, f.stop); close(f.done) }()
}

func (f *fakeTimer) close() {
	close(f.stop)
	<-f.done
	if err := f.st.Close(); err != nil {
		f.t.Fatal(err)
	}
	if err := f.tm.persistFinal(); err != nil {
		f.t.Fatal(err)
	}
}

// put stores a timer record as checkTimer leaves it: for topic, due at
// the end of the tick that starts at out (out 0: without TIMER_OUT_MS,
// due at once).
func (f *fakeTimer) put(topic, uniq string, out int64, cancels string) {
	props := map[string]string{protocol.PropertyRealTopic: topic,
		protocol.PropertyRealQueueID: "0", protocol.PropertyUniqClientMessageID: uniq}
	if out != 0 {
		props[propertyTimerOutMS] = strconv.FormatInt(out, 10)
	}
	if cancels != "" {
		props[propertyTimerDelUniqKey] = cancels
	}
	in := store.MessageInput{Topic: timerTopic, Body: []byte(uniq), Properties: protocol.EncodeProperties(props)}
	if res := f.st.PutMessage(&in); !res.Status.Stored() {
		f.t.Fatalf("put %s: %v", uniq, res.Status)
	}
}

func (f *fakeTimer) delivered(topic string) []string {
	var keys []string
	for _, m := range readQueue(f.t, f.st, topic, 0) {
		keys = append(keys, m.UniqKey())
	}
	return keys
}

func newFakeTimer(t *testing.T, roll time.Duration) *fakeTimer {
	f := &fakeTimer{t: t, dir: t.TempDir(), clock: new(atomic.Int64), roll: roll}
	f.clock.Store(time.Now().Truncate(time.Second).UnixNano())
	f.open()
	return f
}

// TestTimerCancelSurvivesRestart: the broker stops after a cancel was read
// and before the message it cancels is due, and starts again after. The
// cancel sits more than a scan batch behind its message, so the restart
// must read it before firing anything.
func TestTimerCancelSurvivesRestart(t *testing.T) {
	f := newFakeTimer(t, 0)
	t0 := f.now().UnixMilli()
	f.put("Gone", "T", t0+9000, "")
	const fillers = scanBatch + 100
	for i := range fillers {
		f.put("Later", fmt.Sprintf("F%d", i), t0+3_600_000, "")
	}
	f.put("Gone", "C", t0+9000, "Gone+T")
	f.put("Gone", "M", t0+19000, "")
	waitFor(t, 20*time.Second, "all read", func() bool { return f.tm.pending.Load() == fillers+3 })
	f.close()

	f.clock.Add(int64(30 * time.Second)) // while stopped: T, C and M are all due at the restart
	f.open()
	defer f.close()
	waitFor(t, 20*time.Second, "the marker", func() bool { return f.st.MaxOffsetInQueue("Gone", 0) >= 1 })
	waitFor(t, 5*time.Second, "only the fillers pending", func() bool { return f.tm.pending.Load() == fillers })
	if got := f.delivered("Gone"); strings.Join(got, ",") != "M" {
		t.Fatalf("delivered %v after the restart, want only the marker M", got)
	}
}

// TestTimerCancelRolls: with a 5 s roll window a cancel is copied forward
// like any record and keeps working across a restart; the message it
// cancels is dropped when it would have been copied, not copied.
func TestTimerCancelRolls(t *testing.T) {
	f := newFakeTimer(t, 5*time.Second)
	t0 := f.now().UnixMilli()
	f.put("Gone", "T", t0+19000, "")
	f.put("Gone", "C", t0+19000, "Gone+T")
	f.put("Gone", "M", t0+24000, "")
	waitFor(t, 5*time.Second, "all read", func() bool { return f.tm.pending.Load() == 3 })
	f.advance(5 * time.Second)
	// T dropped; C and M copied forward.
	waitFor(t, 5*time.Second, "two copies", func() bool {
		return f.st.MaxOffsetInQueue(timerTopic, 0) == 5 && f.tm.pending.Load() == 2
	})
	f.close()
	f.open()
	defer f.close()
	for range 4 {
		f.advance(5 * time.Second)
	}
	waitFor(t, 5*time.Second, "the marker", func() bool { return f.st.MaxOffsetInQueue("Gone", 0) >= 1 })
	waitFor(t, 5*time.Second, "nothing pending", func() bool { return f.tm.pending.Load() == 0 })
	if got := f.delivered("Gone"); strings.Join(got, ",") != "M" {
		t.Fatalf("delivered %v, want only the marker M", got)
	}
}

func TestTimerQueueCancelsLast(t *testing.T) {
	var q timerQueue
	q.push(timerEntry{fireAt: 5, qoff: 1, cancel: true})
	q.push(timerEntry{fireAt: 5, qoff: 2})
	q.push(timerEntry{fireAt: 4, qoff: 3, cancel: true})
	q.push(timerEntry{fireAt: 5, qoff: 0, cancel: true})
	var got []int64
	for len(q) > 0 {
		got = append(got, q.pop().qoff)
	}
	if !slices.Equal(got, []int64{3, 2, 0, 1}) {
		t.Fatalf("popped %v: by fire time, then messages before cancels, then queue offset", got)
	}
}

func TestTicks(t *testing.T) {
	for _, tc := range []struct{ at, start, end int64 }{
		{5000, 4000, 5000}, // on a tick: 5.x writes the tick before
		{4500, 4000, 5000},
		{4001, 4000, 5000},
		{-1500, -2000, -1000},
	} {
		start := tickStart(tc.at, 1000)
		if start != tc.start || tickEnd(start, 1000) != tc.end {
			t.Errorf("asked %d: tick %d..%d, want %d..%d", tc.at, start, tickEnd(start, 1000), tc.start, tc.end)
		}
	}
	if e := tickEnd(1<<63-10, 1000); e != 1<<63-1 {
		t.Errorf("tickEnd near the end of time: %d", e)
	}
}

func TestTimerPruneCancels(t *testing.T) {
	now := time.UnixMilli(10_000)
	tm := newTimerService(t.TempDir(), testLogger(), func() time.Time { return now })
	tm.cancels = map[string]int64{"T+old": 4000, "T+pending": 6000, "T+ahead": 20_000}
	tm.q.push(timerEntry{fireAt: 5000, qoff: 1})
	tm.pruneCancels()
	if len(tm.cancels) != 2 || tm.cancels["T+old"] != 0 {
		t.Fatalf("after pruning with the earliest entry at 5000 and now 10000: %v", tm.cancels)
	}
	if unsafe.Sizeof(timerEntry{}) != 32 {
		t.Fatalf("a pending entry takes %d bytes, want 32", unsafe.Sizeof(timerEntry{}))
	}
}

// TestTimerSettingsChange: a restart with another roll window and tick
// (or from a checkpoint written before timerPrecisionMs) judges the
// records read before by the settings they were read with: nothing is
// delivered again, on that restart or the next.
func TestTimerSettingsChange(t *testing.T) {
	f := newFakeTimer(t, 24*time.Hour)
	t0 := f.now().UnixMilli()
	f.put("Later", "FAR", t0+3_600_000, "") // pending throughout: keeps lowOffset at 0
	for i := range 5 {
		f.put("Due", fmt.Sprintf("D%d", i), t0+1500+int64(i)*100, "")
	}
	f.advance(2500 * time.Millisecond)
	waitFor(t, 5*time.Second, "delivered", func() bool { return f.st.MaxOffsetInQueue("Due", 0) == 5 })
	f.close()
	for _, tc := range []struct {
		roll, tick time.Duration
	}{{12 * time.Hour, 500 * time.Millisecond}, {12 * time.Hour, 500 * time.Millisecond}, {48 * time.Hour, time.Second}} {
		f.roll, f.tick = tc.roll, tc.tick
		f.open()
		f.advance(time.Second)
		// A marker due now goes out after anything read again would.
		marks := f.st.MaxOffsetInQueue("Mark", 0)
		f.put("Mark", "M", 0, "")
		waitFor(t, 5*time.Second, "the marker", func() bool { return f.st.MaxOffsetInQueue("Mark", 0) == marks+1 })
		if n := f.st.MaxOffsetInQueue("Due", 0); n != 5 || f.tm.pending.Load() != 1 {
			t.Fatalf("roll window %v, tick %v: %d deliveries, want 5; %d pending", tc.roll, tc.tick, n, f.tm.pending.Load())
		}
		f.close()
	}
	f.open()
	defer f.close()
}
