package client

import (
	"bytes"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/rocketgo/rocketgo/protocol"
)

// routeTable caches topic routes and the broker addresses they name.
type routeTable struct {
	mu      sync.RWMutex
	topics  map[string]*topicRoute
	brokers map[string]map[int64]string // broker name -> broker id -> address
}

// topicRoute is one topic's route and the queue lists derived from it.
type topicRoute struct {
	data    *protocol.TopicRouteData
	encoded []byte // canonical form, to tell whether a refresh changed it
	publish *publishInfo
	// subscribe lists the readable queues, sorted.
	subscribe []MessageQueue
	// fromDefault: the topic does not exist yet and publish was made from
	// the auto-create template's route (TBW102).
	fromDefault bool
}

// publishInfo is where a producer may send a topic's messages: the writable
// queues of all brokers, and the round-robin position.
type publishInfo struct {
	queues []MessageQueue
	order  bool // made from orderTopicConf
	next   atomic.Uint32
}

func newRouteTable() *routeTable {
	return &routeTable{topics: map[string]*topicRoute{}, brokers: map[string]map[int64]string{}}
}

// set stores topic's route and reports whether it differs from the cached
// one, and whether it names a broker address no route named before.
// fromDefault marks a route borrowed from the auto-create template.
func (t *routeTable) set(topic string, data *protocol.TopicRouteData, fromDefault bool) (changed, newBroker bool) {
	enc := data.Encode(protocol.StandardForm)
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.topics[topic]
	if old != nil && old.fromDefault == fromDefault && bytes.Equal(old.encoded, enc) {
		return false, false
	}
	for _, bd := range data.BrokerDatas {
		for id, addr := range bd.BrokerAddrs {
			if t.brokers[bd.BrokerName][id] != addr {
				newBroker = true
			}
		}
	}
	t.topics[topic] = &topicRoute{
		data:        data,
		encoded:     enc,
		publish:     publishInfoOf(topic, data),
		subscribe:   subscribeQueuesOf(topic, data),
		fromDefault: fromDefault,
	}
	t.rebuildBrokersLocked()
	return true, newBroker
}

// rebuildBrokersLocked recomputes the broker address table from every
// cached route, so brokers no route names any more are forgotten.
func (t *routeTable) rebuildBrokersLocked() {
	brokers := map[string]map[int64]string{}
	for _, r := range t.topics {
		for _, bd := range r.data.BrokerDatas {
			m := brokers[bd.BrokerName]
			if m == nil {
				m = map[int64]string{}
				brokers[bd.BrokerName] = m
			}
			maps.Copy(m, bd.BrokerAddrs)
		}
	}
	t.brokers = brokers
}

// remove forgets topic's route.
func (t *routeTable) remove(topic string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.topics, topic)
	t.rebuildBrokersLocked()
}

func (t *routeTable) route(topic string) *topicRoute {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.topics[topic]
}

func (t *routeTable) fromDefault(topic string) bool {
	r := t.route(topic)
	return r != nil && r.fromDefault
}

// publish returns where topic's messages may go, nil when no queue is
// known.
func (t *routeTable) publish(topic string) *publishInfo {
	r := t.route(topic)
	if r == nil || len(r.publish.queues) == 0 {
		return nil
	}
	return r.publish
}

// subscribeQueues returns topic's readable queues (shared; do not modify).
func (t *routeTable) subscribeQueues(topic string) []MessageQueue {
	r := t.route(topic)
	if r == nil {
		return nil
	}
	return r.subscribe
}

// masterAddr returns the master address of a broker name, "" if unknown.
func (t *routeTable) masterAddr(brokerName string) string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.brokers[brokerName][protocol.MasterID]
}

// brokerAddr returns the address of broker id of brokerName or, unless
// onlyThis, of any broker of that name (master first), as upstream
// findBrokerAddressInSubscribe. "" if none.
func (t *routeTable) brokerAddr(brokerName string, id int64, onlyThis bool) string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	addrs := t.brokers[brokerName]
	if a, ok := addrs[id]; ok {
		return a
	}
	if onlyThis || len(addrs) == 0 {
		return ""
	}
	if a, ok := addrs[protocol.MasterID]; ok {
		return a
	}
	return addrs[slices.Sorted(maps.Keys(addrs))[0]]
}

// anyBrokerOf returns an address of a broker that holds topic, chosen at
// random and master first, as upstream findBrokerAddrByTopic.
func (t *routeTable) anyBrokerOf(topic string) string {
	r := t.route(topic)
	if r == nil || len(r.data.BrokerDatas) == 0 {
		return ""
	}
	bd := r.data.BrokerDatas[rand.IntN(len(r.data.BrokerDatas))]
	return bd.SelectBrokerAddr()
}

// brokerAddrs returns every known broker address with its name and id.
func (t *routeTable) brokerAddrs() []brokerAddr {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []brokerAddr
	for name, ids := range t.brokers {
		for id, addr := range ids {
			out = append(out, brokerAddr{name: name, id: id, addr: addr})
		}
	}
	slices.SortFunc(out, func(a, b brokerAddr) int { return strings.Compare(a.addr, b.addr) })
	return out
}

type brokerAddr struct {
	name string
	id   int64
	addr string
}

// publishInfoOf lists the writable queues of a route (upstream
// topicRouteData2TopicPublishInfo): from orderTopicConf when the route
// has one, otherwise the write queues of every writable broker that has a
// master, brokers in name order.
func publishInfoOf(topic string, data *protocol.TopicRouteData) *publishInfo {
	info := &publishInfo{}
	if conf := data.OrderTopicConf; conf != "" {
		info.order = true
		for _, item := range strings.Split(conf, ";") {
			name, num, ok := strings.Cut(item, ":")
			n, err := strconv.Atoi(num)
			if !ok || err != nil || n < 0 {
				continue
			}
			for i := range n {
				info.queues = append(info.queues, MessageQueue{Topic: topic, BrokerName: name, QueueID: int32(i)})
			}
		}
		return info
	}
	masters := map[string]bool{}
	for _, bd := range data.BrokerDatas {
		if bd.MasterAddr() != "" {
			masters[bd.BrokerName] = true
		}
	}
	qds := slices.Clone(data.QueueDatas)
	slices.SortFunc(qds, func(a, b protocol.QueueData) int { return strings.Compare(a.BrokerName, b.BrokerName) })
	for _, qd := range qds {
		if !protocol.PermWritable(qd.Perm) || !masters[qd.BrokerName] {
			continue
		}
		for i := range qd.WriteQueueNums {
			info.queues = append(info.queues, MessageQueue{Topic: topic, BrokerName: qd.BrokerName, QueueID: i})
		}
	}
	return info
}

// subscribeQueuesOf lists the readable queues of a route, sorted.
func subscribeQueuesOf(topic string, data *protocol.TopicRouteData) []MessageQueue {
	var out []MessageQueue
	for _, qd := range data.QueueDatas {
		if !protocol.PermReadable(qd.Perm) {
			continue
		}
		for i := range qd.ReadQueueNums {
			out = append(out, MessageQueue{Topic: topic, BrokerName: qd.BrokerName, QueueID: i})
		}
	}
	slices.SortFunc(out, compareQueues)
	return out
}

// defaultRoute adapts the auto-create template's route for a topic that
// does not exist yet: each broker offers min(queueNums, its read queues)
// queues, as upstream does.
func defaultRoute(tmpl *protocol.TopicRouteData, queueNums int32) *protocol.TopicRouteData {
	r := *tmpl
	r.QueueDatas = slices.Clone(tmpl.QueueDatas)
	for i := range r.QueueDatas {
		n := min(queueNums, r.QueueDatas[i].ReadQueueNums)
		r.QueueDatas[i].ReadQueueNums = n
		r.QueueDatas[i].WriteQueueNums = n
	}
	return &r
}
