package broker

import (
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// handleTopicStats answers GET_TOPIC_STATS_INFO (mqadmin topicStatus):
// min, max and last store time of each write queue.
func (b *Broker) handleTopicStats(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.TopicRequestHeader
	if resp := decodeOrFail(req, &h); resp != nil {
		return resp, nil
	}
	tc, ok := b.topics.get(h.Topic)
	if !ok {
		return remoting.NewResponse(req, protocol.RespTopicNotExist, "topic["+h.Topic+"] not exist"), nil
	}
	t := protocol.TopicStatsTable{OffsetTable: map[protocol.MessageQueue]protocol.TopicOffset{}}
	for q := range tc.WriteQueueNums {
		mq := protocol.MessageQueue{Topic: h.Topic, BrokerName: b.conf().BrokerName, QueueID: q}
		o := protocol.TopicOffset{MinOffset: max(b.store.MinOffsetInQueue(h.Topic, q), 0), MaxOffset: max(b.store.MaxOffsetInQueue(h.Topic, q), 0)}
		if o.MaxOffset > 0 {
			o.LastUpdateTimestamp = b.store.MessageStoreTimeStamp(h.Topic, q, o.MaxOffset-1)
		}
		t.OffsetTable[mq] = o
	}
	resp := remoting.NewResponse(req, protocol.RespSuccess, "")
	resp.Body = t.Encode()
	return resp, nil
}

// handleConsumeStats answers GET_CONSUME_STATS (mqadmin consumerProgress):
// broker and committed offsets of each read queue of the topic, or of every
// topic the group has committed offsets for.
func (b *Broker) handleConsumeStats(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.GetConsumeStatsRequestHeader
	if resp := decodeOrFail(req, &h); resp != nil {
		return resp, nil
	}
	topics := []string{h.Topic}
	if h.Topic == "" {
		topics = b.offsets.topicsOfGroup(h.ConsumerGroup)
	}
	cs := protocol.ConsumeStats{OffsetTable: map[protocol.MessageQueue]protocol.OffsetWrapper{}}
	for _, topic := range topics {
		tc, ok := b.topics.get(topic)
		if !ok {
			continue
		}
		for q := range tc.ReadQueueNums {
			mq := protocol.MessageQueue{Topic: topic, BrokerName: b.conf().BrokerName, QueueID: q}
			w := protocol.OffsetWrapper{BrokerOffset: max(b.store.MaxOffsetInQueue(topic, q), 0),
				ConsumerOffset: max(b.offsets.query(h.ConsumerGroup, topic, q), 0)}
			if w.ConsumerOffset > 0 {
				w.LastTimestamp = b.store.MessageStoreTimeStamp(topic, q, w.ConsumerOffset-1)
			}
			cs.OffsetTable[mq] = w
		}
		cs.ConsumeTps += b.stats.getTps(topic, h.ConsumerGroup)
	}
	resp := remoting.NewResponse(req, protocol.RespSuccess, "")
	resp.Body = cs.Encode()
	return resp, nil
}
