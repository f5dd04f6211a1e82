package client

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/rocketgo/rocketgo/protocol"
)

// Message is what a producer sends: topic, body, flag and properties (tags,
// keys, delay level and user properties are all properties).
type Message = protocol.Message

// MessageExt is a message as consumers receive it: the message plus where
// and when it was stored.
type MessageExt = protocol.MessageExt

// NewMessage returns a message for topic with the given tags ("" for none)
// and body, as upstream's new Message(topic, tags, body).
func NewMessage(topic, tags string, body []byte) *Message {
	m := &Message{Topic: topic, Body: body}
	if tags != "" {
		m.Properties = map[string]string{protocol.PropertyTags: tags}
	}
	return m
}

// SetKeys sets the message's business keys (the KEYS property, indexed by
// the broker for queries by key).
func SetKeys(m *Message, keys ...string) {
	m.SetProperty(protocol.PropertyKeys, strings.Join(keys, protocol.KeySeparator))
}

// SetDelayLevel asks the broker to deliver the message after the delay of
// the given level: 1..18 are 1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m
// 20m 30m 1h 2h with the default messageDelayLevel. 0 removes the delay.
func SetDelayLevel(m *Message, level int) {
	if level <= 0 {
		delete(m.Properties, protocol.PropertyDelayTimeLevel)
		return
	}
	m.SetProperty(protocol.PropertyDelayTimeLevel, strconv.Itoa(level))
}

// MessageQueue names one queue of a topic on one broker.
type MessageQueue struct {
	Topic      string
	BrokerName string
	QueueID    int32
}

// String prints the queue as upstream's MessageQueue.toString does; the
// consistent-hash strategy hashes this text.
func (q MessageQueue) String() string {
	return fmt.Sprintf("MessageQueue [topic=%s, brokerName=%s, queueId=%d]", q.Topic, q.BrokerName, q.QueueID)
}

// less orders queues by topic, broker name and queue id, as upstream's
// MessageQueue.compareTo.
func (q MessageQueue) less(o MessageQueue) bool {
	if q.Topic != o.Topic {
		return q.Topic < o.Topic
	}
	if q.BrokerName != o.BrokerName {
		return q.BrokerName < o.BrokerName
	}
	return q.QueueID < o.QueueID
}

func compareQueues(a, b MessageQueue) int {
	switch {
	case a.less(b):
		return -1
	case b.less(a):
		return 1
	}
	return 0
}

func (q MessageQueue) wire() protocol.MessageQueue {
	return protocol.MessageQueue{Topic: q.Topic, BrokerName: q.BrokerName, QueueID: q.QueueID}
}

func queueFromWire(w protocol.MessageQueue) MessageQueue {
	return MessageQueue{Topic: w.Topic, BrokerName: w.BrokerName, QueueID: w.QueueID}
}

// checkMessage applies upstream Validators.checkMessage: a valid topic that
// producers may send to, a non-empty body within maxSize.
func checkMessage(m *Message, maxSize int) error {
	if m == nil {
		return fmt.Errorf("client: message is nil")
	}
	if err := checkTopic(m.Topic); err != nil {
		return err
	}
	if protocol.IsNotAllowedSendTopic(m.Topic) {
		return fmt.Errorf("client: sending to topic %q is not allowed", m.Topic)
	}
	if len(m.Body) == 0 {
		return fmt.Errorf("client: message to %s has an empty body", m.Topic)
	}
	if len(m.Body) > maxSize {
		return fmt.Errorf("client: message body is %d bytes, over the %d-byte limit (MaxMessageSize)", len(m.Body), maxSize)
	}
	for k, v := range m.Properties {
		if err := protocol.CheckProperty(k, v); err != nil {
			return fmt.Errorf("client: message to %s: %w", m.Topic, err)
		}
	}
	return nil
}

func checkTopic(topic string) error {
	if topic == "" {
		return fmt.Errorf("client: topic is empty")
	}
	if why := protocol.ValidateTopicName(topic); why != "" {
		return fmt.Errorf("client: topic %q: %s", topic, why)
	}
	return nil
}

func sortQueues(qs []MessageQueue) { slices.SortFunc(qs, compareQueues) }
