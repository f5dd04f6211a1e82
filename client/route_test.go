package client

import (
	"slices"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
)

func TestPublishAndSubscribeQueues(t *testing.T) {
	rw := int32(protocol.PermRead | protocol.PermWrite)
	route := &protocol.TopicRouteData{
		BrokerDatas: []protocol.BrokerData{
			{BrokerName: "b", BrokerAddrs: map[int64]string{0: "10.0.0.2:10911"}},
			{BrokerName: "a", BrokerAddrs: map[int64]string{0: "10.0.0.1:10911", 1: "10.0.0.11:10911"}},
			{BrokerName: "c", BrokerAddrs: map[int64]string{1: "10.0.0.13:10911"}}, // no master
			{BrokerName: "d", BrokerAddrs: map[int64]string{0: "10.0.0.4:10911"}},
		},
		QueueDatas: []protocol.QueueData{
			{BrokerName: "b", Perm: rw, ReadQueueNums: 1, WriteQueueNums: 2},
			{BrokerName: "a", Perm: rw, ReadQueueNums: 2, WriteQueueNums: 1},
			{BrokerName: "c", Perm: rw, ReadQueueNums: 1, WriteQueueNums: 1},
			{BrokerName: "d", Perm: protocol.PermRead, ReadQueueNums: 1, WriteQueueNums: 1},
		},
	}
	pub := publishInfoOf("T", route)
	want := []MessageQueue{{"T", "a", 0}, {"T", "b", 0}, {"T", "b", 1}}
	if !slices.Equal(pub.queues, want) || pub.order {
		t.Errorf("publish queues %v, want %v (writable, with a master, by broker name)", pub.queues, want)
	}
	sub := subscribeQueuesOf("T", route)
	wantSub := []MessageQueue{{"T", "a", 0}, {"T", "a", 1}, {"T", "b", 0}, {"T", "c", 0}, {"T", "d", 0}}
	if !slices.Equal(sub, wantSub) {
		t.Errorf("subscribe queues %v, want %v", sub, wantSub)
	}

	route.OrderTopicConf = "a:2;b:1;junk;c:x"
	pub = publishInfoOf("T", route)
	if want := []MessageQueue{{"T", "a", 0}, {"T", "a", 1}, {"T", "b", 0}}; !slices.Equal(pub.queues, want) || !pub.order {
		t.Errorf("order topic queues %v, want %v", pub.queues, want)
	}

	tbl := newRouteTable()
	if changed, fresh := tbl.set("T", route, false); !changed || !fresh {
		t.Error("a first route is not reported as a change naming new brokers")
	}
	if changed, fresh := tbl.set("T", route, false); changed || fresh {
		t.Error("an equal route is reported as a change")
	}
	if got := tbl.masterAddr("a"); got != "10.0.0.1:10911" {
		t.Errorf("master of a: %s", got)
	}
	if got := tbl.brokerAddr("c", 0, false); got != "10.0.0.13:10911" {
		t.Errorf("any broker of c: %s", got)
	}
	if got := tbl.brokerAddr("c", 0, true); got != "" {
		t.Errorf("master of c only: %s", got)
	}
	if got := tbl.brokerAddr("a", 1, true); got != "10.0.0.11:10911" {
		t.Errorf("slave 1 of a: %s", got)
	}
	tbl.remove("T")
	if tbl.masterAddr("a") != "" {
		t.Error("brokers of a removed route are still known")
	}

	def := defaultRoute(&protocol.TopicRouteData{QueueDatas: []protocol.QueueData{{BrokerName: "a", Perm: rw, ReadQueueNums: 8, WriteQueueNums: 8}}}, 4)
	if def.QueueDatas[0].WriteQueueNums != 4 || def.QueueDatas[0].ReadQueueNums != 4 {
		t.Errorf("default route %+v", def.QueueDatas[0])
	}
}

func TestFaultTolerance(t *testing.T) {
	now := time.Unix(1000, 0)
	f := newFaultTolerance()
	f.now = func() time.Time { return now }
	f.update("a", 10*time.Millisecond, false)
	if !f.available("a") {
		t.Error("a fast broker is avoided")
	}
	f.update("a", 600*time.Millisecond, false) // >= 550 ms: 30 s off
	if f.available("a") {
		t.Error("a slow broker is not avoided")
	}
	now = now.Add(30 * time.Second)
	if !f.available("a") {
		t.Error("still avoided after 30 s")
	}
	f.update("b", 0, true) // a failure: 10 minutes
	now = now.Add(9 * time.Minute)
	if f.available("b") {
		t.Error("failed broker available after 9 minutes")
	}
	now = now.Add(time.Minute)
	if !f.available("b") {
		t.Error("failed broker still avoided after 10 minutes")
	}

	info := &publishInfo{queues: []MessageQueue{{"T", "a", 0}, {"T", "a", 1}, {"T", "b", 0}}}
	f.update("a", 0, true)
	for range 6 {
		if q := selectQueue(info, "", f); q.BrokerName != "b" {
			t.Fatalf("picked %s while a is avoided", q)
		}
	}
	// With every broker avoided, any other than the last one is taken.
	f.update("b", 0, true)
	if q := selectQueue(info, "b", f); q.BrokerName != "a" {
		t.Errorf("picked %s, want a broker other than the last", q)
	}
}
