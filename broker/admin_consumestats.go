package broker

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// consumeStatsInBrokerHeader is the header of GET_BROKER_CONSUME_STATS (317).
type consumeStatsInBrokerHeader struct {
	IsOrder bool `ext:"isOrder,required"`
}

// handleBrokerConsumeStats answers GET_BROKER_CONSUME_STATS (mqadmin
// brokerConsumeStats): for every subscription group, the progress on each
// topic it has offsets for (only order topics with isOrder), as upstream's
// ConsumeStatsList: {"brokerAddr":..,"consumeStatsList":[{group:[stats..]}],"totalDiff":n}.
func (b *Broker) handleBrokerConsumeStats(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h consumeStatsInBrokerHeader
	if resp := decodeOrFail(req, &h); resp != nil {
		return resp, nil
	}
	groups := b.groups.snapshot().SubscriptionGroupTable
	var totalDiff int64
	body := []byte(`{"brokerAddr":`)
	addr, _ := json.Marshal(b.addr)
	body = append(body, addr...)
	body = append(body, `,"consumeStatsList":[`...)
	for gi, group := range slices.Sorted(maps.Keys(groups)) {
		if gi > 0 {
			body = append(body, ',')
		}
		name, _ := json.Marshal(group)
		body = append(body, '{')
		body = append(body, name...)
		body = append(body, ":["...)
		n := 0
		for _, topic := range b.offsets.topicsOfGroup(group) {
			tc, ok := b.topics.get(topic)
			if !ok || (h.IsOrder && !tc.Order) {
				continue
			}
			if sub, _, live := b.clients.subscription(group, topic); sub == nil && live {
				continue // the live members no longer subscribe it
			}
			cs := protocol.ConsumeStats{OffsetTable: map[protocol.MessageQueue]protocol.OffsetWrapper{}}
			for q := range tc.WriteQueueNums {
				w := protocol.OffsetWrapper{BrokerOffset: max(b.store.MaxOffsetInQueue(topic, q), 0),
					ConsumerOffset: max(b.offsets.query(group, topic, q), 0)}
				if w.ConsumerOffset > 0 {
					w.LastTimestamp = max(b.store.MessageStoreTimeStamp(topic, q, w.ConsumerOffset-1), 0)
				}
				totalDiff += w.BrokerOffset - w.ConsumerOffset
				cs.OffsetTable[protocol.MessageQueue{Topic: topic, BrokerName: b.conf().BrokerName, QueueID: q}] = w
			}
			if n > 0 {
				body = append(body, ',')
			}
			body = append(body, cs.Encode()...)
			n++
		}
		body = append(body, "]}"...)
	}
	body = fmt.Appendf(body, `],"totalDiff":%d}`, totalDiff)
	resp := remoting.NewResponse(req, protocol.RespSuccess, "")
	resp.Body = body
	return resp, nil
}
