package broker

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

func heartbeatReq(clientID, group, topic, sub string) *remoting.Command {
	hb := protocol.HeartbeatData{
		ClientID:        clientID,
		ProducerDataSet: []protocol.ProducerData{{GroupName: "pg"}},
		ConsumerDataSet: []protocol.ConsumerData{{
			GroupName: group, ConsumeType: protocol.ConsumePassively, MessageModel: protocol.Clustering,
			ConsumeFromWhere:    "CONSUME_FROM_FIRST_OFFSET",
			SubscriptionDataSet: []protocol.SubscriptionData{{Topic: topic, SubString: sub, ExpressionType: "TAG", SubVersion: 1}},
		}},
	}
	return remoting.NewRequest(protocol.ReqHeartBeat, nil, hb.Encode())
}

// TestHeartbeatGroupsAndNotify registers two consumers of a group from two
// connections: the first hears NOTIFY_CONSUMER_IDS_CHANGED when the second
// joins and when it leaves by closing its connection.
func TestHeartbeatGroupsAndNotify(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	addr := b.Addr()
	notified := make(chan string, 16)
	c1 := newClient(t)
	c1.Handle(protocol.ReqNotifyConsumerIDsChanged, func(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
		notified <- req.ExtFields["consumerGroup"]
		return nil, nil
	})
	c2 := newClient(t)
	waitNotify := func(what string) {
		t.Helper()
		select {
		case g := <-notified:
			if g != "cg" {
				t.Fatalf("notified for group %q", g)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no NOTIFY_CONSUMER_IDS_CHANGED after %s", what)
		}
	}

	mustCode(t, call(t, c1, addr, heartbeatReq("client-1", "cg", "HbTopic", "TagA || TagB")), protocol.RespSuccess)
	waitNotify("the first member joined")
	if _, ok := b.topics.get(protocol.RetryTopic("cg")); !ok {
		t.Fatal("heartbeat did not create the retry topic of cg")
	}
	mustCode(t, call(t, c2, addr, heartbeatReq("client-2", "cg", "HbTopic", "TagA || TagB")), protocol.RespSuccess)
	waitNotify("the second member joined")
	// A repeated heartbeat changes nothing and notifies nobody.
	mustCode(t, call(t, c1, addr, heartbeatReq("client-1", "cg", "HbTopic", "TagA || TagB")), protocol.RespSuccess)

	list := call(t, c1, addr, remoting.NewRequest(protocol.ReqGetConsumerListByGroup,
		protocol.EncodeHeader(&protocol.ConsumerGroupHeader{ConsumerGroup: "cg"}), nil))
	mustCode(t, list, protocol.RespSuccess)
	var body protocol.ConsumerListBody
	if err := protocol.DecodeJSON(list.Body, &body); err != nil || fmt.Sprint(body.ConsumerIDList) != "[client-1 client-2]" {
		t.Fatalf("consumer list %s %v", list.Body, err)
	}
	conns := call(t, c1, addr, remoting.NewRequest(protocol.ReqGetConsumerConnectionList,
		protocol.EncodeHeader(&protocol.ConsumerGroupHeader{ConsumerGroup: "cg"}), nil))
	mustCode(t, conns, protocol.RespSuccess)
	var cc protocol.ConsumerConnection
	if err := protocol.DecodeJSON(conns.Body, &cc); err != nil || len(cc.ConnectionSet) != 2 || cc.SubscriptionTable["HbTopic"].SubString != "TagA || TagB" {
		t.Fatalf("consumer connections %s %v", conns.Body, err)
	}

	// The heartbeat subscription filters pulls that carry none.
	for i, tag := range []string{"TagA", "TagC", "TagB"} {
		mustCode(t, call(t, c1, addr, sendReq("HbTopic", 0, []byte(fmt.Sprint(i)), map[string]string{protocol.PropertyTags: tag})), protocol.RespSuccess)
	}
	dispatched(t, b)
	pr := pullReq("cg", "HbTopic", 0, 0, 0, 0, "")
	pr.ExtFields["sysFlag"] = "0"
	resp := call(t, c1, addr, pr)
	mustCode(t, resp, protocol.RespSuccess)
	if msgs, _ := protocol.DecodeMessages(resp.Body); len(msgs) != 2 || msgs[1].Tags() != "TagB" {
		t.Fatalf("heartbeat-filtered pull got %d messages", len(msgs))
	}

	c2.Close()
	waitNotify("the second member's connection closed")
	waitFor(t, 10*time.Second, "client-2 to leave", func() bool { return len(b.clients.consumerIDs("cg")) == 1 })

	// UNREGISTER_CLIENT takes the last member out.
	un := protocol.UnregisterClientRequestHeader{ClientID: "client-1", ConsumerGroup: "cg", ProducerGroup: "pg"}
	mustCode(t, call(t, c1, addr, remoting.NewRequest(protocol.ReqUnregisterClient, protocol.EncodeHeader(&un), nil)), protocol.RespSuccess)
	mustCode(t, call(t, c1, addr, remoting.NewRequest(protocol.ReqGetConsumerListByGroup,
		protocol.EncodeHeader(&protocol.ConsumerGroupHeader{ConsumerGroup: "cg"}), nil)), protocol.RespSystemError)
}

func TestQueueLocks(t *testing.T) {
	var skew atomic.Int64
	b := startBroker(t, testConfig(t.TempDir()), WithClock(func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }))
	c := newClient(t)
	mq := func(q int32) protocol.MessageQueue {
		return protocol.MessageQueue{Topic: "Ordered", BrokerName: "broker-test", QueueID: q}
	}
	lock := func(client string, qs ...int32) []protocol.MessageQueue {
		body := protocol.LockBatchRequestBody{ClientID: client, ConsumerGroup: "og"}
		for _, q := range qs {
			body.MQSet = append(body.MQSet, mq(q))
		}
		raw, _ := protocol.EncodeBody(&body)
		resp := call(t, c, b.Addr(), remoting.NewRequest(protocol.ReqLockBatchMQ, nil, raw))
		mustCode(t, resp, protocol.RespSuccess)
		var out protocol.LockBatchResponseBody
		if err := protocol.DecodeJSON(resp.Body, &out); err != nil {
			t.Fatal(err)
		}
		return out.LockOKMQSet
	}
	if got := lock("a", 0, 1); len(got) != 2 {
		t.Fatalf("a locked %v", got)
	}
	if got := lock("b", 1, 2); len(got) != 1 || got[0].QueueID != 2 {
		t.Fatalf("b locked %v, want only queue 2", got)
	}
	body, _ := protocol.EncodeBody(&protocol.LockBatchRequestBody{ClientID: "a", ConsumerGroup: "og", MQSet: []protocol.MessageQueue{mq(1)}})
	mustCode(t, call(t, c, b.Addr(), remoting.NewRequest(protocol.ReqUnlockBatchMQ, nil, body)), protocol.RespSuccess)
	if got := lock("b", 1); len(got) != 1 {
		t.Fatalf("b could not take the unlocked queue: %v", got)
	}
	// Expired locks go to whoever asks.
	skew.Store(int64(lockExpiry + time.Second))
	if got := lock("c", 0, 1, 2); len(got) != 3 {
		t.Fatalf("c after expiry locked %v", got)
	}
}

func TestAdminTopicsAndRuntimeInfo(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	c := newClient(t)
	addr := b.Addr()
	ct := protocol.CreateTopicRequestHeader{Topic: "Admin1", DefaultTopic: protocol.TopicAutoCreate, ReadQueueNums: 3,
		WriteQueueNums: 3, Perm: 6, TopicFilterType: "SINGLE_TAG"}
	mustCode(t, call(t, c, addr, remoting.NewRequest(protocol.ReqUpdateAndCreateTopic, protocol.EncodeHeader(&ct), nil)), protocol.RespSuccess)
	ct.Topic = protocol.TopicSchedule
	mustCode(t, call(t, c, addr, remoting.NewRequest(protocol.ReqUpdateAndCreateTopic, protocol.EncodeHeader(&ct), nil)), protocol.RespSystemError)

	resp := call(t, c, addr, remoting.NewRequest(protocol.ReqGetAllTopicConfig, nil, nil))
	mustCode(t, resp, protocol.RespSuccess)
	w, err := protocol.DecodeTopicConfigSerializeWrapper(resp.Body)
	if err != nil || w.TopicConfigTable["Admin1"].WriteQueueNums != 3 || w.TopicConfigTable[protocol.TopicAutoCreate].Perm != 7 {
		t.Fatalf("all topics: %v %v", w, err)
	}
	del := protocol.TopicRequestHeader{Topic: "Admin1"}
	mustCode(t, call(t, c, addr, remoting.NewRequest(protocol.ReqDeleteTopicInBroker, protocol.EncodeHeader(&del), nil)), protocol.RespSuccess)
	if _, ok := b.topics.get("Admin1"); ok {
		t.Fatal("topic not deleted")
	}

	mustCode(t, call(t, c, addr, sendReq("Stats", 0, []byte("x"), nil)), protocol.RespSuccess)
	resp = call(t, c, addr, remoting.NewRequest(protocol.ReqGetBrokerRuntimeInfo, nil, nil))
	mustCode(t, resp, protocol.RespSuccess)
	kv, err := protocol.DecodeKVTable(resp.Body)
	if err != nil || kv.Table["brokerVersionDesc"] != "V4_9_8" || kv.Table["putMessageTimesTotal"] == "" || kv.Table["msgPutTotalTodayNow"] != "1" {
		t.Fatalf("runtime info %v %v", kv, err)
	}
	resp = call(t, c, addr, remoting.NewRequest(protocol.ReqGetBrokerConfig, nil, nil))
	mustCode(t, resp, protocol.RespSuccess)
	if resp.ExtFields["version"] == "" || !containsLine(string(resp.Body), "brokerName=broker-test") {
		t.Fatalf("broker config %q", resp.Body)
	}
}

func containsLine(text, line string) bool {
	for i := 0; i+len(line) <= len(text); i++ {
		if text[i:i+len(line)] == line && (i == 0 || text[i-1] == '\n') {
			return true
		}
	}
	return false
}

func TestSilentClientsExpire(t *testing.T) {
	var skew atomic.Int64
	b := startBroker(t, testConfig(t.TempDir()), WithClock(func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }))
	c := newClient(t)
	mustCode(t, call(t, c, b.Addr(), heartbeatReq("silent", "eg", "T", "*")), protocol.RespSuccess)
	b.expireClients()
	if len(b.clients.consumerIDs("eg")) != 1 {
		t.Fatal("a fresh client was expired")
	}
	skew.Store(int64(channelExpiry + time.Second))
	b.expireClients()
	waitFor(t, 10*time.Second, "the silent client to be dropped", func() bool { return len(b.clients.consumerIDs("eg")) == 0 })
}

func TestStatsAndOffsetMovedEvent(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	c := newClient(t)
	addr := b.Addr()
	for i := range 3 {
		mustCode(t, call(t, c, addr, sendReq("StatsT", 1, []byte(fmt.Sprint(i)), nil)), protocol.RespSuccess)
	}
	dispatched(t, b)
	up := protocol.UpdateConsumerOffsetRequestHeader{ConsumerGroup: "sg", Topic: "StatsT", QueueID: 1, CommitOffset: 2}
	mustCode(t, call(t, c, addr, remoting.NewRequest(protocol.ReqUpdateConsumerOffset, protocol.EncodeHeader(&up), nil)), protocol.RespSuccess)

	resp := call(t, c, addr, remoting.NewRequest(protocol.ReqGetTopicStatsInfo, protocol.EncodeHeader(&protocol.TopicRequestHeader{Topic: "StatsT"}), nil))
	mustCode(t, resp, protocol.RespSuccess)
	ts, err := protocol.DecodeTopicStatsTable(resp.Body)
	mq := protocol.MessageQueue{Topic: "StatsT", BrokerName: "broker-test", QueueID: 1}
	if err != nil || len(ts.OffsetTable) != 4 || ts.OffsetTable[mq].MaxOffset != 3 || ts.OffsetTable[mq].LastUpdateTimestamp <= 0 {
		t.Fatalf("topic stats %s: %v", resp.Body, err)
	}
	resp = call(t, c, addr, remoting.NewRequest(protocol.ReqGetConsumeStats, protocol.EncodeHeader(&protocol.GetConsumeStatsRequestHeader{ConsumerGroup: "sg"}), nil))
	mustCode(t, resp, protocol.RespSuccess)
	cs, err := protocol.DecodeConsumeStats(resp.Body)
	if err != nil || cs.OffsetTable[mq].ConsumerOffset != 2 || cs.OffsetTable[mq].BrokerOffset != 3 || cs.OffsetTable[mq].LastTimestamp <= 0 {
		t.Fatalf("consume stats %s: %v", resp.Body, err)
	}

	// A pull far past the end moves the offset and leaves an event.
	mustCode(t, call(t, c, addr, pullReq("sg", "StatsT", 1, 99, 0, 0, "*")), protocol.RespPullOffsetMoved)
	dispatched(t, b)
	resp = call(t, c, addr, pullReq("tools", protocol.TopicOffsetMovedEvent, 0, 0, 0, 0, "sg"))
	mustCode(t, resp, protocol.RespSuccess)
	msgs, _ := protocol.DecodeMessages(resp.Body)
	if len(msgs) != 1 || !strings.Contains(string(msgs[0].Body), `"offsetRequest":99`) {
		t.Fatalf("offset moved event: %v", msgs)
	}
}

// TestHeldPullIgnoresOtherTags: a held pull filtering TagA is not answered
// by a TagB message, and is by the next TagA one.
func TestHeldPullIgnoresOtherTags(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	c := newClient(t)
	addr := b.Addr()
	mustCode(t, call(t, c, addr, sendReq("Tagged", 0, []byte("a0"), map[string]string{protocol.PropertyTags: "TagA"})), protocol.RespSuccess)
	dispatched(t, b) // else the pull at offset 1 is past the end, not held
	done := callAsync(t, c, addr, pullReq("cg", "Tagged", 0, 1, protocol.PullFlagSuspend, 20*time.Second, "TagA"))
	waitFor(t, 5*time.Second, "the pull to be held", func() bool { return b.holds.heldCount() == 1 })
	mustCode(t, call(t, c, addr, sendReq("Tagged", 0, []byte("b1"), map[string]string{protocol.PropertyTags: "TagB"})), protocol.RespSuccess)
	dispatched(t, b)
	if n := b.holds.heldCount(); n != 1 {
		t.Fatalf("a TagB message released the TagA pull (held %d)", n)
	}
	mustCode(t, call(t, c, addr, sendReq("Tagged", 0, []byte("a2"), map[string]string{protocol.PropertyTags: "TagA"})), protocol.RespSuccess)
	select {
	case r := <-done:
		mustCode(t, r, protocol.RespSuccess)
		msgs, _ := protocol.DecodeMessages(r.Body)
		if len(msgs) != 1 || string(msgs[0].Body) != "a2" || extInt(t, r, "nextBeginOffset") != 3 {
			t.Fatalf("woken pull: %v %v", msgs, r.ExtFields)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the TagA message did not wake the pull")
	}
}

// TestConsumerRunningInfoRelay: an admin's GET_CONSUMER_RUNNING_INFO goes to
// the named consumer on its own connection and its answer comes back as is.
func TestConsumerRunningInfoRelay(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	consumerClient := newClient(t)
	consumerClient.Handle(protocol.ReqGetConsumerRunningInfo, func(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
		resp := remoting.NewResponse(req, protocol.RespSuccess, "")
		resp.Body = []byte(`{"jstack":"` + req.ExtFields["clientId"] + `"}`)
		return resp, nil
	})
	mustCode(t, call(t, consumerClient, b.Addr(), heartbeatReq("client-r", "rg", "T", "*")), protocol.RespSuccess)

	admin := newClient(t)
	h := protocol.GetConsumerRunningInfoRequestHeader{ConsumerGroup: "rg", ClientID: "client-r"}
	resp := call(t, admin, b.Addr(), remoting.NewRequest(protocol.ReqGetConsumerRunningInfo, protocol.EncodeHeader(&h), nil))
	mustCode(t, resp, protocol.RespSuccess)
	if string(resp.Body) != `{"jstack":"client-r"}` {
		t.Fatalf("relayed body %q", resp.Body)
	}
	h.ClientID = "nobody"
	resp = call(t, admin, b.Addr(), remoting.NewRequest(protocol.ReqGetConsumerRunningInfo, protocol.EncodeHeader(&h), nil))
	if mustCode(t, resp, protocol.RespSystemError); !strings.Contains(resp.Remark, "not online") {
		t.Fatalf("remark %q", resp.Remark)
	}
}
