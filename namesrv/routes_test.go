package namesrv

import (
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fakeConn records whether the table closed it.
type fakeConn struct {
	id     uint64
	mu     sync.Mutex
	closed bool
}

func (c *fakeConn) ID() uint64 { return c.id }
func (c *fakeConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	return nil
}

func topicTable(version int64, topics map[string]int32) *protocol.TopicConfigSerializeWrapper {
	w := &protocol.TopicConfigSerializeWrapper{
		DataVersion:      protocol.DataVersion{Counter: version, Timestamp: 1000 + version},
		TopicConfigTable: map[string]protocol.TopicConfig{},
	}
	for name, queues := range topics {
		tc := protocol.NewTopicConfig(name)
		tc.ReadQueueNums, tc.WriteQueueNums = queues, queues
		w.TopicConfigTable[name] = tc
	}
	return w
}

func reg(cluster, name string, id int64, addr string, topics *protocol.TopicConfigSerializeWrapper, conn brokerConn) registration {
	return registration{
		cluster: cluster, brokerName: name, brokerID: id, brokerAddr: addr,
		haServerAddr: addr + "-ha", topics: topics, filterServers: []string{}, conn: conn,
	}
}

func newTestTable() (*routeTable, *fakeClock) {
	clock := &fakeClock{t: time.UnixMilli(1_700_000_000_000)}
	return newRouteTable(clock.now), clock
}

func TestRouteTableRegisterAndRoute(t *testing.T) {
	rt, _ := newTestTable()
	topics := topicTable(1, map[string]int32{"T": 4, "TBW102": 8})
	if res := rt.register(reg("c1", "broker-a", 0, "10.0.0.1:10911", topics, nil)); res != (registerResult{}) {
		t.Fatalf("master got master info: %+v", res)
	}
	// The slave learns its master's addresses; its topic table is ignored.
	res := rt.register(reg("c1", "broker-a", 1, "10.0.0.2:10911", topicTable(9, map[string]int32{"SlaveOnly": 1}), nil))
	if res.masterAddr != "10.0.0.1:10911" || res.haServerAddr != "10.0.0.1:10911-ha" {
		t.Fatalf("slave result %+v", res)
	}
	rt.register(reg("c1", "broker-b", 0, "10.0.0.3:10911", topicTable(1, map[string]int32{"T": 2}), nil))

	route, ok := rt.route("T")
	if !ok {
		t.Fatal("no route for T")
	}
	slices.SortFunc(route.QueueDatas, func(a, b protocol.QueueData) int { return cmpString(a.BrokerName, b.BrokerName) })
	slices.SortFunc(route.BrokerDatas, func(a, b protocol.BrokerData) int { return cmpString(a.BrokerName, b.BrokerName) })
	wantQueues := []protocol.QueueData{
		{BrokerName: "broker-a", Perm: 6, ReadQueueNums: 4, WriteQueueNums: 4},
		{BrokerName: "broker-b", Perm: 6, ReadQueueNums: 2, WriteQueueNums: 2},
	}
	if !reflect.DeepEqual(route.QueueDatas, wantQueues) {
		t.Errorf("queues %+v", route.QueueDatas)
	}
	wantA := map[int64]string{0: "10.0.0.1:10911", 1: "10.0.0.2:10911"}
	if len(route.BrokerDatas) != 2 || !reflect.DeepEqual(route.BrokerDatas[0].BrokerAddrs, wantA) || route.BrokerDatas[1].Cluster != "c1" {
		t.Errorf("brokers %+v", route.BrokerDatas)
	}
	if _, ok := rt.route("SlaveOnly"); ok {
		t.Error("a slave's topics reached the routes")
	}
	if _, ok := rt.route("Nope"); ok {
		t.Error("route for an unknown topic")
	}
	// The route is a copy.
	route.BrokerDatas[0].BrokerAddrs[7] = "x"
	again, _ := rt.route("T")
	for _, bd := range again.BrokerDatas {
		if _, ok := bd.BrokerAddrs[7]; ok {
			t.Fatal("route shares the table's maps")
		}
	}

	info := rt.clusterInfo()
	if !reflect.DeepEqual(info.ClusterAddrTable, map[string][]string{"c1": {"broker-a", "broker-b"}}) || len(info.BrokerAddrTable) != 2 {
		t.Errorf("cluster info %+v", info)
	}
	if got := rt.allTopics(); !reflect.DeepEqual(got, []string{"T", "TBW102"}) {
		t.Errorf("all topics %v", got)
	}
	if got := rt.topicsOfCluster("c1"); !reflect.DeepEqual(got, []string{"T", "TBW102"}) {
		t.Errorf("topics of c1 %v", got)
	}
	if got := rt.topicsOfCluster("nope"); len(got) != 0 {
		t.Errorf("topics of unknown cluster %v", got)
	}
	sys, addr := rt.systemTopics()
	if !reflect.DeepEqual(sys, []string{"broker-a", "broker-b", "c1"}) || addr != "10.0.0.1:10911" {
		t.Errorf("system topics %v %q", sys, addr)
	}
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestRouteTableDataVersion(t *testing.T) {
	rt, clock := newTestTable()
	rt.register(reg("c", "b", 0, "h:1", topicTable(1, map[string]int32{"T": 4}), nil))
	// Same version, different content: the table is not re-read.
	rt.register(reg("c", "b", 0, "h:1", topicTable(1, map[string]int32{"T": 8, "U": 1}), nil))
	if r, _ := rt.route("T"); r.QueueDatas[0].WriteQueueNums != 4 {
		t.Fatal("unchanged version replaced queue data")
	}
	if _, ok := rt.route("U"); ok {
		t.Fatal("unchanged version added a topic")
	}
	// New version: updates and additions; missing topics stay.
	rt.register(reg("c", "b", 0, "h:1", topicTable(2, map[string]int32{"U": 1}), nil))
	if _, ok := rt.route("U"); !ok {
		t.Fatal("new version did not add U")
	}
	if _, ok := rt.route("T"); !ok {
		t.Fatal("a topic missing from the body was removed")
	}

	changed, stored := rt.queryDataVersion("h:1", protocol.DataVersion{Counter: 2, Timestamp: 1002})
	if changed || stored == nil || stored.Counter != 2 {
		t.Fatalf("query same version: changed=%v stored=%v", changed, stored)
	}
	changed, _ = rt.queryDataVersion("h:1", protocol.DataVersion{Counter: 3})
	if !changed {
		t.Fatal("different version reported unchanged")
	}
	if changed, stored := rt.queryDataVersion("nope:1", protocol.DataVersion{}); !changed || stored != nil {
		t.Fatal("unknown broker")
	}
	// An unchanged QUERY_DATA_VERSION counts as a heartbeat.
	clock.advance(100 * time.Second)
	rt.queryDataVersion("h:1", protocol.DataVersion{Counter: 2, Timestamp: 1002})
	clock.advance(50 * time.Second)
	if gone := rt.removeExpired(120 * time.Second); len(gone) != 0 {
		t.Fatalf("refreshed broker expired: %v", gone)
	}
}

func TestRouteTableSlavePromotion(t *testing.T) {
	rt, _ := newTestTable()
	rt.register(reg("c", "b", 0, "h:1", topicTable(1, map[string]int32{"T": 4}), nil))
	rt.register(reg("c", "b", 1, "h:2", topicTable(1, nil), nil))
	rt.unregister("c", "h:1", "b", 0)
	// The slave restarts as master from the same address.
	rt.register(reg("c", "b", 0, "h:2", topicTable(1, map[string]int32{"T": 4}), nil))
	r, ok := rt.route("T")
	if !ok || !reflect.DeepEqual(r.BrokerDatas[0].BrokerAddrs, map[int64]string{0: "h:2"}) {
		t.Fatalf("after promotion: %+v", r)
	}
}

func TestRouteTableExpiryAndConnClose(t *testing.T) {
	rt, clock := newTestTable()
	ca, cb, cs := &fakeConn{id: 1}, &fakeConn{id: 2}, &fakeConn{id: 3}
	rt.register(reg("c", "a", 0, "h:1", topicTable(1, map[string]int32{"T": 4, "OnlyA": 1}), ca))
	rt.register(reg("c", "a", 1, "h:2", topicTable(1, nil), cs))
	rt.register(reg("c", "b", 0, "h:3", topicTable(1, map[string]int32{"T": 4}), cb))

	// The slave's connection closes: the route keeps broker-a with its master.
	if gone := rt.removeConn(3); !reflect.DeepEqual(gone, []string{"h:2"}) {
		t.Fatalf("removeConn(3) = %v", gone)
	}
	r, _ := rt.route("T")
	for _, bd := range r.BrokerDatas {
		if bd.BrokerName == "a" && !reflect.DeepEqual(bd.BrokerAddrs, map[int64]string{0: "h:1"}) {
			t.Fatalf("broker a after slave close: %v", bd.BrokerAddrs)
		}
	}
	if rt.removeConn(99) != nil {
		t.Fatal("unknown conn removed something")
	}

	// broker-b keeps sending heartbeats, broker-a goes silent.
	clock.advance(100 * time.Second)
	rt.register(reg("c", "b", 0, "h:3", topicTable(1, map[string]int32{"T": 4}), cb))
	clock.advance(30 * time.Second)
	gone := rt.removeExpired(120 * time.Second)
	if len(gone) != 1 || gone[0].addr != "h:1" || gone[0].conn != ca {
		t.Fatalf("expired %v", gone)
	}
	if _, ok := rt.route("OnlyA"); ok {
		t.Fatal("topic of a vanished broker kept its route")
	}
	r, ok := rt.route("T")
	if !ok || len(r.QueueDatas) != 1 || r.QueueDatas[0].BrokerName != "b" {
		t.Fatalf("T after expiry: %+v", r)
	}
	if info := rt.clusterInfo(); !reflect.DeepEqual(info.ClusterAddrTable["c"], []string{"b"}) {
		t.Fatalf("cluster after expiry: %v", info.ClusterAddrTable)
	}

	// The last broker of the cluster closes: the cluster goes too.
	rt.removeConn(2)
	if info := rt.clusterInfo(); len(info.ClusterAddrTable) != 0 || len(info.BrokerAddrTable) != 0 {
		t.Fatalf("cluster info after last broker: %+v", info)
	}
	if rt.liveBrokers() != 0 || len(rt.allTopics()) != 0 {
		t.Fatal("state left behind")
	}
}

func TestRouteTableUnregister(t *testing.T) {
	rt, _ := newTestTable()
	rt.register(reg("c", "a", 0, "h:1", topicTable(1, map[string]int32{"T": 4}), nil))
	rt.register(reg("c", "a", 1, "h:2", topicTable(1, nil), nil))
	rt.unregister("c", "h:2", "a", 1)
	if _, ok := rt.route("T"); !ok {
		t.Fatal("unregistering the slave removed the route")
	}
	rt.unregister("c", "h:1", "a", 0)
	if _, ok := rt.route("T"); ok {
		t.Fatal("route survives its last broker")
	}
	rt.unregister("c", "h:9", "nope", 0) // unknown: no panic, no change
}

func TestRouteTablePermsAndDelete(t *testing.T) {
	rt, _ := newTestTable()
	rt.register(reg("c1", "a", 0, "h:1", topicTable(1, map[string]int32{"T": 4, "U": 4}), nil))
	rt.register(reg("c2", "b", 0, "h:2", topicTable(1, map[string]int32{"T": 4}), nil))
	if n := rt.wipeWritePerm("a"); n != 2 {
		t.Fatalf("wipe touched %d topics", n)
	}
	perms := func(topic string) map[string]int32 {
		r, _ := rt.route(topic)
		m := map[string]int32{}
		for _, q := range r.QueueDatas {
			m[q.BrokerName] = q.Perm
		}
		return m
	}
	if got := perms("T"); got["a"] != protocol.PermRead || got["b"] != 6 {
		t.Fatalf("after wipe: %v", got)
	}
	if n := rt.addWritePerm("a"); n != 2 {
		t.Fatalf("add touched %d topics", n)
	}
	if got := perms("U"); got["a"] != 6 {
		t.Fatalf("after add: %v", got)
	}
	if rt.wipeWritePerm("nope") != 0 {
		t.Fatal("unknown broker name touched topics")
	}

	rt.deleteTopic("T", "c1")
	if got := perms("T"); len(got) != 1 || got["b"] != 6 {
		t.Fatalf("T after delete in c1: %v", got)
	}
	rt.deleteTopic("T", "c2")
	if _, ok := rt.route("T"); ok {
		t.Fatal("T survives deletion from every cluster")
	}
	rt.deleteTopic("U", "")
	if len(rt.allTopics()) != 0 {
		t.Fatalf("topics left: %v", rt.allTopics())
	}
}

func TestRouteTableUnitTopics(t *testing.T) {
	rt, _ := newTestTable()
	w := topicTable(1, map[string]int32{"plain": 1, "unit": 1, "sub": 1, "both": 1})
	for name, flag := range map[string]int32{"unit": 1, "sub": 2, "both": 3} {
		tc := w.TopicConfigTable[name]
		tc.TopicSysFlag = flag
		w.TopicConfigTable[name] = tc
	}
	rt.register(reg("c", "a", 0, "h:1", w, nil))
	for _, c := range []struct {
		pick func(int32) bool
		want []string
	}{
		{isUnit, []string{"both", "unit"}},
		{hasUnitSub, []string{"both", "sub"}},
		{hasUnitSubNotUnit, []string{"sub"}},
	} {
		if got := rt.topicsWhere(c.pick); !reflect.DeepEqual(got, c.want) {
			t.Errorf("got %v, want %v", got, c.want)
		}
	}
}

func TestRouteTableFilterServers(t *testing.T) {
	rt, _ := newTestTable()
	r := reg("c", "a", 0, "h:1", topicTable(1, map[string]int32{"T": 1}), nil)
	r.filterServers = []string{"f:1"}
	rt.register(r)
	route, _ := rt.route("T")
	if !reflect.DeepEqual(route.FilterServerTable, map[string][]string{"h:1": {"f:1"}}) {
		t.Fatalf("filter servers %v", route.FilterServerTable)
	}
	r.filterServers = nil // an old broker that does not report them: kept
	rt.register(r)
	if route, _ := rt.route("T"); len(route.FilterServerTable) != 1 {
		t.Fatal("unreported filter list dropped")
	}
	r.filterServers = []string{}
	rt.register(r)
	if route, _ := rt.route("T"); len(route.FilterServerTable) != 0 {
		t.Fatal("empty filter list kept the old one")
	}
}

// Concurrent registrations, lookups and removals under the race detector.
func TestRouteTableConcurrent(t *testing.T) {
	rt, clock := newTestTable()
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			conn := &fakeConn{id: uint64(i + 1)}
			addr := "h:" + string(rune('0'+i))
			for n := 0; n < 200; n++ {
				rt.register(reg("c", "b"+addr, 0, addr, topicTable(int64(n), map[string]int32{"T": 4}), conn))
				rt.route("T")
				rt.clusterInfo()
				if n%50 == 0 {
					rt.removeConn(conn.id)
					clock.advance(time.Second)
					rt.removeExpired(time.Hour)
				}
			}
		}(i)
	}
	wg.Wait()
	if rt.liveBrokers() != 4 {
		t.Fatalf("live brokers %d", rt.liveBrokers())
	}
}
