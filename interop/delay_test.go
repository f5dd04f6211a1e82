package interop

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/rocketgo/rocketgo/client"
)

// Delayed delivery, retries and dead letters as rocketmq-client-go v2.1.2
// sees them, with the broker's default messageDelayLevel (level 2 = 5 s,
// level 3 = 10 s). These tests wait real seconds, so each runs on its own
// cluster in parallel with the others.

// stamped records when each delivery of a message arrived.
type stamped struct {
	mu   sync.Mutex
	at   []time.Time
	msgs []*primitive.MessageExt
}

func (s *stamped) add(m *primitive.MessageExt) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.at = append(s.at, time.Now())
	s.msgs = append(s.msgs, m)
	return len(s.msgs)
}

// collect is a listener that records every delivery and succeeds.
func (s *stamped) collect(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
	for _, m := range msgs {
		s.add(m)
	}
	return consumer.ConsumeSuccess, nil
}

func (s *stamped) get(i int) (time.Time, *primitive.MessageExt, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i >= len(s.msgs) {
		return time.Time{}, nil, false
	}
	return s.at[i], s.msgs[i], true
}

func (s *stamped) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

var all = consumer.MessageSelector{Type: consumer.TAG, Expression: "*"}

// createRetryTopic creates a group's %RETRY% topic before its consumer
// starts. The broker creates it at the consumer's first heartbeat, but
// rocketmq-client-go asks for its route before that heartbeat and then
// only every 30 s, so the first retry would wait up to 30 s more than its
// delay level (with an upstream broker too).
func (c *cluster) createRetryTopic(t *testing.T, group string) {
	t.Helper()
	c.createTopic(t, "%RETRY%"+group, 1)
}

// TestDelayLevelWithTheirClient: a level-2 message reaches the consumer no
// earlier than 5 s after it was sent.
func TestDelayLevelWithTheirClient(t *testing.T) {
	t.Parallel()
	c := startCluster(t, nil)
	const topic = "InteropDelay"
	c.createTopic(t, topic, 2)
	var got stamped
	c.pushConsumer(t, "CG_delay", topic, all, got.collect)
	p := c.producer(t)
	msg := primitive.NewMessage(topic, []byte("five seconds later"))
	msg.WithDelayTimeLevel(2)
	sent := time.Now()
	if _, err := p.SendSync(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the delayed message", func() bool { return got.len() == 1 })
	at, m, _ := got.get(0)
	if d := at.Sub(sent); d < 5*time.Second || d > 9*time.Second {
		t.Errorf("level-2 message received %v after sending, want 5 s (and well before 9 s)", d)
	}
	if string(m.Body) != "five seconds later" || m.Topic != topic {
		t.Errorf("received %s %q", m.Topic, m.Body)
	}
}

// TestRetryLaterWithTheirClient: "consume later" brings the message back
// with ReconsumeTimes 1 after level 3's 10 s.
func TestRetryLaterWithTheirClient(t *testing.T) {
	t.Parallel()
	c := startCluster(t, nil)
	const topic = "InteropRetry"
	c.createTopic(t, topic, 2)
	c.createRetryTopic(t, "CG_retry")
	var got stamped
	c.pushConsumer(t, "CG_retry", topic, all, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			if got.add(m) == 1 {
				return consumer.ConsumeRetryLater, nil
			}
		}
		return consumer.ConsumeSuccess, nil
	})
	p := c.producer(t)
	if _, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte("try again"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 40*time.Second, "the retried message", func() bool { return got.len() >= 2 })
	first, m0, _ := got.get(0)
	second, m1, _ := got.get(1)
	if d := second.Sub(first); d < 10*time.Second || d > 15*time.Second {
		t.Errorf("retry arrived %v after the first delivery, want about 10 s", d)
	}
	if m1.ReconsumeTimes != 1 || m1.Topic != topic || string(m1.Body) != "try again" || m1.MsgId != m0.MsgId {
		t.Errorf("retry: topic %s reconsumeTimes %d msgId %s (first %s) body %q", m1.Topic, m1.ReconsumeTimes, m1.MsgId, m0.MsgId, m1.Body)
	}
}

// TestDeadLetterWithTheirClient: with maxReconsumeTimes 1 the second
// failure sends the message to %DLQ%<group>, where a consumer of that
// topic receives it.
func TestDeadLetterWithTheirClient(t *testing.T) {
	t.Parallel()
	c := startCluster(t, nil)
	const topic, group = "InteropDead", "CG_dead"
	c.createTopic(t, topic, 1)
	c.createRetryTopic(t, group)
	var failed stamped
	c.pushConsumer(t, group, topic, all, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			failed.add(m)
		}
		return consumer.ConsumeRetryLater, nil
	}, consumer.WithMaxReconsumeTimes(1))
	p := c.producer(t)
	if _, err := p.SendSync(context.Background(), primitive.NewMessage(topic, []byte("hopeless"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 40*time.Second, "two failed deliveries", func() bool { return failed.len() >= 2 })

	dlq := "%DLQ%" + group
	adm, err := admin.NewAdmin(admin.WithResolver(c.resolver()))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	waitFor(t, 20*time.Second, "the dead letter topic's route", func() bool {
		mqs, err := adm.FetchPublishMessageQueues(context.Background(), dlq)
		return err == nil && len(mqs) == 1
	})
	var dead stamped
	c.pushConsumer(t, "CG_dead_reader", dlq, all, dead.collect)
	waitFor(t, 30*time.Second, "the dead letter", func() bool { return dead.len() >= 1 })
	_, m, _ := dead.get(0)
	if string(m.Body) != "hopeless" || m.Topic != dlq || m.ReconsumeTimes != 2 || m.GetProperty(primitive.PropertyRetryTopic) != topic {
		t.Errorf("dead letter: topic %s reconsumeTimes %d body %q props %v", m.Topic, m.ReconsumeTimes, m.Body, m.GetProperties())
	}
	if n := failed.len(); n != 2 {
		t.Errorf("the failing consumer saw the message %d times, want 2", n)
	}
}

// TestDeliveryTimeAcrossClients: 5.x's TIMER_DELIVER_MS from
// rocketmq-client-go, and TIMER_DELAY_SEC from our client, are delivered
// no earlier than asked.
func TestDeliveryTimeAcrossClients(t *testing.T) {
	t.Parallel()
	c := startCluster(t, nil)
	const topic = "InteropTimer"
	c.createTopic(t, topic, 2)
	var got stamped
	c.pushConsumer(t, "CG_timer", topic, all, got.collect)
	theirs := c.producer(t)
	ours := c.ourProducer(t, "PG_ours_timer")
	sent := time.Now()
	deliverAt := sent.Add(3 * time.Second)
	msg := primitive.NewMessage(topic, []byte("theirs"))
	msg.WithProperty("TIMER_DELIVER_MS", strconv.FormatInt(deliverAt.UnixMilli(), 10))
	if _, err := theirs.SendSync(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	m := client.NewMessage(topic, "", []byte("ours"))
	m.SetProperty("TIMER_DELAY_SEC", "4")
	if _, err := ours.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "both timed messages", func() bool { return got.len() == 2 })
	for i := range 2 {
		at, m, _ := got.get(i)
		want := deliverAt
		if string(m.Body) == "ours" {
			want = sent.Add(4 * time.Second)
		}
		if at.Before(want) || at.After(want.Add(4*time.Second)) {
			t.Errorf("%s received at %v, asked for %v", m.Body, at.Format(time.StampMilli), want.Format(time.StampMilli))
		}
		if m.GetProperty("TIMER_OUT_MS") == "" {
			t.Errorf("%s: no TIMER_OUT_MS in %v", m.Body, m.GetProperties())
		}
	}
}
