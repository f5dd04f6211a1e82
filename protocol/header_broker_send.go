package protocol

import (
	"fmt"
	"strconv"
)

// SendMessageRequestHeader is the header of SEND_MESSAGE (10) with its long
// keys; SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320) carry the same
// fields under the one-letter keys a..n (see DecodeSendMessageRequest).
type SendMessageRequestHeader struct {
	ProducerGroup         string `ext:"producerGroup,required"`
	Topic                 string `ext:"topic,required"`
	DefaultTopic          string `ext:"defaultTopic,required"`
	DefaultTopicQueueNums int32  `ext:"defaultTopicQueueNums,required"`
	QueueID               int32  `ext:"queueId,required"` // < 0: the broker picks
	SysFlag               int32  `ext:"sysFlag,required"`
	BornTimestamp         int64  `ext:"bornTimestamp,required"`
	Flag                  int32  `ext:"flag,required"`
	Properties            string `ext:"properties"`
	ReconsumeTimes        *int32 `ext:"reconsumeTimes"`
	UnitMode              bool   `ext:"unitMode"`
	Batch                 bool   `ext:"batch"`
	MaxReconsumeTimes     *int32 `ext:"maxReconsumeTimes"`
	BrokerName            string `ext:"bname,omitempty"` // 4.9.5+, informational
}

// sendKeys are the V1 and V2 keys of each send header field, in the order
// of the V2 letters.
var sendKeys = [...][2]string{
	{"producerGroup", "a"}, {"topic", "b"}, {"defaultTopic", "c"}, {"defaultTopicQueueNums", "d"},
	{"queueId", "e"}, {"sysFlag", "f"}, {"bornTimestamp", "g"}, {"flag", "h"}, {"properties", "i"},
	{"reconsumeTimes", "j"}, {"unitMode", "k"}, {"maxReconsumeTimes", "l"}, {"batch", "m"},
}

// DecodeSendMessageRequest reads a send header: long keys when v2 is false
// (SEND_MESSAGE), the letters a..m when true (SEND_MESSAGE_V2 and
// SEND_BATCH_MESSAGE). It is written out by hand because it runs for every
// message. Like Java's fast codec, absent fields stay zero; a value that
// does not parse is an error naming the key.
func DecodeSendMessageRequest(ext map[string]string, v2 bool) (SendMessageRequestHeader, error) {
	var h SendMessageRequestHeader
	col := 0
	if v2 {
		col = 1
	}
	get := func(i int) (string, string, bool) {
		k := sendKeys[i][col]
		v, ok := ext[k]
		return k, v, ok && v != ""
	}
	i32 := func(i int, dst *int32) error {
		k, v, ok := get(i)
		if !ok {
			return nil
		}
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return fmt.Errorf("header field %q: %w: %q is not a 32-bit integer", k, ErrBadHeaderValue, truncate(v, 64))
		}
		*dst = int32(n)
		return nil
	}
	_, h.ProducerGroup, _ = get(0)
	_, h.Topic, _ = get(1)
	_, h.DefaultTopic, _ = get(2)
	_, h.Properties, _ = get(8)
	for _, f := range []struct {
		i   int
		dst *int32
	}{{3, &h.DefaultTopicQueueNums}, {4, &h.QueueID}, {5, &h.SysFlag}, {7, &h.Flag}} {
		if err := i32(f.i, f.dst); err != nil {
			return h, err
		}
	}
	if k, v, ok := get(6); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return h, fmt.Errorf("header field %q: %w: %q is not a 64-bit integer", k, ErrBadHeaderValue, truncate(v, 64))
		}
		h.BornTimestamp = n
	}
	for _, f := range []struct {
		i   int
		dst **int32
	}{{9, &h.ReconsumeTimes}, {11, &h.MaxReconsumeTimes}} {
		if _, _, ok := get(f.i); ok {
			var n int32
			if err := i32(f.i, &n); err != nil {
				return h, err
			}
			*f.dst = &n
		}
	}
	_, unit, _ := get(10)
	h.UnitMode = unit == "true" || unit == "TRUE" || unit == "True"
	_, batch, _ := get(12)
	h.Batch = batch == "true" || batch == "TRUE" || batch == "True"
	if v2 {
		h.BrokerName = ext["n"]
	} else {
		h.BrokerName = ext["bname"]
	}
	return h, nil
}

// EncodeV2 returns the header under the one-letter keys of
// SEND_MESSAGE_V2, as a Java producer sends it.
func (h *SendMessageRequestHeader) EncodeV2() map[string]string {
	long := EncodeHeader(h)
	ext := make(map[string]string, len(long))
	for _, k := range sendKeys {
		if v, ok := long[k[0]]; ok {
			ext[k[1]] = v
		}
	}
	if h.BrokerName != "" {
		ext["n"] = h.BrokerName
	}
	return ext
}

// SendMessageResponseHeader is the header of a successful send reply.
// MsgID is the offset message id (comma-joined for a batch); the client
// takes the message id it shows from its own UNIQ_KEY.
type SendMessageResponseHeader struct {
	MsgID         string `ext:"msgId,required"`
	QueueID       int32  `ext:"queueId,required"`
	QueueOffset   int64  `ext:"queueOffset,required"`
	TransactionID string `ext:"transactionId,omitempty"`
	MsgRegion     string `ext:"MSG_REGION,omitempty"`
	TraceOn       string `ext:"TRACE_ON,omitempty"`
}

// Encode returns the extFields of the reply, written by hand (hot path).
func (h *SendMessageResponseHeader) Encode() map[string]string {
	ext := make(map[string]string, 6)
	ext["msgId"] = h.MsgID
	ext["queueId"] = strconv.FormatInt(int64(h.QueueID), 10)
	ext["queueOffset"] = strconv.FormatInt(h.QueueOffset, 10)
	if h.TransactionID != "" {
		ext["transactionId"] = h.TransactionID
	}
	if h.MsgRegion != "" {
		ext["MSG_REGION"] = h.MsgRegion
	}
	if h.TraceOn != "" {
		ext["TRACE_ON"] = h.TraceOn
	}
	return ext
}

// ConsumerSendMsgBackRequestHeader is the header of CONSUMER_SEND_MSG_BACK (36).
type ConsumerSendMsgBackRequestHeader struct {
	Offset            int64  `ext:"offset,required"`
	Group             string `ext:"group,required"`
	DelayLevel        int32  `ext:"delayLevel,required"`
	OriginMsgID       string `ext:"originMsgId"`
	OriginTopic       string `ext:"originTopic"`
	UnitMode          bool   `ext:"unitMode"`
	MaxReconsumeTimes *int32 `ext:"maxReconsumeTimes"`
}
