package interop

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
)

// txListener is a TransactionListener whose local transactions end as
// their bodies say: "commit", "rollback" or "unknown", which a check later
// commits. It records the checks it is asked.
type txListener struct {
	mu     sync.Mutex
	checks map[string][]time.Time // body -> when checked
	topics map[string]string      // body -> topic of the checked message
}

func (l *txListener) ExecuteLocalTransaction(m *primitive.Message) primitive.LocalTransactionState {
	switch string(m.Body) {
	case "commit":
		return primitive.CommitMessageState
	case "rollback":
		return primitive.RollbackMessageState
	}
	return primitive.UnknowState
}

func (l *txListener) CheckLocalTransaction(m *primitive.MessageExt) primitive.LocalTransactionState {
	l.mu.Lock()
	defer l.mu.Unlock()
	body := string(m.Body)
	l.checks[body] = append(l.checks[body], time.Now())
	l.topics[body] = m.Topic
	if body == "rollback" {
		return primitive.RollbackMessageState
	}
	return primitive.CommitMessageState
}

// firstCheck is when body was first checked (zero if never).
func (l *txListener) firstCheck(body string) (time.Time, int, string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.checks[body]) == 0 {
		return time.Time{}, 0, ""
	}
	return l.checks[body][0], len(l.checks[body]), l.topics[body]
}

// TestTransactionProducer drives the broker with v2.1.2's transaction
// producer: a committed message is consumed, a rolled back one never is,
// and one left unknown is consumed only after the broker checked it and
// the listener's CheckLocalTransaction committed it.
func TestTransactionProducer(t *testing.T) {
	c := startCluster(t, map[string]string{"transactionCheckInterval": "200", "transactionTimeOut": "500"})
	const topic = "InteropTransaction"
	// One queue: pullAll below reads it to its end (v2.1.2 holds a pull of
	// an empty queue for the suspend timeout).
	c.createTopic(t, topic, 1)
	l := &txListener{checks: map[string][]time.Time{}, topics: map[string]string{}}
	tp, err := producer.NewTransactionProducer(l,
		producer.WithNsResolver(c.resolver()),
		producer.WithGroupName("PG_"+t.Name()),
		producer.WithInstanceName(instance(t)),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(5*time.Second),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := tp.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tp.Shutdown() })

	var mu sync.Mutex
	consumedAt := map[string]time.Time{}
	var consumed []*primitive.MessageExt
	c.pushConsumer(t, "CG_"+t.Name(), topic, consumer.MessageSelector{Type: consumer.TAG, Expression: "*"},
		func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
			mu.Lock()
			defer mu.Unlock()
			for _, m := range msgs {
				consumed = append(consumed, m)
				consumedAt[string(m.Body)] = time.Now()
			}
			return consumer.ConsumeSuccess, nil
		})

	want := map[string]primitive.LocalTransactionState{
		"commit": primitive.CommitMessageState, "rollback": primitive.RollbackMessageState, "unknown": primitive.UnknowState,
	}
	sent := time.Now()
	for _, body := range []string{"commit", "rollback", "unknown"} {
		res, err := tp.SendMessageInTransaction(context.Background(), primitive.NewMessage(topic, []byte(body)))
		if err != nil {
			t.Fatalf("SendMessageInTransaction %s: %v", body, err)
		}
		if res.Status != primitive.SendOK || res.State != want[body] || res.MsgID == "" || res.OffsetMsgID == "" {
			t.Fatalf("%s: result %+v", body, res)
		}
	}

	waitFor(t, consumeTimeout, "the committed and the checked transaction to be consumed", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return !consumedAt["commit"].IsZero() && !consumedAt["unknown"].IsZero()
	})
	checkedAt, checks, checkedTopic := l.firstCheck("unknown")
	mu.Lock()
	t.Logf("sent at %v; checked after %v, consumed commit after %v, unknown after %v", sent.Format(time.StampMilli),
		checkedAt.Sub(sent), consumedAt["commit"].Sub(sent), consumedAt["unknown"].Sub(sent))
	mu.Unlock()
	mu.Lock()
	unknownAt := consumedAt["unknown"]
	got := bodies(t, consumed, true)
	mu.Unlock()
	if checks == 0 || checkedTopic != topic {
		t.Fatalf("the unknown transaction was checked %d times (topic %q)", checks, checkedTopic)
	}
	if !checkedAt.Before(unknownAt) {
		t.Fatalf("the unknown transaction was consumed at %v, before its check at %v", unknownAt, checkedAt)
	}
	if _, n, _ := l.firstCheck("commit"); n != 0 {
		t.Errorf("the committed transaction was checked %d times", n)
	}
	if m := got["unknown"]; m == nil || m.Topic != topic || m.GetTags() != "" {
		t.Fatalf("checked message %+v", m)
	}

	// By now the rollback (sent before the unknown transaction's check
	// round) is long decided: the queue holds exactly the two commits.
	stored := c.pullAll(t, topic)
	if len(stored) != 2 || stored["commit"] == nil || stored["unknown"] == nil {
		t.Fatalf("%s holds %d messages: %v", topic, len(stored), txBodies(stored))
	}
	if _, ok := got["rollback"]; ok {
		t.Fatal("the rolled back message was consumed")
	}
}

func txBodies(m map[string]*primitive.MessageExt) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
