package broker

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// Offset administration for mqadmin: resetOffsetByTime and
// cloneGroupOffset.

// resetOffsetHeader is the header of INVOKE_BROKER_TO_RESET_OFFSET (222)
// and of the RESET_CONSUMER_CLIENT_OFFSET (220) sent on to the consumers.
type resetOffsetHeader struct {
	Topic     string `ext:"topic,required"`
	Group     string `ext:"group,required"`
	Timestamp int64  `ext:"timestamp,required"` // -1: the end of each queue
	IsForce   bool   `ext:"isForce,required"`
}

// encodeQueueOffsets writes {"offsetTable":{<queue object>:offset,...}},
// fastjson's form of a map keyed by message queues (upstream ResetOffsetBody).
func encodeQueueOffsets(table map[protocol.MessageQueue]int64) ([]byte, error) {
	b, err := appendQueueOffsets([]byte(`{"offsetTable":`), table)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// appendQueueOffsets appends {<queue object>:offset,...}, ordered by queue.
func appendQueueOffsets(b []byte, table map[protocol.MessageQueue]int64) ([]byte, error) {
	keys := sortedQueueKeys(table)
	b = append(b, '{')
	for i, mq := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		k, err := json.Marshal(mq)
		if err != nil {
			return nil, err
		}
		b = append(b, k...)
		b = fmt.Appendf(b, ":%d", table[mq])
	}
	return append(b, '}'), nil
}

// encodeQueueOffsetsForC writes {"offsetTable":[{"brokerName":..,"offset":..,
// "queueId":..,"topic":..},...]}, upstream's ResetOffsetBodyForC: the C++
// client reads the offsets as a list of MessageQueueForC, fields in
// fastjson's (alphabetical) order, here ordered by queue.
func encodeQueueOffsetsForC(table map[protocol.MessageQueue]int64) ([]byte, error) {
	type queueForC struct {
		BrokerName string `json:"brokerName"`
		Offset     int64  `json:"offset"`
		QueueID    int32  `json:"queueId"`
		Topic      string `json:"topic"`
	}
	list := make([]queueForC, 0, len(table))
	for _, mq := range sortedQueueKeys(table) {
		list = append(list, queueForC{BrokerName: mq.BrokerName, Offset: table[mq], QueueID: mq.QueueID, Topic: mq.Topic})
	}
	return json.Marshal(struct {
		OffsetTable []queueForC `json:"offsetTable"`
	}{list})
}

func sortedQueueKeys(table map[protocol.MessageQueue]int64) []protocol.MessageQueue {
	keys := make([]protocol.MessageQueue, 0, len(table))
	for mq := range table {
		keys = append(keys, mq)
	}
	slices.SortFunc(keys, func(a, b protocol.MessageQueue) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.BrokerName, b.BrokerName), cmp.Compare(a.QueueID, b.QueueID))
	})
	return keys
}

// handleResetOffset answers INVOKE_BROKER_TO_RESET_OFFSET: each queue of
// the topic gets the first offset stored at or after the timestamp (the
// queue's end for -1); without force an offset only moves back. The new
// offsets are committed here, so they hold for a group with no live
// member too, and sent to every live member of the group, which drops
// its queues and resumes from them. A request sent as C++ (mqadmin
// resetOffsetByTime -c) has the members told in ResetOffsetBodyForC's
// list form, as upstream does; the answer keeps the map form either way.
func (b *Broker) handleResetOffset(conn *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h resetOffsetHeader
	if resp := decodeOrFail(req, &h); resp != nil {
		return resp, nil
	}
	tc, ok := b.topics.get(h.Topic)
	if !ok {
		return remoting.NewResponse(req, protocol.RespSystemError, "[reset-offset] reset offset failed, no topic in this broker. topic="+h.Topic), nil
	}
	table := map[protocol.MessageQueue]int64{}
	for q := range tc.WriteQueueNums {
		committed := b.offsets.query(h.Group, h.Topic, q)
		if committed < 0 {
			return remoting.NewResponse(req, protocol.RespSystemError, fmt.Sprintf("THe consumer group <%s> not exist", h.Group)), nil
		}
		var off int64
		if h.Timestamp == -1 {
			off = b.store.MaxOffsetInQueue(h.Topic, q)
		} else {
			off = b.store.OffsetInQueueByTime(h.Topic, q, h.Timestamp)
		}
		off = max(off, 0)
		if !h.IsForce && off >= committed {
			off = committed
		}
		table[protocol.MessageQueue{Topic: h.Topic, BrokerName: b.conf().BrokerName, QueueID: q}] = off
	}
	body, err := encodeQueueOffsets(table)
	if err != nil {
		return nil, fmt.Errorf("encode reset offsets: %w", err)
	}
	for mq, off := range table {
		b.offsets.commit(h.Group, h.Topic, mq.QueueID, off)
	}
	notice := body
	if req.Language == remoting.LanguageCPP {
		if notice, err = encodeQueueOffsetsForC(table); err != nil {
			return nil, fmt.Errorf("encode reset offsets for C++ clients: %w", err)
		}
	}
	ext := protocol.EncodeHeader(&h)
	conns := b.clients.consumerConns(h.Group)
	for _, c := range conns {
		if err := c.InvokeOneway(remoting.NewRequest(protocol.ReqResetConsumerClientOffset, ext, notice)); err != nil {
			b.log.Warn("reset offset: tell consumer", "group", h.Group, "peer", c.RemoteAddr(), "err", err)
		}
	}
	b.log.Info("consumer offsets reset by admin", "group", h.Group, "topic", h.Topic, "timestamp", h.Timestamp,
		"force", h.IsForce, "cplus", req.Language == remoting.LanguageCPP, "liveConsumers", len(conns), "from", conn.RemoteAddr())
	resp := remoting.NewResponse(req, protocol.RespSuccess, "")
	resp.Body = body
	return resp, nil
}

// cloneGroupOffsetHeader is the header of CLONE_GROUP_OFFSET (314).
type cloneGroupOffsetHeader struct {
	SrcGroup  string `ext:"srcGroup,required"`
	DestGroup string `ext:"destGroup,required"`
	Topic     string `ext:"topic"` // "": every topic the source group has offsets for
	Offline   bool   `ext:"offline,required"`
}

// handleCloneGroupOffset answers CLONE_GROUP_OFFSET: the destination group
// gets the source group's committed offsets.
func (b *Broker) handleCloneGroupOffset(conn *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h cloneGroupOffsetHeader
	if resp := decodeOrFail(req, &h); resp != nil {
		return resp, nil
	}
	topics := []string{h.Topic}
	if h.Topic == "" {
		topics = b.offsets.topicsOfGroup(h.SrcGroup)
	}
	for _, topic := range topics {
		tc, ok := b.topics.get(topic)
		if !ok {
			continue
		}
		for q := range max(tc.ReadQueueNums, tc.WriteQueueNums) {
			if off := b.offsets.query(h.SrcGroup, topic, q); off >= 0 {
				b.offsets.commit(h.DestGroup, topic, q, off)
			}
		}
	}
	b.log.Info("group offsets cloned by admin", "src", h.SrcGroup, "dest", h.DestGroup, "topics", topics, "from", conn.RemoteAddr())
	return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
}
