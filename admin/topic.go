package admin

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/protocol"
)

// Topic commands: create, delete, list, route, status, perm, order conf.

var (
	optTopic      = Option{Short: "t", Long: "topic", Arg: true, Required: true, Usage: "topic name"}
	optBrokerAddr = Option{Short: "b", Long: "brokerAddr", Arg: true, Usage: "broker address ip:port (wins over -c)"}
	optCluster    = Option{Short: "c", Long: "clusterName", Arg: true, Usage: "cluster name (see clusterList)"}
)

func topicCommands() []*Command {
	return []*Command{
		{Name: "updateTopic", Desc: "Update or create topic", Run: runUpdateTopic, Options: []Option{
			optBrokerAddr, optCluster, optTopic,
			{Short: "r", Long: "readQueueNums", Arg: true, Usage: "set read queue nums (default 8)"},
			{Short: "w", Long: "writeQueueNums", Arg: true, Usage: "set write queue nums (default 8)"},
			{Short: "p", Long: "perm", Arg: true, Usage: "set topic's permission(2|4|6), intro[2:W 4:R; 6:RW]"},
			{Short: "o", Long: "order", Arg: true, Usage: "set topic's order(true|false)"},
			{Short: "u", Long: "unit", Arg: true, Usage: "is unit topic (true|false)"},
			{Short: "s", Long: "hasUnitSub", Arg: true, Usage: "has unit sub (true|false)"},
		}},
		{Name: "deleteTopic", Desc: "Delete topic from broker and NameServer.", Run: runDeleteTopic, Options: []Option{
			optTopic, {Short: "c", Long: "clusterName", Arg: true, Required: true, Usage: "delete topic from which cluster"},
		}},
		{Name: "updateTopicPerm", Desc: "Update topic perm", Run: runUpdateTopicPerm, Options: []Option{
			optBrokerAddr, optCluster, optTopic,
			{Short: "p", Long: "perm", Arg: true, Required: true, Usage: "set topic's permission(2|4|6), intro[2:W; 4:R; 6:RW]"},
		}},
		{Name: "topicRoute", Desc: "Examine topic route info", Run: runTopicRoute, Options: []Option{
			optTopic, {Short: "l", Long: "list", Usage: "Use list format to print data"},
		}},
		{Name: "topicStatus", Desc: "Examine topic Status info", Run: runTopicStatus, Options: []Option{optTopic}},
		{Name: "topicClusterList", Desc: "get cluster info for topic", Run: runTopicClusterList, Options: []Option{optTopic}},
		{Name: "topicList", Desc: "Fetch all topic list from name server", Run: runTopicList, Options: []Option{
			{Short: "c", Long: "clusterModel", Usage: "print cluster, topic and consumer groups"},
		}},
		{Name: "allocateMQ", Desc: "Allocate MQ", Run: runAllocateMQ, Options: []Option{
			optTopic, {Short: "i", Long: "ipList", Arg: true, Required: true, Usage: "ipList (comma separated)"},
		}},
		{Name: "updateOrderConf", Desc: "Create or update or delete order conf", Run: runUpdateOrderConf, Options: []Option{
			optTopic,
			{Short: "v", Long: "orderConf", Arg: true, Usage: "set order conf [eg. brokerName1:num;brokerName2:num]"},
			{Short: "m", Long: "method", Arg: true, Required: true, Usage: "option type [eg. put|get|delete"},
		}},
	}
}

// topicConfigString prints a topic config as upstream's TopicConfig.toString.
func topicConfigString(t client.TopicOptions, filter string, sysFlag int32) string {
	return fmt.Sprintf("TopicConfig [topicName=%s, readQueueNums=%d, writeQueueNums=%d, perm=%s, topicFilterType=%s, topicSysFlag=%d, order=%t]",
		t.Name, t.ReadQueues, t.WriteQueues, protocol.PermString(t.Perm), filter, sysFlag, t.Order)
}

func parsePerm(x *Exec, def int32) (int32, error) {
	p, err := x.Int("p", int64(def))
	if err != nil {
		return 0, err
	}
	if p != 2 && p != 4 && p != 6 {
		return 0, fmt.Errorf("-p %d is not a topic permission: use 2 (write), 4 (read) or 6 (read and write)", p)
	}
	return int32(p), nil
}

func runUpdateTopic(ctx context.Context, x *Exec) error {
	topic := x.Str("t")
	if err := checkTopicStrict(topic); err != nil {
		return err
	}
	t := client.TopicOptions{Name: topic}
	for _, q := range []struct {
		flag string
		dst  *int32
	}{{"r", &t.ReadQueues}, {"w", &t.WriteQueues}} {
		n, err := x.Int(q.flag, 8)
		if err != nil {
			return err
		}
		if n < 1 || n > 1024 {
			return fmt.Errorf("-%s %d: queue numbers must be in 1..1024", q.flag, n)
		}
		*q.dst = int32(n)
	}
	perm, err := parsePerm(x, 6)
	if err != nil {
		return err
	}
	t.Perm = perm
	if t.Order, err = x.Bool("o", false); err != nil {
		return err
	}
	unit, err := x.Bool("u", false)
	if err != nil {
		return err
	}
	unitSub, err := x.Bool("s", false)
	if err != nil {
		return err
	}
	if unit {
		t.SysFlag |= protocol.TopicSysFlagUnit
	}
	if unitSub {
		t.SysFlag |= protocol.TopicSysFlagUnitSub
	}
	if !x.Has("b") && !x.Has("c") {
		return fmt.Errorf("give a broker address with -b ip:port or a cluster name with -c")
	}
	a, brokers, err := x.adminAndTargets(ctx, true)
	if err != nil {
		return err
	}
	for _, b := range brokers {
		if err := a.CreateTopicOnBroker(ctx, b.Addr, t); err != nil {
			return err
		}
		fmt.Fprintf(x.Out, "create topic to %s success.\n", b.Addr)
	}
	if t.Order {
		var conf []string
		for _, b := range brokers {
			if b.Name == "" {
				return fmt.Errorf("broker %s is not registered with the name server; cannot set its order conf", b.Addr)
			}
			conf = append(conf, b.Name+":"+strconv.Itoa(int(t.WriteQueues)))
		}
		orderConf := strings.Join(conf, ";")
		if err := a.PutKVConfig(ctx, protocol.KVNamespaceOrderTopicConfig, topic, orderConf); err != nil {
			return err
		}
		scope := "cluster"
		if x.Has("b") {
			scope = "broker"
		}
		fmt.Fprintf(x.Out, "set %s orderConf. isOrder=%t, orderConf=[%s]\n", scope, t.Order, orderConf)
	}
	fmt.Fprintln(x.Out, topicConfigString(t, string(protocol.SingleTag), t.SysFlag))
	return nil
}

func runDeleteTopic(ctx context.Context, x *Exec) error {
	topic, cluster := x.Str("t"), x.Str("c")
	if err := checkTopicStrict(topic); err != nil {
		return err
	}
	a, brokers, err := x.adminAndTargets(ctx, true)
	if err != nil {
		return err
	}
	for _, b := range brokers {
		if err := a.DeleteTopicOnBroker(ctx, b.Addr, topic); err != nil {
			return err
		}
	}
	fmt.Fprintf(x.Out, "delete topic [%s] from cluster [%s] success.\n", topic, cluster)
	if err := a.DeleteTopicOnNameServers(ctx, topic, ""); err != nil {
		return err
	}
	fmt.Fprintf(x.Out, "delete topic [%s] from NameServer success.\n", topic)
	return nil
}

func runUpdateTopicPerm(ctx context.Context, x *Exec) error {
	topic := x.Str("t")
	if err := checkTopicStrict(topic); err != nil {
		return err
	}
	perm, err := parsePerm(x, 6)
	if err != nil {
		return err
	}
	a, brokers, err := x.adminAndTargets(ctx, true)
	if err != nil {
		return err
	}
	for _, b := range brokers {
		w, err := a.TopicConfigs(ctx, b.Addr)
		if err != nil {
			return err
		}
		tc, ok := w.TopicConfigTable[topic]
		if !ok {
			return fmt.Errorf("topic %s does not exist on broker %s", topic, b.Addr)
		}
		if tc.Perm == perm {
			fmt.Fprintf(x.Out, "new perm equals to the old one!\n")
			continue
		}
		t := client.TopicOptions{Name: topic, ReadQueues: tc.ReadQueueNums, WriteQueues: tc.WriteQueueNums, Perm: perm, Order: tc.Order, SysFlag: tc.TopicSysFlag}
		if err := a.CreateTopicOnBroker(ctx, b.Addr, t); err != nil {
			return err
		}
		fmt.Fprintf(x.Out, "update topic perm from %d to %d in %s success.\n", tc.Perm, perm, b.Addr)
		fmt.Fprintf(x.Out, "%s.\n", topicConfigString(t, string(tc.TopicFilterType), tc.TopicSysFlag))
	}
	return nil
}

func runTopicRoute(ctx context.Context, x *Exec) error {
	topic := x.Str("t")
	if err := checkTopicRead(topic); err != nil {
		return err
	}
	a, err := x.Admin()
	if err != nil {
		return err
	}
	route, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return err
	}
	if !x.Has("l") {
		var buf bytes.Buffer
		if err := json.Indent(&buf, route.Encode(protocol.StandardForm), "", "\t"); err != nil {
			return fmt.Errorf("format route: %w", err)
		}
		fmt.Fprintln(x.Out, buf.String())
		return nil
	}
	const format = "%-45s %-32s %-50s %-10s %-11s %-5s\n"
	qds := map[string]protocol.QueueData{}
	for _, qd := range route.QueueDatas {
		qds[qd.BrokerName] = qd
	}
	bds := slices.SortedFunc(slices.Values(route.BrokerDatas), func(a, b protocol.BrokerData) int { return cmp.Compare(a.BrokerName, b.BrokerName) })
	fmt.Fprintf(x.Out, format, "#ClusterName", "#BrokerName", "#BrokerAddrs", "#ReadQueue", "#WriteQueue", "#Perm")
	var totalR, totalW int32
	for _, bd := range bds {
		qd := qds[bd.BrokerName]
		totalR += qd.ReadQueueNums
		totalW += qd.WriteQueueNums
		fmt.Fprintf(x.Out, format, bd.Cluster, bd.BrokerName, javaMap(bd.BrokerAddrs),
			strconv.Itoa(int(qd.ReadQueueNums)), strconv.Itoa(int(qd.WriteQueueNums)), strconv.Itoa(int(qd.Perm)))
	}
	fmt.Fprintln(x.Out, strings.Repeat("-", 158))
	fmt.Fprintf(x.Out, format, "Total:", strconv.Itoa(len(qds)), "", strconv.Itoa(int(totalR)), strconv.Itoa(int(totalW)), "")
	return nil
}

// javaMap prints an id -> address map as Java's HashMap.toString does.
func javaMap(m map[int64]string) string {
	var parts []string
	for _, id := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%d=%s", id, m[id]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// humanTime prints ms as upstream's UtilAll.timeMillisToHumanString2.
func humanTime(ms int64) string {
	return time.UnixMilli(ms).Format("2006-01-02 15:04:05,000")
}

func runTopicStatus(ctx context.Context, x *Exec) error {
	topic := x.Str("t")
	if err := checkTopicRead(topic); err != nil {
		return err
	}
	a, _, addrs, err := x.adminAndRoute(ctx, topic)
	if err != nil {
		return err
	}
	all := map[protocol.MessageQueue]protocol.TopicOffset{}
	for _, name := range slices.Sorted(maps.Keys(addrs)) {
		st, err := a.TopicStats(ctx, addrs[name], topic)
		if err != nil {
			return err
		}
		maps.Copy(all, st.OffsetTable)
	}
	fmt.Fprintf(x.Out, "%-32s  %-4s  %-20s  %-20s    %s\n", "#Broker Name", "#QID", "#Min Offset", "#Max Offset", "#Last Updated")
	for _, mq := range sortedQueues(all) {
		o := all[mq]
		last := ""
		if o.LastUpdateTimestamp > 0 {
			last = humanTime(o.LastUpdateTimestamp)
		}
		fmt.Fprintf(x.Out, "%-32s  %-4d  %-20d  %-20d    %s\n", mq.BrokerName, mq.QueueID, o.MinOffset, o.MaxOffset, last)
	}
	return nil
}

func sortedQueues[V any](m map[protocol.MessageQueue]V) []protocol.MessageQueue {
	return slices.SortedFunc(maps.Keys(m), func(a, b protocol.MessageQueue) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.BrokerName, b.BrokerName), cmp.Compare(a.QueueID, b.QueueID))
	})
}

// topicClusters returns the clusters holding topic's brokers.
func topicClusters(ctx context.Context, a *client.Admin, topic string) ([]string, error) {
	route, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return nil, err
	}
	info, err := a.ClusterInfo(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, bd := range route.BrokerDatas {
		for cluster, names := range info.ClusterAddrTable {
			if slices.Contains(names, bd.BrokerName) && !slices.Contains(out, cluster) {
				out = append(out, cluster)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

func runTopicClusterList(ctx context.Context, x *Exec) error {
	topic := x.Str("t")
	if err := checkTopicRead(topic); err != nil {
		return err
	}
	a, err := x.Admin()
	if err != nil {
		return err
	}
	clusters, err := topicClusters(ctx, a, topic)
	if err != nil {
		return err
	}
	for _, c := range clusters {
		fmt.Fprintln(x.Out, c)
	}
	return nil
}

func runTopicList(ctx context.Context, x *Exec) error {
	a, err := x.Admin()
	if err != nil {
		return err
	}
	topics, err := a.TopicList(ctx)
	if err != nil {
		return err
	}
	slices.Sort(topics)
	if !x.Has("c") {
		for _, t := range topics {
			fmt.Fprintln(x.Out, t)
		}
		return nil
	}
	fmt.Fprintf(x.Out, "%-20s  %-48s  %-48s\n", "#Cluster Name", "#Topic", "#Consumer Group")
	for _, t := range topics {
		if strings.HasPrefix(t, protocol.RetryTopicPrefix) || strings.HasPrefix(t, protocol.DLQTopicPrefix) {
			continue
		}
		cluster := ""
		groups := []string{""}
		if clusters, err := topicClusters(ctx, a, t); err == nil && len(clusters) > 0 {
			cluster = clusters[0]
		}
		if _, addrs, err := routeBrokers(ctx, a, t); err == nil {
			var gs []string
			for _, addr := range addrs {
				if g, err := a.QueryTopicConsumeByWho(ctx, addr, t); err == nil {
					gs = append(gs, g...)
				}
			}
			slices.Sort(gs)
			if gs = slices.Compact(gs); len(gs) > 0 {
				groups = gs
			}
		}
		for _, g := range groups {
			fmt.Fprintf(x.Out, "%-20s  %-64s  %-64s\n", cluster, t, g)
		}
	}
	return nil
}

func runUpdateOrderConf(ctx context.Context, x *Exec) error {
	topic, method := x.Str("t"), x.Str("m")
	if err := checkTopicStrict(topic); err != nil {
		return err
	}
	a, err := x.Admin()
	if err != nil {
		return err
	}
	ns := protocol.KVNamespaceOrderTopicConfig
	switch method {
	case "get":
		v, found, err := a.KVConfig(ctx, ns, topic)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("topic %s has no order conf", topic)
		}
		fmt.Fprintf(x.Out, "get orderConf success. topic=[%s], orderConf=[%s]\n", topic, v)
	case "put":
		v := x.Str("v")
		if v == "" {
			return fmt.Errorf("-m put needs -v brokerName1:num;brokerName2:num")
		}
		if err := a.PutKVConfig(ctx, ns, topic, v); err != nil {
			return err
		}
		fmt.Fprintf(x.Out, "update orderConf success. topic=[%s], orderConf=[%s]\n", topic, v)
	case "delete":
		if err := a.DeleteKVConfig(ctx, ns, topic); err != nil {
			return err
		}
		fmt.Fprintf(x.Out, "delete orderConf success. topic=[%s]\n", topic)
	default:
		return fmt.Errorf("-m %q: the method is one of get, put, delete", method)
	}
	return nil
}

// runAllocateMQ shows how the averaging strategy would share the topic's
// readable queues among consumers with the given ids.
func runAllocateMQ(ctx context.Context, x *Exec) error {
	topic := x.Str("t")
	if err := checkTopicRead(topic); err != nil {
		return err
	}
	var ids []string
	for _, id := range strings.Split(x.Str("i"), ",") {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return fmt.Errorf("-i needs at least one consumer id or ip")
	}
	a, err := x.Admin()
	if err != nil {
		return err
	}
	route, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return err
	}
	mqs := readableQueues(route, topic)
	slices.SortFunc(mqs, func(a, b client.MessageQueue) int {
		return cmp.Or(cmp.Compare(a.BrokerName, b.BrokerName), cmp.Compare(a.QueueID, b.QueueID))
	})
	result := map[string][]protocol.MessageQueue{}
	for _, id := range ids {
		got := []protocol.MessageQueue{}
		for _, mq := range client.AllocateAveragely.Allocate("aa", id, mqs, ids) {
			got = append(got, protocol.MessageQueue{Topic: mq.Topic, BrokerName: mq.BrokerName, QueueID: mq.QueueID})
		}
		result[id] = got
	}
	b, err := json.Marshal(map[string]any{"result": result})
	if err != nil {
		return err
	}
	fmt.Fprintf(x.Out, "%s\n", b)
	return nil
}
