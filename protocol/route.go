package protocol

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
)

// MasterID is the broker id of a master; slaves have ids >= 1.
const MasterID int64 = 0

// QueueData is one broker's share of a topic in a route.
type QueueData struct {
	BrokerName     string `json:"brokerName"`
	Perm           int32  `json:"perm"`
	ReadQueueNums  int32  `json:"readQueueNums"`
	TopicSysFlag   int32  `json:"topicSysFlag"`
	WriteQueueNums int32  `json:"writeQueueNums"`
}

func (q *QueueData) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"brokerName":`...)
	dst = jsonAppendString(dst, q.BrokerName)
	dst = append(dst, `,"perm":`...)
	dst = strconv.AppendInt(dst, int64(q.Perm), 10)
	dst = append(dst, `,"readQueueNums":`...)
	dst = strconv.AppendInt(dst, int64(q.ReadQueueNums), 10)
	dst = append(dst, `,"topicSysFlag":`...)
	dst = strconv.AppendInt(dst, int64(q.TopicSysFlag), 10)
	dst = append(dst, `,"writeQueueNums":`...)
	dst = strconv.AppendInt(dst, int64(q.WriteQueueNums), 10)
	return append(dst, '}')
}

// BrokerData is one broker name (a master and its slaves) of a cluster.
// BrokerAddrs maps broker id to the main-port address.
type BrokerData struct {
	BrokerAddrs map[int64]string `json:"brokerAddrs"`
	BrokerName  string           `json:"brokerName"`
	Cluster     string           `json:"cluster"`
}

// Clone returns a deep copy.
func (b *BrokerData) Clone() BrokerData {
	c := *b
	c.BrokerAddrs = make(map[int64]string, len(b.BrokerAddrs))
	for id, addr := range b.BrokerAddrs {
		c.BrokerAddrs[id] = addr
	}
	return c
}

// MasterAddr returns the master's address, or "" when no master is known.
func (b *BrokerData) MasterAddr() string { return b.BrokerAddrs[MasterID] }

// SelectBrokerAddr returns the master's address or, without a master, a
// slave's chosen at random; "" when there is no address at all.
func (b *BrokerData) SelectBrokerAddr() string {
	if addr, ok := b.BrokerAddrs[MasterID]; ok {
		return addr
	}
	if len(b.BrokerAddrs) == 0 {
		return ""
	}
	ids := b.sortedIDs()
	return b.BrokerAddrs[ids[rand.IntN(len(ids))]]
}

func (b *BrokerData) sortedIDs() []int64 { return slices.Sorted(maps.Keys(b.BrokerAddrs)) }

func (b *BrokerData) appendJSON(dst []byte, form JSONForm) []byte {
	dst = append(dst, `{"brokerAddrs":{`...)
	for i, id := range b.sortedIDs() {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonAppendIntKey(dst, id, form)
		dst = jsonAppendString(dst, b.BrokerAddrs[id])
	}
	dst = append(dst, `},"brokerName":`...)
	dst = jsonAppendString(dst, b.BrokerName)
	dst = append(dst, `,"cluster":`...)
	dst = jsonAppendString(dst, b.Cluster)
	return append(dst, '}')
}

// TopicRouteData is the GET_ROUTEINFO_BY_TOPIC body: which brokers hold the
// topic, with how many queues, and where those brokers are.
type TopicRouteData struct {
	BrokerDatas       []BrokerData        `json:"brokerDatas"`
	FilterServerTable map[string][]string `json:"filterServerTable"`
	// OrderTopicConf is "brokerName:queueNum;..." for global-order topics;
	// omitted when empty.
	OrderTopicConf string      `json:"orderTopicConf,omitempty"`
	QueueDatas     []QueueData `json:"queueDatas"`
}

// Encode writes the route in the given form. Queue and broker data are
// sorted by broker name so equal routes encode to equal bytes.
func (r *TopicRouteData) Encode(form JSONForm) []byte {
	dst := make([]byte, 0, 256)
	dst = append(dst, `{"brokerDatas":[`...)
	brokers := slices.Clone(r.BrokerDatas)
	sort.Slice(brokers, func(i, j int) bool { return brokers[i].BrokerName < brokers[j].BrokerName })
	for i := range brokers {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = brokers[i].appendJSON(dst, form)
	}
	dst = append(dst, `],"filterServerTable":{`...)
	for i, addr := range slices.Sorted(maps.Keys(r.FilterServerTable)) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonAppendKey(dst, addr)
		dst = jsonAppendStrings(dst, r.FilterServerTable[addr])
	}
	dst = append(dst, '}')
	if r.OrderTopicConf != "" {
		dst = append(dst, `,"orderTopicConf":`...)
		dst = jsonAppendString(dst, r.OrderTopicConf)
	}
	dst = append(dst, `,"queueDatas":[`...)
	queues := slices.Clone(r.QueueDatas)
	sort.Slice(queues, func(i, j int) bool { return queues[i].BrokerName < queues[j].BrokerName })
	for i := range queues {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = queues[i].appendJSON(dst)
	}
	return append(dst, "]}"...)
}

// DecodeTopicRouteData decodes a route body in either form.
func DecodeTopicRouteData(data []byte) (*TopicRouteData, error) {
	var r TopicRouteData
	if err := DecodeJSON(data, &r); err != nil {
		return nil, fmt.Errorf("decode TopicRouteData: %w", err)
	}
	return &r, nil
}

// RouteFormFor picks the route JSON form for a request, as a 4.9.4+ name
// server does: standard JSON for clients at or above V4_9_4 or for those
// that ask for it, fastjson's form for everyone else.
func RouteFormFor(requestVersion int32, acceptStandardJSONOnly bool) JSONForm {
	if requestVersion >= VersionV4_9_4 || acceptStandardJSONOnly {
		return StandardForm
	}
	return FastjsonForm
}
