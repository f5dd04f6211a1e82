package client

import (
	"testing"
)

// FuzzAdminReplies feeds arbitrary bytes to the decoders of admin replies
// that are not plain protocol bodies: they must fail cleanly, never panic.
func FuzzAdminReplies(f *testing.F) {
	f.Add([]byte(`{"brokerAddr":"127.0.0.1:10911","consumeStatsList":[{"g":[{"consumeTps":0.0,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"brokerOffset":2,"consumerOffset":1,"lastTimestamp":5}}}]}],"totalDiff":1}`))
	f.Add([]byte(`{"consumerTable":{"c@1":{{"brokerName":"b","queueId":1,"topic":"t"}:7}},"messageQueueTable":{}}`))
	f.Add([]byte(`{"offsetTable":{{"brokerName":"b","queueId":3,"topic":"t"}:9}}`))
	f.Add([]byte(`{"consumerTable":{"c":{"x":1}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if groups, _, err := decodeBrokerConsumeStats(body); err == nil {
			for _, g := range groups {
				for _, cs := range g.Stats {
					if cs == nil {
						t.Fatal("nil stats without an error")
					}
				}
			}
		}
		if st, err := decodeConsumerStatus(body); err == nil {
			for id, m := range st {
				if m == nil {
					t.Fatalf("client %q: nil table without an error", id)
				}
			}
		}
		_, _ = decodeQueueOffsets(body, "offsetTable")
	})
}

func TestDecodeAdminReplies(t *testing.T) {
	groups, total, err := decodeBrokerConsumeStats([]byte(`{"brokerAddr":"a","consumeStatsList":[{"g":[{"consumeTps":0.5,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"brokerOffset":2,"consumerOffset":1,"lastTimestamp":5}}}]}],"totalDiff":1}`))
	if err != nil || total != 1 || len(groups) != 1 || groups[0].Group != "g" || len(groups[0].Stats) != 1 {
		t.Fatalf("broker consume stats: %+v %d %v", groups, total, err)
	}
	for mq, w := range groups[0].Stats[0].OffsetTable {
		if mq.Topic != "t" || mq.BrokerName != "b" || w.BrokerOffset != 2 || w.ConsumerOffset != 1 || w.LastTimestamp != 5 {
			t.Errorf("offset table entry %+v %+v", mq, w)
		}
	}
	st, err := decodeConsumerStatus([]byte(`{"consumerTable":{"c@1":{{"brokerName":"b","queueId":1,"topic":"t"}:7}},"messageQueueTable":{}}`))
	if err != nil || st["c@1"][MessageQueue{Topic: "t", BrokerName: "b", QueueID: 1}] != 7 {
		t.Fatalf("consumer status: %+v %v", st, err)
	}
	if _, err := decodeConsumerStatus([]byte(`{"consumerTable":{"c":{"not a queue":1}}}`)); err == nil {
		t.Error("a key that is not a queue decoded")
	}
}
