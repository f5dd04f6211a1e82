package protocol

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// Statistics bodies keyed by MessageQueue. fastjson writes such maps with
// the key object itself as the key, unquoted:
//
//	{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"t"}:{"maxOffset":5,...}}}
//
// and the Java admin tools expect that form, so these bodies are encoded
// by hand. Decoding goes through NormalizeJSON, which turns each key into
// a string holding the object's text.

// TopicOffset is one queue's entry in TopicStatsTable.
type TopicOffset struct {
	LastUpdateTimestamp int64 `json:"lastUpdateTimestamp"` // store time of the last message
	MaxOffset           int64 `json:"maxOffset"`
	MinOffset           int64 `json:"minOffset"`
}

// TopicStatsTable is the GET_TOPIC_STATS_INFO reply body.
type TopicStatsTable struct {
	OffsetTable map[MessageQueue]TopicOffset
}

// OffsetWrapper is one queue's entry in ConsumeStats.
type OffsetWrapper struct {
	BrokerOffset   int64 `json:"brokerOffset"`
	ConsumerOffset int64 `json:"consumerOffset"`
	LastTimestamp  int64 `json:"lastTimestamp"` // store time of the last consumed message
}

// ConsumeStats is the GET_CONSUME_STATS reply body.
type ConsumeStats struct {
	ConsumeTps  float64
	OffsetTable map[MessageQueue]OffsetWrapper
}

// Encode writes the body in fastjson's form.
func (t *TopicStatsTable) Encode() []byte {
	b := []byte(`{"offsetTable":`)
	b = appendMQMap(b, t.OffsetTable)
	return append(b, '}')
}

// Encode writes the body in fastjson's form.
func (s *ConsumeStats) Encode() []byte {
	tps, _ := json.Marshal(s.ConsumeTps)
	b := append([]byte(`{"consumeTps":`), tps...)
	b = append(b, `,"offsetTable":`...)
	b = appendMQMap(b, s.OffsetTable)
	return append(b, '}')
}

// DecodeTopicStatsTable decodes a GET_TOPIC_STATS_INFO body.
func DecodeTopicStatsTable(data []byte) (*TopicStatsTable, error) {
	var raw struct {
		OffsetTable map[string]TopicOffset `json:"offsetTable"`
	}
	if err := DecodeJSON(data, &raw); err != nil {
		return nil, fmt.Errorf("decode TopicStatsTable: %w", err)
	}
	m, err := mqKeys(raw.OffsetTable)
	if err != nil {
		return nil, fmt.Errorf("decode TopicStatsTable: %w", err)
	}
	return &TopicStatsTable{OffsetTable: m}, nil
}

// DecodeConsumeStats decodes a GET_CONSUME_STATS body.
func DecodeConsumeStats(data []byte) (*ConsumeStats, error) {
	var raw struct {
		ConsumeTps  float64                  `json:"consumeTps"`
		OffsetTable map[string]OffsetWrapper `json:"offsetTable"`
	}
	if err := DecodeJSON(data, &raw); err != nil {
		return nil, fmt.Errorf("decode ConsumeStats: %w", err)
	}
	m, err := mqKeys(raw.OffsetTable)
	if err != nil {
		return nil, fmt.Errorf("decode ConsumeStats: %w", err)
	}
	return &ConsumeStats{ConsumeTps: raw.ConsumeTps, OffsetTable: m}, nil
}

func compareMQ(a, b MessageQueue) int {
	return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.BrokerName, b.BrokerName), cmp.Compare(a.QueueID, b.QueueID))
}

// appendMQMap writes m with bare MessageQueue keys, sorted.
func appendMQMap[V any](b []byte, m map[MessageQueue]V) []byte {
	b = append(b, '{')
	for i, mq := range slices.SortedFunc(maps.Keys(m), compareMQ) {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := jsonMarshal(mq) // strings and an int32 cannot fail
		v, _ := jsonMarshal(m[mq])
		b = append(b, k...)
		b = append(b, ':')
		b = append(b, v...)
	}
	return append(b, '}')
}

// mqKeys parses map keys that hold MessageQueue objects as text.
func mqKeys[V any](in map[string]V) (map[MessageQueue]V, error) {
	out := make(map[MessageQueue]V, len(in))
	for k, v := range in {
		var mq MessageQueue
		if err := json.Unmarshal([]byte(k), &mq); err != nil {
			return nil, fmt.Errorf("offsetTable key %q is not a MessageQueue: %w", truncate(k, 100), err)
		}
		out[mq] = v
	}
	return out, nil
}
