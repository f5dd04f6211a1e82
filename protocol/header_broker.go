package protocol

import "strconv"

// Broker request and response headers other than send (extFields keys as
// upstream's header classes name them).

// Pull request sysFlag bits (upstream PullSysFlag).
const (
	PullFlagCommitOffset = 0x1 // store commitOffset for the queue
	PullFlagSuspend      = 0x2 // the broker may hold the request (long polling)
	PullFlagSubscription = 0x4 // subscription/expressionType are in the request
	PullFlagClassFilter  = 0x8 // obsolete filter servers
	PullFlagLitePull     = 0x10
)

// Expression types of a subscription.
const (
	ExpressionTypeTag   = "TAG"
	ExpressionTypeSQL92 = "SQL92"
)

// SubAll is the subscription expression that matches every message.
const SubAll = "*"

// PullMessageRequestHeader is the header of PULL_MESSAGE (11).
type PullMessageRequestHeader struct {
	ConsumerGroup        string `ext:"consumerGroup,required"`
	Topic                string `ext:"topic,required"`
	QueueID              int32  `ext:"queueId,required"`
	QueueOffset          int64  `ext:"queueOffset,required"`
	MaxMsgNums           int32  `ext:"maxMsgNums,required"`
	SysFlag              int32  `ext:"sysFlag,required"`
	CommitOffset         int64  `ext:"commitOffset,required"`
	SuspendTimeoutMillis int64  `ext:"suspendTimeoutMillis,required"`
	Subscription         string `ext:"subscription"`
	SubVersion           int64  `ext:"subVersion,required"`
	ExpressionType       string `ext:"expressionType"`
	BrokerName           string `ext:"bname,omitempty"`
}

// PullMessageResponseHeader is the header of every PULL_MESSAGE reply.
type PullMessageResponseHeader struct {
	SuggestWhichBrokerID int64 `ext:"suggestWhichBrokerId,required"`
	NextBeginOffset      int64 `ext:"nextBeginOffset,required"`
	MinOffset            int64 `ext:"minOffset,required"`
	MaxOffset            int64 `ext:"maxOffset,required"`
}

// Encode returns the extFields of the reply, written by hand (hot path).
func (h *PullMessageResponseHeader) Encode() map[string]string {
	return map[string]string{
		"suggestWhichBrokerId": strconv.FormatInt(h.SuggestWhichBrokerID, 10),
		"nextBeginOffset":      strconv.FormatInt(h.NextBeginOffset, 10),
		"minOffset":            strconv.FormatInt(h.MinOffset, 10),
		"maxOffset":            strconv.FormatInt(h.MaxOffset, 10),
	}
}

// QueryConsumerOffsetRequestHeader is the header of QUERY_CONSUMER_OFFSET (14).
type QueryConsumerOffsetRequestHeader struct {
	ConsumerGroup string `ext:"consumerGroup,required"`
	Topic         string `ext:"topic,required"`
	QueueID       int32  `ext:"queueId,required"`
}

// UpdateConsumerOffsetRequestHeader is the header of UPDATE_CONSUMER_OFFSET (15).
type UpdateConsumerOffsetRequestHeader struct {
	ConsumerGroup string `ext:"consumerGroup,required"`
	Topic         string `ext:"topic,required"`
	QueueID       int32  `ext:"queueId,required"`
	CommitOffset  int64  `ext:"commitOffset,required"`
}

// QueueRequestHeader names one queue: GET_MAX_OFFSET (30), GET_MIN_OFFSET
// (31) and GET_EARLIEST_MSG_STORETIME (32).
type QueueRequestHeader struct {
	Topic   string `ext:"topic,required"`
	QueueID int32  `ext:"queueId,required"`
}

// SearchOffsetRequestHeader is the header of SEARCH_OFFSET_BY_TIMESTAMP (29).
type SearchOffsetRequestHeader struct {
	Topic     string `ext:"topic,required"`
	QueueID   int32  `ext:"queueId,required"`
	Timestamp int64  `ext:"timestamp,required"`
}

// OffsetResponseHeader carries one offset: the reply of
// QUERY_CONSUMER_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP, GET_MAX_OFFSET and
// GET_MIN_OFFSET.
type OffsetResponseHeader struct {
	Offset int64 `ext:"offset,required"`
}

// TimestampResponseHeader is the reply of GET_EARLIEST_MSG_STORETIME.
type TimestampResponseHeader struct {
	Timestamp int64 `ext:"timestamp,required"`
}

// ViewMessageRequestHeader is the header of VIEW_MESSAGE_BY_ID (33): the
// commit-log offset taken from an offset message id.
type ViewMessageRequestHeader struct {
	Offset int64 `ext:"offset,required"`
}

// QueryMessageRequestHeader is the header of QUERY_MESSAGE (12).
type QueryMessageRequestHeader struct {
	Topic          string `ext:"topic,required"`
	Key            string `ext:"key,required"`
	MaxNum         int32  `ext:"maxNum,required"`
	BeginTimestamp int64  `ext:"beginTimestamp,required"`
	EndTimestamp   int64  `ext:"endTimestamp,required"`
	// UniqueKeyQuery is the extra `_UNIQUE_KEY_QUERY` field: Key is a UNIQ_KEY.
	UniqueKeyQuery bool `ext:"_UNIQUE_KEY_QUERY"`
}

// QueryMessageResponseHeader is the header of the QUERY_MESSAGE reply.
type QueryMessageResponseHeader struct {
	IndexLastUpdateTimestamp int64 `ext:"indexLastUpdateTimestamp,required"`
	IndexLastUpdatePhyoffset int64 `ext:"indexLastUpdatePhyoffset,required"`
}

// UnregisterClientRequestHeader is the header of UNREGISTER_CLIENT (35).
type UnregisterClientRequestHeader struct {
	ClientID      string `ext:"clientID,required"`
	ProducerGroup string `ext:"producerGroup"`
	ConsumerGroup string `ext:"consumerGroup"`
}

// ConsumerGroupHeader names a consumer group: GET_CONSUMER_LIST_BY_GROUP
// (38), NOTIFY_CONSUMER_IDS_CHANGED (40), GET_CONSUMER_CONNECTION_LIST (203).
type ConsumerGroupHeader struct {
	ConsumerGroup string `ext:"consumerGroup,required"`
}

// ProducerGroupHeader is the header of GET_PRODUCER_CONNECTION_LIST (204).
type ProducerGroupHeader struct {
	ProducerGroup string `ext:"producerGroup,required"`
}

// GetConsumerRunningInfoRequestHeader is the header of
// GET_CONSUMER_RUNNING_INFO (307), from an admin tool to the broker and
// relayed by the broker to the client.
type GetConsumerRunningInfoRequestHeader struct {
	ConsumerGroup string `ext:"consumerGroup,required"`
	ClientID      string `ext:"clientId,required"`
	JstackEnable  bool   `ext:"jstackEnable"`
}

// CreateTopicRequestHeader is the header of UPDATE_AND_CREATE_TOPIC (17).
type CreateTopicRequestHeader struct {
	Topic           string `ext:"topic,required"`
	DefaultTopic    string `ext:"defaultTopic,required"`
	ReadQueueNums   int32  `ext:"readQueueNums,required"`
	WriteQueueNums  int32  `ext:"writeQueueNums,required"`
	Perm            int32  `ext:"perm,required"`
	TopicFilterType string `ext:"topicFilterType,required"`
	TopicSysFlag    int32  `ext:"topicSysFlag"`
	Order           bool   `ext:"order,required"`
}

// TopicRequestHeader names a topic: DELETE_TOPIC_IN_BROKER (215),
// GET_TOPIC_STATS_INFO (202), QUERY_TOPIC_CONSUME_BY_WHO (300).
type TopicRequestHeader struct {
	Topic string `ext:"topic,required"`
}

// DeleteSubscriptionGroupRequestHeader is the header of
// DELETE_SUBSCRIPTIONGROUP (207).
type DeleteSubscriptionGroupRequestHeader struct {
	GroupName    string `ext:"groupName,required"`
	RemoveOffset bool   `ext:"removeOffset"`
}

// GetConsumeStatsRequestHeader is the header of GET_CONSUME_STATS (208).
type GetConsumeStatsRequestHeader struct {
	ConsumerGroup string `ext:"consumerGroup,required"`
	Topic         string `ext:"topic"`
}

// GetBrokerConfigResponseHeader is the header of the GET_BROKER_CONFIG
// reply: the config DataVersion as JSON text.
type GetBrokerConfigResponseHeader struct {
	Version string `ext:"version,required"`
}
