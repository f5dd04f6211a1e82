package broker

import (
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

func sendBackReq(offset int64, group string, level int32, maxTimes *int32) *remoting.Command {
	h := protocol.ConsumerSendMsgBackRequestHeader{Offset: offset, Group: group, DelayLevel: level, OriginTopic: "Work", MaxReconsumeTimes: maxTimes}
	return remoting.NewRequest(protocol.ReqConsumerSendMsgBack, protocol.EncodeHeader(&h), nil)
}

// lastScheduled returns the newest record in the schedule queue of level.
func lastScheduled(t *testing.T, b *Broker, level int32) *protocol.MessageExt {
	t.Helper()
	dispatched(t, b)
	msgs := readQueue(t, b.store, "SCHEDULE_TOPIC_XXXX", level-1)
	if len(msgs) == 0 {
		t.Fatalf("nothing in delay level %d", level)
	}
	return msgs[len(msgs)-1]
}

// TestSendBackDelaysThenDeadLetters follows one message through the
// retry schedule: level 3 + reconsumeTimes each time, delivered to
// %RETRY%<group> no earlier than due, then the dead letter queue once the
// client's maxReconsumeTimes is used up.
func TestSendBackDelaysThenDeadLetters(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MessageDelayLevel = "1s 1s 1s 2s 3s"
	b := startBroker(t, cfg)
	c := newClient(t)
	addr := b.Addr()
	resp := call(t, c, addr, sendReq("Work", 0, []byte("job"), map[string]string{protocol.PropertyUniqClientMessageID: "U1", protocol.PropertyTags: "TagW"}))
	mustCode(t, resp, protocol.RespSuccess)
	originID := resp.ExtFields["msgId"]
	_, phy, _ := protocol.DecodeOffsetMsgID(originID)
	retry := protocol.RetryTopic("wg")
	maxTimes := int32(2)

	var got *protocol.MessageExt
	for round, level := range []int32{3, 4} {
		mustCode(t, call(t, c, addr, sendBackReq(phy, "wg", 0, &maxTimes)), protocol.RespSuccess)
		sched := lastScheduled(t, b, level)
		if sched.Property(protocol.PropertyRealTopic) != retry || sched.ReconsumeTimes != int32(round+1) {
			t.Fatalf("round %d: scheduled %v reconsume %d", round, sched.Properties, sched.ReconsumeTimes)
		}
		due := sched.StoreTimestamp + b.schedule.levels[level-1].Milliseconds()
		waitFor(t, 10*time.Second, "retry delivery", func() bool { return b.store.MaxOffsetInQueue(retry, 0) == int64(round+1) })
		msgs := readQueue(t, b.store, retry, 0)
		got = msgs[round]
		if got.StoreTimestamp < due {
			t.Errorf("round %d: redelivered %d ms early", round, due-got.StoreTimestamp)
		}
		if string(got.Body) != "job" || got.ReconsumeTimes != int32(round+1) || got.Property(protocol.PropertyRetryTopic) != "Work" ||
			got.MsgID() != "U1" || got.Property(protocol.PropertyOriginMessageID) != originID || got.Tags() != "TagW" {
			t.Fatalf("round %d: retry message %+v", round, got)
		}
		phy = got.CommitLogOffset
	}
	// reconsumeTimes 2 has reached the client's max 2: dead letter, at once.
	mustCode(t, call(t, c, addr, sendBackReq(phy, "wg", 0, &maxTimes)), protocol.RespSuccess)
	dispatched(t, b)
	dlq := protocol.DLQTopic("wg")
	dead := readQueue(t, b.store, dlq, 0)
	if len(dead) != 1 || dead[0].ReconsumeTimes != 3 || dead[0].Property(protocol.PropertyRetryTopic) != "Work" ||
		dead[0].Property(protocol.PropertyOriginMessageID) != originID || string(dead[0].Body) != "job" {
		t.Fatalf("dead letters %+v", dead)
	}
	if tc, ok := b.topics.get(dlq); !ok || tc.ReadQueueNums != 1 || tc.Perm != protocol.PermRead|protocol.PermWrite {
		t.Fatalf("dead letter topic config %+v %v", tc, ok)
	}

	// A level the client names is used as is; a negative one dead-letters.
	mustCode(t, call(t, c, addr, sendBackReq(phy, "wg", 5, nil)), protocol.RespSuccess)
	if s := lastScheduled(t, b, 5); s.Property(protocol.PropertyRealTopic) != retry {
		t.Fatalf("level 5 send-back scheduled %v", s.Properties)
	}
	mustCode(t, call(t, c, addr, sendBackReq(phy, "wg", -1, nil)), protocol.RespSuccess)
	dispatched(t, b)
	if n := len(readQueue(t, b.store, dlq, 0)); n != 2 {
		t.Fatalf("negative level: %d dead letters, want 2", n)
	}

	// Unknown offsets are refused.
	mustCode(t, call(t, c, addr, sendBackReq(1<<40, "wg", 0, nil)), protocol.RespSystemError)
}

// TestSendBackUsesTheGroupsRetryMaxTimes: without the client's limit the
// group's retryMaxTimes decides.
func TestSendBackUsesTheGroupsRetryMaxTimes(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	c := newClient(t)
	addr := b.Addr()
	g := protocol.SubscriptionGroupConfig{GroupName: "strict", ConsumeEnable: true, RetryQueueNums: 1, RetryMaxTimes: 0}
	body, err := protocol.EncodeBody(&g)
	if err != nil {
		t.Fatal(err)
	}
	mustCode(t, call(t, c, addr, remoting.NewRequest(protocol.ReqUpdateAndCreateSubscriptionGroup, nil, body)), protocol.RespSuccess)
	resp := call(t, c, addr, sendReq("Work", 0, []byte("job"), nil))
	_, phy, _ := protocol.DecodeOffsetMsgID(resp.ExtFields["msgId"])
	mustCode(t, call(t, c, addr, sendBackReq(phy, "strict", 0, nil)), protocol.RespSuccess)
	dispatched(t, b)
	if n := len(readQueue(t, b.store, protocol.DLQTopic("strict"), 0)); n != 1 {
		t.Fatalf("retryMaxTimes 0: %d dead letters, want 1", n)
	}
}

// TestClientBuiltRetryIsDelayed: orderly consumers and failed send-backs
// publish to %RETRY%<group> themselves with DELAY; the message is delayed,
// or dead-lettered past its retries.
func TestClientBuiltRetryIsDelayed(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MessageDelayLevel = "1s 1s 1s"
	b := startBroker(t, cfg)
	c := newClient(t)
	retry := protocol.RetryTopic("og")
	maxTimes := int32(16)
	send := func(reconsume int32) *remoting.Command {
		h := protocol.SendMessageRequestHeader{ProducerGroup: "pg", Topic: retry, QueueID: 0, BornTimestamp: time.Now().UnixMilli(),
			Properties:     protocol.EncodeProperties(map[string]string{protocol.PropertyDelayTimeLevel: "3", protocol.PropertyRetryTopic: "Work"}),
			ReconsumeTimes: &reconsume, MaxReconsumeTimes: &maxTimes}
		return call(t, c, b.Addr(), remoting.NewRequest(protocol.ReqSendMessageV2, h.EncodeV2(), []byte("again")))
	}
	m := storedAt(t, b, send(1))
	if m.Topic != "SCHEDULE_TOPIC_XXXX" || m.Property(protocol.PropertyRealTopic) != retry {
		t.Fatalf("client-built retry stored as %s %v", m.Topic, m.Properties)
	}
	waitFor(t, 10*time.Second, "retry delivery", func() bool { return b.store.MaxOffsetInQueue(retry, 0) == 1 })
	dead := storedAt(t, b, send(16))
	if dead.Topic != protocol.DLQTopic("og") || dead.Property(protocol.PropertyDelayTimeLevel) != "" {
		t.Fatalf("retry past the limit stored as %s %v", dead.Topic, dead.Properties)
	}
}

// TestConsumeDirectlyRelay: a console's CONSUME_MESSAGE_DIRECTLY goes to
// the named consumer with the record as the body (how a dead letter is
// resent to its group).
func TestConsumeDirectlyRelay(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	consumer := newClient(t)
	bodies := make(chan []byte, 1)
	consumer.Handle(protocol.ReqConsumeMessageDirectly, func(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
		bodies <- req.Body
		resp := remoting.NewResponse(req, protocol.RespSuccess, "")
		resp.Body = []byte(`{"consumeResult":"CR_SUCCESS","brokerName":"` + req.ExtFields["brokerName"] + `"}`)
		return resp, nil
	})
	mustCode(t, call(t, consumer, b.Addr(), heartbeatReq("client-d", "dg", "Work", "*")), protocol.RespSuccess)
	admin := newClient(t)
	resp := call(t, admin, b.Addr(), sendReq("Work", 0, []byte("dead"), nil))
	mustCode(t, resp, protocol.RespSuccess)
	ext := map[string]string{"consumerGroup": "dg", "clientId": "client-d", "msgId": resp.ExtFields["msgId"]}
	resp = call(t, admin, b.Addr(), remoting.NewRequest(protocol.ReqConsumeMessageDirectly, ext, nil))
	mustCode(t, resp, protocol.RespSuccess)
	if !strings.Contains(string(resp.Body), `"brokerName":"broker-test"`) {
		t.Fatalf("relayed answer %s", resp.Body)
	}
	m, _, err := protocol.DecodeMessage(<-bodies, protocol.DecodeOptions{})
	if err != nil || string(m.Body) != "dead" {
		t.Fatalf("consumer got %v %v", m, err)
	}
	ext["clientId"] = "nobody"
	if resp = call(t, admin, b.Addr(), remoting.NewRequest(protocol.ReqConsumeMessageDirectly, ext, nil)); !strings.Contains(resp.Remark, "not online") {
		t.Fatalf("unknown client: %d %q", resp.Code, resp.Remark)
	}
	ext["msgId"] = "XYZ"
	if resp = call(t, admin, b.Addr(), remoting.NewRequest(protocol.ReqConsumeMessageDirectly, ext, nil)); resp.Code != protocol.RespSystemError {
		t.Fatalf("bad msgId: %d %q", resp.Code, resp.Remark)
	}
}
