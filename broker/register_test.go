package broker

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/namesrv"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

func startNamesrv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := config.DefaultNamesrv()
	cfg.ListenPort = 0
	cfg.BindAddress = "127.0.0.1"
	cfg.KVConfigPath = filepath.Join(dir, "kvConfig.json")
	cfg.ConfigStorePath = filepath.Join(dir, "namesrv.properties")
	s, err := namesrv.New(cfg, namesrv.WithLogger(testLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Shutdown(ctx)
	})
	return s.Addr().String()
}

// deadAddr is a 127.0.0.1 port nobody listens on.
func deadAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func routeCode(t *testing.T, c *remoting.Client, ns, topic string) int32 {
	t.Helper()
	req := remoting.NewRequest(protocol.ReqGetRouteInfoByTopic, protocol.EncodeHeader(&protocol.GetRouteInfoRequestHeader{Topic: topic}), nil)
	return call(t, c, ns, req).Code
}

// TestRegistrationWithNameServers: registration at start (a dead name
// server in the list does not hold it up), at once after a topic is
// created, and unregistration at shutdown.
func TestRegistrationWithNameServers(t *testing.T) {
	ns := startNamesrv(t)
	cfg := testConfig(t.TempDir())
	cfg.NamesrvAddr = deadAddr(t) + ";" + ns
	b, err := New(cfg, WithLogger(testLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	c := newClient(t)
	waitFor(t, 10*time.Second, "TBW102 to be routable", func() bool {
		return routeCode(t, c, ns, protocol.TopicAutoCreate) == protocol.RespSuccess
	})

	ct := protocol.CreateTopicRequestHeader{Topic: "Announced", DefaultTopic: protocol.TopicAutoCreate, ReadQueueNums: 4,
		WriteQueueNums: 4, Perm: 6, TopicFilterType: "SINGLE_TAG"}
	start := time.Now()
	mustCode(t, call(t, c, b.Addr(), remoting.NewRequest(protocol.ReqUpdateAndCreateTopic, protocol.EncodeHeader(&ct), nil)), protocol.RespSuccess)
	waitFor(t, 10*time.Second, "the new topic to be routable", func() bool {
		return routeCode(t, c, ns, "Announced") == protocol.RespSuccess
	})
	t.Logf("created topic routable after %v (a dead name server is also in the list)", time.Since(start))
	req := remoting.NewRequest(protocol.ReqGetRouteInfoByTopic, protocol.EncodeHeader(&protocol.GetRouteInfoRequestHeader{Topic: "Announced"}), nil)
	route, err := protocol.DecodeTopicRouteData(call(t, c, ns, req).Body)
	if err != nil || len(route.QueueDatas) != 1 || route.QueueDatas[0].WriteQueueNums != 4 || route.BrokerDatas[0].BrokerAddrs[0] != b.Addr() {
		t.Fatalf("route %+v %v", route, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if code := routeCode(t, c, ns, "Announced"); code != protocol.RespTopicNotExist {
		t.Fatalf("after shutdown the route answers %d, want TOPIC_NOT_EXIST", code)
	}
}
