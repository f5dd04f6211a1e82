package broker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rocketgo/rocketgo/filter"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// handleHeartbeat records the client's producer and consumer groups. A
// consumer group gets its %RETRY% topic, and its members are told to
// rebalance when it gained a member or changed topics.
func (b *Broker) handleHeartbeat(conn *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	hb, err := protocol.DecodeHeartbeatData(req.Body)
	if err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, "bad heartbeat body: "+err.Error()), nil
	}
	ch := clientChannel{conn: conn, clientID: hb.ClientID, language: req.Language.String(), version: req.Version, lastSeen: b.now()}
	for i := range hb.ConsumerDataSet {
		cd := &hb.ConsumerDataSet[i]
		if cd.GroupName == "" {
			continue
		}
		gc, ok, err := b.groups.find(cd.GroupName)
		if err != nil {
			b.log.Error("create subscription group", "group", cd.GroupName, "err", err)
		}
		if ok {
			retry := protocol.RetryTopic(cd.GroupName)
			if _, err := b.topics.ensureInternal(retry, max(gc.RetryQueueNums, 1), protocol.PermRead|protocol.PermWrite, 0); err != nil {
				b.log.Error("create retry topic", "topic", retry, "err", err)
			}
		}
		if b.clients.registerConsumer(cd, ch) {
			b.log.Info("consumer group changed", "group", cd.GroupName, "client", hb.ClientID, "peer", conn.RemoteAddr())
			if !ok || gc.NotifyConsumerIdsChangedEnable {
				b.notifyGroup(cd.GroupName)
			}
		}
	}
	for _, pd := range hb.ProducerDataSet {
		if pd.GroupName != "" {
			b.clients.registerProducer(pd.GroupName, ch)
		}
	}
	return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
}

// handleUnregisterClient removes a client from the groups it names.
func (b *Broker) handleUnregisterClient(conn *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.UnregisterClientRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, err.Error()), nil
	}
	if h.ProducerGroup != "" {
		b.clients.unregisterProducer(h.ProducerGroup, conn)
	}
	if h.ConsumerGroup != "" && b.clients.unregisterConsumer(h.ConsumerGroup, conn) {
		b.log.Info("consumer unregistered", "group", h.ConsumerGroup, "client", h.ClientID)
		b.notifyGroup(h.ConsumerGroup)
	}
	return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
}

// checkClientConfigBody is the CHECK_CLIENT_CONFIG body.
type checkClientConfigBody struct {
	ClientID         string                    `json:"clientId"`
	Group            string                    `json:"group"`
	SubscriptionData protocol.SubscriptionData `json:"subscriptionData"`
}

// handleCheckClientConfig validates a subscription before a Java
// consumer starts, in upstream's order: TAG passes, SQL92 needs
// enablePropertyFilter, then the expression must compile (the parser's
// message is the remark). The compiled selector is kept for the heartbeat
// that follows.
func (b *Broker) handleCheckClientConfig(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var body checkClientConfigBody
	if err := protocol.DecodeJSON(req.Body, &body); err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, "bad client config body: "+err.Error()), nil
	}
	sd := &body.SubscriptionData
	if filter.IsTagType(sd.ExpressionType) {
		return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
	}
	if !b.conf().EnablePropertyFilter {
		return remoting.NewResponse(req, protocol.RespSystemError, propertyFilterOff+sd.ExpressionType), nil
	}
	if _, err := b.clients.selectors.compile(body.Group, sd.Topic, sd.SubVersion, sd.ExpressionType, subscriptionExpr(sd)); err != nil {
		return remoting.NewResponse(req, protocol.RespSubscriptionParseFailed, err.Error()), nil
	}
	return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
}

// handleConsumerList answers GET_CONSUMER_LIST_BY_GROUP.
func (b *Broker) handleConsumerList(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.ConsumerGroupHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, err.Error()), nil
	}
	ids := b.clients.consumerIDs(h.ConsumerGroup)
	if len(ids) == 0 {
		return remoting.NewResponse(req, protocol.RespSystemError, "no consumer for this group, "+h.ConsumerGroup), nil
	}
	return jsonResponse(req, &protocol.ConsumerListBody{ConsumerIDList: ids})
}

// handleLock answers LOCK_BATCH_MQ.
func (b *Broker) handleLock(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var body protocol.LockBatchRequestBody
	if err := protocol.DecodeJSON(req.Body, &body); err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, "bad lock body: "+err.Error()), nil
	}
	held := b.locks.lock(body.ConsumerGroup, body.ClientID, body.MQSet)
	return jsonResponse(req, &protocol.LockBatchResponseBody{LockOKMQSet: held})
}

// handleUnlock answers UNLOCK_BATCH_MQ.
func (b *Broker) handleUnlock(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var body protocol.LockBatchRequestBody
	if err := protocol.DecodeJSON(req.Body, &body); err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, "bad unlock body: "+err.Error()), nil
	}
	b.locks.unlock(body.ConsumerGroup, body.ClientID, body.MQSet)
	return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
}

// handleConsumerConnections answers GET_CONSUMER_CONNECTION_LIST.
func (b *Broker) handleConsumerConnections(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.ConsumerGroupHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, err.Error()), nil
	}
	cc, ok := b.clients.consumerConnection(h.ConsumerGroup)
	if !ok {
		return remoting.NewResponse(req, protocol.RespConsumerNotOnline, "the consumer group["+h.ConsumerGroup+"] not online"), nil
	}
	return jsonResponse(req, cc)
}

// handleProducerConnections answers GET_PRODUCER_CONNECTION_LIST.
func (b *Broker) handleProducerConnections(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.ProducerGroupHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, err.Error()), nil
	}
	pc := b.clients.producerConnection(h.ProducerGroup)
	if len(pc.ConnectionSet) == 0 {
		return remoting.NewResponse(req, protocol.RespSystemError, "the producer group["+h.ProducerGroup+"] not exist"), nil
	}
	return jsonResponse(req, &pc)
}

// consumerRelayTimeout bounds a request forwarded to a client (upstream 10 s).
const consumerRelayTimeout = 10 * time.Second

// handleConsumerRunningInfo relays GET_CONSUMER_RUNNING_INFO to the named
// client and returns its answer as it is.
func (b *Broker) handleConsumerRunningInfo(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.GetConsumerRunningInfoRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, err.Error()), nil
	}
	ch, ok := b.clients.findConsumer(h.ConsumerGroup, h.ClientID)
	if !ok {
		return remoting.NewResponse(req, protocol.RespSystemError,
			fmt.Sprintf("The Consumer <%s> <%s> not online", h.ConsumerGroup, h.ClientID)), nil
	}
	if ch.version < 62 { // V3_1_8_SNAPSHOT
		return remoting.NewResponse(req, protocol.RespSystemError,
			fmt.Sprintf("The Consumer <%s> Version <%d> too low to finish, please upgrade it", h.ClientID, ch.version)), nil
	}
	fwd := remoting.NewRequest(protocol.ReqGetConsumerRunningInfo, req.ExtFields, req.Body)
	ctx, cancel := context.WithTimeout(context.Background(), consumerRelayTimeout)
	defer cancel()
	answer, err := ch.conn.InvokeSync(ctx, fwd)
	if err != nil {
		code := protocol.RespSystemError
		if errors.Is(err, remoting.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
			code = protocol.RespConsumeMsgTimeout
		}
		return remoting.NewResponse(req, code, fmt.Sprintf("relay to consumer %s: %v", h.ClientID, err)), nil
	}
	resp := remoting.NewResponse(req, answer.Code, answer.Remark)
	resp.ExtFields = answer.ExtFields
	resp.Body = answer.Body
	return resp, nil
}

// jsonResponse answers SUCCESS with v as the JSON body.
func jsonResponse(req *remoting.Command, v any) (*remoting.Command, error) {
	body, err := protocol.EncodeBody(v)
	if err != nil {
		return nil, fmt.Errorf("encode reply body: %w", err)
	}
	resp := remoting.NewResponse(req, protocol.RespSuccess, "")
	resp.Body = body
	return resp, nil
}
