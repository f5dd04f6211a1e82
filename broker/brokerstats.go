package broker

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/store"
)

// brokerStats is upstream's BrokerStatsManager (the per-topic and
// per-group statistics mqadmin statsAll and exportMetrics read) and
// BrokerStats (the message totals at the last two midnights that
// clusterList -m prints).
type brokerStats struct {
	cluster   string            // the key of BROKER_PUT_NUMS and BROKER_GET_NUMS
	putTotal  func() int64      // messages stored since boot (the store's count)
	puts      *statsTable       // by topic
	gets      *statsTable       // by topic and group
	sendBacks *statsTable       // by topic and group
	brokerPut statsItem         // messages stored by sends
	brokerGet statsItem         // messages handed to consumers
	sampler   statsSamplerState // owned by the caller of tick
	daily     [4]atomic.Int64   // the daily figures, indexed as below
}

// statsSamplerState is when the slower rings and the daily figures were
// last taken.
type statsSamplerState struct {
	nextHour, nextDay time.Time
	today             time.Time // local midnight of the day being counted
}

// The daily figures of upstream's BrokerStats.
const (
	putTotalTodayMorning = iota
	putTotalYesterdayMorning
	getTotalTodayMorning
	getTotalYesterdayMorning
)

// statsLoopInterval is how often the minute ring is sampled.
const statsLoopInterval = 10 * time.Second

func newBrokerStats(cluster string, putTotal func() int64) *brokerStats {
	return &brokerStats{
		cluster:   cluster,
		putTotal:  putTotal,
		puts:      newStatsTable(protocol.StatsTopicPutNums, protocol.StatsTopicPutSize),
		gets:      newStatsTable(protocol.StatsGroupGetNums, protocol.StatsGroupGetSize, protocol.StatsGroupGetLatency),
		sendBacks: newStatsTable(protocol.StatsSendBackNums),
	}
}

// recordPut counts a stored send as upstream's SendMessageProcessor does:
// the topic's messages (one add per request), the bytes written and the
// broker's total. topic is where the message was stored: a delayed message
// counts under SCHEDULE_TOPIC_XXXX, a prepared one under the half topic.
func (s *brokerStats) recordPut(topic string, res *store.PutResult) {
	if !res.Status.Stored() {
		return
	}
	e := s.puts.entry(statsKey{topic: topic})
	e.items[0].add(int64(res.MsgNum), 1)
	e.items[1].add(int64(res.WroteBytes), 1)
	s.brokerPut.add(int64(res.MsgNum), 0)
}

// recordPull counts messages a pull found for group on topic, their bytes
// and how long the pull took (upstream's PullMessageProcessor).
func (s *brokerStats) recordPull(topic, group string, msgs, bytes int, took time.Duration) {
	e := s.gets.entry(statsKey{topic, group})
	e.items[0].add(int64(msgs), 1)
	e.items[1].add(int64(bytes), 1)
	e.items[2].add(took.Milliseconds(), 1)
	s.brokerGet.add(int64(msgs), 0)
}

// recordSendBack counts a message group gave back for topic (the topic it
// was consumed from). A copy that waits in the delay queues also counts as
// a put to SCHEDULE_TOPIC_XXXX, as upstream's send-back does; a dead
// letter does not.
func (s *brokerStats) recordSendBack(topic, group string, delayed bool, res *store.PutResult) {
	if !res.Status.Stored() {
		return
	}
	if delayed {
		e := s.puts.entry(statsKey{topic: store.ScheduleTopic})
		e.items[0].add(1, 1)
		e.items[1].add(int64(res.WroteBytes), 1)
	}
	s.sendBacks.entry(statsKey{topic, group}).items[0].add(1, 1)
}

// recordDelivered counts a delayed message moved to its real topic: a get
// of SCHEDULE_CONSUMER from the schedule topic and a put to the real one
// (upstream's ScheduleMessageService with enableScheduleMessageStats).
func (s *brokerStats) recordDelivered(topic string, res *store.PutResult) {
	if !res.Status.Stored() {
		return
	}
	g := s.gets.entry(statsKey{store.ScheduleTopic, protocol.GroupScheduleConsumer})
	g.items[0].add(int64(res.MsgNum), 1)
	g.items[1].add(int64(res.WroteBytes), 1)
	s.recordPut(topic, res)
}

// storedTopic is the topic a single message lands in: the schedule topic
// when it carries a delay level above 0 (the store moves it there),
// else topic. It reads the properties text without copying it.
func storedTopic(topic, props string) string {
	if !strings.Contains(props, protocol.PropertyDelayTimeLevel+"\x01") {
		return topic // the common case, without splitting
	}
	for props != "" {
		var kv string
		kv, props, _ = strings.Cut(props, "\x02")
		name, value, _ := strings.Cut(kv, "\x01")
		if name == protocol.PropertyDelayTimeLevel {
			if level, err := strconv.Atoi(value); err == nil && level > 0 {
				return store.ScheduleTopic
			}
			return topic
		}
	}
	return topic
}

// item finds the statistic a VIEW_BROKER_STATS_DATA request names.
func (s *brokerStats) item(name, key string) (*statsItem, bool) {
	var t *statsTable
	switch name {
	case protocol.StatsBrokerPutNums, protocol.StatsBrokerGetNums:
		if key != s.cluster {
			return nil, false
		}
		if name == protocol.StatsBrokerPutNums {
			return &s.brokerPut, true
		}
		return &s.brokerGet, true
	case protocol.StatsTopicPutNums, protocol.StatsTopicPutSize:
		t = s.puts
	case protocol.StatsGroupGetNums, protocol.StatsGroupGetSize, protocol.StatsGroupGetLatency:
		t = s.gets
	case protocol.StatsSendBackNums:
		t = s.sendBacks
	default:
		return nil, false
	}
	k := statsKey{topic: key}
	if t != s.puts {
		// Topic names cannot hold '@', so the first one ends the topic.
		topic, group, ok := strings.Cut(key, "@")
		if !ok {
			return nil, false
		}
		k = statsKey{topic, group}
	}
	e, ok := t.find(k)
	if !ok {
		return nil, false
	}
	for i, n := range t.names {
		if n == name {
			return &e.items[i], true
		}
	}
	return nil, false
}

// getTps is the group's get rate on topic over the last minute, which
// upstream adds up into ConsumeStats.consumeTps.
func (s *brokerStats) getTps(topic, group string) float64 {
	it, ok := s.item(protocol.StatsGroupGetNums, topic+"@"+group)
	if !ok {
		return 0
	}
	return it.window(windowMinute).Tps
}

// tick samples the rings that are due at now and records the daily
// figures when a local midnight has passed since the last tick.
func (s *brokerStats) tick(now time.Time) {
	ms := now.UnixMilli()
	st := &s.sampler
	s.sampleAll(windowMinute, ms)
	if !now.Before(st.nextHour) {
		s.sampleAll(windowHour, ms)
		st.nextHour = nextDue(st.nextHour, now, statsWindows[windowHour].interval)
	}
	if !now.Before(st.nextDay) {
		s.sampleAll(windowDay, ms)
		st.nextDay = nextDue(st.nextDay, now, statsWindows[windowDay].interval)
		s.puts.dropIdle()
		s.gets.dropIdle()
		s.sendBacks.dropIdle()
	}
	midnight := localMidnight(now)
	switch {
	case st.today.IsZero():
		st.today = midnight
	case !midnight.Equal(st.today):
		st.today = midnight
		s.recordMidnight()
	}
}

// nextDue keeps a ring on its period without drifting with the ticks, and
// starts afresh after a pause longer than the period.
func nextDue(prev, now time.Time, every time.Duration) time.Time {
	next := prev.Add(every)
	if prev.IsZero() || !next.After(now) {
		return now.Add(every)
	}
	return next
}

func localMidnight(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}

func (s *brokerStats) sampleAll(w int, ms int64) {
	s.puts.sample(w, ms)
	s.gets.sample(w, ms)
	s.sendBacks.sample(w, ms)
	s.brokerPut.sample(w, ms)
	s.brokerGet.sample(w, ms)
}

// recordMidnight is upstream's BrokerStats.record: today's morning figures
// become yesterday's and the totals now become today's.
func (s *brokerStats) recordMidnight() {
	d := &s.daily
	d[putTotalYesterdayMorning].Store(d[putTotalTodayMorning].Load())
	d[getTotalYesterdayMorning].Store(d[getTotalTodayMorning].Load())
	d[putTotalTodayMorning].Store(s.putTotal())
	d[getTotalTodayMorning].Store(s.brokerGet.value.Load())
}

// run samples every 10 s until stop closes; the first tick is at once, as
// upstream starts its samplers with no delay.
func (s *brokerStats) run(now func() time.Time, stop <-chan struct{}) {
	t := time.NewTicker(statsLoopInterval)
	defer t.Stop()
	for {
		s.tick(now())
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// handleViewBrokerStats answers VIEW_BROKER_STATS_DATA (mqadmin statsAll,
// exportMetrics): the minute, hour and day windows of one statistic.
func (b *Broker) handleViewBrokerStats(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.ViewBrokerStatsDataRequestHeader
	if resp := decodeOrFail(req, &h); resp != nil {
		return resp, nil
	}
	it, ok := b.stats.item(h.StatsName, h.StatsKey)
	if !ok {
		return remoting.NewResponse(req, protocol.RespSystemError, fmt.Sprintf("The stats <%s> <%s> not exist", h.StatsName, h.StatsKey)), nil
	}
	d := protocol.BrokerStatsData{
		StatsMinute: it.window(windowMinute),
		StatsHour:   it.window(windowHour),
		StatsDay:    it.window(windowDay),
	}
	body, err := d.Encode()
	if err != nil {
		return nil, err
	}
	resp := remoting.NewResponse(req, protocol.RespSuccess, "")
	resp.Body = body
	return resp, nil
}

// statsRuntimeInfo adds the daily figures of upstream's BrokerStats to the
// runtime info table (GET_BROKER_RUNTIME_INFO); clusterList -m computes
// yesterday's and today's totals from them.
func (b *Broker) statsRuntimeInfo(m map[string]string) {
	d := &b.stats.daily
	m["msgPutTotalTodayMorning"] = strconv.FormatInt(d[putTotalTodayMorning].Load(), 10)
	m["msgPutTotalYesterdayMorning"] = strconv.FormatInt(d[putTotalYesterdayMorning].Load(), 10)
	m["msgGetTotalTodayMorning"] = strconv.FormatInt(d[getTotalTodayMorning].Load(), 10)
	m["msgGetTotalYesterdayMorning"] = strconv.FormatInt(d[getTotalYesterdayMorning].Load(), 10)
	m["msgGetTotalTodayNow"] = strconv.FormatInt(b.stats.brokerGet.value.Load(), 10)
}
