package client

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// ResetOffsetByTime asks the broker at addr to move group's offsets of
// topic to the first message stored at or after ts (ms; -1 for the end of
// each queue), only backwards unless force, and to tell the group's live
// consumers. With cplus the request says it comes from C++ (upstream
// mqadmin resetOffsetByTime -c), so the broker tells the consumers in the
// list form the C++ client reads. It returns the new offset of each queue
// of that broker.
func (a *Admin) ResetOffsetByTime(ctx context.Context, addr, topic, group string, ts int64, force, cplus bool) (map[MessageQueue]int64, error) {
	req := remoting.NewRequest(protocol.ReqInvokeBrokerToResetOffset,
		encodeHeader(&resetOffsetHeader{Topic: topic, Group: group, Timestamp: ts, IsForce: force}), nil)
	if cplus {
		req.Language = remoting.LanguageCPP
	}
	resp, err := a.in.invokeOK(ctx, "reset offset of "+group, addr, req)
	if err != nil {
		return nil, err
	}
	table, err := decodeQueueOffsets(resp.Body, "offsetTable")
	if err != nil {
		return nil, fmt.Errorf("client: reset offset reply from %s: %w", addr, err)
	}
	return table, nil
}

// CloneGroupOffset copies srcGroup's committed offsets of topic ("" for
// all its topics) to destGroup on the broker at addr.
func (a *Admin) CloneGroupOffset(ctx context.Context, addr, srcGroup, destGroup, topic string, offline bool) error {
	_, err := a.call(ctx, "clone offsets of "+srcGroup, addr, protocol.ReqCloneGroupOffset,
		&cloneGroupOffsetHeader{SrcGroup: srcGroup, DestGroup: destGroup, Topic: topic, Offline: offline}, nil)
	return err
}

// cloneGroupOffsetHeader is upstream's CloneGroupOffsetRequestHeader.
type cloneGroupOffsetHeader struct {
	SrcGroup  string `ext:"srcGroup,required"`
	DestGroup string `ext:"destGroup,required"`
	Topic     string `ext:"topic,omitempty"`
	Offline   bool   `ext:"offline,required"`
}

// GroupConsumeStats is one subscription group's progress in a
// BrokerConsumeStats answer, one entry per topic.
type GroupConsumeStats struct {
	Group string
	Stats []*protocol.ConsumeStats
}

// BrokerConsumeStats returns every subscription group's progress on the
// broker at addr (only order topics with orderOnly) and the total of
// their differences (GET_BROKER_CONSUME_STATS).
func (a *Admin) BrokerConsumeStats(ctx context.Context, addr string, orderOnly bool) ([]GroupConsumeStats, int64, error) {
	resp, err := a.call(ctx, "get broker consume stats", addr, protocol.ReqGetBrokerConsumeStats,
		&struct {
			IsOrder bool `ext:"isOrder,required"`
		}{orderOnly}, nil)
	if err != nil {
		return nil, 0, err
	}
	out, total, err := decodeBrokerConsumeStats(resp.Body)
	if err != nil {
		return nil, 0, fmt.Errorf("client: broker consume stats from %s: %w", addr, err)
	}
	return out, total, nil
}

// decodeBrokerConsumeStats decodes a ConsumeStatsList body.
func decodeBrokerConsumeStats(body []byte) ([]GroupConsumeStats, int64, error) {
	var raw struct {
		ConsumeStatsList []map[string][]json.RawMessage `json:"consumeStatsList"`
		TotalDiff        int64                          `json:"totalDiff"`
	}
	if err := protocol.DecodeJSON(body, &raw); err != nil {
		return nil, 0, err
	}
	var out []GroupConsumeStats
	for _, m := range raw.ConsumeStatsList {
		for group, list := range m {
			g := GroupConsumeStats{Group: group}
			for _, r := range list {
				cs, err := protocol.DecodeConsumeStats(r)
				if err != nil {
					return nil, 0, fmt.Errorf("group %s: %w", group, err)
				}
				g.Stats = append(g.Stats, cs)
			}
			out = append(out, g)
		}
	}
	return out, raw.TotalDiff, nil
}

// ConsumerStatus asks, through the broker at addr, each live member of
// group (only clientID, when not empty) for the offsets of topic's queues
// it holds, by client id (INVOKE_BROKER_TO_GET_CONSUMER_STATUS).
func (a *Admin) ConsumerStatus(ctx context.Context, addr, topic, group, clientID string) (map[string]map[MessageQueue]int64, error) {
	resp, err := a.call(ctx, "get consumer status of "+group, addr, protocol.ReqInvokeBrokerToGetConsumerStatus,
		&struct {
			Topic      string `ext:"topic,required"`
			Group      string `ext:"group,required"`
			ClientAddr string `ext:"clientAddr,omitempty"`
		}{topic, group, clientID}, nil)
	if err != nil {
		return nil, err
	}
	out, err := decodeConsumerStatus(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: consumer status from %s: %w", addr, err)
	}
	return out, nil
}

// decodeConsumerStatus decodes a GetConsumerStatusBody's consumerTable.
func decodeConsumerStatus(body []byte) (map[string]map[MessageQueue]int64, error) {
	var raw struct {
		ConsumerTable map[string]map[string]int64 `json:"consumerTable"`
	}
	if err := protocol.DecodeJSON(body, &raw); err != nil {
		return nil, err
	}
	out := make(map[string]map[MessageQueue]int64, len(raw.ConsumerTable))
	for id, table := range raw.ConsumerTable {
		m := make(map[MessageQueue]int64, len(table))
		for k, off := range table {
			var w protocol.MessageQueue
			if err := json.Unmarshal([]byte(k), &w); err != nil {
				return nil, fmt.Errorf("queue %.80q: %w", k, err)
			}
			m[queueFromWire(w)] = off
		}
		out[id] = m
	}
	return out, nil
}
