package client

import (
	"slices"
	"strings"
	"sync"

	"github.com/rocketgo/rocketgo/protocol"
)

// subscriptions are a consumer's topics with their selectors: what its
// heartbeats announce and whose routes it keeps fresh.
type subscriptions struct {
	mu sync.RWMutex
	m  map[string]*protocol.SubscriptionData
}

func (s *subscriptions) get(topic string) *protocol.SubscriptionData {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.m[topic]
}

func (s *subscriptions) set(sd *protocol.SubscriptionData) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*protocol.SubscriptionData{}
	}
	s.m[sd.Topic] = sd
}

func (s *subscriptions) topics() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.m))
	for t := range s.m {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// list returns copies of the subscriptions, by topic.
func (s *subscriptions) list() []protocol.SubscriptionData {
	s.mu.RLock()
	out := make([]protocol.SubscriptionData, 0, len(s.m))
	for _, sd := range s.m {
		out = append(out, *sd)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b protocol.SubscriptionData) int { return strings.Compare(a.Topic, b.Topic) })
	return out
}

// consumerHeartbeat is the heartbeat of a client running one consumer group.
func consumerHeartbeat(clientID, group, consumeType string, model MessageModel, from ConsumeFrom, subs []protocol.SubscriptionData) *protocol.HeartbeatData {
	return &protocol.HeartbeatData{
		ClientID: clientID,
		ConsumerDataSet: []protocol.ConsumerData{{
			GroupName:           group,
			ConsumeType:         consumeType,
			MessageModel:        model.String(),
			ConsumeFromWhere:    from.String(),
			SubscriptionDataSet: subs,
		}},
		ProducerDataSet: []protocol.ProducerData{},
	}
}
