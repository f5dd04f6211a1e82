package protocol

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Message property names (upstream MessageConst, plus the Go client's own).
const (
	PropertyKeys                           = "KEYS" // space-separated business keys, indexed by the broker
	PropertyTags                           = "TAGS" // tag; its Java hash is the consume-queue tagsCode
	PropertyWaitStoreMsgOK                 = "WAIT" // absent or "true" (any case): wait for flush/replication
	PropertyDelayTimeLevel                 = "DELAY"
	PropertyRetryTopic                     = "RETRY_TOPIC"
	PropertyRealTopic                      = "REAL_TOPIC"
	PropertyRealQueueID                    = "REAL_QID"
	PropertyTransactionPrepared            = "TRAN_MSG"
	PropertyProducerGroup                  = "PGROUP"
	PropertyMinOffset                      = "MIN_OFFSET"
	PropertyMaxOffset                      = "MAX_OFFSET"
	PropertyBuyerID                        = "BUYER_ID"
	PropertyOriginMessageID                = "ORIGIN_MESSAGE_ID"
	PropertyTransferFlag                   = "TRANSFER_FLAG"
	PropertyCorrectionFlag                 = "CORRECTION_FLAG"
	PropertyMQ2Flag                        = "MQ2_FLAG"
	PropertyReconsumeTime                  = "RECONSUME_TIME"
	PropertyMsgRegion                      = "MSG_REGION"
	PropertyTraceSwitch                    = "TRACE_ON"
	PropertyUniqClientMessageID            = "UNIQ_KEY" // client message id, see UniqIDGenerator
	PropertyMaxReconsumeTimes              = "MAX_RECONSUME_TIMES"
	PropertyConsumeStartTimestamp          = "CONSUME_START_TIME"
	PropertyTransactionPreparedQueueOffset = "TRAN_PREPARED_QUEUE_OFFSET"
	PropertyTransactionCheckTimes          = "TRANSACTION_CHECK_TIMES"
	PropertyCheckImmunityTimeInSeconds     = "CHECK_IMMUNITY_TIME_IN_SECONDS"
	PropertyInstanceID                     = "INSTANCE_ID"
	PropertyCorrelationID                  = "CORRELATION_ID"
	PropertyMessageReplyToClient           = "REPLY_TO_CLIENT"
	PropertyMessageTTL                     = "TTL"
	PropertyReplyMessageArriveTime         = "ARRIVE_TIME"
	PropertyPushReplyTime                  = "PUSH_REPLY_TIME"
	PropertyCluster                        = "CLUSTER" // added by the broker to every stored message
	PropertyMessageType                    = "MSG_TYPE"
	PropertyInnerMultiDispatch             = "INNER_MULTI_DISPATCH"
	PropertyInnerMultiQueueOffset          = "INNER_MULTI_QUEUE_OFFSET"

	// Written by clients newer than 4.x or by the Go client; a 4.x broker
	// stores them untouched.
	PropertyTransactionID    = "__transactionId__"
	PropertyShardingKey      = "SHARDING_KEY"       // Go client
	PropertyShardingKeyV5    = "__SHARDINGKEY"      // 5.x Java client
	PropertyStartDeliverTime = "__STARTDELIVERTIME" // ONS/openmessaging scheduled time; ignored by 4.x brokers
	PropertyTimerDeliverMS   = "TIMER_DELIVER_MS"   // 5.x timer message; ignored by 4.x brokers
	PropertyTimerDelaySec    = "TIMER_DELAY_SEC"    // 5.x
	PropertyTimerDelayMS     = "TIMER_DELAY_MS"     // 5.x
	PropertyCRC32            = "__CRC32#"           // 5.2+ optional record CRC
)

// MessageTypeReply is the MSG_TYPE value of a request/reply answer.
const MessageTypeReply = "reply"

// KeySeparator separates the keys inside the KEYS property.
const KeySeparator = " "

// Separators of the properties string: name 0x01 value 0x02 name 0x01 value ...
const (
	NameValueSeparator = '\x01'
	PropertySeparator  = '\x02'
)

// MaxPropertiesSize is the largest encoded properties string a record can
// hold: its length is a signed 16-bit field.
const MaxPropertiesSize = 32767

// storable reports whether a pair survives an encode/parse round trip:
// parsers drop empty names and values, and split on the separators.
func storable(name, value string) bool {
	return name != "" && value != "" &&
		strings.IndexByte(name, NameValueSeparator) < 0 &&
		strings.IndexByte(name, PropertySeparator) < 0 &&
		strings.IndexByte(value, PropertySeparator) < 0
}

// CheckProperty says why a pair cannot be stored, or returns nil.
// The encoders skip such pairs; callers that want to refuse them call this.
func CheckProperty(name, value string) error {
	switch {
	case name == "":
		return fmt.Errorf("property with value %q has an empty name", value)
	case value == "":
		return fmt.Errorf("property %q has an empty value", name)
	case strings.IndexByte(name, NameValueSeparator) >= 0 || strings.IndexByte(name, PropertySeparator) >= 0:
		return fmt.Errorf("property name %q contains a separator byte (0x01 or 0x02)", name)
	case strings.IndexByte(value, PropertySeparator) >= 0:
		return fmt.Errorf("property %q value contains the separator byte 0x02", name)
	}
	return nil
}

// sortedNames returns the storable names of props in order, using buf when
// it is large enough (so small maps encode without allocating).
func sortedNames(props map[string]string, buf []string) []string {
	names := buf[:0]
	for k, v := range props {
		if storable(k, v) {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names
}

// PropertiesSize is the byte length AppendProperties produces for props.
func PropertiesSize(props map[string]string) int {
	n := 0
	for k, v := range props {
		if storable(k, v) {
			n += len(k) + len(v) + 2
		}
	}
	if n > 0 {
		n-- // no separator after the last pair
	}
	return n
}

// AppendProperties appends props in the form 4.9.1+ brokers and Java
// clients write: name 0x01 value, pairs joined by 0x02, no trailing 0x02.
// Names are sorted so the output is deterministic. Pairs CheckProperty
// refuses are skipped, since no reader could get them back.
func AppendProperties(dst []byte, props map[string]string) []byte {
	var buf [16]string
	first := true
	for _, k := range sortedNames(props, buf[:]) {
		if !first {
			dst = append(dst, PropertySeparator)
		}
		first = false
		dst = append(dst, k...)
		dst = append(dst, NameValueSeparator)
		dst = append(dst, props[k]...)
	}
	return dst
}

// EncodeProperties is AppendProperties into a new string.
func EncodeProperties(props map[string]string) string {
	return string(AppendProperties(make([]byte, 0, PropertiesSize(props)), props))
}

// AppendProperty adds one pair to an encoded properties string, putting a
// separator first unless dst is empty or already ends with one (the pre-4.9.1
// form). The broker uses the same rule when it merges batch-level properties.
func AppendProperty(dst []byte, name, value string) []byte {
	if len(dst) > 0 && dst[len(dst)-1] != PropertySeparator {
		dst = append(dst, PropertySeparator)
	}
	dst = append(dst, name...)
	dst = append(dst, NameValueSeparator)
	return append(dst, value...)
}

// ParseProperties decodes a properties string. It accepts both the
// pre-4.9.1 form (a trailing 0x02) and the current one, and skips what Java
// skips: pieces with no 0x01, an empty name or an empty value. A repeated
// name keeps its last value. The value is everything after the first 0x01.
// It returns nil when there are no pairs. All keys and values share one
// string allocation.
func ParseProperties(b []byte) map[string]string {
	if len(b) == 0 {
		return nil
	}
	return ParsePropertiesString(string(b))
}

// ParsePropertiesString is ParseProperties for a string; keys and values are
// substrings of s.
func ParsePropertiesString(s string) map[string]string {
	var m map[string]string
	for len(s) > 0 {
		piece := s
		if i := strings.IndexByte(s, PropertySeparator); i >= 0 {
			piece, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		name, value, ok := strings.Cut(piece, string(NameValueSeparator))
		if !ok || name == "" || value == "" {
			continue
		}
		if m == nil {
			m = make(map[string]string, 1+strings.Count(s, string(PropertySeparator)))
		}
		m[name] = value
	}
	return m
}

// LookupProperty finds name in an encoded properties string without
// allocating; the result aliases b. Like ParseProperties, the last
// well-formed pair with that name wins.
func LookupProperty(b []byte, name string) (value []byte, ok bool) {
	if name == "" || strings.IndexByte(name, NameValueSeparator) >= 0 || strings.IndexByte(name, PropertySeparator) >= 0 {
		return nil, false // no stored pair can have such a name
	}
	for len(b) > 0 {
		piece := b
		if i := bytes.IndexByte(b, PropertySeparator); i >= 0 {
			piece, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(piece) <= len(name)+1 || piece[len(name)] != NameValueSeparator || string(piece[:len(name)]) != name {
			continue
		}
		value, ok = piece[len(name)+1:], true
	}
	return value, ok
}
