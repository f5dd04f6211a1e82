package interop

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/rocketgo/rocketgo/client"
)

// Where a new group starts, with both clients on real processes.
//
// Upstream 4.9's broker answers QUERY_CONSUMER_OFFSET for a group with no
// committed offset with 0 when the queue still starts at 0 and its first
// message is still in the page cache (not checkInDiskByConsumeOffset: less
// than accessMessageInMemoryMaxRatio percent of RAM behind the commit log's
// end), or the queue is empty; only otherwise does the client apply
// ConsumeFromWhere. So on a young queue LAST and TIMESTAMP read everything,
// as FIRST does, and a Java or Go user sees that. With
// accessMessageInMemoryMaxRatio=0 every stored message counts as in disk,
// which is how these tests reach the other branch on a small store.

// consumeFromCase is one ConsumeFromWhere on one broker setting; want
// names the phases of messages the new group must get.
type consumeFromCase struct {
	from      string // "first", "last", "timestamp"
	inDisk    bool   // broker runs with accessMessageInMemoryMaxRatio=0
	wantOld   bool   // messages stored before the timestamp / the start
	wantMid   bool   // stored after the timestamp, before the start
	allProbes bool   // every probe, not only a suffix per queue
}

var consumeFromCases = []consumeFromCase{
	{from: "first", inDisk: false, wantOld: true, wantMid: true, allProbes: true},
	{from: "first", inDisk: true, wantOld: true, wantMid: true, allProbes: true},
	// Young queue: the broker says 0, the client never looks at LAST.
	{from: "last", inDisk: false, wantOld: true, wantMid: true, allProbes: true},
	{from: "last", inDisk: true, wantOld: false, wantMid: false, allProbes: false},
	{from: "timestamp", inDisk: false, wantOld: true, wantMid: true, allProbes: true},
	{from: "timestamp", inDisk: true, wantOld: false, wantMid: true, allProbes: true},
}

// bodySet records delivered bodies and how often each came.
type bodySet struct {
	mu      sync.Mutex
	seen    map[string]int
	arrived chan struct{} // signalled after every add
}

func newBodySet() *bodySet { return &bodySet{seen: map[string]int{}, arrived: make(chan struct{}, 1)} }

func (s *bodySet) add(body string) {
	s.mu.Lock()
	s.seen[body]++
	s.mu.Unlock()
	select {
	case s.arrived <- struct{}{}:
	default:
	}
}

// await reports whether cond held within timeout, checking it after every
// arrival.
func (s *bodySet) await(timeout time.Duration, cond func() bool) bool {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for !cond() {
		select {
		case <-s.arrived:
		case <-timer.C:
			return cond()
		}
	}
	return true
}

func (s *bodySet) has(body string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[body] > 0
}

func (s *bodySet) snapshot() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.seen)
}

// TestConsumeFromWhere runs every case with rocketmq-client-go ("theirs")
// and our client ("ours"), each case on its own topic and group of one of
// two clusters.
func TestConsumeFromWhere(t *testing.T) {
	clusters := map[bool]*cluster{
		false: startCluster(t, nil),
		true:  startCluster(t, map[string]string{"accessMessageInMemoryMaxRatio": "0"}),
	}
	for _, side := range []string{"theirs", "ours"} {
		for _, tc := range consumeFromCases {
			name := fmt.Sprintf("%s/%s/inDisk=%v", side, tc.from, tc.inDisk)
			t.Run(name, func(t *testing.T) { runConsumeFrom(t, clusters[tc.inDisk], side, tc) })
		}
	}
}

const cfQueues, cfPerPhase = 2, 5

// runConsumeFrom stores "old" messages on every queue, then (past a
// timestamp) "mid" ones, starts a new group, sends probes until one
// arrives from every queue, then "new" messages, and compares what the
// group got with what tc says. Every queue's pull reads in order, so once
// its last new message arrived an old or mid one it was owed would have
// arrived before.
func runConsumeFrom(t *testing.T, c *cluster, side string, tc consumeFromCase) {
	topic := fmt.Sprintf("CF_%s_%s_%v", side, tc.from, tc.inDisk)
	mqs := c.createTopic(t, topic, cfQueues)
	p := c.producer(t, producer.WithQueueSelector(producer.NewManualQueueSelector()))
	send := func(body string, q int) time.Time {
		t.Helper()
		m := primitive.NewMessage(topic, []byte(body))
		m.Queue = mqs[q]
		res, err := p.SendSync(context.Background(), m)
		if err != nil || res.Status != primitive.SendOK || res.MessageQueue.QueueId != q {
			t.Fatalf("send %s to queue %d: %v %+v", body, q, err, res)
		}
		return time.Now()
	}
	sendPhase := func(phase string) (first, last time.Time) {
		for i := range cfPerPhase {
			for q := range cfQueues {
				at := send(fmt.Sprintf("%s-%d-%d", phase, q, i), q)
				if first.IsZero() {
					first = at
				}
				last = at
			}
		}
		return first, last
	}

	// The timestamp is a whole second (rocketmq-client-go's format has no
	// more), at least a second after the last old message was stored and
	// strictly before the first mid one, so upstream's "closest message to
	// the time" search lands on the first mid message of every queue.
	// Other cases need no gap; their timestamp is never consulted.
	_, oldDone := sendPhase("old")
	ts := oldDone.Add(time.Second).Truncate(time.Second).Add(time.Second)
	if tc.from == "timestamp" {
		waitFor(t, 3*time.Second, "the clock to pass the consume timestamp", func() bool {
			return time.Now().After(ts.Add(time.Millisecond))
		})
	}
	midFirst, _ := sendPhase("mid")
	if tc.from == "timestamp" && midFirst.Sub(ts) >= ts.Sub(oldDone) {
		t.Fatalf("first mid message stored up to %v after the timestamp, old ones %v before: the search for the timestamp would be ambiguous", midFirst.Sub(ts), ts.Sub(oldDone))
	}

	got := newBodySet()
	group := "CG_" + topic
	switch side {
	case "theirs":
		from := map[string]consumer.ConsumeFromWhere{
			"first": consumer.ConsumeFromFirstOffset, "last": consumer.ConsumeFromLastOffset, "timestamp": consumer.ConsumeFromTimestamp,
		}[tc.from]
		c.pushConsumer(t, group, topic, consumer.MessageSelector{},
			func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
				for _, m := range msgs {
					got.add(string(m.Body))
				}
				return consumer.ConsumeSuccess, nil
			},
			consumer.WithConsumeFromWhere(from),
			consumer.WithConsumeTimestamp(ts.UTC().Format("20060102150405")))
	case "ours":
		from := map[string]client.ConsumeFrom{
			"first": client.ConsumeFromFirstOffset, "last": client.ConsumeFromLastOffset, "timestamp": client.ConsumeFromTimestamp,
		}[tc.from]
		c.ourPushConsumer(t, client.PushConsumerOptions{
			Group: group, ConsumeFrom: from, ConsumeTimestamp: ts,
			Listener: func(_ context.Context, msgs []*client.MessageExt) (client.ConsumeResult, error) {
				for _, m := range msgs {
					got.add(string(m.Body))
				}
				return client.ConsumeSuccess, nil
			},
		}, topic, client.ByTag("*"))
	}

	// Probes: a LAST consumer starts each queue at its end as of its first
	// rebalance, which the test cannot see, so probe until one has come
	// through on every queue; later messages are then certain to be read.
	probes := make([][]string, cfQueues)
	deadline := time.Now().Add(consumeTimeout)
	for q := range cfQueues {
		probed := func() bool { return slices.ContainsFunc(probes[q], got.has) }
		for round := 0; !probed(); round++ {
			if time.Now().After(deadline) {
				t.Fatalf("no probe of queue %d arrived in %v", q, consumeTimeout)
			}
			body := fmt.Sprintf("probe-%d-%d", q, round)
			probes[q] = append(probes[q], body)
			send(body, q)
			got.await(time.Second, probed)
		}
	}
	sendPhase("new")
	last := make([]string, 0, cfQueues)
	for q := range cfQueues {
		last = append(last, fmt.Sprintf("new-%d-%d", q, cfPerPhase-1))
	}
	waitFor(t, consumeTimeout, "the last new message of every queue", func() bool {
		return !slices.ContainsFunc(last, func(b string) bool { return !got.has(b) })
	})

	delivered := got.snapshot()
	want := map[string]bool{}
	for _, phase := range []struct {
		name string
		on   bool
	}{{"old", tc.wantOld}, {"mid", tc.wantMid}, {"new", true}} {
		for i := range cfPerPhase {
			for q := range cfQueues {
				if phase.on {
					want[fmt.Sprintf("%s-%d-%d", phase.name, q, i)] = true
				}
			}
		}
	}
	for q, sent := range probes {
		// A LAST consumer may have started past the first probes; those it
		// got must be the newest ones.
		firstGot := slices.IndexFunc(sent, got.has)
		if tc.allProbes && firstGot != 0 {
			t.Errorf("queue %d: first probe delivered is #%d, want all %d", q, firstGot, len(sent))
		}
		for i, body := range sent {
			if i >= firstGot {
				want[body] = true
			}
		}
	}
	var missing, extra []string
	for body := range want {
		if delivered[body] == 0 {
			missing = append(missing, body)
		}
	}
	for body, n := range delivered {
		if !want[body] {
			extra = append(extra, body)
		}
		if n > 1 {
			t.Errorf("%s delivered %d times", body, n)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 || len(extra) > 0 {
		t.Errorf("%s consumer from %s (inDisk %v): missing %v, unexpected %v", side, tc.from, tc.inDisk, missing, extra)
	}
	t.Logf("delivered %d messages: %s", len(delivered), summarize(delivered))
}

// summarize counts delivered bodies per phase, for the log.
func summarize(delivered map[string]int) string {
	per := map[string]int{}
	for body := range delivered {
		phase, _, _ := strings.Cut(body, "-")
		per[phase]++
	}
	var parts []string
	for _, phase := range []string{"old", "mid", "probe", "new"} {
		parts = append(parts, phase+"="+strconv.Itoa(per[phase]))
	}
	return strings.Join(parts, " ")
}
