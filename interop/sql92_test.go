package interop

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// TestSQL92Filter: a push consumer subscribed with the SQL92 expression
// "a BETWEEN 0 AND 3" over messages with a = 0..9 gets exactly the four
// with a = 0, 1, 2, 3. v2.1.2 registers the expression by heartbeat and
// pulls without it, so this is the broker filtering with the heartbeat's
// subscription. Half of the messages are sent while the consumer's pulls
// are held, so wake-ups are filtered as well.
func TestSQL92Filter(t *testing.T) {
	c := startCluster(t, nil)
	const topic = "InteropSQL92"
	mqs := c.createTopic(t, topic, 2)
	p := c.producer(t, producer.WithQueueSelector(producer.NewManualQueueSelector()))
	send := func(body string, props map[string]string, q int) {
		t.Helper()
		m := primitive.NewMessage(topic, []byte(body))
		m.WithProperties(props)
		m.Queue = mqs[q%len(mqs)]
		if _, err := p.SendSync(context.Background(), m); err != nil {
			t.Fatalf("send %s: %v", body, err)
		}
	}
	for i := range 5 {
		send("a="+strconv.Itoa(i), map[string]string{"a": strconv.Itoa(i)}, i)
	}
	col := &collector{}
	c.pushConsumer(t, "CG_"+t.Name(), topic,
		consumer.MessageSelector{Type: consumer.SQL92, Expression: "a BETWEEN 0 AND 3"}, col.collect)
	for i := 5; i < 10; i++ {
		send("a="+strconv.Itoa(i), map[string]string{"a": strconv.Itoa(i)}, i)
	}
	// A matching last message on every queue: once the consumer has it,
	// it has gone past every a = 4..9 before it in that queue.
	for q := range mqs {
		send(fmt.Sprintf("end-%d", q), map[string]string{"a": "0", "end": "yes"}, q)
	}
	want := []string{"a=0", "a=1", "a=2", "a=3"}
	for q := range mqs {
		want = append(want, fmt.Sprintf("end-%d", q))
	}
	waitFor(t, consumeTimeout, "the matching messages and the end markers", func() bool { return col.len() >= len(want) })
	var got []string
	for body := range bodies(t, col.snapshot(), true) {
		got = append(got, body)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("consumed %v, want %v", got, want)
	}
}

// TestSQL92MalformedExpression: v2.1.2 does not check a subscription
// before it starts (no CHECK_CLIENT_CONFIG), so a malformed expression
// reaches the broker in the heartbeat, and every pull is answered with
// SUBSCRIPTION_PARSE_FAILED carrying the parser's message. The client
// reports that in its log ("pull message from broker error ... unknown
// Response Code: 23, remark: ...") and retries; nothing is delivered.
func TestSQL92MalformedExpression(t *testing.T) {
	c := startCluster(t, nil)
	const topic = "InteropSQL92Bad"
	c.createTopic(t, topic, 1)
	p := c.producer(t)
	m := primitive.NewMessage(topic, []byte("a=1"))
	m.WithProperty("a", "1")
	if _, err := p.SendSync(context.Background(), m); err != nil {
		t.Fatal(err)
	}

	group := "CG_" + t.Name()
	const expr = "a BETWEEN 3"
	reported := make(chan string, 1)
	defer clientLog.watch(func(msg string, fields map[string]any) {
		errText, _ := fields[rlog.LogKeyUnderlayError].(string)
		if msg == "pull message from broker error" && strings.Contains(errText, group) {
			select {
			case reported <- errText:
			default:
			}
		}
	})()
	col := &collector{}
	c.pushConsumer(t, group, topic, consumer.MessageSelector{Type: consumer.SQL92, Expression: expr}, col.collect)

	var report string
	select {
	case report = <-reported:
	case <-time.After(consumeTimeout):
		t.Fatal("the client reported no failed pull")
	}
	for _, part := range []string{"unknown Response Code: 23", expr, "SQL92 parse error at column 12"} {
		if !strings.Contains(report, part) {
			t.Errorf("client's report %q lacks %q", report, part)
		}
	}
	// The same pull from our client, as v2.1.2 sends it (no subscription,
	// expression type TAG): the broker answers from the heartbeat's
	// subscription.
	h := protocol.PullMessageRequestHeader{ConsumerGroup: group, Topic: topic, QueueID: 0, MaxMsgNums: 32,
		ExpressionType: protocol.ExpressionTypeTag}
	rc := remoting.NewClient(remoting.ClientConfig{})
	defer rc.Close()
	resp, err := rc.InvokeSync(context.Background(), c.broker.Addr, remoting.NewRequest(protocol.ReqPullMessage, protocol.EncodeHeader(&h), nil), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Code != protocol.RespSubscriptionParseFailed || !strings.Contains(resp.Remark, "SQL92 parse error at column 12") {
		t.Fatalf("pull answered %d %q, want 23 with the parser's message", resp.Code, resp.Remark)
	}
	if n := col.len(); n != 0 {
		t.Fatalf("%d messages delivered through a malformed expression", n)
	}
}

// clientLog receives rocketmq-client-go's log, which is process-wide, so
// that tests can watch what the client reports. It prints errors to
// stderr, the level the suite runs the client at (namesrv_test.go).
var clientLog = &watchedLog{}

func init() { rlog.SetLogger(clientLog) }

type watchedLog struct {
	mu       sync.Mutex
	verbose  bool // Level below "error" was asked for
	watchers map[int]func(msg string, fields map[string]any)
	next     int
}

// watch calls f for every warning and error until the returned func is
// called.
func (l *watchedLog) watch(f func(msg string, fields map[string]any)) (stop func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.watchers == nil {
		l.watchers = map[int]func(string, map[string]any){}
	}
	id := l.next
	l.next++
	l.watchers[id] = f
	return func() {
		l.mu.Lock()
		delete(l.watchers, id)
		l.mu.Unlock()
	}
}

func (l *watchedLog) notify(level, msg string, fields map[string]any, print bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range l.watchers {
		f(msg, fields)
	}
	if print || l.verbose {
		fmt.Fprintf(os.Stderr, "rocketmq-client-go %s: %s %v\n", level, msg, fields)
	}
}

func (l *watchedLog) Debug(string, map[string]any) {}

func (l *watchedLog) Info(msg string, fields map[string]any) {
	if l.isVerbose() {
		fmt.Fprintf(os.Stderr, "rocketmq-client-go info: %s %v\n", msg, fields)
	}
}

func (l *watchedLog) Warning(msg string, fields map[string]any) {
	l.notify("warning", msg, fields, false)
}

func (l *watchedLog) Error(msg string, fields map[string]any) { l.notify("error", msg, fields, true) }

func (l *watchedLog) Fatal(msg string, fields map[string]any) { l.notify("fatal", msg, fields, true) }

func (l *watchedLog) OutputPath(string) error { return nil }

// Level follows rlog.SetLogLevel: anything below "error" also prints
// warnings and infos.
func (l *watchedLog) Level(level string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.verbose = level != "error" && level != "fatal"
}

func (l *watchedLog) isVerbose() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.verbose
}
