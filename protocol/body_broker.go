package protocol

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// JSON bodies exchanged with a broker: heartbeats, consumer lists, queue
// locks, connection lists and subscription groups. Fields are declared in
// alphabetical order, as fastjson writes them.

// Consume types and message models of a consumer group (enum names).
const (
	ConsumeActively  = "CONSUME_ACTIVELY"  // pull consumer
	ConsumePassively = "CONSUME_PASSIVELY" // push consumer

	Clustering   = "CLUSTERING"
	Broadcasting = "BROADCASTING"
)

// CodeSet is a subscription's set of tag hash codes. Java writes numbers;
// rocketmq-client-go writes them as strings ("123"), so both are read.
type CodeSet []int32

// UnmarshalJSON accepts numbers and numeric strings.
func (c *CodeSet) UnmarshalJSON(data []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return fmt.Errorf("codeSet: %w", err)
	}
	out := make(CodeSet, 0, len(raw))
	for _, r := range raw {
		s := string(r)
		if len(s) >= 2 && s[0] == '"' {
			if err := json.Unmarshal(r, &s); err != nil {
				return fmt.Errorf("codeSet: %w", err)
			}
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("codeSet: %q is not a number", truncate(s, 64))
		}
		out = append(out, int32(n))
	}
	*c = out
	return nil
}

// SubscriptionData is one topic subscription of a consumer group.
type SubscriptionData struct {
	ClassFilterMode bool     `json:"classFilterMode"`
	CodeSet         CodeSet  `json:"codeSet"`
	ExpressionType  string   `json:"expressionType,omitempty"`
	SubString       string   `json:"subString"`
	SubVersion      int64    `json:"subVersion"`
	TagsSet         []string `json:"tagsSet"`
	Topic           string   `json:"topic"`
}

// ProducerData is one producer group in a heartbeat.
type ProducerData struct {
	GroupName string `json:"groupName"`
}

// ConsumerData is one consumer group in a heartbeat.
type ConsumerData struct {
	ConsumeFromWhere    string             `json:"consumeFromWhere"`
	ConsumeType         string             `json:"consumeType"`
	GroupName           string             `json:"groupName"`
	MessageModel        string             `json:"messageModel"`
	SubscriptionDataSet []SubscriptionData `json:"subscriptionDataSet"`
	UnitMode            bool               `json:"unitMode"`
}

// HeartbeatData is the HEART_BEAT body: the client's id and the producer
// and consumer groups it runs.
type HeartbeatData struct {
	ClientID        string         `json:"clientID"`
	ConsumerDataSet []ConsumerData `json:"consumerDataSet"`
	ProducerDataSet []ProducerData `json:"producerDataSet"`
}

// DecodeHeartbeatData decodes a HEART_BEAT body.
func DecodeHeartbeatData(data []byte) (*HeartbeatData, error) {
	var h HeartbeatData
	if err := DecodeJSON(data, &h); err != nil {
		return nil, fmt.Errorf("decode HeartbeatData: %w", err)
	}
	return &h, nil
}

// Encode returns the JSON body.
func (h *HeartbeatData) Encode() []byte {
	b, err := jsonMarshal(h)
	if err != nil {
		panic(err) // plain strings, numbers and slices cannot fail
	}
	return b
}

// ConsumerListBody is the GET_CONSUMER_LIST_BY_GROUP reply body.
type ConsumerListBody struct {
	ConsumerIDList []string `json:"consumerIdList"`
}

// MessageQueue names one queue of a topic on one broker.
type MessageQueue struct {
	BrokerName string `json:"brokerName"`
	QueueID    int32  `json:"queueId"`
	Topic      string `json:"topic"`
}

// LockBatchRequestBody is the body of LOCK_BATCH_MQ (41) and
// UNLOCK_BATCH_MQ (42).
type LockBatchRequestBody struct {
	ClientID       string         `json:"clientId"`
	ConsumerGroup  string         `json:"consumerGroup"`
	MQSet          []MessageQueue `json:"mqSet"`
	OnlyThisBroker bool           `json:"onlyThisBroker,omitempty"` // 5.x
}

// LockBatchResponseBody is the LOCK_BATCH_MQ reply body: the queues the
// caller now holds.
type LockBatchResponseBody struct {
	LockOKMQSet []MessageQueue `json:"lockOKMQSet"`
}

// Connection describes one client connection in a connection list.
type Connection struct {
	ClientAddr string `json:"clientAddr"`
	ClientID   string `json:"clientId"`
	Language   string `json:"language"`
	Version    int32  `json:"version"`
}

// ConsumerConnection is the GET_CONSUMER_CONNECTION_LIST reply body.
type ConsumerConnection struct {
	ConnectionSet     []Connection                `json:"connectionSet"`
	ConsumeFromWhere  string                      `json:"consumeFromWhere"`
	ConsumeType       string                      `json:"consumeType"`
	MessageModel      string                      `json:"messageModel"`
	SubscriptionTable map[string]SubscriptionData `json:"subscriptionTable"`
}

// ProducerConnection is the GET_PRODUCER_CONNECTION_LIST reply body.
type ProducerConnection struct {
	ConnectionSet []Connection `json:"connectionSet"`
}

// SubscriptionGroupConfig is a consumer group's broker-side settings.
type SubscriptionGroupConfig struct {
	BrokerID                       int64  `json:"brokerId"`
	ConsumeBroadcastEnable         bool   `json:"consumeBroadcastEnable"`
	ConsumeEnable                  bool   `json:"consumeEnable"`
	ConsumeFromMinEnable           bool   `json:"consumeFromMinEnable"`
	GroupName                      string `json:"groupName"`
	NotifyConsumerIdsChangedEnable bool   `json:"notifyConsumerIdsChangedEnable"`
	RetryMaxTimes                  int32  `json:"retryMaxTimes"`
	RetryQueueNums                 int32  `json:"retryQueueNums"`
	WhichBrokerWhenConsumeSlowly   int64  `json:"whichBrokerWhenConsumeSlowly"`
}

// NewSubscriptionGroupConfig returns a group config with upstream's defaults.
func NewSubscriptionGroupConfig(group string) SubscriptionGroupConfig {
	return SubscriptionGroupConfig{
		GroupName:                      group,
		ConsumeEnable:                  true,
		ConsumeFromMinEnable:           true,
		ConsumeBroadcastEnable:         true,
		RetryQueueNums:                 1,
		RetryMaxTimes:                  16,
		WhichBrokerWhenConsumeSlowly:   1,
		NotifyConsumerIdsChangedEnable: true,
	}
}

// UnmarshalJSON starts from the defaults, so absent keys keep them.
func (c *SubscriptionGroupConfig) UnmarshalJSON(data []byte) error {
	type plain SubscriptionGroupConfig
	p := plain(NewSubscriptionGroupConfig(""))
	if err := json.Unmarshal(data, &p); err != nil {
		return err
	}
	*c = SubscriptionGroupConfig(p)
	return nil
}

// SubscriptionGroupWrapper is the GET_ALL_SUBSCRIPTIONGROUP_CONFIG body and
// the content of subscriptionGroup.json.
type SubscriptionGroupWrapper struct {
	DataVersion            DataVersion                        `json:"dataVersion"`
	SubscriptionGroupTable map[string]SubscriptionGroupConfig `json:"subscriptionGroupTable"`
}

// ConsumerOffsetTable is the GET_ALL_CONSUMER_OFFSET body and the content of
// consumerOffset.json: "topic@group" -> queue id -> committed offset.
type ConsumerOffsetTable struct {
	OffsetTable map[string]map[int32]int64 `json:"offsetTable"`
}

// EncodeBody returns v as a JSON body the way the other bodies of this
// package are written (no HTML escaping, no trailing newline).
func EncodeBody(v any) ([]byte, error) { return jsonMarshal(v) }
