package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// getConsumerStatusHeader is the header of INVOKE_BROKER_TO_GET_CONSUMER_STATUS
// (223) and of the GET_CONSUMER_STATUS_FROM_CLIENT (221) asked of each member.
type getConsumerStatusHeader struct {
	Topic      string `ext:"topic,required"`
	Group      string `ext:"group,required"`
	ClientAddr string `ext:"clientAddr,omitempty"` // one member's client id; "" for all
}

// handleGetConsumerStatus answers INVOKE_BROKER_TO_GET_CONSUMER_STATUS
// (mqadmin getConsumerStatus): it asks each live member of the group (or
// the one named) for the offsets it holds in memory for the topic, and
// answers {"consumerTable":{clientId:{<queue>:offset}},"messageQueueTable":{}}.
// A member that does not answer is left out, as upstream does.
func (b *Broker) handleGetConsumerStatus(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h getConsumerStatusHeader
	if resp := decodeOrFail(req, &h); resp != nil {
		return resp, nil
	}
	cc, ok := b.clients.consumerConnection(h.Group)
	if !ok {
		return remoting.NewResponse(req, protocol.RespSystemError, fmt.Sprintf("No Any Consumer online in the consumer group: [%s]", h.Group)), nil
	}
	var ids []string
	for _, c := range cc.ConnectionSet {
		if h.ClientAddr == "" || c.ClientID == h.ClientAddr {
			ids = append(ids, c.ClientID)
		}
	}
	slices.Sort(ids)
	ext := protocol.EncodeHeader(&getConsumerStatusHeader{Topic: h.Topic, Group: h.Group})
	body := []byte(`{"consumerTable":{`)
	n := 0
	for _, id := range slices.Compact(ids) {
		ch, ok := b.clients.findConsumer(h.Group, id)
		if !ok {
			continue
		}
		table, err := b.askConsumerStatus(ch, ext)
		if err != nil {
			b.log.Warn("get consumer status", "group", h.Group, "client", id, "err", err)
			continue
		}
		if n > 0 {
			body = append(body, ',')
		}
		k, _ := json.Marshal(id)
		body = append(body, k...)
		body = append(body, ':')
		if body, err = appendQueueOffsets(body, table); err != nil {
			return nil, err
		}
		n++
	}
	body = append(body, `},"messageQueueTable":{}}`...)
	resp := remoting.NewResponse(req, protocol.RespSuccess, "")
	resp.Body = body
	return resp, nil
}

// consumerStatusTimeout bounds one member's answer (upstream 5 s).
const consumerStatusTimeout = 5 * time.Second

// askConsumerStatus sends GET_CONSUMER_STATUS_FROM_CLIENT to one member
// and decodes its messageQueueTable.
func (b *Broker) askConsumerStatus(ch *clientChannel, ext map[string]string) (map[protocol.MessageQueue]int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), consumerStatusTimeout)
	defer cancel()
	answer, err := ch.conn.InvokeSync(ctx, remoting.NewRequest(protocol.ReqGetConsumerStatusFromClient, ext, nil))
	if err != nil {
		return nil, err
	}
	if answer.Code != protocol.RespSuccess {
		return nil, fmt.Errorf("code %d: %s", answer.Code, answer.Remark)
	}
	return decodeConsumerQueueTable(answer.Body)
}

// decodeConsumerQueueTable reads a GetConsumerStatusBody's
// messageQueueTable, keyed by queue objects.
func decodeConsumerQueueTable(body []byte) (map[protocol.MessageQueue]int64, error) {
	var raw struct {
		MessageQueueTable map[string]int64 `json:"messageQueueTable"`
	}
	if err := protocol.DecodeJSON(body, &raw); err != nil {
		return nil, fmt.Errorf("consumer status body: %w", err)
	}
	table := make(map[protocol.MessageQueue]int64, len(raw.MessageQueueTable))
	for k, off := range raw.MessageQueueTable {
		var mq protocol.MessageQueue
		if err := json.Unmarshal([]byte(k), &mq); err != nil {
			return nil, fmt.Errorf("consumer status queue %.80q: %w", k, err)
		}
		table[mq] = off
	}
	return table, nil
}
