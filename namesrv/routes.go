package namesrv

import (
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
)

// routeTable is the name server's whole state about brokers and topics,
// kept in memory only (brokers re-register every 30 s, so a restarted name
// server fills up again on its own). One RWMutex guards all five tables:
// lookups share it, registrations and removals take it alone.
type routeTable struct {
	mu sync.RWMutex
	// topicQueues: topic -> broker name -> that broker's queues of the topic.
	topicQueues map[string]map[string]*protocol.QueueData
	// brokers: broker name -> cluster, name and id -> address.
	brokers map[string]*protocol.BrokerData
	// clusters: cluster name -> set of broker names.
	clusters map[string]map[string]struct{}
	// live: broker address -> liveness of that broker.
	live map[string]*brokerLive
	// filterServers: broker address -> filter server addresses (obsolete
	// feature, normally empty; kept because brokers still report it).
	filterServers map[string][]string

	now func() time.Time
}

// brokerLive is what a registration proves about one broker address.
type brokerLive struct {
	lastUpdate   time.Time
	dataVersion  protocol.DataVersion
	haServerAddr string
	conn         brokerConn // the connection it registered on; nil in table tests
}

// brokerConn is the part of a remoting connection the table needs: which
// connection a broker uses, so its close can remove the broker at once,
// and a way to close it when the broker expires.
type brokerConn interface {
	ID() uint64
	Close() error
}

func newRouteTable(now func() time.Time) *routeTable {
	return &routeTable{
		topicQueues:   make(map[string]map[string]*protocol.QueueData),
		brokers:       make(map[string]*protocol.BrokerData),
		clusters:      make(map[string]map[string]struct{}),
		live:          make(map[string]*brokerLive),
		filterServers: make(map[string][]string),
		now:           now,
	}
}

// registration is one REGISTER_BROKER request, decoded.
type registration struct {
	cluster, brokerAddr, brokerName, haServerAddr string
	brokerID                                      int64
	topics                                        *protocol.TopicConfigSerializeWrapper
	// filterServers nil means "not reported" (pre-V3_0_11 brokers): the
	// stored list is left alone. Empty means "none": it is removed.
	filterServers []string
	conn          brokerConn
}

// registerResult is what a slave learns about its master.
type registerResult struct {
	masterAddr, haServerAddr string
}

// register records a broker heartbeat: membership of its cluster, its
// address under its id, its topics (masters only, and only when its topic
// table version changed), and its liveness.
func (t *routeTable) register(r registration) registerResult {
	t.mu.Lock()
	defer t.mu.Unlock()

	names := t.clusters[r.cluster]
	if names == nil {
		names = make(map[string]struct{})
		t.clusters[r.cluster] = names
	}
	names[r.brokerName] = struct{}{}

	first := false
	bd := t.brokers[r.brokerName]
	if bd == nil {
		first = true
		bd = &protocol.BrokerData{Cluster: r.cluster, BrokerName: r.brokerName, BrokerAddrs: make(map[int64]string)}
		t.brokers[r.brokerName] = bd
	}
	// One address has one id: a slave promoted to master re-registers as
	// id 0 from the same address, and its old id must go.
	for id, addr := range bd.BrokerAddrs {
		if addr == r.brokerAddr && id != r.brokerID {
			delete(bd.BrokerAddrs, id)
		}
	}
	if _, ok := bd.BrokerAddrs[r.brokerID]; !ok {
		first = true
	}
	bd.BrokerAddrs[r.brokerID] = r.brokerAddr

	if r.brokerID == protocol.MasterID && (first || t.topicConfigChangedLocked(r.brokerAddr, r.topics.DataVersion)) {
		for _, tc := range r.topics.TopicConfigTable {
			t.updateQueueDataLocked(r.brokerName, tc)
		}
	}

	t.live[r.brokerAddr] = &brokerLive{
		lastUpdate:   t.now(),
		dataVersion:  r.topics.DataVersion,
		haServerAddr: r.haServerAddr,
		conn:         r.conn,
	}
	if r.filterServers != nil {
		if len(r.filterServers) == 0 {
			delete(t.filterServers, r.brokerAddr)
		} else {
			t.filterServers[r.brokerAddr] = slices.Clone(r.filterServers)
		}
	}

	var res registerResult
	if r.brokerID != protocol.MasterID {
		if masterAddr, ok := bd.BrokerAddrs[protocol.MasterID]; ok {
			if ml := t.live[masterAddr]; ml != nil {
				res = registerResult{masterAddr: masterAddr, haServerAddr: ml.haServerAddr}
			}
		}
	}
	return res
}

func (t *routeTable) updateQueueDataLocked(brokerName string, tc protocol.TopicConfig) {
	queues := t.topicQueues[tc.TopicName]
	if queues == nil {
		queues = make(map[string]*protocol.QueueData)
		t.topicQueues[tc.TopicName] = queues
	}
	queues[brokerName] = &protocol.QueueData{
		BrokerName:     brokerName,
		ReadQueueNums:  tc.ReadQueueNums,
		WriteQueueNums: tc.WriteQueueNums,
		Perm:           tc.Perm,
		TopicSysFlag:   tc.TopicSysFlag,
	}
}

func (t *routeTable) topicConfigChangedLocked(brokerAddr string, v protocol.DataVersion) bool {
	l := t.live[brokerAddr]
	return l == nil || l.dataVersion != v
}

// queryDataVersion answers QUERY_DATA_VERSION: whether the broker's topic
// table differs from the one registered, and the registered version (nil if
// the broker is unknown). An unchanged version counts as a heartbeat.
func (t *routeTable) queryDataVersion(brokerAddr string, v protocol.DataVersion) (changed bool, stored *protocol.DataVersion) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.live[brokerAddr]
	if l == nil {
		return true, nil
	}
	changed = l.dataVersion != v
	if !changed {
		l.lastUpdate = t.now()
	}
	dv := l.dataVersion
	return changed, &dv
}

// unregister removes one broker (UNREGISTER_BROKER, sent on broker shutdown).
func (t *routeTable) unregister(cluster, brokerAddr, brokerName string, brokerID int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.live, brokerAddr)
	delete(t.filterServers, brokerAddr)
	bd := t.brokers[brokerName]
	if bd == nil {
		return
	}
	delete(bd.BrokerAddrs, brokerID)
	if len(bd.BrokerAddrs) == 0 {
		t.removeBrokerNameLocked(brokerName)
	}
}

// removeBrokerNameLocked drops a broker name that has no address left: from
// the broker table, from its cluster (and the cluster when it empties), and
// from every topic (and topics left with no broker).
func (t *routeTable) removeBrokerNameLocked(brokerName string) {
	delete(t.brokers, brokerName)
	for cluster, names := range t.clusters {
		if _, ok := names[brokerName]; !ok {
			continue
		}
		delete(names, brokerName)
		if len(names) == 0 {
			delete(t.clusters, cluster)
		}
	}
	for topic, queues := range t.topicQueues {
		delete(queues, brokerName)
		if len(queues) == 0 {
			delete(t.topicQueues, topic)
		}
	}
}

// removeAddrLocked forgets a broker address that is gone (closed
// connection, expiry). A slave's removal leaves the topic routes alone; the
// last address of a broker name takes the name with it.
func (t *routeTable) removeAddrLocked(brokerAddr string) {
	delete(t.live, brokerAddr)
	delete(t.filterServers, brokerAddr)
	for name, bd := range t.brokers {
		for id, addr := range bd.BrokerAddrs {
			if addr == brokerAddr {
				delete(bd.BrokerAddrs, id)
			}
		}
		if len(bd.BrokerAddrs) == 0 {
			t.removeBrokerNameLocked(name)
		}
	}
}

// removeConn forgets every broker that registered on the connection with
// the given id, and returns their addresses. Called when it closes.
func (t *routeTable) removeConn(connID uint64) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var gone []string
	for addr, l := range t.live {
		if l.conn != nil && l.conn.ID() == connID {
			gone = append(gone, addr)
		}
	}
	for _, addr := range gone {
		t.removeAddrLocked(addr)
	}
	sort.Strings(gone)
	return gone
}

// expired is a broker removed for silence, with the connection to close.
type expired struct {
	addr string
	conn brokerConn
}

// removeExpired forgets brokers whose last heartbeat is older than
// timeout. The caller closes their connections outside the lock.
func (t *routeTable) removeExpired(timeout time.Duration) []expired {
	t.mu.Lock()
	defer t.mu.Unlock()
	deadline := t.now().Add(-timeout)
	var gone []expired
	for addr, l := range t.live {
		if l.lastUpdate.Before(deadline) {
			gone = append(gone, expired{addr: addr, conn: l.conn})
		}
	}
	for _, e := range gone {
		t.removeAddrLocked(e.addr)
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].addr < gone[j].addr })
	return gone
}

// route builds a topic's route: its queue data and a copy of the broker
// data of every broker name that holds it. ok is false when the topic has
// no queue data or none of its brokers is known.
func (t *routeTable) route(topic string) (route *protocol.TopicRouteData, ok bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	queues := t.topicQueues[topic]
	if len(queues) == 0 {
		return nil, false
	}
	route = &protocol.TopicRouteData{FilterServerTable: map[string][]string{}}
	for name, qd := range queues {
		route.QueueDatas = append(route.QueueDatas, *qd)
		bd := t.brokers[name]
		if bd == nil {
			continue
		}
		clone := bd.Clone()
		route.BrokerDatas = append(route.BrokerDatas, clone)
		if len(t.filterServers) == 0 {
			continue
		}
		for _, addr := range clone.BrokerAddrs {
			if list, ok := t.filterServers[addr]; ok {
				route.FilterServerTable[addr] = slices.Clone(list)
			}
		}
	}
	if len(route.BrokerDatas) == 0 {
		return nil, false
	}
	return route, true
}

// clusterInfo copies the broker and cluster tables.
func (t *routeTable) clusterInfo() *protocol.ClusterInfo {
	t.mu.RLock()
	defer t.mu.RUnlock()
	info := &protocol.ClusterInfo{
		BrokerAddrTable:  make(map[string]protocol.BrokerData, len(t.brokers)),
		ClusterAddrTable: make(map[string][]string, len(t.clusters)),
	}
	for name, bd := range t.brokers {
		info.BrokerAddrTable[name] = bd.Clone()
	}
	for cluster, names := range t.clusters {
		info.ClusterAddrTable[cluster] = sortedKeys(names)
	}
	return info
}

// allTopics lists every topic, system, retry and DLQ topics included.
func (t *routeTable) allTopics() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return sortedKeys(t.topicQueues)
}

// topicsOfCluster lists the topics that any broker of the cluster holds.
func (t *routeTable) topicsOfCluster(cluster string) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	names := t.clusters[cluster]
	var topics []string
	for topic, queues := range t.topicQueues {
		for name := range names {
			if _, ok := queues[name]; ok {
				topics = append(topics, topic)
				break
			}
		}
	}
	sort.Strings(topics)
	return topics
}

// systemTopics lists the cluster names and broker names (each is a topic
// on its brokers) and one broker address to ask about them.
func (t *routeTable) systemTopics() (topics []string, brokerAddr string) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	seen := make(map[string]struct{})
	for cluster, names := range t.clusters {
		seen[cluster] = struct{}{}
		for name := range names {
			seen[name] = struct{}{}
		}
	}
	for _, name := range sortedKeys(t.brokers) {
		bd := t.brokers[name]
		if len(bd.BrokerAddrs) > 0 {
			brokerAddr = bd.BrokerAddrs[slices.Min(slices.Collect(maps.Keys(bd.BrokerAddrs)))]
			break
		}
	}
	return sortedKeys(seen), brokerAddr
}

// topicsWhere lists topics whose first queue data (by broker name)
// satisfies pick: how upstream lists unit topics.
func (t *routeTable) topicsWhere(pick func(sysFlag int32) bool) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var topics []string
	for topic, queues := range t.topicQueues {
		if len(queues) == 0 {
			continue
		}
		first := queues[sortedKeys(queues)[0]]
		if pick(first.TopicSysFlag) {
			topics = append(topics, topic)
		}
	}
	sort.Strings(topics)
	return topics
}

// wipeWritePerm clears the write bit of every topic on the broker name and
// returns how many topics it touched.
func (t *routeTable) wipeWritePerm(brokerName string) int {
	return t.setPerm(brokerName, func(perm int32) int32 { return perm &^ protocol.PermWrite })
}

// addWritePerm sets every topic on the broker name to read+write and
// returns how many topics it touched.
func (t *routeTable) addWritePerm(brokerName string) int {
	return t.setPerm(brokerName, func(int32) int32 { return protocol.PermRead | protocol.PermWrite })
}

func (t *routeTable) setPerm(brokerName string, change func(int32) int32) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, queues := range t.topicQueues {
		if qd := queues[brokerName]; qd != nil {
			qd.Perm = change(qd.Perm)
			n++
		}
	}
	return n
}

// deleteTopic removes a topic everywhere, or, with a cluster name, only
// from that cluster's brokers (the topic goes when no broker is left).
func (t *routeTable) deleteTopic(topic, cluster string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cluster == "" {
		delete(t.topicQueues, topic)
		return
	}
	queues := t.topicQueues[topic]
	if queues == nil {
		return
	}
	for name := range t.clusters[cluster] {
		delete(queues, name)
	}
	if len(queues) == 0 {
		delete(t.topicQueues, topic)
	}
}

// liveBrokers returns the number of live broker addresses (for logs and tests).
func (t *routeTable) liveBrokers() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.live)
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
