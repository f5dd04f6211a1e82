package broker

import (
	"testing"

	"github.com/rocketgo/rocketgo/protocol"
)

// FuzzConsumerQueueTable feeds arbitrary consumer answers to
// GET_CONSUMER_STATUS_FROM_CLIENT to the broker's decoder, and checks that
// what decodes encodes back to the same table.
func FuzzConsumerQueueTable(f *testing.F) {
	f.Add([]byte(`{"consumerTable":{},"messageQueueTable":{{"brokerName":"b","queueId":1,"topic":"t"}:7}}`))
	f.Add([]byte(`{"messageQueueTable":{"x":1}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		table, err := decodeConsumerQueueTable(body)
		if err != nil {
			return
		}
		enc, err := appendQueueOffsets(nil, table)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeConsumerQueueTable(append(append([]byte(`{"messageQueueTable":`), enc...), '}'))
		if err != nil {
			t.Fatalf("re-decode %s: %v", enc, err)
		}
		if len(again) != len(table) {
			t.Fatalf("round trip: %v became %v", table, again)
		}
		for mq, off := range table {
			if again[mq] != off {
				t.Fatalf("round trip of %+v: %d became %d", mq, off, again[mq])
			}
		}
	})
}

func TestConsumerQueueTable(t *testing.T) {
	table, err := decodeConsumerQueueTable([]byte(`{"consumerTable":{},"messageQueueTable":{{"brokerName":"b","queueId":1,"topic":"t"}:7}}`))
	if err != nil || table[protocol.MessageQueue{Topic: "t", BrokerName: "b", QueueID: 1}] != 7 || len(table) != 1 {
		t.Fatalf("%v %v", table, err)
	}
	body, err := encodeQueueOffsets(table)
	if err != nil || string(body) != `{"offsetTable":{{"brokerName":"b","queueId":1,"topic":"t"}:7}}` {
		t.Fatalf("encode: %s %v", body, err)
	}
}
