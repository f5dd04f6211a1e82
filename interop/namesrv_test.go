package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/rlog"

	"github.com/rocketgo/rocketgo/internal/testcluster"
	"github.com/rocketgo/rocketgo/remoting"
)

func init() { rlog.SetLogLevel("error") }

// registerBroker registers a broker holding the given topics (name -> write
// queue count) the way a RocketMQ 4.9 broker does: REGISTER_BROKER (103) with
// a RegisterBrokerBody. The JSON is written here by hand from the reference
// sheet, not with our protocol package, so the name server is checked
// against the wire format rather than against itself.
func registerBroker(t *testing.T, cli *remoting.Client, nsAddr, cluster, brokerName, brokerAddr string, brokerID int, topics map[string]int) {
	t.Helper()
	table := map[string]any{}
	for name, queues := range topics {
		table[name] = map[string]any{
			"order": false, "perm": 6, "readQueueNums": queues, "writeQueueNums": queues,
			"topicFilterType": "SINGLE_TAG", "topicName": name, "topicSysFlag": 0,
		}
	}
	body, err := json.Marshal(map[string]any{
		"filterServerList": []string{},
		"topicConfigSerializeWrapper": map[string]any{
			"dataVersion":      map[string]any{"counter": 1, "timestamp": time.Now().UnixMilli()},
			"topicConfigTable": table,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	crc := crc32.ChecksumIEEE(body) & 0x7FFFFFFF
	req := remoting.NewRequest(103, map[string]string{
		"brokerName": brokerName, "brokerAddr": brokerAddr, "clusterName": cluster,
		"haServerAddr": "127.0.0.1:10912", "brokerId": strconv.Itoa(brokerID),
		"compressed": "false", "bodyCrc32": strconv.FormatUint(uint64(crc), 10),
	}, body)
	req.Version = 409
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := cli.InvokeSync(ctx, nsAddr, req, 5*time.Second)
	if err != nil {
		t.Fatalf("REGISTER_BROKER: %v", err)
	}
	if resp.Code != 0 {
		t.Fatalf("REGISTER_BROKER answered %d: %s", resp.Code, resp.Remark)
	}
}

func newAdmin(t *testing.T, nsAddr string) admin.Admin {
	t.Helper()
	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{nsAddr})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { adm.Close() })
	return adm
}

// TestOfficialClientReadsNameServer: the official client's admin lists the
// topics a broker registered and resolves a topic's publish queues from the
// route our name server returns; an unknown topic is an error, not a hang.
func TestOfficialClientReadsNameServer(t *testing.T) {
	ns := testcluster.StartNamesrv(t, nil)
	cli := remoting.NewClient(remoting.ClientConfig{})
	t.Cleanup(func() { cli.Close() })

	registerBroker(t, cli, ns.Addr, "DefaultCluster", "broker-a", "127.0.0.1:30911", 0,
		map[string]int{"TopicTest": 4, "OrderTopic": 2})
	registerBroker(t, cli, ns.Addr, "DefaultCluster", "broker-b", "127.0.0.1:30921", 0,
		map[string]int{"TopicTest": 3})

	adm := newAdmin(t, ns.Addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	list, err := adm.FetchAllTopicList(ctx)
	if err != nil {
		t.Fatalf("FetchAllTopicList: %v", err)
	}
	for _, want := range []string{"TopicTest", "OrderTopic"} {
		if !slices.Contains(list.TopicList, want) {
			t.Errorf("topic list %v lacks %s", list.TopicList, want)
		}
	}

	mqs, err := adm.FetchPublishMessageQueues(ctx, "TopicTest")
	if err != nil {
		t.Fatalf("FetchPublishMessageQueues: %v", err)
	}
	got := map[string]int{}
	for _, mq := range mqs {
		if mq.Topic != "TopicTest" {
			t.Errorf("queue of topic %q, want TopicTest", mq.Topic)
		}
		got[mq.BrokerName]++
	}
	if want := map[string]int{"broker-a": 4, "broker-b": 3}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("publish queues per broker = %v, want %v", got, want)
	}

	if _, err := adm.FetchPublishMessageQueues(ctx, "NoSuchTopic"); err == nil {
		t.Error("FetchPublishMessageQueues(NoSuchTopic) succeeded; want a route-not-found error")
	}
}
