package protocol

import "strings"

// Built-in topic names (upstream TopicValidator and MixAll).
const (
	// TopicAutoCreate is the template for topics created on first send
	// (autoCreateTopicEnable); it carries the inherit permission bit.
	TopicAutoCreate        = "TBW102"
	TopicSchedule          = "SCHEDULE_TOPIC_XXXX" // delay queues
	TopicBenchmark         = "BenchmarkTest"
	TopicTransHalf         = "RMQ_SYS_TRANS_HALF_TOPIC"
	TopicTrace             = "RMQ_SYS_TRACE_TOPIC"
	TopicTransOpHalf       = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
	TopicTransCheckMaxTime = "TRANS_CHECK_MAX_TIME_TOPIC"
	TopicSelfTest          = "SELF_TEST_TOPIC"
	TopicOffsetMovedEvent  = "OFFSET_MOVED_EVENT"
	SystemTopicPrefix      = "rmq_sys_"
	RetryTopicPrefix       = "%RETRY%"
	DLQTopicPrefix         = "%DLQ%"
	ReplyTopicSuffix       = "_REPLY_TOPIC" // <cluster>_REPLY_TOPIC
	TopicMaxLength         = 127
)

// Well-known group names.
const (
	GroupDefaultProducer     = "DEFAULT_PRODUCER"
	GroupDefaultConsumer     = "DEFAULT_CONSUMER"
	GroupToolsConsumer       = "TOOLS_CONSUMER"
	GroupClientInnerProducer = "CLIENT_INNER_PRODUCER"
	GroupScheduleConsumer    = "SCHEDULE_CONSUMER"
	GroupTransCheck          = "CID_RMQ_SYS_TRANS"
	GroupSelfTestProducer    = "SELF_TEST_P_GROUP"
	GroupSelfTestConsumer    = "SELF_TEST_C_GROUP"
)

var systemTopics = map[string]bool{
	TopicAutoCreate: true, TopicSchedule: true, TopicBenchmark: true, TopicTransHalf: true,
	TopicTrace: true, TopicTransOpHalf: true, TopicTransCheckMaxTime: true, TopicSelfTest: true,
	TopicOffsetMovedEvent: true,
}

var notAllowedSendTopics = map[string]bool{
	TopicSchedule: true, TopicTransHalf: true, TopicTransOpHalf: true,
	TopicTransCheckMaxTime: true, TopicSelfTest: true, TopicOffsetMovedEvent: true,
}

// IsSystemTopic reports whether topic is one of the fixed system topics or
// starts with "rmq_sys_". A broker also treats its cluster name, broker name
// and <cluster>_REPLY_TOPIC as system topics; it checks those itself.
func IsSystemTopic(topic string) bool {
	return systemTopics[topic] || strings.HasPrefix(topic, SystemTopicPrefix)
}

// IsNotAllowedSendTopic reports whether producers may not send to topic.
func IsNotAllowedSendTopic(topic string) bool { return notAllowedSendTopics[topic] }

// RetryTopic returns the retry topic of a consumer group.
func RetryTopic(group string) string { return RetryTopicPrefix + group }

// DLQTopic returns the dead-letter topic of a consumer group.
func DLQTopic(group string) string { return DLQTopicPrefix + group }

// ValidateTopicName returns "" when name is a legal topic name, or the
// remark a Java broker answers with (code SYSTEM_ERROR) when it is not:
// 1..127 characters from [%|a-zA-Z0-9_-].
func ValidateTopicName(name string) string {
	if strings.TrimSpace(name) == "" {
		return "The specified topic is blank."
	}
	for i := 0; i < len(name); i++ {
		if !validTopicChar(name[i]) {
			return "The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$"
		}
	}
	if len(name) > TopicMaxLength {
		return "The specified topic is longer than topic max length."
	}
	return ""
}

func validTopicChar(c byte) bool {
	return c == '%' || c == '|' || c == '_' || c == '-' ||
		(c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}
