package client

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// consumerConnOf returns the fake broker's connection to a consumer.
func (b *fakeBroker) consumerConnOf(group, clientID string) *remoting.Conn {
	b.mu.Lock()
	defer b.mu.Unlock()
	if cc := b.consumers[group][clientID]; cc != nil {
		return cc.conn
	}
	return nil
}

func TestBrokerInitiatedRequests(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 2, b)
	putN(b, "T", 2, 10, "x")
	var mu sync.Mutex
	var direct []string
	got := newCollector()
	c := startPushConsumer(t, PushConsumerOptions{
		ClientOptions: fastOptions(ns), Group: "sr", ConsumeFrom: ConsumeFromFirstOffset,
		Listener: func(ctx context.Context, msgs []*MessageExt) (ConsumeResult, error) {
			if string(msgs[0].Body) == "direct" {
				mu.Lock()
				direct = append(direct, msgs[0].Topic)
				mu.Unlock()
				return ConsumeSuccess, nil
			}
			got.add(msgs)
			return ConsumeSuccess, nil
		},
	}, "T", ByTag("*"))
	waitFor(t, "10 messages", 10*time.Second, func() bool { return got.distinct() == 10 })
	var conn *remoting.Conn
	waitFor(t, "the consumer's connection", 5*time.Second, func() bool {
		conn = b.consumerConnOf("sr", c.ClientID())
		return conn != nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	call := func(code int32, ext map[string]string, body []byte) *remoting.Command {
		t.Helper()
		resp, err := conn.InvokeSync(ctx, remoting.NewRequest(code, ext, body))
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}

	t.Run("running info", func(t *testing.T) {
		resp := call(protocol.ReqGetConsumerRunningInfo, map[string]string{"consumerGroup": "sr", "clientId": c.ClientID(), "jstackEnable": "true"}, nil)
		if resp.Code != protocol.RespSuccess {
			t.Fatalf("%d %s", resp.Code, resp.Remark)
		}
		var info struct {
			Jstack          string                      `json:"jstack"`
			MQTable         map[string]processQueueInfo `json:"mqTable"`
			Properties      map[string]string           `json:"properties"`
			SubscriptionSet []protocol.SubscriptionData `json:"subscriptionSet"`
		}
		if err := protocol.DecodeJSON(resp.Body, &info); err != nil {
			t.Fatalf("%v\n%s", err, resp.Body)
		}
		if info.Properties["PROP_CONSUME_TYPE"] != "CONSUME_PASSIVELY" || info.Properties["PROP_CONSUMEORDERLY"] != "false" {
			t.Errorf("properties %v", info.Properties)
		}
		if len(info.MQTable) < 2 || len(info.SubscriptionSet) != 2 || info.Jstack == "" {
			t.Errorf("mqTable %v, %d subscriptions, jstack %d bytes", info.MQTable, len(info.SubscriptionSet), len(info.Jstack))
		}
		for k, v := range info.MQTable {
			var mq protocol.MessageQueue
			if err := json.Unmarshal([]byte(k), &mq); err != nil || mq.Topic == "" {
				t.Errorf("key %q is not a queue: %v", k, err)
			}
			if mq.Topic == "T" && v.CommitOffset != 5 {
				t.Errorf("%s commit offset %d, want 5", k, v.CommitOffset)
			}
		}
		if resp := call(protocol.ReqGetConsumerRunningInfo, map[string]string{"consumerGroup": "other", "clientId": "x"}, nil); resp.Code != protocol.RespSystemError {
			t.Errorf("another group's request answered %d", resp.Code)
		}
	})

	t.Run("consume directly", func(t *testing.T) {
		rec, err := protocol.EncodeMessageExt(&protocol.MessageExt{Message: protocol.Message{Topic: "T", Body: []byte("direct")}})
		if err != nil {
			t.Fatal(err)
		}
		resp := call(protocol.ReqConsumeMessageDirectly, map[string]string{"consumerGroup": "sr", "clientId": c.ClientID(), "msgId": "X"}, rec)
		var res consumeDirectlyResult
		if err := protocol.DecodeJSON(resp.Body, &res); err != nil || res.ConsumeResult != "CR_SUCCESS" || !res.AutoCommit || res.Order {
			t.Fatalf("%+v %v (%s)", res, err, resp.Remark)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(direct) != 1 || direct[0] != "T" {
			t.Errorf("listener saw %v", direct)
		}
		if resp := call(protocol.ReqConsumeMessageDirectly, map[string]string{"consumerGroup": "sr"}, []byte{1, 2, 3}); resp.Code != protocol.RespSystemError {
			t.Errorf("a broken message answered %d", resp.Code)
		}
	})

	t.Run("consumer status", func(t *testing.T) {
		resp := call(protocol.ReqGetConsumerStatusFromClient, map[string]string{"topic": "T", "group": "sr"}, nil)
		table, err := decodeQueueOffsets(resp.Body, "messageQueueTable")
		if err != nil || table[MessageQueue{"T", "broker-a", 0}] != 5 {
			t.Fatalf("%v %v\n%s", table, err, resp.Body)
		}
	})

	t.Run("reset offsets", func(t *testing.T) {
		// fastjson's form: queues as unquoted object keys.
		body := `{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:2,{"brokerName":"broker-a","queueId":1,"topic":"T"}:3}}`
		req := remoting.NewRequest(protocol.ReqResetConsumerClientOffset, map[string]string{
			"topic": "T", "group": "sr", "timestamp": strconv.FormatInt(time.Now().UnixMilli(), 10), "isForce": "true",
		}, []byte(body))
		if err := conn.InvokeOneway(req); err != nil {
			t.Fatal(err)
		}
		// Queue 0 is read again from offset 2 and queue 1 from 3: 3 + 2
		// messages come a second time.
		waitFor(t, "the rewound messages", 10*time.Second, func() bool {
			got.mu.Lock()
			defer got.mu.Unlock()
			return len(got.msgs) == 15
		})
		got.mu.Lock()
		defer got.mu.Unlock()
		again := map[string]bool{}
		for _, m := range got.msgs[10:] {
			again[fmt.Sprintf("%d@%d", m.QueueID, m.QueueOffset)] = true
		}
		for _, want := range []string{"0@2", "0@3", "0@4", "1@3", "1@4"} {
			if !again[want] {
				t.Errorf("message %s not consumed again: %v", want, again)
			}
		}
	})
}
