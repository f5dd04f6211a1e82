package admin

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/protocol"
)

// startMonitoring: upstream's MonitorService with its DefaultMonitorListener.
// Each round looks at every consumer group the name servers know a
// %RETRY% topic of: its backlog per topic (undone messages), and what its
// live members report about themselves (subscriptions that differ, queues
// not consumed or not locked for a while, failed consumption). A consumer
// of OFFSET_MOVED_EVENT reports each offset a broker moved because the
// messages it named were gone (deleted messages). What upstream logs goes
// to stdout, one line per finding, until SIGINT or SIGTERM.

const (
	// monitorRoundInterval is upstream's MonitorConfig.roundInterval.
	// Upstream waits 20 s before its first round; a command line user
	// wants the first report at once, so the first round starts at once.
	monitorRoundInterval = 60 * time.Second
	// monitorConsumerGroup is upstream's MixAll.MONITOR_CONSUMER_GROUP.
	monitorConsumerGroup = "__MONITOR_CONSUMER"
	// versionV3_1_8Snapshot is the oldest client asked for its running info.
	versionV3_1_8Snapshot int32 = 62

	monitorPrefix = "[MONITOR] "
	monitorNotify = monitorPrefix + " [NOTIFY] " // upstream's LOG_NOTIFY, two spaces and all
)

func monitorCommands() []*Command {
	return []*Command{{Name: "startMonitoring", Desc: "Start Monitoring", Run: runStartMonitoring}}
}

// monitor is one startMonitoring run.
type monitor struct {
	admin *client.Admin
	out   *lineWriter
	err   io.Writer
	now   func() time.Time
}

// lineWriter serializes whole lines from the round loop and the
// OFFSET_MOVED_EVENT listener.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", args...)
}

func runStartMonitoring(ctx context.Context, x *Exec) error {
	a, err := x.Admin()
	if err != nil {
		return err
	}
	// A name server that cannot be reached fails the command at once
	// rather than every round.
	if _, err := a.TopicList(ctx); err != nil {
		return err
	}
	m := &monitor{admin: a, out: &lineWriter{w: x.Out}, err: x.Err, now: time.Now}
	stopEvents := m.watchOffsetMoved(ctx, x)
	defer stopEvents()

	tick := time.NewTicker(monitorRoundInterval)
	defer tick.Stop()
	for {
		m.round(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// watchOffsetMoved subscribes OFFSET_MOVED_EVENT, as upstream's monitor
// does with its push consumer. When no broker routes the topic, or the
// consumer cannot start, it says so once, loudly, and the rounds go on
// without those reports. It returns the function that stops the consumer.
func (m *monitor) watchOffsetMoved(ctx context.Context, x *Exec) (stop func()) {
	nothing := func() {}
	warn := func(why string) {
		m.out.printf("%sWARNING: offset-moved (deleted messages) events will NOT be reported: %s", monitorPrefix, why)
	}
	if _, err := m.admin.TopicRoute(ctx, protocol.TopicOffsetMovedEvent); err != nil {
		warn(fmt.Sprintf("no broker routes %s (%v)", protocol.TopicOffsetMovedEvent, err))
		return nothing
	}
	pc, err := client.NewPushConsumer(client.PushConsumerOptions{
		ClientOptions: client.ClientOptions{
			NameServers:  x.ns,
			InstanceName: "MonitorService_" + strconv.Itoa(os.Getpid()),
			Logger:       x.logger(),
		},
		Group:             monitorConsumerGroup,
		ConsumeGoroutines: 1,
		Listener: func(_ context.Context, msgs []*client.MessageExt) (client.ConsumeResult, error) {
			for _, msg := range msgs {
				m.reportOffsetMoved(msg)
			}
			return client.ConsumeSuccess, nil
		},
	})
	if err == nil {
		err = pc.Subscribe(protocol.TopicOffsetMovedEvent, client.ByTag("*"))
	}
	if err == nil {
		err = pc.Start(ctx)
	}
	if err != nil {
		warn(fmt.Sprintf("cannot consume %s: %v", protocol.TopicOffsetMovedEvent, err))
		return nothing
	}
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := pc.Shutdown(sctx); err != nil {
			fmt.Fprintf(m.err, "startMonitoring: stop the %s consumer: %v\n", protocol.TopicOffsetMovedEvent, err)
		}
	}
}

// offsetMovedEvent is upstream's OffsetMovedEvent as brokers store it.
type offsetMovedEvent struct {
	ConsumerGroup string                `json:"consumerGroup"`
	MessageQueue  protocol.MessageQueue `json:"messageQueue"`
	OffsetRequest int64                 `json:"offsetRequest"`
	OffsetNew     int64                 `json:"offsetNew"`
}

// reportOffsetMoved prints one OFFSET_MOVED_EVENT message as upstream's
// reportDeleteMsgsEvent.
func (m *monitor) reportOffsetMoved(msg *client.MessageExt) {
	var ev offsetMovedEvent
	if err := protocol.DecodeJSON(msg.Body, &ev); err != nil {
		fmt.Fprintf(m.err, "startMonitoring: %s message %s: %v\n", protocol.TopicOffsetMovedEvent, msg.MsgID(), err)
		return
	}
	m.out.printf("%sreportDeleteMsgsEvent: DeleteMsgsEvent [offsetMovedEvent=OffsetMovedEvent [consumerGroup=%s, messageQueue=%s, offsetRequest=%d, offsetNew=%d], eventTimestamp=%d]",
		monitorPrefix, ev.ConsumerGroup, wireQueue(ev.MessageQueue), ev.OffsetRequest, ev.OffsetNew, msg.StoreTimestamp)
}

func wireQueue(mq protocol.MessageQueue) client.MessageQueue {
	return client.MessageQueue{Topic: mq.Topic, BrokerName: mq.BrokerName, QueueID: mq.QueueID}
}

// round is upstream's doMonitorWork: every group with a %RETRY% topic,
// in the name servers' topic order (sorted here).
func (m *monitor) round(ctx context.Context) {
	m.out.printf("%s=========================================beginRound", monitorPrefix)
	topics, err := m.admin.TopicList(ctx)
	if err != nil {
		if ctx.Err() == nil {
			fmt.Fprintf(m.err, "startMonitoring: list topics: %v\n", err)
		}
		return
	}
	slices.Sort(topics)
	for _, topic := range topics {
		if ctx.Err() != nil {
			return
		}
		group, ok := strings.CutPrefix(topic, protocol.RetryTopicPrefix)
		if !ok {
			continue
		}
		m.reportUndone(ctx, group)
		m.reportRunningInfo(ctx, group)
	}
	m.out.printf("%s=========================================endRound", monitorPrefix)
}

// undone is upstream's UndoneMsgs for one group and topic.
type undone struct {
	total, singleMax, delayMax int64
}

// reportUndone reports the backlog of a group with live members, per
// topic. As upstream, a group without consume stats or without live
// members is passed over.
func (m *monitor) reportUndone(ctx context.Context, group string) {
	stats, _, err := groupConsumeStats(ctx, m.admin, group)
	if err != nil || len(stats) == 0 {
		return
	}
	if cc, _, err := groupConnection(ctx, m.admin, group); err != nil || len(cc.ConnectionSet) == 0 {
		return
	}
	byTopic := map[string][]protocol.MessageQueue{}
	for mq := range stats {
		byTopic[mq.Topic] = append(byTopic[mq.Topic], mq)
	}
	addrs := map[string]string{} // broker name -> address, asked once per group
	for _, topic := range slices.Sorted(maps.Keys(byTopic)) {
		var u undone
		for _, mq := range sortedQueues(sliceSet(byTopic[topic])) {
			ow := stats[mq]
			diff := ow.BrokerOffset - ow.ConsumerOffset
			u.singleMax = max(u.singleMax, diff)
			if diff > 0 {
				u.total += diff
			}
			if ow.LastTimestamp > 0 {
				u.delayMax = max(u.delayMax, m.queueDelay(ctx, addrs, mq, ow.LastTimestamp))
			}
		}
		m.out.printf("%sreportUndoneMsgs: UndoneMsgs [consumerGroup=%s, topic=%s, undoneMsgsTotal=%d, undoneMsgsSingleMQ=%d, undoneMsgsDelayTimeMills=%d]",
			monitorPrefix, group, topic, u.total, u.singleMax, u.delayMax)
	}
}

func sliceSet(mqs []protocol.MessageQueue) map[protocol.MessageQueue]struct{} {
	set := make(map[protocol.MessageQueue]struct{}, len(mqs))
	for _, mq := range mqs {
		set[mq] = struct{}{}
	}
	return set
}

// queueDelay is how far the newest message of mq was stored after the
// last one the group consumed (lastConsumed, ms), as upstream computes
// undoneMsgsDelayTimeMills; 0 when it cannot tell.
func (m *monitor) queueDelay(ctx context.Context, addrs map[string]string, mq protocol.MessageQueue, lastConsumed int64) int64 {
	addr, ok := addrs[mq.BrokerName]
	if !ok {
		var err error
		if addr, err = brokerAddrByName(ctx, m.admin, mq.BrokerName); err != nil {
			return 0
		}
		addrs[mq.BrokerName] = addr
	}
	_, maxOff, err := m.admin.QueueOffsets(ctx, addr, mq.Topic, mq.QueueID)
	if err != nil || maxOff <= 0 {
		return 0
	}
	res, err := m.admin.PullQueue(ctx, addr, protocol.GroupToolsConsumer, wireQueue(mq), maxOff-1, 1)
	if err != nil || res.Status != client.PullFound || len(res.Messages) == 0 {
		return 0
	}
	return res.Messages[0].StoreTimestamp - lastConsumed
}

// reportRunningInfo asks every live member of group for its running info
// and reports what upstream's DefaultMonitorListener finds wrong in it.
func (m *monitor) reportRunningInfo(ctx context.Context, group string) {
	cc, addr, err := groupConnection(ctx, m.admin, group)
	if err != nil {
		return
	}
	infos := map[string]*runningInfo{}
	for _, c := range cc.ConnectionSet {
		if c.Version < versionV3_1_8Snapshot {
			continue
		}
		body, err := m.admin.ConsumerRunningInfo(ctx, addr, group, c.ClientID, false)
		if err != nil {
			continue
		}
		if ri, err := decodeRunningInfo(body); err == nil {
			infos[c.ClientID] = ri
		} else {
			fmt.Fprintf(m.err, "startMonitoring: consumer %s of %s: %v\n", c.ClientID, group, err)
		}
	}
	if len(infos) == 0 {
		return
	}
	for _, line := range analyzeRunningInfo(group, infos, m.now()) {
		m.out.printf("%s", line)
	}
}

// analyzeRunningInfo returns the lines upstream's DefaultMonitorListener
// logs for a group's running infos (by client id): a subscription that
// differs between members of a push group started more than 2 minutes
// ago; per member, queues a concurrent push consumer holds messages of
// but has not consumed for a minute, queues an orderly one has not
// locked or cannot unlock. Upstream's reportFailedMsgs hook is empty;
// here it reports, per topic, the failed consumptions the members'
// status tables count (Java clients fill them: consumeFailedMsgs).
func analyzeRunningInfo(group string, infos map[string]*runningInfo, now time.Time) []string {
	ids := slices.Sorted(maps.Keys(infos))
	first := infos[ids[0]]
	name := cmp.Or(first.Properties["consumerGroup"], group)
	var lines []string
	push := first.Properties["PROP_CONSUME_TYPE"] == protocol.ConsumePassively
	started, ok := propertyInt(first.Properties, "PROP_CONSUMER_START_TIMESTAMP")
	if push && ok && now.UnixMilli()-started > 2*60*1000 && !sameSubscriptions(infos) {
		lines = append(lines, fmt.Sprintf("%sreportConsumerRunningInfo: ConsumerGroup: %s, Subscription different", monitorNotify, name))
	}
	failed := map[string]int64{}
	for _, id := range ids {
		ri := infos[id]
		for _, finding := range analyzeProcessQueues(id, ri, now) {
			lines = append(lines, fmt.Sprintf("%sreportConsumerRunningInfo: ConsumerGroup: %s, ClientId: %s, %s", monitorNotify, name, id, finding))
		}
		for topic, n := range ri.FailedMsgs {
			failed[topic] += n
		}
	}
	for _, topic := range slices.Sorted(maps.Keys(failed)) {
		if failed[topic] > 0 {
			lines = append(lines, fmt.Sprintf("%sreportFailedMsgs: FailedMsgs [consumerGroup=%s, topic=%s, failedMsgsTotalRecently=%d]", monitorPrefix, group, topic, failed[topic]))
		}
	}
	return lines
}

// analyzeProcessQueues is upstream's ConsumerRunningInfo.analyzeProcessQueue,
// one finding per queue.
func analyzeProcessQueues(clientID string, ri *runningInfo, now time.Time) []string {
	if ri.Properties["PROP_CONSUME_TYPE"] != protocol.ConsumePassively {
		return nil
	}
	orderly, _ := strconv.ParseBool(ri.Properties["PROP_CONSUMEORDERLY"])
	nowMs := now.UnixMilli()
	var out []string
	for _, mq := range sortedQueues(ri.Queues) {
		pq := ri.Queues[mq]
		q := wireQueue(mq)
		if orderly {
			if locked, _ := pq["locked"].(bool); !locked {
				out = append(out, fmt.Sprintf("%s %s can't lock for a while, %dms", clientID, q, nowMs-jsonInt(pq["lastLockTimestamp"])))
			} else if dropped, _ := pq["droped"].(bool); dropped && jsonInt(pq["tryUnlockTimes"]) > 0 {
				out = append(out, fmt.Sprintf("%s %s unlock %d times, still failed", clientID, q, jsonInt(pq["tryUnlockTimes"])))
			}
			continue
		}
		if diff := nowMs - jsonInt(pq["lastConsumeTimestamp"]); diff > 60*1000 && jsonInt(pq["cachedMsgCount"]) > 0 {
			out = append(out, fmt.Sprintf("%s %s can't consume for a while, maybe blocked, %dms", clientID, q, diff))
		}
	}
	return out
}

// jsonInt reads a decoded JSON number (or numeric string) as an int64; 0
// when it is neither.
func jsonInt(v any) int64 {
	switch n := v.(type) {
	case float64:
		return int64(n)
	case json.Number:
		i, _ := n.Int64()
		return i
	case string:
		i, _ := strconv.ParseInt(n, 10, 64)
		return i
	}
	return 0
}

// propertyInt reads a numeric running-info property.
func propertyInt(props map[string]string, key string) (int64, bool) {
	v, ok := props[key]
	if !ok {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n, true
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return int64(f), true
	}
	return 0, false
}
