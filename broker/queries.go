package broker

import (
	"fmt"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// Offset and message lookups: consumer offsets, queue min/max, search by
// time, QUERY_MESSAGE and VIEW_MESSAGE_BY_ID.

func decodeOrFail(req *remoting.Command, h any) *remoting.Command {
	if err := protocol.DecodeHeader(req.ExtFields, h); err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, err.Error())
	}
	return nil
}

func offsetResponse(req *remoting.Command, offset int64) *remoting.Command {
	resp := remoting.NewResponse(req, protocol.RespSuccess, "")
	resp.ExtFields = protocol.EncodeHeader(&protocol.OffsetResponseHeader{Offset: offset})
	return resp
}

// handleQueryOffset answers QUERY_CONSUMER_OFFSET. A group without a
// committed offset on a queue that still starts at 0, whose first message
// is still within the page-cache share of RAM (or that is empty), is told
// 0, so a new group reads a young queue from its beginning whatever its
// ConsumeFromWhere; otherwise QUERY_NOT_FOUND lets the client apply
// ConsumeFromWhere. Upstream 4.9's queryConsumerOffset does the same.
func (b *Broker) handleQueryOffset(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.QueryConsumerOffsetRequestHeader
	if resp := decodeOrFail(req, &h); resp != nil {
		return resp, nil
	}
	if off := b.offsets.query(h.ConsumerGroup, h.Topic, h.QueueID); off >= 0 {
		return offsetResponse(req, off), nil
	}
	if b.store.MinOffsetInQueue(h.Topic, h.QueueID) <= 0 && !b.store.InDiskByConsumeOffset(h.Topic, h.QueueID, 0) {
		return offsetResponse(req, 0), nil
	}
	return remoting.NewResponse(req, protocol.RespQueryNotFound, "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first"), nil
}

// handleUpdateOffset answers UPDATE_CONSUMER_OFFSET (usually oneway).
func (b *Broker) handleUpdateOffset(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.UpdateConsumerOffsetRequestHeader
	if resp := decodeOrFail(req, &h); resp != nil {
		return resp, nil
	}
	b.offsets.commit(h.ConsumerGroup, h.Topic, h.QueueID, h.CommitOffset)
	return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
}

// handleQueueOffset answers GET_MAX_OFFSET, GET_MIN_OFFSET and
// GET_EARLIEST_MSG_STORETIME.
func (b *Broker) handleQueueOffset(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.QueueRequestHeader
	if resp := decodeOrFail(req, &h); resp != nil {
		return resp, nil
	}
	switch req.Code {
	case protocol.ReqGetMaxOffset:
		return offsetResponse(req, b.store.MaxOffsetInQueue(h.Topic, h.QueueID)), nil
	case protocol.ReqGetMinOffset:
		return offsetResponse(req, b.store.MinOffsetInQueue(h.Topic, h.QueueID)), nil
	}
	resp := remoting.NewResponse(req, protocol.RespSuccess, "")
	resp.ExtFields = protocol.EncodeHeader(&protocol.TimestampResponseHeader{Timestamp: b.store.EarliestMessageTimeInQueue(h.Topic, h.QueueID)})
	return resp, nil
}

// handleSearchOffset answers SEARCH_OFFSET_BY_TIMESTAMP.
func (b *Broker) handleSearchOffset(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.SearchOffsetRequestHeader
	if resp := decodeOrFail(req, &h); resp != nil {
		return resp, nil
	}
	return offsetResponse(req, b.store.OffsetInQueueByTime(h.Topic, h.QueueID, h.Timestamp)), nil
}

// handleQueryMessage answers QUERY_MESSAGE: messages of a topic by key (or
// unique key) within a store-time window, sent from the store's views.
func (b *Broker) handleQueryMessage(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.QueryMessageRequestHeader
	if resp := decodeOrFail(req, &h); resp != nil {
		return resp, nil
	}
	maxNum := int(h.MaxNum)
	if h.UniqueKeyQuery {
		maxNum = b.conf().DefaultQueryMaxNum
	}
	res, err := b.store.QueryMessage(h.Topic, h.Key, maxNum, h.BeginTimestamp, h.EndTimestamp)
	if err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, "query message: "+err.Error()), nil
	}
	if len(res.Messages) == 0 {
		res.Release()
		return remoting.NewResponse(req, protocol.RespQueryNotFound, "can not find message, maybe time range not correct"), nil
	}
	resp := remoting.NewResponse(req, protocol.RespSuccess, "")
	resp.ExtFields = protocol.EncodeHeader(&protocol.QueryMessageResponseHeader{
		IndexLastUpdateTimestamp: res.IndexLastUpdateTimestamp, IndexLastUpdatePhyoffset: res.IndexLastUpdatePhyOffset,
	})
	resp.BodyParts = res.Messages
	resp.Release = res.Release
	return resp, nil
}

// handleViewMessage answers VIEW_MESSAGE_BY_ID: the raw record at a
// commit-log offset.
func (b *Broker) handleViewMessage(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.ViewMessageRequestHeader
	if resp := decodeOrFail(req, &h); resp != nil {
		return resp, nil
	}
	v, err := b.store.SelectOneMessageByOffset(h.Offset, 0)
	if err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, fmt.Sprintf("can not find message by the offset, %d: %v", h.Offset, err)), nil
	}
	resp := remoting.NewResponse(req, protocol.RespSuccess, "")
	resp.BodyParts = [][]byte{v.Bytes}
	resp.Release = v.Release
	return resp, nil
}
