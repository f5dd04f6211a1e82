package broker

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/filter"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// clientChannel is one client connection as a group member.
type clientChannel struct {
	conn     *remoting.Conn
	clientID string
	language string
	version  int32
	lastSeen time.Time
}

// subscription is a registered subscription with its compiled selector;
// err is the parser's message when the expression does not compile.
type subscription struct {
	data protocol.SubscriptionData
	sel  *filter.Selector
	err  error
}

// consumerGroup is what the broker knows about a live consumer group
// (upstream ConsumerGroupInfo).
type consumerGroup struct {
	consumeType      string
	messageModel     string
	consumeFromWhere string
	channels         map[*remoting.Conn]*clientChannel
	subs             map[string]*subscription // by topic
}

// clientTable holds the live producers and consumers by group (upstream
// ProducerManager and ConsumerManager). Members join by heartbeat and
// leave by UNREGISTER_CLIENT, when their connection closes, or after
// channelExpiry without a heartbeat.
type clientTable struct {
	mu        sync.Mutex
	producers map[string]map[*remoting.Conn]*clientChannel
	consumers map[string]*consumerGroup

	// selectors compiles subscriptions (filter.go); it has its own lock,
	// taken inside mu, never the other way round.
	selectors selectorCache
}

func newClientTable() *clientTable {
	return &clientTable{
		producers: map[string]map[*remoting.Conn]*clientChannel{},
		consumers: map[string]*consumerGroup{},
	}
}

func (t *clientTable) registerProducer(group string, ch clientChannel) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.producers[group]
	if m == nil {
		m = map[*remoting.Conn]*clientChannel{}
		t.producers[group] = m
	}
	c := ch
	m[ch.conn] = &c
}

// registerConsumer adds or refreshes a consumer's channel and replaces the
// group's subscriptions; it reports whether the group changed (new member
// or changed topics), which is when members must rebalance.
func (t *clientTable) registerConsumer(cd *protocol.ConsumerData, ch clientChannel) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.consumers[cd.GroupName]
	if g == nil {
		g = &consumerGroup{channels: map[*remoting.Conn]*clientChannel{}, subs: map[string]*subscription{}}
		t.consumers[cd.GroupName] = g
	}
	g.consumeType, g.messageModel, g.consumeFromWhere = cd.ConsumeType, cd.MessageModel, cd.ConsumeFromWhere
	changed := false
	if old, ok := g.channels[ch.conn]; ok {
		if old.clientID != ch.clientID {
			changed = true
		}
	} else {
		changed = true
	}
	c := ch
	g.channels[ch.conn] = &c

	seen := make(map[string]bool, len(cd.SubscriptionDataSet))
	for _, sd := range cd.SubscriptionDataSet {
		seen[sd.Topic] = true
		old, ok := g.subs[sd.Topic]
		if ok && sd.SubVersion <= old.data.SubVersion {
			continue
		}
		if !ok {
			changed = true
		}
		sel, err := t.selectors.compile(cd.GroupName, sd.Topic, sd.SubVersion, sd.ExpressionType, subscriptionExpr(&sd))
		g.subs[sd.Topic] = &subscription{data: sd, sel: sel, err: err}
	}
	for topic := range g.subs {
		if !seen[topic] {
			delete(g.subs, topic)
			changed = true
		}
	}
	return changed
}

func (t *clientTable) unregisterProducer(group string, conn *remoting.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if m := t.producers[group]; m != nil {
		delete(m, conn)
		if len(m) == 0 {
			delete(t.producers, group)
		}
	}
}

// unregisterConsumer removes conn from group; it reports whether it was a
// member.
func (t *clientTable) unregisterConsumer(group string, conn *remoting.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.removeConsumerLocked(group, conn)
}

func (t *clientTable) removeConsumerLocked(group string, conn *remoting.Conn) bool {
	g := t.consumers[group]
	if g == nil {
		return false
	}
	if _, ok := g.channels[conn]; !ok {
		return false
	}
	delete(g.channels, conn)
	if len(g.channels) == 0 {
		delete(t.consumers, group)
	}
	return true
}

// connClosed removes conn everywhere and returns the consumer groups it
// left.
func (t *clientTable) connClosed(conn *remoting.Conn) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	for group := range t.producers {
		m := t.producers[group]
		delete(m, conn)
		if len(m) == 0 {
			delete(t.producers, group)
		}
	}
	var left []string
	for group := range t.consumers {
		if t.removeConsumerLocked(group, conn) {
			left = append(left, group)
		}
	}
	return left
}

// expired returns the connections without a heartbeat since before cutoff.
func (t *clientTable) expired(cutoff time.Time) []*remoting.Conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	set := map[*remoting.Conn]bool{}
	for _, m := range t.producers {
		for c, ch := range m {
			if ch.lastSeen.Before(cutoff) {
				set[c] = true
			}
		}
	}
	for _, g := range t.consumers {
		for c, ch := range g.channels {
			if ch.lastSeen.Before(cutoff) {
				set[c] = true
			}
		}
	}
	return slices.Collect(maps.Keys(set))
}

// consumerIDs returns the client ids of a group's live members, sorted.
func (t *clientTable) consumerIDs(group string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.consumers[group]
	if g == nil {
		return nil
	}
	ids := make([]string, 0, len(g.channels))
	for _, ch := range g.channels {
		ids = append(ids, ch.clientID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// consumerConns returns the connections of a group's members.
func (t *clientTable) consumerConns(group string) []*remoting.Conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.consumers[group]
	if g == nil {
		return nil
	}
	return slices.Collect(maps.Keys(g.channels))
}

// findConsumer returns the connection of clientID in group.
func (t *clientTable) findConsumer(group, clientID string) (*clientChannel, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if g := t.consumers[group]; g != nil {
		for _, ch := range g.channels {
			if ch.clientID == clientID {
				c := *ch
				return &c, true
			}
		}
	}
	return nil, false
}

// subscription looks up the registered subscription of group for topic.
// groupKnown is false when the group has no live member.
func (t *clientTable) subscription(group, topic string) (sub *subscription, model string, groupKnown bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.consumers[group]
	if g == nil {
		return nil, "", false
	}
	return g.subs[topic], g.messageModel, true
}

// consumersOfTopic returns the groups subscribed to topic.
func (t *clientTable) consumersOfTopic(topic string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for name, g := range t.consumers {
		if _, ok := g.subs[topic]; ok {
			out = append(out, name)
		}
	}
	return out
}

func connectionOf(ch *clientChannel) protocol.Connection {
	return protocol.Connection{ClientAddr: ch.conn.RemoteAddr(), ClientID: ch.clientID, Language: ch.language, Version: ch.version}
}

// consumerConnection builds the GET_CONSUMER_CONNECTION_LIST body.
func (t *clientTable) consumerConnection(group string) (*protocol.ConsumerConnection, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.consumers[group]
	if g == nil || len(g.channels) == 0 {
		return nil, false
	}
	cc := &protocol.ConsumerConnection{
		ConsumeFromWhere: g.consumeFromWhere, ConsumeType: g.consumeType, MessageModel: g.messageModel,
		SubscriptionTable: map[string]protocol.SubscriptionData{},
	}
	for _, ch := range g.channels {
		cc.ConnectionSet = append(cc.ConnectionSet, connectionOf(ch))
	}
	for topic, s := range g.subs {
		cc.SubscriptionTable[topic] = s.data
	}
	return cc, true
}

// producerConnection builds the GET_PRODUCER_CONNECTION_LIST body.
func (t *clientTable) producerConnection(group string) protocol.ProducerConnection {
	t.mu.Lock()
	defer t.mu.Unlock()
	pc := protocol.ProducerConnection{ConnectionSet: []protocol.Connection{}}
	for _, ch := range t.producers[group] {
		pc.ConnectionSet = append(pc.ConnectionSet, connectionOf(ch))
	}
	return pc
}
