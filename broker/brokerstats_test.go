package broker

import (
	"fmt"
	"math"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/store"
)

func stored(msgs, bytes int) *store.PutResult {
	return &store.PutResult{Status: store.PutOK, MsgNum: msgs, WroteBytes: bytes}
}

func mustItem(t *testing.T, s *brokerStats, name, key string) *statsItem {
	t.Helper()
	it, ok := s.item(name, key)
	if !ok {
		t.Fatalf("no stats %s %s", name, key)
	}
	return it
}

func wantWindow(t *testing.T, what string, got protocol.BrokerStatsItem, sum int64, tps, avgpt float64) {
	t.Helper()
	if got.Sum != sum || math.Abs(got.Tps-tps) > 1e-9 || math.Abs(got.Avgpt-avgpt) > 1e-9 {
		t.Fatalf("%s: sum %d tps %v avgpt %v, want sum %d tps %v avgpt %v", what, got.Sum, got.Tps, got.Avgpt, sum, tps, avgpt)
	}
}

// The windows come out as upstream's computeStatsData computes them from
// snapshots taken every 10 s, 10 min and 1 h, with sums running to now.
func TestStatsWindows(t *testing.T) {
	s := newBrokerStats("C", func() int64 { return 0 })
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.Local)
	s.tick(t0)

	for range 6 {
		s.recordPut("T", stored(1, 100))
	}
	nums := mustItem(t, s, protocol.StatsTopicPutNums, "T")
	size := mustItem(t, s, protocol.StatsTopicPutSize, "T")
	// Before any sample the sum is there already; the rate is not.
	wantWindow(t, "minute before a sample", nums.window(windowMinute), 6, 0, 1)
	wantWindow(t, "day before a sample", nums.window(windowDay), 6, 0, 1)

	s.tick(t0.Add(10 * time.Second)) // first snapshot: from zero one interval back
	wantWindow(t, "minute at 10 s", nums.window(windowMinute), 6, 0.6, 1)
	wantWindow(t, "size at 10 s", size.window(windowMinute), 600, 60, 100)

	s.recordPut("T", stored(4, 400)) // a batch of 4: one add of 4
	wantWindow(t, "minute after the batch", nums.window(windowMinute), 10, 0.6, 10.0/7)
	s.tick(t0.Add(20 * time.Second))
	wantWindow(t, "minute at 20 s", nums.window(windowMinute), 10, 0.5, 10.0/7)

	// A minute of silence empties the minute window; hour and day keep all.
	for i := 3; i <= 9; i++ {
		s.tick(t0.Add(time.Duration(i) * 10 * time.Second))
	}
	wantWindow(t, "minute after a silent minute", nums.window(windowMinute), 0, 0, 0)
	wantWindow(t, "hour at 90 s", nums.window(windowHour), 10, 0, 10.0/7)

	// The hour ring is sampled every 10 minutes.
	for i := 10; i <= 60; i++ {
		s.tick(t0.Add(time.Duration(i) * 10 * time.Second))
	}
	wantWindow(t, "hour at 10 min", nums.window(windowHour), 10, 10.0/600, 10.0/7)
	wantWindow(t, "broker puts", mustItem(t, s, protocol.StatsBrokerPutNums, "C").window(windowHour), 10, 10.0/1200, 0) // sampled since t0: a 20-minute ring

	// Group statistics are keyed topic@group; latency averages per pull.
	s.recordPull("T", "G", 3, 300, 4*time.Millisecond)
	s.recordPull("T", "G", 1, 100, 2*time.Millisecond)
	wantWindow(t, "group gets", mustItem(t, s, protocol.StatsGroupGetNums, "T@G").window(windowMinute), 4, 0, 2)
	wantWindow(t, "group bytes", mustItem(t, s, protocol.StatsGroupGetSize, "T@G").window(windowMinute), 400, 0, 200)
	wantWindow(t, "group latency", mustItem(t, s, protocol.StatsGroupGetLatency, "T@G").window(windowMinute), 6, 0, 3)
	wantWindow(t, "broker gets", mustItem(t, s, protocol.StatsBrokerGetNums, "C").window(windowMinute), 4, 0, 0)

	s.recordSendBack("T", "G", true, stored(1, 250))
	s.recordSendBack("T", "G", false, stored(1, 250)) // a dead letter: not a schedule put
	wantWindow(t, "send-backs", mustItem(t, s, protocol.StatsSendBackNums, "T@G").window(windowMinute), 2, 0, 1)
	wantWindow(t, "schedule puts", mustItem(t, s, protocol.StatsTopicPutNums, store.ScheduleTopic).window(windowMinute), 1, 0, 1)

	// Failed puts do not count.
	s.recordPut("T", &store.PutResult{Status: store.MessageIllegal})
	wantWindow(t, "after a failed put", nums.window(windowDay), 10, 0, 10.0/7)

	for _, k := range [][2]string{
		{protocol.StatsTopicPutNums, "Nope"}, {protocol.StatsGroupGetNums, "T"}, {protocol.StatsGroupGetNums, "T@H"},
		{protocol.StatsBrokerPutNums, "OtherCluster"}, {"NO_SUCH_STATS", "T"},
	} {
		if _, ok := s.item(k[0], k[1]); ok {
			t.Errorf("stats %s %s exists", k[0], k[1])
		}
	}
}

// Keys silent for a whole day are dropped at the hourly sample; the
// broker-wide ones stay.
func TestStatsDropIdleKeys(t *testing.T) {
	s := newBrokerStats("C", func() int64 { return 0 })
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.Local)
	s.recordPut("Gone", stored(1, 10))
	s.recordPut("Busy", stored(1, 10))
	for h := range 24 {
		s.recordPut("Busy", stored(1, 10))
		s.tick(t0.Add(time.Duration(h) * time.Hour))
	}
	if _, ok := s.item(protocol.StatsTopicPutNums, "Gone"); !ok {
		t.Fatal("key dropped before a whole day of silence")
	}
	s.recordPut("Busy", stored(1, 10))
	s.tick(t0.Add(24 * time.Hour))
	if _, ok := s.item(protocol.StatsTopicPutNums, "Gone"); ok {
		t.Fatal("idle key kept")
	}
	if _, ok := s.item(protocol.StatsTopicPutNums, "Busy"); !ok {
		t.Fatal("busy key dropped")
	}
	if _, ok := s.item(protocol.StatsBrokerPutNums, "C"); !ok {
		t.Fatal("broker key dropped")
	}
}

// At each local midnight today's morning totals become yesterday's.
func TestStatsMidnightRollover(t *testing.T) {
	var puts atomic.Int64
	s := newBrokerStats("C", puts.Load)
	b := &Broker{stats: s}
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.Local)
	figures := func() map[string]string {
		m := map[string]string{}
		b.statsRuntimeInfo(m)
		return m
	}
	want := func(what string, putToday, putYest, getToday, getYest, getNow int64) {
		t.Helper()
		m := figures()
		for k, v := range map[string]int64{"msgPutTotalTodayMorning": putToday, "msgPutTotalYesterdayMorning": putYest,
			"msgGetTotalTodayMorning": getToday, "msgGetTotalYesterdayMorning": getYest, "msgGetTotalTodayNow": getNow} {
			if m[k] != strconv.FormatInt(v, 10) {
				t.Fatalf("%s: %s = %s, want %d (all: %v)", what, k, m[k], v, m)
			}
		}
	}
	s.tick(day.Add(23*time.Hour + 59*time.Minute + 50*time.Second))
	puts.Store(100)
	s.recordPull("T", "G", 40, 4000, 0)
	want("before midnight", 0, 0, 0, 0, 40)
	s.tick(day.Add(24 * time.Hour))
	want("after the first midnight", 100, 0, 40, 0, 40)
	puts.Store(250)
	s.recordPull("T", "G", 10, 1000, 0)
	s.tick(day.Add(30 * time.Hour))
	want("the next morning", 100, 0, 40, 0, 50)
	s.tick(day.Add(48*time.Hour + 5*time.Second))
	want("after the second midnight", 250, 100, 50, 40, 50)
}

func TestStoredTopic(t *testing.T) {
	for _, c := range []struct {
		props map[string]string
		want  string
	}{
		{nil, "T"},
		{map[string]string{protocol.PropertyTags: "a"}, "T"},
		{map[string]string{protocol.PropertyDelayTimeLevel: "3", protocol.PropertyTags: "a"}, store.ScheduleTopic},
		{map[string]string{protocol.PropertyDelayTimeLevel: "0"}, "T"},
		{map[string]string{protocol.PropertyDelayTimeLevel: "x"}, "T"},
	} {
		if got := storedTopic("T", protocol.EncodeProperties(c.props)); got != c.want {
			t.Errorf("%v: %s, want %s", c.props, got, c.want)
		}
	}
}

func viewStats(t *testing.T, c *remoting.Client, addr, name, key string) *remoting.Command {
	t.Helper()
	h := protocol.ViewBrokerStatsDataRequestHeader{StatsName: name, StatsKey: key}
	return call(t, c, addr, remoting.NewRequest(protocol.ReqViewBrokerStatsData, protocol.EncodeHeader(&h), nil))
}

func minuteSum(t *testing.T, c *remoting.Client, addr, name, key string) int64 {
	t.Helper()
	resp := viewStats(t, c, addr, name, key)
	if resp.Code != protocol.RespSuccess {
		return -1
	}
	d, err := protocol.DecodeBrokerStatsData(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return d.StatsMinute.Sum
}

// Sends, pulls and delayed deliveries of a running broker show in
// VIEW_BROKER_STATS_DATA and the runtime info.
func TestViewBrokerStatsData(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	c := newClient(t)
	addr := b.Addr()

	resp := viewStats(t, c, addr, protocol.StatsTopicPutNums, "StatsTopic")
	mustCode(t, resp, protocol.RespSystemError)
	if resp.Remark != "The stats <TOPIC_PUT_NUMS> <StatsTopic> not exist" {
		t.Fatalf("remark %q", resp.Remark)
	}
	mustCode(t, call(t, c, addr, remoting.NewRequest(protocol.ReqViewBrokerStatsData, map[string]string{"statsName": "X"}, nil)), protocol.RespSystemError)

	for i := range 3 {
		mustCode(t, call(t, c, addr, sendReq("StatsTopic", 0, []byte(fmt.Sprintf("body-%d", i)), nil)), protocol.RespSuccess)
	}
	mustCode(t, call(t, c, addr, sendReq("StatsTopic", 0, []byte("later"), map[string]string{protocol.PropertyDelayTimeLevel: "1"})), protocol.RespSuccess)
	if got := minuteSum(t, c, addr, protocol.StatsTopicPutNums, "StatsTopic"); got != 3 {
		t.Fatalf("TOPIC_PUT_NUMS StatsTopic sum %d, want 3", got)
	}
	if got := minuteSum(t, c, addr, protocol.StatsTopicPutNums, store.ScheduleTopic); got != 1 {
		t.Fatalf("TOPIC_PUT_NUMS %s sum %d, want 1", store.ScheduleTopic, got)
	}
	if got := minuteSum(t, c, addr, protocol.StatsBrokerPutNums, "TestCluster"); got != 4 {
		t.Fatalf("BROKER_PUT_NUMS sum %d, want 4", got)
	}

	dispatched(t, b)
	resp = call(t, c, addr, pullReq("StatsGroup", "StatsTopic", 0, 0, 0, 0, "*"))
	mustCode(t, resp, protocol.RespSuccess)
	if got := minuteSum(t, c, addr, protocol.StatsGroupGetNums, "StatsTopic@StatsGroup"); got != 3 {
		t.Fatalf("GROUP_GET_NUMS sum %d, want 3", got)
	}
	if got := minuteSum(t, c, addr, protocol.StatsGroupGetSize, "StatsTopic@StatsGroup"); got != int64(len(resp.Body)) {
		t.Fatalf("GROUP_GET_SIZE sum %d", got)
	}

	// The delayed message (level 1, 1 s) counts under its topic once delivered.
	waitFor(t, 20*time.Second, "the delayed message delivered", func() bool {
		return minuteSum(t, c, addr, protocol.StatsTopicPutNums, "StatsTopic") == 4
	})
	if got := minuteSum(t, c, addr, protocol.StatsGroupGetNums, store.ScheduleTopic+"@"+protocol.GroupScheduleConsumer); got != 1 {
		t.Fatalf("schedule consumer gets %d, want 1", got)
	}

	info, err := protocol.DecodeKVTable(call(t, c, addr, remoting.NewRequest(protocol.ReqGetBrokerRuntimeInfo, nil, nil)).Body)
	if err != nil {
		t.Fatal(err)
	}
	if info.Table["msgGetTotalTodayNow"] != "3" || info.Table["msgPutTotalTodayMorning"] != "0" {
		t.Fatalf("runtime info: msgGetTotalTodayNow %s msgPutTotalTodayMorning %s", info.Table["msgGetTotalTodayNow"], info.Table["msgPutTotalTodayMorning"])
	}
}

// GET_CONSUME_STATS' consumeTps is the group's sampled get rate.
func TestGetTpsForConsumeStats(t *testing.T) {
	s := newBrokerStats("C", func() int64 { return 0 })
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.Local)
	s.tick(t0)
	if got := s.getTps("T", "G"); got != 0 {
		t.Fatalf("no gets yet: tps %v", got)
	}
	s.recordPull("T", "G", 6, 600, time.Millisecond)
	s.tick(t0.Add(10 * time.Second))
	if got := s.getTps("T", "G"); math.Abs(got-0.6) > 1e-9 {
		t.Fatalf("tps %v, want 0.6", got)
	}
	if got := s.getTps("T", "other"); got != 0 {
		t.Fatalf("another group: tps %v", got)
	}
}
