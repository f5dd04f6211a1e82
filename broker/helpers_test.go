package broker

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// testLogger discards logs unless BROKER_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("BROKER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testConfig is a broker on 127.0.0.1 with a free port, small store files
// and its store in dir.
func testConfig(dir string) config.Broker {
	cfg := config.DefaultBroker()
	cfg.BrokerName = "broker-test"
	cfg.BrokerClusterName = "TestCluster"
	cfg.BrokerIP1, cfg.BrokerIP2 = "127.0.0.1", "127.0.0.1"
	cfg.BindAddress = "127.0.0.1"
	cfg.ListenPort = 0
	cfg.NamesrvAddr = ""
	cfg.StorePathRootDir = dir
	cfg.MappedFileSizeCommitLog = 4 << 20
	cfg.MappedFileSizeConsumeQueue = 20 * 1000
	cfg.MaxMessageSize = 256 << 10
	cfg.MaxHashSlotNum = 1000
	cfg.MaxIndexNum = 4000
	return cfg
}

// startBroker starts a broker on cfg and stops it when the test ends.
func startBroker(t testing.TB, cfg config.Broker, opts ...Option) *Broker {
	t.Helper()
	b, err := New(cfg, append([]Option{WithLogger(testLogger())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := b.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return b
}

func newClient(t testing.TB) *remoting.Client {
	c := remoting.NewClient(remoting.ClientConfig{Logger: testLogger()})
	t.Cleanup(func() { c.Close() })
	return c
}

func call(t testing.TB, c *remoting.Client, addr string, req *remoting.Command) *remoting.Command {
	t.Helper()
	resp, err := c.InvokeSync(context.Background(), addr, req, 10*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", protocol.RequestCodeName(req.Code), err)
	}
	return resp
}

// callAsync sends req and returns where its answer will arrive, for pulls
// the broker holds.
func callAsync(t testing.TB, c *remoting.Client, addr string, req *remoting.Command) <-chan *remoting.Command {
	t.Helper()
	done := make(chan *remoting.Command, 1)
	if err := c.InvokeAsync(context.Background(), addr, req, 30*time.Second, func(r *remoting.Command, err error) {
		if err != nil {
			t.Error(err)
		}
		done <- r
	}); err != nil {
		t.Fatal(err)
	}
	return done
}

// sendReq builds a SEND_MESSAGE_V2 as a Java producer does.
func sendReq(topic string, queueID int32, body []byte, props map[string]string) *remoting.Command {
	h := protocol.SendMessageRequestHeader{
		ProducerGroup: "pg", Topic: topic, DefaultTopic: protocol.TopicAutoCreate, DefaultTopicQueueNums: 4,
		QueueID: queueID, BornTimestamp: time.Now().UnixMilli(), Properties: protocol.EncodeProperties(props),
	}
	return remoting.NewRequest(protocol.ReqSendMessageV2, h.EncodeV2(), body)
}

// pullReq builds a PULL_MESSAGE carrying its subscription.
func pullReq(group, topic string, queueID int32, offset int64, sysFlag int32, suspend time.Duration, sub string) *remoting.Command {
	h := protocol.PullMessageRequestHeader{
		ConsumerGroup: group, Topic: topic, QueueID: queueID, QueueOffset: offset, MaxMsgNums: 32,
		SysFlag: sysFlag | protocol.PullFlagSubscription, SuspendTimeoutMillis: suspend.Milliseconds(),
		Subscription: sub, ExpressionType: protocol.ExpressionTypeTag,
	}
	return remoting.NewRequest(protocol.ReqPullMessage, protocol.EncodeHeader(&h), nil)
}

func mustCode(t testing.TB, resp *remoting.Command, code int32) {
	t.Helper()
	if resp.Code != code {
		t.Fatalf("code %s (%d), want %s; remark %q", protocol.ResponseCodeName(resp.Code), resp.Code, protocol.ResponseCodeName(code), resp.Remark)
	}
}

func extInt(t testing.TB, resp *remoting.Command, key string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(resp.ExtFields[key], 10, 64)
	if err != nil {
		t.Fatalf("ext %s = %q: %v (ext %v)", key, resp.ExtFields[key], err, resp.ExtFields)
	}
	return n
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(time.Millisecond)
	}
}

// dispatched waits until every stored message is readable.
func dispatched(t testing.TB, b *Broker) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.store.WaitDispatched(ctx); err != nil {
		t.Fatal(err)
	}
}
