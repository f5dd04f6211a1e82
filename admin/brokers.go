package admin

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/protocol"
)

// broker is one broker process a command acts on.
type broker struct {
	Cluster, Name string
	ID            int64
	Addr          string
}

// allBrokers lists every broker of the cluster info, by cluster, broker
// name and id; only the clusters named in only when it is not empty.
func allBrokers(info *protocol.ClusterInfo, only string) []broker {
	var out []broker
	for _, cluster := range slices.Sorted(maps.Keys(info.ClusterAddrTable)) {
		if only != "" && cluster != only {
			continue
		}
		for _, name := range slices.Sorted(slices.Values(info.ClusterAddrTable[cluster])) {
			bd, ok := info.BrokerAddrTable[name]
			if !ok {
				continue
			}
			for _, id := range slices.Sorted(maps.Keys(bd.BrokerAddrs)) {
				out = append(out, broker{Cluster: cluster, Name: name, ID: id, Addr: bd.BrokerAddrs[id]})
			}
		}
	}
	return out
}

// targets returns the brokers named by -b (one address) or, without -b,
// the brokers of the cluster named by -c: -b wins when both are given, as
// upstream documents. mastersOnly keeps the masters of the cluster.
func (x *Exec) targets(ctx context.Context, a *client.Admin, mastersOnly bool) ([]broker, error) {
	if x.Has("b") {
		addr := x.Str("b")
		if addr == "" {
			return nil, fmt.Errorf("-b needs a broker address ip:port")
		}
		b := broker{Addr: addr}
		if info, err := a.ClusterInfo(ctx); err == nil {
			for _, k := range allBrokers(info, "") {
				if k.Addr == addr {
					b = k
				}
			}
		}
		return []broker{b}, nil
	}
	if !x.Has("c") {
		return nil, fmt.Errorf("give a broker address with -b ip:port or a cluster name with -c")
	}
	info, err := a.ClusterInfo(ctx)
	if err != nil {
		return nil, err
	}
	cluster := x.Str("c")
	if _, ok := info.ClusterAddrTable[cluster]; !ok {
		return nil, fmt.Errorf("cluster %q not found (known: %v)", cluster, slices.Sorted(maps.Keys(info.ClusterAddrTable)))
	}
	var out []broker
	for _, b := range allBrokers(info, cluster) {
		if !mastersOnly || b.ID == protocol.MasterID {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("cluster %q has no master broker", cluster)
	}
	return out, nil
}

// adminAndTargets connects and returns the brokers a command acts on (see targets).
func (x *Exec) adminAndTargets(ctx context.Context, mastersOnly bool) (*client.Admin, []broker, error) {
	a, err := x.Admin()
	if err != nil {
		return nil, nil, err
	}
	brokers, err := x.targets(ctx, a, mastersOnly)
	if err != nil {
		return nil, nil, err
	}
	return a, brokers, nil
}

// brokerAddrByName returns the master address (or any address) of the
// broker called name.
func brokerAddrByName(ctx context.Context, a *client.Admin, name string) (string, error) {
	info, err := a.ClusterInfo(ctx)
	if err != nil {
		return "", err
	}
	bd, ok := info.BrokerAddrTable[name]
	if !ok {
		return "", fmt.Errorf("broker %q not found (known: %v); give a broker name as clusterList prints it", name, slices.Sorted(maps.Keys(info.BrokerAddrTable)))
	}
	if addr := bd.SelectBrokerAddr(); addr != "" {
		return addr, nil
	}
	return "", fmt.Errorf("broker %q has no address", name)
}

// adminAndRoute connects and returns topic's route with the address to
// ask for each of its brokers.
func (x *Exec) adminAndRoute(ctx context.Context, topic string) (*client.Admin, *protocol.TopicRouteData, map[string]string, error) {
	a, err := x.Admin()
	if err != nil {
		return nil, nil, nil, err
	}
	route, addrs, err := routeBrokers(ctx, a, topic)
	if err != nil {
		return nil, nil, nil, err
	}
	return a, route, addrs, nil
}

// routeBrokers returns, for each broker name in topic's route, the
// address to ask (the master when there is one).
func routeBrokers(ctx context.Context, a *client.Admin, topic string) (*protocol.TopicRouteData, map[string]string, error) {
	route, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return nil, nil, err
	}
	addrs := map[string]string{}
	for _, bd := range route.BrokerDatas {
		if addr := bd.SelectBrokerAddr(); addr != "" {
			addrs[bd.BrokerName] = addr
		}
	}
	return route, addrs, nil
}

// readableQueues lists the read queues of topic's route on brokers whose
// perm lets them be read, in route order.
func readableQueues(route *protocol.TopicRouteData, topic string) []client.MessageQueue {
	var mqs []client.MessageQueue
	for _, qd := range route.QueueDatas {
		if protocol.PermReadable(qd.Perm) {
			for q := range qd.ReadQueueNums {
				mqs = append(mqs, client.MessageQueue{Topic: topic, BrokerName: qd.BrokerName, QueueID: q})
			}
		}
	}
	return mqs
}
