package client

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// Queue offset calls a consumer makes to the master of a queue's broker.

// masterFor returns the master of mq's broker, refreshing the route once
// when it is not known.
func (in *instance) masterFor(ctx context.Context, mq MessageQueue) (string, error) {
	if addr := in.routes.masterAddr(mq.BrokerName); addr != "" {
		return addr, nil
	}
	if _, err := in.updateRoute(ctx, mq.Topic); err != nil {
		return "", err
	}
	if addr := in.routes.masterAddr(mq.BrokerName); addr != "" {
		return addr, nil
	}
	return "", fmt.Errorf("client: broker %s of %s has no master address", mq.BrokerName, mq.Topic)
}

// queueOffset asks for the max (GET_MAX_OFFSET) or min (GET_MIN_OFFSET)
// offset of mq.
func (in *instance) queueOffset(ctx context.Context, code int32, mq MessageQueue) (int64, error) {
	addr, err := in.masterFor(ctx, mq)
	if err != nil {
		return 0, err
	}
	ext := protocol.EncodeHeader(&protocol.QueueRequestHeader{Topic: mq.Topic, QueueID: mq.QueueID})
	resp, err := in.invokeOK(ctx, protocol.RequestCodeName(code)+" "+mq.String(), addr, remoting.NewRequest(code, ext, nil))
	if err != nil {
		return 0, err
	}
	return offsetOf(resp, addr)
}

// searchOffset asks for the first offset of mq stored at or after t.
func (in *instance) searchOffset(ctx context.Context, mq MessageQueue, t time.Time) (int64, error) {
	addr, err := in.masterFor(ctx, mq)
	if err != nil {
		return 0, err
	}
	ext := protocol.EncodeHeader(&protocol.SearchOffsetRequestHeader{Topic: mq.Topic, QueueID: mq.QueueID, Timestamp: t.UnixMilli()})
	resp, err := in.invokeOK(ctx, "search offset "+mq.String(), addr, remoting.NewRequest(protocol.ReqSearchOffsetByTimestamp, ext, nil))
	if err != nil {
		return 0, err
	}
	return offsetOf(resp, addr)
}

// consumerOffset asks for group's committed offset of mq; -1 when the
// broker has none.
func (in *instance) consumerOffset(ctx context.Context, group string, mq MessageQueue) (int64, error) {
	addr, err := in.masterFor(ctx, mq)
	if err != nil {
		return 0, err
	}
	ext := protocol.EncodeHeader(&protocol.QueryConsumerOffsetRequestHeader{ConsumerGroup: group, Topic: mq.Topic, QueueID: mq.QueueID})
	resp, err := in.invoke(ctx, addr, remoting.NewRequest(protocol.ReqQueryConsumerOffset, ext, nil), 0)
	if err != nil {
		return 0, fmt.Errorf("client: query offset of %s for %s at %s: %w", mq, group, addr, err)
	}
	switch resp.Code {
	case protocol.RespSuccess:
		return offsetOf(resp, addr)
	case protocol.RespQueryNotFound:
		return -1, nil
	}
	return 0, responseError("query offset of "+mq.String()+" for "+group, addr, resp.Code, resp.Remark)
}

// commitOffset stores group's consumed offset of mq on its broker.
func (in *instance) commitOffset(ctx context.Context, group string, mq MessageQueue, offset int64) error {
	addr, err := in.masterFor(ctx, mq)
	if err != nil {
		return err
	}
	ext := protocol.EncodeHeader(&protocol.UpdateConsumerOffsetRequestHeader{
		ConsumerGroup: group, Topic: mq.Topic, QueueID: mq.QueueID, CommitOffset: offset,
	})
	_, err = in.invokeOK(ctx, "commit offset of "+mq.String()+" for "+group, addr, remoting.NewRequest(protocol.ReqUpdateConsumerOffset, ext, nil))
	return err
}

func offsetOf(resp *remoting.Command, addr string) (int64, error) {
	off, err := strconv.ParseInt(resp.ExtFields["offset"], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("client: reply from %s: bad offset %q", addr, resp.ExtFields["offset"])
	}
	return off, nil
}
