package protocol

import "fmt"

// KVNamespaceOrderTopicConfig is the KV namespace of global-order topics:
// key = topic, value = "brokerName:queueNum;brokerName:queueNum". The name
// server returns it to brokers on registration and, with
// orderMessageEnable, to clients in the route's orderTopicConf.
const KVNamespaceOrderTopicConfig = "ORDER_TOPIC_CONFIG"

// KVTable is a string map body: {"table":{"k":"v"}}. It carries a KV
// namespace, a broker's runtime info, and the registration reply.
type KVTable struct {
	Table map[string]string `json:"table"`
}

// Encode returns the JSON body.
func (t *KVTable) Encode() []byte {
	if t.Table == nil {
		return []byte(`{"table":{}}`)
	}
	b, _ := jsonMarshal(t) // a map of strings cannot fail
	return b
}

// DecodeKVTable decodes a KVTable body.
func DecodeKVTable(data []byte) (*KVTable, error) {
	var t KVTable
	if err := DecodeJSON(data, &t); err != nil {
		return nil, fmt.Errorf("decode KVTable: %w", err)
	}
	if t.Table == nil {
		t.Table = map[string]string{}
	}
	return &t, nil
}

// TopicList is a list of topic names: {"brokerAddr":"ip:port","topicList":[...]}.
// BrokerAddr is set only in the system topic list of a name server.
type TopicList struct {
	BrokerAddr string   `json:"brokerAddr,omitempty"`
	TopicList  []string `json:"topicList"`
}

// Encode returns the JSON body. Java holds the list in a HashSet, so its
// order means nothing; callers may sort it for stable output.
func (l *TopicList) Encode() []byte {
	dst := []byte{'{'}
	if l.BrokerAddr != "" {
		dst = append(dst, `"brokerAddr":`...)
		dst = jsonAppendString(dst, l.BrokerAddr)
		dst = append(dst, ',')
	}
	dst = append(dst, `"topicList":`...)
	dst = jsonAppendStrings(dst, l.TopicList)
	return append(dst, '}')
}

// DecodeTopicList decodes a TopicList body.
func DecodeTopicList(data []byte) (*TopicList, error) {
	var l TopicList
	if err := DecodeJSON(data, &l); err != nil {
		return nil, fmt.Errorf("decode TopicList: %w", err)
	}
	return &l, nil
}
