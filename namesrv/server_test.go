package namesrv

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))

// testConfig is a name server config on 127.0.0.1, a free port, and files
// in a temp dir.
func testConfig(t *testing.T) config.Namesrv {
	t.Helper()
	dir := t.TempDir()
	cfg := config.DefaultNamesrv()
	cfg.BindAddress = "127.0.0.1"
	cfg.ListenPort = 0
	cfg.RocketmqHome = dir
	cfg.KVConfigPath = filepath.Join(dir, "namesrv", "kvConfig.json")
	cfg.ConfigStorePath = filepath.Join(dir, "namesrv", "namesrv.properties")
	return cfg
}

func startServer(t *testing.T, cfg config.Namesrv) *Server {
	t.Helper()
	s, err := New(cfg, WithLogger(quietLog))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return s
}

func newClient(t *testing.T) *remoting.Client {
	t.Helper()
	c := remoting.NewClient(remoting.ClientConfig{Logger: quietLog})
	t.Cleanup(func() { c.Close() })
	return c
}

// call sends one request as a 4.9.8 Java client would and returns the reply.
func call(t *testing.T, c *remoting.Client, addr string, code int32, header any, body []byte) *remoting.Command {
	t.Helper()
	return callVersion(t, c, addr, code, protocol.VersionV4_9_8, header, body)
}

func callVersion(t *testing.T, c *remoting.Client, addr string, code, version int32, header any, body []byte) *remoting.Command {
	t.Helper()
	var ext map[string]string
	switch h := header.(type) {
	case nil:
	case map[string]string:
		ext = h
	default:
		ext = protocol.EncodeHeader(h)
	}
	req := remoting.NewRequest(code, ext, body)
	req.Version = version
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := c.InvokeSync(ctx, addr, req, 5*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", protocol.RequestCodeName(code), err)
	}
	return resp
}

func mustOK(t *testing.T, resp *remoting.Command) *remoting.Command {
	t.Helper()
	if resp.Code != protocol.RespSuccess {
		t.Fatalf("answered %s: %q", protocol.ResponseCodeName(resp.Code), resp.Remark)
	}
	return resp
}

type testBroker struct {
	cluster, name, addr string
	id                  int64
	version             int64
	topics              map[string]int32
}

func (b testBroker) register(t *testing.T, c *remoting.Client, nsAddr string) *remoting.Command {
	t.Helper()
	resp, err := b.registerErr(c, nsAddr)
	if err != nil {
		t.Fatalf("REGISTER_BROKER: %v", err)
	}
	return resp
}

// registerErr registers like a 4.9.8 broker; it does not need a *testing.T,
// so heartbeat goroutines can use it.
func (b testBroker) registerErr(c *remoting.Client, nsAddr string) (*remoting.Command, error) {
	body := &protocol.RegisterBrokerBody{
		TopicConfigSerializeWrapper: *topicTable(b.version, b.topics),
	}
	data, err := body.Encode(false)
	if err != nil {
		return nil, err
	}
	req := remoting.NewRequest(protocol.ReqRegisterBroker, protocol.EncodeHeader(&protocol.RegisterBrokerRequestHeader{
		BrokerName: b.name, BrokerAddr: b.addr, ClusterName: b.cluster, HAServerAddr: b.addr + "-ha",
		BrokerID: b.id, BodyCRC32: protocol.RegisterBodyCRC32(data),
	}), data)
	req.Version = protocol.VersionV4_9_8
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.InvokeSync(ctx, nsAddr, req, 5*time.Second)
}

func route(t *testing.T, c *remoting.Client, nsAddr, topic string) *remoting.Command {
	t.Helper()
	return call(t, c, nsAddr, protocol.ReqGetRouteInfoByTopic, &protocol.GetRouteInfoRequestHeader{Topic: topic}, nil)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		<-tick.C
	}
}

var (
	masterA = testBroker{cluster: "DefaultCluster", name: "broker-a", addr: "10.0.0.1:10911", id: 0, version: 1, topics: map[string]int32{"TopicTest": 4, "TBW102": 8}}
	slaveA  = testBroker{cluster: "DefaultCluster", name: "broker-a", addr: "10.0.0.2:10911", id: 1, version: 1, topics: map[string]int32{"TopicTest": 4}}
	masterB = testBroker{cluster: "DefaultCluster", name: "broker-b", addr: "10.0.0.3:10911", id: 0, version: 1, topics: map[string]int32{"TopicTest": 2}}
)

func TestRegisterAndLookups(t *testing.T) {
	s := startServer(t, testConfig(t))
	ns := s.Addr().String()
	c := newClient(t)

	resp := mustOK(t, masterA.register(t, c, ns))
	if len(resp.ExtFields["masterAddr"]) != 0 || resp.Body != nil && len(resp.Body) != 0 {
		t.Fatalf("master registration reply: %v %q", resp.ExtFields, resp.Body)
	}
	resp = mustOK(t, slaveA.register(t, c, ns))
	if resp.ExtFields["masterAddr"] != masterA.addr || resp.ExtFields["haServerAddr"] != masterA.addr+"-ha" {
		t.Fatalf("slave registration reply: %v", resp.ExtFields)
	}
	mustOK(t, masterB.register(t, c, ns))

	// A 4.9.8 client gets standard JSON.
	resp = mustOK(t, route(t, c, ns, "TopicTest"))
	if !strings.Contains(string(resp.Body), `"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"}`) {
		t.Fatalf("route for a 4.9.8 client: %s", resp.Body)
	}
	r, err := protocol.DecodeTopicRouteData(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	want := &protocol.TopicRouteData{
		QueueDatas: []protocol.QueueData{
			{BrokerName: "broker-a", Perm: 6, ReadQueueNums: 4, WriteQueueNums: 4},
			{BrokerName: "broker-b", Perm: 6, ReadQueueNums: 2, WriteQueueNums: 2},
		},
		BrokerDatas: []protocol.BrokerData{
			{Cluster: "DefaultCluster", BrokerName: "broker-a", BrokerAddrs: map[int64]string{0: masterA.addr, 1: slaveA.addr}},
			{Cluster: "DefaultCluster", BrokerName: "broker-b", BrokerAddrs: map[int64]string{0: masterB.addr}},
		},
		FilterServerTable: map[string][]string{},
	}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("route\n got %+v\nwant %+v", r, want)
	}

	// The Go client announces V4_5_2: fastjson's bare keys, unless it asks.
	resp = mustOK(t, callVersion(t, c, ns, protocol.ReqGetRouteInfoByTopic, protocol.VersionV4_5_2,
		&protocol.GetRouteInfoRequestHeader{Topic: "TopicTest"}, nil))
	if !strings.Contains(string(resp.Body), `"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"}`) {
		t.Fatalf("route for a V4_5_2 client: %s", resp.Body)
	}
	yes := true
	resp = mustOK(t, callVersion(t, c, ns, protocol.ReqGetRouteInfoByTopic, protocol.VersionV4_5_2,
		&protocol.GetRouteInfoRequestHeader{Topic: "TopicTest", AcceptStandardJSONOnly: &yes}, nil))
	if !strings.Contains(string(resp.Body), `{"0":"10.0.0.1:10911"`) {
		t.Fatalf("route with acceptStandardJsonOnly: %s", resp.Body)
	}

	resp = mustOK(t, call(t, c, ns, protocol.ReqGetBrokerClusterInfo, nil, nil))
	info, err := protocol.DecodeClusterInfo(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(info.ClusterAddrTable, map[string][]string{"DefaultCluster": {"broker-a", "broker-b"}}) ||
		info.BrokerAddrTable["broker-a"].BrokerAddrs[1] != slaveA.addr {
		t.Fatalf("cluster info %+v", info)
	}

	topics := func(code int32, header any) *protocol.TopicList {
		t.Helper()
		l, err := protocol.DecodeTopicList(mustOK(t, call(t, c, ns, code, header, nil)).Body)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	if l := topics(protocol.ReqGetAllTopicListFromNameServer, nil); !reflect.DeepEqual(l.TopicList, []string{"TBW102", "TopicTest"}) {
		t.Errorf("all topics %v", l.TopicList)
	}
	if l := topics(protocol.ReqGetTopicsByCluster, &protocol.GetTopicsByClusterRequestHeader{Cluster: "DefaultCluster"}); len(l.TopicList) != 2 {
		t.Errorf("topics by cluster %v", l.TopicList)
	}
	if l := topics(protocol.ReqGetSystemTopicListFromNs, nil); !reflect.DeepEqual(l.TopicList, []string{"DefaultCluster", "broker-a", "broker-b"}) || l.BrokerAddr != masterA.addr {
		t.Errorf("system topics %+v", l)
	}
	for _, code := range []int32{protocol.ReqGetUnitTopicList, protocol.ReqGetHasUnitSubTopicList, protocol.ReqGetHasUnitSubUnunitTopicList} {
		if l := topics(code, nil); len(l.TopicList) != 0 {
			t.Errorf("%s: %v", protocol.RequestCodeName(code), l.TopicList)
		}
	}
}

func TestUnknownTopicAndCodes(t *testing.T) {
	s := startServer(t, testConfig(t))
	ns := s.Addr().String()
	c := newClient(t)
	resp := route(t, c, ns, "NoSuchTopic")
	if resp.Code != protocol.RespTopicNotExist || !strings.HasPrefix(resp.Remark, "No topic route info in name server for the topic: NoSuchTopic") {
		t.Fatalf("unknown topic: %d %q", resp.Code, resp.Remark)
	}
	resp = call(t, c, ns, 9999, nil, nil)
	if resp.Code != protocol.RespRequestCodeNotSupported {
		t.Fatalf("unknown code answered %d %q", resp.Code, resp.Remark)
	}
	// A broker-only code is not a name server request either.
	if resp = call(t, c, ns, protocol.ReqSendMessage, nil, nil); resp.Code != protocol.RespRequestCodeNotSupported {
		t.Fatalf("SEND_MESSAGE answered %d", resp.Code)
	}
	// A missing required header names its key; the server keeps serving.
	resp = call(t, c, ns, protocol.ReqGetRouteInfoByTopic, map[string]string{}, nil)
	if resp.Code != protocol.RespSystemError || !strings.Contains(resp.Remark, `"topic"`) {
		t.Fatalf("missing topic: %d %q", resp.Code, resp.Remark)
	}
	resp = call(t, c, ns, protocol.ReqRegisterBroker, map[string]string{"brokerAddr": "h:1"}, nil)
	if resp.Code != protocol.RespSystemError || !strings.Contains(resp.Remark, "brokerName") {
		t.Fatalf("register without brokerName: %d %q", resp.Code, resp.Remark)
	}
	mustOK(t, call(t, c, ns, protocol.ReqGetBrokerClusterInfo, nil, nil))
}

func TestRegisterBadBodies(t *testing.T) {
	s := startServer(t, testConfig(t))
	ns := s.Addr().String()
	c := newClient(t)
	h := &protocol.RegisterBrokerRequestHeader{BrokerName: "b", BrokerAddr: "h:1", ClusterName: "c", HAServerAddr: "h:2", BodyCRC32: 12345}
	resp := call(t, c, ns, protocol.ReqRegisterBroker, h, []byte(`{}`))
	if resp.Code != protocol.RespSystemError || resp.Remark != "crc32 not match" {
		t.Fatalf("bad crc: %d %q", resp.Code, resp.Remark)
	}
	body := []byte(`{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":`)
	h.BodyCRC32 = 0
	resp = call(t, c, ns, protocol.ReqRegisterBroker, h, body)
	if resp.Code != protocol.RespSystemError || !strings.Contains(resp.Remark, "RegisterBrokerBody") {
		t.Fatalf("bad body: %d %q", resp.Code, resp.Remark)
	}
	h.Compressed = true
	resp = call(t, c, ns, protocol.ReqRegisterBroker, h, []byte("not zlib"))
	if resp.Code != protocol.RespSystemError {
		t.Fatalf("bad compressed body: %d %q", resp.Code, resp.Remark)
	}
	// An empty body registers the broker with no topics.
	h.Compressed = false
	mustOK(t, call(t, c, ns, protocol.ReqRegisterBroker, h, nil))
	info, _ := protocol.DecodeClusterInfo(mustOK(t, call(t, c, ns, protocol.ReqGetBrokerClusterInfo, nil, nil)).Body)
	if info.BrokerAddrTable["b"].BrokerAddrs[0] != "h:1" {
		t.Fatalf("empty-body registration: %+v", info)
	}
}

func TestRegisterCompressedAndOldBroker(t *testing.T) {
	s := startServer(t, testConfig(t))
	ns := s.Addr().String()
	c := newClient(t)
	body := &protocol.RegisterBrokerBody{TopicConfigSerializeWrapper: *topicTable(3, map[string]int32{"Z": 3})}
	z, err := body.Encode(true)
	if err != nil {
		t.Fatal(err)
	}
	mustOK(t, call(t, c, ns, protocol.ReqRegisterBroker, &protocol.RegisterBrokerRequestHeader{
		BrokerName: "z", BrokerAddr: "h:1", ClusterName: "c", HAServerAddr: "h:2", Compressed: true, BodyCRC32: protocol.RegisterBodyCRC32(z),
	}, z))
	r, err := protocol.DecodeTopicRouteData(mustOK(t, route(t, c, ns, "Z")).Body)
	if err != nil || r.QueueDatas[0].WriteQueueNums != 3 {
		t.Fatalf("compressed registration route: %+v %v", r, err)
	}

	// A broker older than V3_0_11 sends the bare topic table.
	w, _ := topicTable(1, map[string]int32{"Old": 2}).Encode()
	mustOK(t, callVersion(t, c, ns, protocol.ReqRegisterBroker, protocol.VersionV3_0_11-1, &protocol.RegisterBrokerRequestHeader{
		BrokerName: "old", BrokerAddr: "h:3", ClusterName: "c", HAServerAddr: "h:4",
	}, w))
	mustOK(t, route(t, c, ns, "Old"))
}

func TestQueryDataVersion(t *testing.T) {
	s := startServer(t, testConfig(t))
	ns := s.Addr().String()
	c := newClient(t)
	mustOK(t, masterA.register(t, c, ns))
	q := &protocol.QueryDataVersionRequestHeader{BrokerName: masterA.name, BrokerAddr: masterA.addr, ClusterName: masterA.cluster}
	same := topicTable(masterA.version, nil).DataVersion
	resp := mustOK(t, call(t, c, ns, protocol.ReqQueryDataVersion, q, same.Encode()))
	if resp.ExtFields["changed"] != "false" {
		t.Fatalf("same version reported changed: %v", resp.ExtFields)
	}
	if v, err := protocol.DecodeDataVersion(resp.Body); err != nil || v != same {
		t.Fatalf("stored version %+v %v", v, err)
	}
	newer := protocol.DataVersion{Counter: 2, Timestamp: 5}
	if resp = mustOK(t, call(t, c, ns, protocol.ReqQueryDataVersion, q, newer.Encode())); resp.ExtFields["changed"] != "true" {
		t.Fatalf("new version reported unchanged: %v", resp.ExtFields)
	}
	if resp = call(t, c, ns, protocol.ReqQueryDataVersion, q, []byte("garbage")); resp.Code != protocol.RespSystemError {
		t.Fatalf("garbage body: %d", resp.Code)
	}
}

func TestBrokerExpiresWithoutHeartbeat(t *testing.T) {
	cfg := testConfig(t)
	cfg.BrokerChannelExpiredTime = 300
	cfg.ScanNotActiveBrokerInterval = 20
	s := startServer(t, cfg)
	ns := s.Addr().String()
	c := newClient(t)
	silent, alive := newClient(t), newClient(t)
	mustOK(t, masterA.register(t, silent, ns))
	mustOK(t, masterB.register(t, alive, ns))

	// broker-b keeps its heartbeats going until broker-a is gone.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				masterB.registerErr(alive, ns) // a missed beat shows up as a failed route check below
			}
		}
	}()
	waitFor(t, 5*time.Second, "broker-a to expire", func() bool {
		return route(t, c, ns, "TBW102").Code == protocol.RespTopicNotExist
	})
	close(stop)
	<-done
	r, err := protocol.DecodeTopicRouteData(mustOK(t, route(t, c, ns, "TopicTest")).Body)
	if err != nil || len(r.BrokerDatas) != 1 || r.BrokerDatas[0].BrokerName != "broker-b" {
		t.Fatalf("route after expiry: %+v %v", r, err)
	}
}

func TestBrokerRemovedWhenConnectionCloses(t *testing.T) {
	s := startServer(t, testConfig(t))
	ns := s.Addr().String()
	c := newClient(t)
	broker := newClient(t)
	mustOK(t, masterA.register(t, broker, ns))
	mustOK(t, slaveA.register(t, c, ns))
	mustOK(t, route(t, c, ns, "TopicTest"))

	broker.CloseAddr(ns) // the master's connection goes away
	waitFor(t, 5*time.Second, "the master to be removed", func() bool {
		resp := route(t, c, ns, "TopicTest")
		r, err := protocol.DecodeTopicRouteData(resp.Body)
		return err == nil && len(r.BrokerDatas) == 1 && r.BrokerDatas[0].MasterAddr() == ""
	})
	// The slave (registered on c) is still there; closing c removes it and
	// with it the last broker of the topic.
	c.CloseAddr(ns)
	probe := newClient(t)
	waitFor(t, 5*time.Second, "the slave to be removed", func() bool {
		return route(t, probe, ns, "TopicTest").Code == protocol.RespTopicNotExist
	})
}

func TestUnregisterBroker(t *testing.T) {
	s := startServer(t, testConfig(t))
	ns := s.Addr().String()
	c := newClient(t)
	mustOK(t, masterA.register(t, c, ns))
	mustOK(t, call(t, c, ns, protocol.ReqUnregisterBroker, &protocol.UnRegisterBrokerRequestHeader{
		BrokerName: masterA.name, BrokerAddr: masterA.addr, ClusterName: masterA.cluster, BrokerID: 0,
	}, nil))
	if resp := route(t, c, ns, "TopicTest"); resp.Code != protocol.RespTopicNotExist {
		t.Fatalf("route after unregister: %d", resp.Code)
	}
}

func TestWriteCommandsAndDeleteTopic(t *testing.T) {
	s := startServer(t, testConfig(t))
	ns := s.Addr().String()
	c := newClient(t)
	mustOK(t, masterA.register(t, c, ns))
	mustOK(t, masterB.register(t, c, ns))
	perm := func(broker string) int32 {
		r, err := protocol.DecodeTopicRouteData(mustOK(t, route(t, c, ns, "TopicTest")).Body)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range r.QueueDatas {
			if q.BrokerName == broker {
				return q.Perm
			}
		}
		return -1
	}
	resp := mustOK(t, call(t, c, ns, protocol.ReqWipeWritePermOfBroker, &protocol.WipeWritePermOfBrokerRequestHeader{BrokerName: "broker-a"}, nil))
	if resp.ExtFields["wipeTopicCount"] != "2" || perm("broker-a") != protocol.PermRead || perm("broker-b") != 6 {
		t.Fatalf("wipe: %v, perms %d %d", resp.ExtFields, perm("broker-a"), perm("broker-b"))
	}
	resp = mustOK(t, call(t, c, ns, protocol.ReqAddWritePermOfBroker, &protocol.AddWritePermOfBrokerRequestHeader{BrokerName: "broker-a"}, nil))
	if resp.ExtFields["addTopicCount"] != "2" || perm("broker-a") != 6 {
		t.Fatalf("add: %v, perm %d", resp.ExtFields, perm("broker-a"))
	}

	mustOK(t, call(t, c, ns, protocol.ReqDeleteTopicInNamesrv, &protocol.DeleteTopicFromNamesrvRequestHeader{Topic: "TopicTest", ClusterName: "OtherCluster"}, nil))
	mustOK(t, route(t, c, ns, "TopicTest"))
	mustOK(t, call(t, c, ns, protocol.ReqDeleteTopicInNamesrv, &protocol.DeleteTopicFromNamesrvRequestHeader{Topic: "TopicTest"}, nil))
	if resp := route(t, c, ns, "TopicTest"); resp.Code != protocol.RespTopicNotExist {
		t.Fatalf("route after delete: %d", resp.Code)
	}
	// The broker's next registration with an unchanged version does not
	// bring it back; a new version does.
	mustOK(t, masterA.register(t, c, ns))
	if resp := route(t, c, ns, "TopicTest"); resp.Code != protocol.RespTopicNotExist {
		t.Fatal("unchanged registration restored a deleted topic")
	}
	newer := masterA
	newer.version = 2
	mustOK(t, newer.register(t, c, ns))
	mustOK(t, route(t, c, ns, "TopicTest"))
}

func TestKVConfigRequests(t *testing.T) {
	cfg := testConfig(t)
	s := startServer(t, cfg)
	ns := s.Addr().String()
	c := newClient(t)

	resp := call(t, c, ns, protocol.ReqGetKVConfig, &protocol.GetKVConfigRequestHeader{Namespace: "ns", Key: "k"}, nil)
	if resp.Code != protocol.RespQueryNotFound || resp.Remark != "No config item, Namespace: ns Key: k" {
		t.Fatalf("missing key: %d %q", resp.Code, resp.Remark)
	}
	resp = call(t, c, ns, protocol.ReqGetKVListByNamespace, &protocol.GetKVListByNamespaceRequestHeader{Namespace: "ns"}, nil)
	if resp.Code != protocol.RespQueryNotFound || resp.Remark != "No config item, Namespace: ns" {
		t.Fatalf("missing namespace: %d %q", resp.Code, resp.Remark)
	}
	mustOK(t, call(t, c, ns, protocol.ReqPutKVConfig, &protocol.PutKVConfigRequestHeader{Namespace: "ns", Key: "k", Value: "v1"}, nil))
	mustOK(t, call(t, c, ns, protocol.ReqPutKVConfig, &protocol.PutKVConfigRequestHeader{Namespace: "ns", Key: "k2", Value: "v2"}, nil))
	resp = mustOK(t, call(t, c, ns, protocol.ReqGetKVConfig, &protocol.GetKVConfigRequestHeader{Namespace: "ns", Key: "k"}, nil))
	if resp.ExtFields["value"] != "v1" {
		t.Fatalf("get: %v", resp.ExtFields)
	}
	resp = mustOK(t, call(t, c, ns, protocol.ReqGetKVListByNamespace, &protocol.GetKVListByNamespaceRequestHeader{Namespace: "ns"}, nil))
	if kv, err := protocol.DecodeKVTable(resp.Body); err != nil || !reflect.DeepEqual(kv.Table, map[string]string{"k": "v1", "k2": "v2"}) {
		t.Fatalf("list: %s %v", resp.Body, err)
	}
	mustOK(t, call(t, c, ns, protocol.ReqDeleteKVConfig, &protocol.DeleteKVConfigRequestHeader{Namespace: "ns", Key: "k"}, nil))
	if resp = call(t, c, ns, protocol.ReqGetKVConfig, &protocol.GetKVConfigRequestHeader{Namespace: "ns", Key: "k"}, nil); resp.Code != protocol.RespQueryNotFound {
		t.Fatalf("deleted key answered %d", resp.Code)
	}
	resp = call(t, c, ns, protocol.ReqPutKVConfig, map[string]string{"namespace": "ns", "key": "k"}, nil)
	if resp.Code != protocol.RespSystemError || !strings.Contains(resp.Remark, `"value"`) {
		t.Fatalf("put without value: %d %q", resp.Code, resp.Remark)
	}

	// A second name server on the same file sees what the first persisted.
	cfg2 := testConfig(t)
	cfg2.KVConfigPath = cfg.KVConfigPath
	s2 := startServer(t, cfg2)
	resp = mustOK(t, call(t, c, s2.Addr().String(), protocol.ReqGetKVConfig, &protocol.GetKVConfigRequestHeader{Namespace: "ns", Key: "k2"}, nil))
	if resp.ExtFields["value"] != "v2" {
		t.Fatalf("reloaded: %v", resp.ExtFields)
	}
}

func TestOrderTopicConf(t *testing.T) {
	cfg := testConfig(t)
	cfg.OrderMessageEnable = true
	s := startServer(t, cfg)
	ns := s.Addr().String()
	c := newClient(t)
	mustOK(t, call(t, c, ns, protocol.ReqPutKVConfig, &protocol.PutKVConfigRequestHeader{
		Namespace: protocol.KVNamespaceOrderTopicConfig, Key: "TopicTest", Value: "broker-a:4",
	}, nil))
	resp := mustOK(t, masterA.register(t, c, ns))
	kv, err := protocol.DecodeKVTable(resp.Body)
	if err != nil || kv.Table["TopicTest"] != "broker-a:4" {
		t.Fatalf("registration reply body %q %v", resp.Body, err)
	}
	r, err := protocol.DecodeTopicRouteData(mustOK(t, route(t, c, ns, "TopicTest")).Body)
	if err != nil || r.OrderTopicConf != "broker-a:4" {
		t.Fatalf("route %+v %v", r, err)
	}
	if r, _ := protocol.DecodeTopicRouteData(mustOK(t, route(t, c, ns, "TBW102")).Body); r.OrderTopicConf != "" {
		t.Fatalf("TBW102 got an order conf: %q", r.OrderTopicConf)
	}
}

func TestNameServerConfigRequests(t *testing.T) {
	cfg := testConfig(t)
	s := startServer(t, cfg)
	ns := s.Addr().String()
	c := newClient(t)
	get := func() string {
		return string(mustOK(t, call(t, c, ns, protocol.ReqGetNamesrvConfig, nil, nil)).Body)
	}
	if !strings.Contains(get(), "orderMessageEnable=false\n") {
		t.Fatalf("config: %s", get())
	}
	mustOK(t, call(t, c, ns, protocol.ReqUpdateNamesrvConfig, nil, []byte("orderMessageEnable=true\nenableAllTopicList = false\n")))
	if text := get(); !strings.Contains(text, "orderMessageEnable=true\n") || !strings.Contains(text, "enableAllTopicList=false\n") {
		t.Fatalf("config after update: %s", text)
	}
	stored, err := os.ReadFile(cfg.ConfigStorePath)
	if err != nil || !strings.Contains(string(stored), "orderMessageEnable=true\n") {
		t.Fatalf("persisted config: %s %v", stored, err)
	}
	// The switch takes effect at once.
	if resp := call(t, c, ns, protocol.ReqGetAllTopicListFromNameServer, nil, nil); resp.Code != protocol.RespSystemError || resp.Remark != "disable" {
		t.Fatalf("disabled topic list: %d %q", resp.Code, resp.Remark)
	}

	for body, want := range map[string]struct {
		code   int32
		remark string
	}{
		"kvConfigPath=/tmp/x":                      {protocol.RespNoPermission, "Can not update config in black list."},
		"orderMessageEnable=false\nrocketmqHome=/": {protocol.RespNoPermission, "Can not update config in black list."},
		"ordrMessageEnable=true":                   {protocol.RespSystemError, "orderMessageEnable"},
		"brokerChannelExpiredTime=soon":            {protocol.RespSystemError, "brokerChannelExpiredTime"},
		"brokerChannelExpiredTime=0":               {protocol.RespSystemError, "brokerChannelExpiredTime"},
		"clusterTest=true":                         {protocol.RespSystemError, "clusterTest"},
		"a=${HOME}":                                {protocol.RespSystemError, "HOME"},
	} {
		resp := call(t, c, ns, protocol.ReqUpdateNamesrvConfig, nil, []byte(body))
		if resp.Code != want.code || !strings.Contains(resp.Remark, want.remark) {
			t.Errorf("update %q: %d %q, want %d containing %q", body, resp.Code, resp.Remark, want.code, want.remark)
		}
	}
	// Failed updates changed nothing.
	if text := get(); !strings.Contains(text, "orderMessageEnable=true\n") || !strings.Contains(text, "brokerChannelExpiredTime=120000\n") {
		t.Fatalf("config after failed updates: %s", text)
	}
}

func TestNameServersAreIndependent(t *testing.T) {
	s1 := startServer(t, testConfig(t))
	s2 := startServer(t, testConfig(t))
	c := newClient(t)
	mustOK(t, masterA.register(t, c, s1.Addr().String()))
	mustOK(t, route(t, c, s1.Addr().String(), "TopicTest"))
	if resp := route(t, c, s2.Addr().String(), "TopicTest"); resp.Code != protocol.RespTopicNotExist {
		t.Fatalf("second name server knows the first one's broker: %d", resp.Code)
	}
}

func TestNewRejects(t *testing.T) {
	cfg := testConfig(t)
	cfg.ClusterTest = true
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "clusterTest") {
		t.Fatalf("clusterTest: %v", err)
	}
	cfg = testConfig(t)
	cfg.ScanNotActiveBrokerInterval = 0
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "scanNotActiveBrokerInterval") {
		t.Fatalf("bad interval: %v", err)
	}
	cfg = testConfig(t)
	os.MkdirAll(filepath.Dir(cfg.KVConfigPath), 0o755)
	os.WriteFile(cfg.KVConfigPath, []byte("{"), 0o644)
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), cfg.KVConfigPath) {
		t.Fatalf("bad kv file: %v", err)
	}
	// A port in use fails Start, and Shutdown still returns.
	s1 := startServer(t, testConfig(t))
	cfg = testConfig(t)
	_, port, _ := strings.Cut(s1.Addr().String(), ":")
	cfg.ListenPort, _ = strconv.Atoi(port)
	s2, err := New(cfg, WithLogger(quietLog))
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Start(); err == nil {
		t.Fatal("second server bound a port in use")
	}
	if err := s2.Shutdown(context.Background()); err != nil {
		t.Fatalf("shutdown after failed start: %v", err)
	}
}
