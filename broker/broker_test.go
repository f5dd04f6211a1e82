package broker

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

func TestSendPullRoundTrip(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	c := newClient(t)
	addr := b.Addr()

	var ids []string
	for i := range 5 {
		tag := "TagA"
		if i%2 == 1 {
			tag = "TagB"
		}
		props := map[string]string{protocol.PropertyTags: tag, protocol.PropertyKeys: fmt.Sprintf("k%d", i),
			protocol.PropertyUniqClientMessageID: fmt.Sprintf("UNIQ%02d", i)}
		resp := call(t, c, addr, sendReq("RoundTrip", 0, []byte(fmt.Sprintf("body-%d", i)), props))
		mustCode(t, resp, protocol.RespSuccess)
		if got := extInt(t, resp, "queueOffset"); got != int64(i) {
			t.Fatalf("queueOffset %d, want %d", got, i)
		}
		if len(resp.ExtFields["msgId"]) != 32 || resp.ExtFields["MSG_REGION"] != "DefaultRegion" {
			t.Fatalf("send reply ext %v", resp.ExtFields)
		}
		ids = append(ids, resp.ExtFields["msgId"])
	}

	dispatched(t, b)
	resp := call(t, c, addr, pullReq("cg", "RoundTrip", 0, 0, 0, 0, "*"))
	mustCode(t, resp, protocol.RespSuccess)
	msgs, err := protocol.DecodeMessages(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 5 || extInt(t, resp, "nextBeginOffset") != 5 || extInt(t, resp, "maxOffset") != 5 {
		t.Fatalf("pulled %d messages, ext %v", len(msgs), resp.ExtFields)
	}
	for i, m := range msgs {
		if string(m.Body) != fmt.Sprintf("body-%d", i) || m.QueueOffset != int64(i) || m.OffsetMsgID() != ids[i] ||
			m.MsgID() != fmt.Sprintf("UNIQ%02d", i) || m.Property(protocol.PropertyCluster) != "TestCluster" ||
			m.StoreHost.String() != addr || m.Topic != "RoundTrip" {
			t.Fatalf("message %d: %+v", i, m)
		}
	}

	// Tag filtering: only TagB (offsets 1 and 3).
	resp = call(t, c, addr, pullReq("cg", "RoundTrip", 0, 0, 0, 0, "TagB"))
	mustCode(t, resp, protocol.RespSuccess)
	msgs, _ = protocol.DecodeMessages(resp.Body)
	if len(msgs) != 2 || msgs[0].Tags() != "TagB" || msgs[1].QueueOffset != 3 {
		t.Fatalf("TagB pull: %d messages", len(msgs))
	}

	// Past the end without suspension: NO_NEW_MSG.
	resp = call(t, c, addr, pullReq("cg", "RoundTrip", 0, 5, 0, 0, "*"))
	mustCode(t, resp, protocol.RespPullNotFound)
	// Far past the end: OFFSET_MOVED; a queue that still starts at 0 sends
	// the client back to 0, as upstream's store does.
	resp = call(t, c, addr, pullReq("cg", "RoundTrip", 0, 50, 0, 0, "*"))
	mustCode(t, resp, protocol.RespPullOffsetMoved)
	if extInt(t, resp, "nextBeginOffset") != 0 || extInt(t, resp, "maxOffset") != 5 {
		t.Fatalf("offset moved ext %v", resp.ExtFields)
	}

	// VIEW_MESSAGE_BY_ID and QUERY_MESSAGE find the same records.
	_, phy, err := protocol.DecodeOffsetMsgID(ids[2])
	if err != nil {
		t.Fatal(err)
	}
	resp = call(t, c, addr, remoting.NewRequest(protocol.ReqViewMessageByID,
		protocol.EncodeHeader(&protocol.ViewMessageRequestHeader{Offset: phy}), nil))
	mustCode(t, resp, protocol.RespSuccess)
	if m, _, err := protocol.DecodeMessage(resp.Body, protocol.DecodeOptions{}); err != nil || string(m.Body) != "body-2" {
		t.Fatalf("view: %v %v", m, err)
	}
	q := protocol.QueryMessageRequestHeader{Topic: "RoundTrip", Key: "k3", MaxNum: 32, EndTimestamp: time.Now().Add(time.Hour).UnixMilli()}
	resp = call(t, c, addr, remoting.NewRequest(protocol.ReqQueryMessage, protocol.EncodeHeader(&q), nil))
	mustCode(t, resp, protocol.RespSuccess)
	if msgs, err := protocol.DecodeMessages(resp.Body); err != nil || len(msgs) != 1 || string(msgs[0].Body) != "body-3" {
		t.Fatalf("query by key: %v %v", msgs, err)
	}
	q.Key, q.UniqueKeyQuery = "UNIQ04", true
	resp = call(t, c, addr, remoting.NewRequest(protocol.ReqQueryMessage, protocol.EncodeHeader(&q), nil))
	mustCode(t, resp, protocol.RespSuccess)
	q.Key = "nope"
	resp = call(t, c, addr, remoting.NewRequest(protocol.ReqQueryMessage, protocol.EncodeHeader(&q), nil))
	mustCode(t, resp, protocol.RespQueryNotFound)

	// Offsets: max, min, commit and query.
	qh := protocol.EncodeHeader(&protocol.QueueRequestHeader{Topic: "RoundTrip", QueueID: 0})
	resp = call(t, c, addr, remoting.NewRequest(protocol.ReqGetMaxOffset, qh, nil))
	if mustCode(t, resp, protocol.RespSuccess); extInt(t, resp, "offset") != 5 {
		t.Fatalf("max offset %v", resp.ExtFields)
	}
	up := protocol.UpdateConsumerOffsetRequestHeader{ConsumerGroup: "cg", Topic: "RoundTrip", QueueID: 0, CommitOffset: 3}
	mustCode(t, call(t, c, addr, remoting.NewRequest(protocol.ReqUpdateConsumerOffset, protocol.EncodeHeader(&up), nil)), protocol.RespSuccess)
	qo := protocol.QueryConsumerOffsetRequestHeader{ConsumerGroup: "cg", Topic: "RoundTrip", QueueID: 0}
	resp = call(t, c, addr, remoting.NewRequest(protocol.ReqQueryConsumerOffset, protocol.EncodeHeader(&qo), nil))
	if mustCode(t, resp, protocol.RespSuccess); extInt(t, resp, "offset") != 3 {
		t.Fatalf("committed offset %v", resp.ExtFields)
	}
}

// TestLongPollingWakesHeldPull holds a pull on an empty queue position and
// measures how soon after a send its answer arrives.
func TestLongPollingWakesHeldPull(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	c := newClient(t)
	addr := b.Addr()
	mustCode(t, call(t, c, addr, sendReq("Poll", 0, []byte("first"), nil)), protocol.RespSuccess)
	// A send is answered once appended; the consume queue is built after.
	// Until then a pull at offset 1 is past the end (answered at once, as
	// upstream's OFFSET_OVERFLOW_BADLY), not at the end (held).
	dispatched(t, b)

	const rounds = 5
	var total time.Duration
	for i := range rounds {
		type result struct {
			resp *remoting.Command
			err  error
			at   time.Time
		}
		done := make(chan result, 1)
		req := pullReq("cg", "Poll", 0, int64(i+1), protocol.PullFlagSuspend, 20*time.Second, "*")
		if err := c.InvokeAsync(context.Background(), addr, req, 30*time.Second, func(r *remoting.Command, err error) {
			done <- result{r, err, time.Now()}
		}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "the pull to be held", func() bool { return b.holds.heldCount() == 1 })
		select {
		case r := <-done:
			t.Fatalf("pull answered before any send: %v %v", r.resp, r.err)
		default:
		}
		sent := time.Now()
		mustCode(t, call(t, c, addr, sendReq("Poll", 0, []byte(fmt.Sprintf("m%d", i)), nil)), protocol.RespSuccess)
		select {
		case r := <-done:
			if r.err != nil {
				t.Fatal(r.err)
			}
			mustCode(t, r.resp, protocol.RespSuccess)
			msgs, err := protocol.DecodeMessages(r.resp.Body)
			if err != nil || len(msgs) != 1 || string(msgs[0].Body) != fmt.Sprintf("m%d", i) {
				t.Fatalf("woken pull got %v %v", msgs, err)
			}
			lat := r.at.Sub(sent)
			total += lat
			t.Logf("round %d: held pull answered %v after the send started", i, lat)
		case <-time.After(15 * time.Second):
			t.Fatal("held pull not woken by the send")
		}
	}
	t.Logf("long-poll wake latency (send start -> pull answer), mean of %d: %v", rounds, total/rounds)

	// A held pull whose suspend time runs out is answered NO_NEW_MSG.
	start := time.Now()
	resp := call(t, c, addr, pullReq("cg", "Poll", 0, rounds+1, protocol.PullFlagSuspend, 200*time.Millisecond, "*"))
	mustCode(t, resp, protocol.RespPullNotFound)
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Fatalf("suspended pull answered after %v, before its suspend time", waited)
	}
	// Nothing is left held.
	if b.holds.heldCount() != 0 {
		t.Fatalf("%d pulls still held", b.holds.heldCount())
	}

	// A pull held for a client that goes away is dropped with its connection.
	gone := newClient(t)
	if err := gone.InvokeAsync(context.Background(), addr, pullReq("cg", "Poll", 0, rounds+1, protocol.PullFlagSuspend, time.Hour, "*"),
		time.Hour, func(*remoting.Command, error) {}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the pull to be held", func() bool { return b.holds.heldCount() == 1 })
	gone.Close()
	waitFor(t, 10*time.Second, "the hold to be dropped", func() bool { return b.holds.heldCount() == 0 })
}

// TestBadInputAnswers checks the codes and remarks of bad requests and that
// the broker keeps serving.
func TestBadInputAnswers(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.AutoCreateTopicEnable = false
	b := startBroker(t, cfg)
	c := newClient(t)
	addr := b.Addr()

	cases := []struct {
		name   string
		req    *remoting.Command
		code   int32
		remark string
	}{
		{"unknown topic, no auto-create", sendReq("NoSuchTopic", 0, []byte("x"), nil), protocol.RespTopicNotExist, "not exist"},
		{"bad topic name", sendReq("bad topic!", 0, []byte("x"), nil), protocol.RespSystemError, "illegal characters"},
		{"forbidden topic", sendReq(protocol.TopicSchedule, 0, []byte("x"), nil), protocol.RespNoPermission, "forbidden"},
		{"oversized body", sendReq(cfg.BrokerName, 0, make([]byte, cfg.MaxMessageSize+1), nil), protocol.RespMessageIllegal, "maxMessageSize"},
		{"queue out of range", sendReq(cfg.BrokerName, 7, []byte("x"), nil), protocol.RespSystemError, "queueId[7] is illegal"},
		{"timer beyond the max delay", sendReq(cfg.BrokerName, 0, []byte("x"), map[string]string{protocol.PropertyTimerDelaySec: "4000000"}), protocol.RespMessageIllegal, "max delay"},
		{"delayed transaction half message", sendReq(cfg.BrokerName, 0, []byte("x"), map[string]string{protocol.PropertyTransactionPrepared: "true", protocol.PropertyDelayTimeLevel: "3"}), protocol.RespMessageIllegal, "transactional messages cannot be delayed"},
		{"pull of a nonexistent queue", pullReq("cg", cfg.BrokerName, 99, 0, 0, 0, "*"), protocol.RespSystemError, "queueId[99] is illegal"},
		{"pull of an unknown topic", pullReq("cg", "NoSuchTopic", 0, 0, 0, 0, "*"), protocol.RespTopicNotExist, "not exist"},
		{"pull with a malformed SQL92 expression", func() *remoting.Command {
			r := pullReq("cg", cfg.BrokerName, 0, 0, 0, 0, "a > ")
			r.ExtFields["expressionType"] = protocol.ExpressionTypeSQL92
			return r
		}(), protocol.RespSubscriptionParseFailed, "SQL92 parse error at column 5"},
		{"pull without heartbeat", func() *remoting.Command {
			r := pullReq("cg", cfg.BrokerName, 0, 0, 0, 0, "*")
			r.ExtFields["sysFlag"] = "0"
			return r
		}(), protocol.RespSubscriptionNotExist, "group info not exist"},
		{"bad header number", remoting.NewRequest(protocol.ReqSendMessageV2, map[string]string{"b": cfg.BrokerName, "e": "zero"}, nil), protocol.RespSystemError, `"e"`},
		{"bad heartbeat body", remoting.NewRequest(protocol.ReqHeartBeat, nil, []byte("{nope")), protocol.RespSystemError, "bad heartbeat body"},
		{"pull on the fast port", nil, protocol.RespRequestCodeNotSupported, "not supported"},
		{"unknown code", remoting.NewRequest(9999, nil, nil), protocol.RespRequestCodeNotSupported, "9999 not supported"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			target := addr
			req := tc.req
			if req == nil {
				target = b.FastListenAddr().String()
				req = pullReq("cg", cfg.BrokerName, 0, 0, 0, 0, "*")
			}
			resp := call(t, c, target, req)
			mustCode(t, resp, tc.code)
			if !strings.Contains(resp.Remark, tc.remark) {
				t.Fatalf("remark %q does not contain %q", resp.Remark, tc.remark)
			}
			t.Logf("%s -> %s: %s", tc.name, protocol.ResponseCodeName(resp.Code), resp.Remark)
		})
	}
	// Still serving: a good send to the broker-name topic works, also on the fast port.
	mustCode(t, call(t, c, addr, sendReq(cfg.BrokerName, 0, []byte("ok"), nil)), protocol.RespSuccess)
	mustCode(t, call(t, c, b.FastListenAddr().String(), sendReq(cfg.BrokerName, 0, []byte("ok"), nil)), protocol.RespSuccess)
}

// TestRestartKeepsState restarts a broker on the same store.
func TestRestartKeepsState(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	b, err := New(cfg, WithLogger(testLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	c := newClient(t)
	ct := protocol.CreateTopicRequestHeader{Topic: "Kept", DefaultTopic: protocol.TopicAutoCreate, ReadQueueNums: 2,
		WriteQueueNums: 2, Perm: 6, TopicFilterType: "SINGLE_TAG"}
	mustCode(t, call(t, c, b.Addr(), remoting.NewRequest(protocol.ReqUpdateAndCreateTopic, protocol.EncodeHeader(&ct), nil)), protocol.RespSuccess)
	for i := range 3 {
		mustCode(t, call(t, c, b.Addr(), sendReq("Kept", 1, []byte(fmt.Sprintf("kept-%d", i)), nil)), protocol.RespSuccess)
	}
	up := protocol.UpdateConsumerOffsetRequestHeader{ConsumerGroup: "cg", Topic: "Kept", QueueID: 1, CommitOffset: 2}
	mustCode(t, call(t, c, b.Addr(), remoting.NewRequest(protocol.ReqUpdateConsumerOffset, protocol.EncodeHeader(&up), nil)), protocol.RespSuccess)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	b2 := startBroker(t, cfg)
	dispatched(t, b2)
	tc, ok := b2.topics.get("Kept")
	if !ok || tc.WriteQueueNums != 2 {
		t.Fatalf("topic after restart: %+v %v", tc, ok)
	}
	resp := call(t, c, b2.Addr(), pullReq("cg", "Kept", 1, 0, 0, 0, "*"))
	mustCode(t, resp, protocol.RespSuccess)
	if msgs, _ := protocol.DecodeMessages(resp.Body); len(msgs) != 3 || string(msgs[2].Body) != "kept-2" {
		t.Fatalf("messages after restart: %v", msgs)
	}
	qo := protocol.QueryConsumerOffsetRequestHeader{ConsumerGroup: "cg", Topic: "Kept", QueueID: 1}
	resp = call(t, c, b2.Addr(), remoting.NewRequest(protocol.ReqQueryConsumerOffset, protocol.EncodeHeader(&qo), nil))
	if mustCode(t, resp, protocol.RespSuccess); extInt(t, resp, "offset") != 2 {
		t.Fatalf("offset after restart %v", resp.ExtFields)
	}
}
