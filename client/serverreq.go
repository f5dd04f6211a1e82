package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// What brokers ask a push consumer on its own connections (upstream
// ClientRemotingProcessor): rebalance now, report your state, consume
// this message now, reset your offsets.

func (c *PushConsumer) handleServerRequests() {
	rc := c.in.rc
	rc.Handle(protocol.ReqNotifyConsumerIDsChanged, func(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
		if req.ExtFields["consumerGroup"] == c.opts.Group {
			c.in.log.Info("client: consumers of the group changed; rebalancing", "group", c.opts.Group)
			c.triggerRebalance()
		}
		return nil, nil
	})
	rc.Handle(protocol.ReqGetConsumerRunningInfo, c.handleRunningInfo)
	rc.Handle(protocol.ReqConsumeMessageDirectly, c.handleConsumeDirectly)
	rc.Handle(protocol.ReqResetConsumerClientOffset, c.handleResetOffset)
	rc.Handle(protocol.ReqGetConsumerStatusFromClient, c.handleConsumerStatus)
}

// wrongGroup answers a request meant for another group of this client id.
func (c *PushConsumer) wrongGroup(req *remoting.Command, group string) *remoting.Command {
	return remoting.NewResponse(req, protocol.RespSystemError,
		fmt.Sprintf("The Consumer Group <%s> not exist in this consumer (it runs %s)", group, c.opts.Group))
}

// processQueueInfo is upstream's ProcessQueueInfo, fields in fastjson order.
type processQueueInfo struct {
	CachedMsgCount          int   `json:"cachedMsgCount"`
	CachedMsgMaxOffset      int64 `json:"cachedMsgMaxOffset"`
	CachedMsgMinOffset      int64 `json:"cachedMsgMinOffset"`
	CachedMsgSizeInMiB      int64 `json:"cachedMsgSizeInMiB"`
	CommitOffset            int64 `json:"commitOffset"`
	Droped                  bool  `json:"droped"`
	LastConsumeTimestamp    int64 `json:"lastConsumeTimestamp"`
	LastLockTimestamp       int64 `json:"lastLockTimestamp"`
	LastPullTimestamp       int64 `json:"lastPullTimestamp"`
	Locked                  bool  `json:"locked"`
	TransactionMsgCount     int   `json:"transactionMsgCount"`
	TransactionMsgMaxOffset int64 `json:"transactionMsgMaxOffset"`
	TransactionMsgMinOffset int64 `json:"transactionMsgMinOffset"`
	TryUnlockTimes          int64 `json:"tryUnlockTimes"`
}

func (c *PushConsumer) queueInfo(pq *processQueue) processQueueInfo {
	info := processQueueInfo{
		Droped:               pq.dropped.Load(),
		Locked:               pq.locked.Load(),
		LastLockTimestamp:    pq.lastLock.Load(),
		LastPullTimestamp:    pq.lastPull.Load(),
		LastConsumeTimestamp: pq.lastConsume.Load(),
	}
	if off, ok := c.store.read(pq.mq); ok {
		info.CommitOffset = off
	}
	pq.mu.Lock()
	info.CachedMsgCount = pq.count
	info.CachedMsgSizeInMiB = pq.size >> 20
	if pq.head < len(pq.msgs) {
		info.CachedMsgMinOffset = pq.msgs[pq.head].QueueOffset
		info.CachedMsgMaxOffset = pq.maxOffset
	}
	pq.mu.Unlock()
	return info
}

// appendQueueKeyed appends a JSON object keyed by message queues, as
// fastjson writes a Map<MessageQueue, V>: each key is the queue object
// itself, unquoted. Java tools read nothing else.
func appendQueueKeyed[V any](dst []byte, m map[MessageQueue]V) ([]byte, error) {
	keys := make([]MessageQueue, 0, len(m))
	for mq := range m {
		keys = append(keys, mq)
	}
	sortQueues(keys)
	dst = append(dst, '{')
	for i, mq := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		k, err := json.Marshal(mq.wire())
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(m[mq])
		if err != nil {
			return nil, err
		}
		dst = append(dst, k...)
		dst = append(dst, ':')
		dst = append(dst, v...)
	}
	return append(dst, '}'), nil
}

// runningInfo builds upstream's ConsumerRunningInfo body.
func (c *PushConsumer) runningInfo(jstack bool) ([]byte, error) {
	props := map[string]string{
		"PROP_NAMESERVER_ADDR":          strings.Join(c.in.opts.NameServers, ";"),
		"PROP_CONSUME_TYPE":             protocol.ConsumePassively,
		"PROP_CONSUMEORDERLY":           strconv.FormatBool(c.orderly),
		"PROP_THREADPOOL_CORE_SIZE":     strconv.Itoa(c.opts.ConsumeGoroutines),
		"PROP_CONSUMER_START_TIMESTAMP": strconv.FormatInt(c.start.UnixMilli(), 10),
		"PROP_CLIENT_VERSION":           "V4_9_8",
		"consumerGroup":                 c.opts.Group,
		"messageModel":                  c.opts.Model.String(),
		"consumeFromWhere":              c.opts.ConsumeFrom.String(),
		"allocateMessageQueueStrategy":  c.opts.Strategy.Name(),
		"pullBatchSize":                 strconv.Itoa(c.opts.PullBatchSize),
		"consumeMessageBatchMaxSize":    strconv.Itoa(c.opts.ConsumeBatchSize),
		"pullThresholdForQueue":         strconv.Itoa(c.opts.PullThresholdForQueue),
		"pullThresholdSizeForQueue":     strconv.Itoa(c.opts.PullThresholdSizeForQueue),
		"consumeConcurrentlyMaxSpan":    strconv.Itoa(c.opts.ConsumeConcurrentlyMaxSpan),
		"maxReconsumeTimes":             strconv.Itoa(c.opts.MaxReconsumeTimes),
		"suspendCurrentQueueTimeMillis": strconv.FormatInt(c.opts.SuspendCurrentQueueTime.Milliseconds(), 10),
	}
	subs := c.subs.list()
	table := map[MessageQueue]processQueueInfo{}
	c.mu.Lock()
	for mq, pq := range c.queues {
		table[mq] = c.queueInfo(pq)
	}
	c.mu.Unlock()

	var b bytes.Buffer
	b.WriteString(`{"jstack":`)
	stack := ""
	if jstack {
		buf := make([]byte, 1<<20)
		stack = string(buf[:runtime.Stack(buf, true)])
	}
	js, _ := json.Marshal(stack) // a string cannot fail
	b.Write(js)
	b.WriteString(`,"mqTable":`)
	mqt, err := appendQueueKeyed(nil, table)
	if err != nil {
		return nil, err
	}
	b.Write(mqt)
	b.WriteString(`,"properties":`)
	pj, _ := json.Marshal(props)
	b.Write(pj)
	b.WriteString(`,"statusTable":{},"subscriptionSet":`)
	sj, err := protocol.EncodeBody(subs)
	if err != nil {
		return nil, err
	}
	b.Write(sj)
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (c *PushConsumer) handleRunningInfo(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.GetConsumerRunningInfoRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, err.Error()), nil
	}
	if h.ConsumerGroup != c.opts.Group {
		return c.wrongGroup(req, h.ConsumerGroup), nil
	}
	body, err := c.runningInfo(h.JstackEnable)
	if err != nil {
		return nil, err
	}
	resp := remoting.NewResponse(req, protocol.RespSuccess, "")
	resp.Body = body
	return resp, nil
}

// consumeDirectlyHeader is upstream's ConsumeMessageDirectlyResultRequestHeader.
type consumeDirectlyHeader struct {
	ConsumerGroup string `ext:"consumerGroup,required"`
	ClientID      string `ext:"clientId"`
	MsgID         string `ext:"msgId"`
	BrokerName    string `ext:"brokerName"`
}

// consumeDirectlyResult is upstream's ConsumeMessageDirectlyResult.
type consumeDirectlyResult struct {
	AutoCommit     bool   `json:"autoCommit"`
	ConsumeResult  string `json:"consumeResult"`
	Order          bool   `json:"order"`
	Remark         string `json:"remark"`
	SpentTimeMills int64  `json:"spentTimeMills"`
}

// handleConsumeDirectly runs the listener on one message the broker sends
// (mqadmin consumeMessage / the dashboard's resend), outside the queues:
// nothing is committed or sent back.
func (c *PushConsumer) handleConsumeDirectly(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h consumeDirectlyHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, err.Error()), nil
	}
	if h.ConsumerGroup != c.opts.Group {
		return c.wrongGroup(req, h.ConsumerGroup), nil
	}
	if c.lite {
		return remoting.NewResponse(req, protocol.RespSystemError, "consume directly: "+c.opts.Group+" is a lite pull consumer, which has no listener"), nil
	}
	m, _, err := protocol.DecodeMessage(req.Body, protocol.DecodeOptions{})
	if err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, "decode the message: "+err.Error()), nil
	}
	c.resetRetryTopic([]*MessageExt{m})
	res := consumeDirectlyResult{Order: c.orderly, AutoCommit: true}
	start := time.Now()
	ctx, cancel := context.WithTimeout(c.in.ctx, time.Minute)
	defer cancel()
	if c.orderly {
		switch r, err := c.callOrderlyErr(ctx, []*MessageExt{m}); {
		case err != nil:
			res.ConsumeResult, res.Remark = "CR_THROW_EXCEPTION", err.Error()
		case r == OrderlySuccess:
			res.ConsumeResult = "CR_SUCCESS"
		default:
			res.ConsumeResult = "CR_LATER"
		}
	} else {
		switch r, err := c.callConcurrentErr(ctx, []*MessageExt{m}); {
		case err != nil:
			res.ConsumeResult, res.Remark = "CR_THROW_EXCEPTION", err.Error()
		case r == ConsumeSuccess:
			res.ConsumeResult = "CR_SUCCESS"
		default:
			res.ConsumeResult = "CR_LATER"
		}
	}
	res.SpentTimeMills = time.Since(start).Milliseconds()
	body, err := protocol.EncodeBody(&res)
	if err != nil {
		return nil, err
	}
	resp := remoting.NewResponse(req, protocol.RespSuccess, "")
	resp.Body = body
	return resp, nil
}

// resetOffsetHeader is upstream's ResetOffsetRequestHeader.
type resetOffsetHeader struct {
	Topic     string `ext:"topic,required"`
	Group     string `ext:"group,required"`
	Timestamp int64  `ext:"timestamp"`
	IsForce   bool   `ext:"isForce"`
}

// decodeQueueOffsets reads a fastjson map keyed by message queues.
func decodeQueueOffsets(data []byte, field string) (map[MessageQueue]int64, error) {
	var raw map[string]json.RawMessage
	if err := protocol.DecodeJSON(data, &raw); err != nil {
		return nil, err
	}
	var table map[string]int64
	if t, ok := raw[field]; ok {
		if err := json.Unmarshal(t, &table); err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
	}
	out := make(map[MessageQueue]int64, len(table))
	for k, off := range table {
		var w protocol.MessageQueue
		if err := json.Unmarshal([]byte(k), &w); err != nil {
			return nil, fmt.Errorf("%s key %.80q: %w", field, k, err)
		}
		out[queueFromWire(w)] = off
	}
	return out, nil
}

// handleResetOffset moves the group's offsets of a topic where an admin
// said (mqadmin resetOffsetByTime): the queues are dropped, the new
// offsets committed, and the next rebalance picks the queues up there.
func (c *PushConsumer) handleResetOffset(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h resetOffsetHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, err.Error()), nil
	}
	if h.Group != c.opts.Group {
		return c.wrongGroup(req, h.Group), nil
	}
	table, err := decodeQueueOffsets(req.Body, "offsetTable")
	if err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, "bad reset offset body: "+err.Error()), nil
	}
	c.in.spawn(func(ctx context.Context) { c.resetOffsets(ctx, h.Topic, table) })
	return nil, nil
}

func (c *PushConsumer) resetOffsets(ctx context.Context, topic string, table map[MessageQueue]int64) {
	var dropped []*processQueue
	c.mu.Lock()
	for mq, pq := range c.queues {
		if _, ok := table[mq]; ok && mq.Topic == topic {
			delete(c.queues, mq)
			pq.drop()
			dropped = append(dropped, pq)
		}
	}
	c.mu.Unlock()
	for _, pq := range dropped {
		pq.running.Wait()
		if c.orderly && c.opts.Model == Clustering {
			c.unlock(ctx, []MessageQueue{pq.mq})
		}
	}
	for mq, off := range table {
		if mq.Topic != topic {
			continue
		}
		c.store.update(mq, off, false)
		if err := c.store.persist(ctx, mq); err != nil {
			c.in.log.Warn("client: commit reset offset", "queue", mq, "offset", off, "err", err)
		}
		c.store.remove(mq)
	}
	c.in.log.Info("client: offsets reset by an admin", "group", c.opts.Group, "topic", topic, "queues", len(table))
	c.triggerRebalance()
}

// handleConsumerStatus reports the offsets of a topic's queues in memory
// (GET_CONSUMER_STATUS_FROM_CLIENT).
func (c *PushConsumer) handleConsumerStatus(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	topic, group := req.ExtFields["topic"], req.ExtFields["group"]
	if group != c.opts.Group {
		return c.wrongGroup(req, group), nil
	}
	table := map[MessageQueue]int64{}
	c.mu.Lock()
	for mq := range c.queues {
		if mq.Topic == topic {
			if off, ok := c.store.read(mq); ok {
				table[mq] = off
			}
		}
	}
	c.mu.Unlock()
	mqt, err := appendQueueKeyed([]byte(`{"consumerTable":{},"messageQueueTable":`), table)
	if err != nil {
		return nil, err
	}
	resp := remoting.NewResponse(req, protocol.RespSuccess, "")
	resp.Body = append(mqt, '}')
	return resp, nil
}
