package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/protocol"
)

// Export commands: a cluster's topics and groups, its brokers' main
// settings and its metrics (export_metrics.go), written as JSON files.

const defaultExportDir = "/tmp/rocketmq/export"

func exportCommands() []*Command {
	return []*Command{
		{Name: "exportMetadata", Desc: "export metadata", Run: runExportMetadata, Options: []Option{
			{Short: "c", Long: "clusterName", Arg: true, Usage: "choose a cluster to export"},
			{Short: "b", Long: "brokerAddr", Arg: true, Usage: "choose a broker to export (wins over -c; needs -t or -g)"},
			{Short: "f", Long: "filePath", Arg: true, Usage: "export metadata.json path | default " + defaultExportDir},
			{Short: "t", Long: "topic", Usage: "only export topic metadata"},
			{Short: "g", Long: "subscriptionGroup", Usage: "only export subscriptionGroup metadata"},
			{Short: "s", Long: "specialTopic", Usage: "need retryTopic and dlqTopic"},
		}},
		{Name: "exportConfigs", Desc: "export configs", Run: runExportConfigs, Options: []Option{
			{Short: "c", Long: "clusterName", Arg: true, Required: true, Usage: "choose a cluster to export"},
			{Short: "f", Long: "filePath", Arg: true, Usage: "export configs.json path | default " + defaultExportDir},
		}},
		{Name: "exportMetrics", Desc: "export metrics", Run: runExportMetrics, Options: []Option{
			{Short: "c", Long: "clusterName", Arg: true, Required: true, Usage: "choose a cluster to export"},
			{Short: "f", Long: "filePath", Arg: true, Usage: "export metrics.json path | default " + defaultExportDir},
		}},
	}
}

// systemGroups are the groups exportMetadata leaves out, as upstream.
var systemGroups = []string{
	protocol.GroupDefaultConsumer, protocol.GroupDefaultProducer, protocol.GroupToolsConsumer,
	"FILTERSRV_CONSUMER", "__MONITOR_CONSUMER", protocol.GroupClientInnerProducer,
	protocol.GroupSelfTestProducer, protocol.GroupSelfTestConsumer, "CID_ONS-HTTP-PROXY",
	"CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER", "CID_ONSAPI_PULL", protocol.GroupTransCheck,
}

// userTopics returns the broker's topic configs without its system
// topics and, unless special, without %RETRY% and %DLQ% topics.
func userTopics(ctx context.Context, a *client.Admin, addr string, special bool) (map[string]protocol.TopicConfig, error) {
	w, err := a.TopicConfigs(ctx, addr)
	if err != nil {
		return nil, err
	}
	sys, err := a.SystemTopicsOfBroker(ctx, addr)
	if err != nil {
		return nil, err
	}
	out := map[string]protocol.TopicConfig{}
	for name, tc := range w.TopicConfigTable {
		retryOrDLQ := strings.HasPrefix(name, protocol.RetryTopicPrefix) || strings.HasPrefix(name, protocol.DLQTopicPrefix)
		if slices.Contains(sys, name) || protocol.IsSystemTopic(name) || (!special && retryOrDLQ) {
			continue
		}
		out[name] = tc
	}
	return out, nil
}

func userGroups(ctx context.Context, a *client.Admin, addr string) (map[string]protocol.SubscriptionGroupConfig, error) {
	w, err := a.SubscriptionGroups(ctx, addr)
	if err != nil {
		return nil, err
	}
	out := map[string]protocol.SubscriptionGroupConfig{}
	for name, g := range w.SubscriptionGroupTable {
		if strings.HasPrefix(name, "CID_RMQ_SYS_") || slices.Contains(systemGroups, name) {
			continue
		}
		out[name] = g
	}
	return out, nil
}

// writeJSON writes v as indented JSON to dir/name.
func writeJSON(dir, name string, v any) (string, error) {
	b, err := json.MarshalIndent(v, "", "\t")
	if err != nil {
		return "", fmt.Errorf("encode %s: %w", name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("export directory: %w", err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}

func exportDir(x *Exec) string {
	if d := x.Str("f"); d != "" {
		return d
	}
	return defaultExportDir
}

func runExportMetadata(ctx context.Context, x *Exec) error {
	special := x.Has("s")
	if !x.Has("b") && !x.Has("c") {
		return fmt.Errorf("give a cluster with -c (or one broker with -b and -t or -g)")
	}
	a, err := x.Admin()
	if err != nil {
		return err
	}
	if x.Has("b") {
		addr := x.Str("b")
		var v any
		var name string
		switch {
		case x.Has("t"):
			t, err := userTopics(ctx, a, addr, special)
			if err != nil {
				return err
			}
			v, name = map[string]any{"topicConfigTable": t}, "topic.json"
		case x.Has("g"):
			g, err := userGroups(ctx, a, addr)
			if err != nil {
				return err
			}
			v, name = map[string]any{"subscriptionGroupTable": g}, "subscriptionGroup.json"
		default:
			return fmt.Errorf("with -b, say what to export: -t (topics) or -g (subscription groups)")
		}
		path, err := writeJSON(exportDir(x), name, v)
		if err != nil {
			return err
		}
		fmt.Fprintf(x.Out, "export %s success\n", path)
		return nil
	}
	brokers, err := x.targets(ctx, a, true)
	if err != nil {
		return err
	}
	topics := map[string]protocol.TopicConfig{}
	groups := map[string]protocol.SubscriptionGroupConfig{}
	for _, b := range brokers {
		t, err := userTopics(ctx, a, b.Addr, special)
		if err != nil {
			return err
		}
		for name, tc := range t {
			if prev, ok := topics[name]; ok { // queues add up across brokers
				tc.ReadQueueNums += prev.ReadQueueNums
				tc.WriteQueueNums += prev.WriteQueueNums
			}
			topics[name] = tc
		}
		g, err := userGroups(ctx, a, b.Addr)
		if err != nil {
			return err
		}
		for name, gc := range g {
			if prev, ok := groups[name]; ok {
				gc.RetryQueueNums += prev.RetryQueueNums
			}
			groups[name] = gc
		}
	}
	result := map[string]any{"exportTime": time.Now().UnixMilli()}
	name := "metadata.json"
	switch {
	case x.Has("t"):
		result["topicConfigTable"], name = topics, "topic.json"
	case x.Has("g"):
		result["subscriptionGroupTable"], name = groups, "subscriptionGroup.json"
	default:
		result["topicConfigTable"], result["subscriptionGroupTable"] = topics, groups
	}
	path, err := writeJSON(exportDir(x), name, result)
	if err != nil {
		return err
	}
	fmt.Fprintf(x.Out, "export %s success\n", path)
	return nil
}

// exportedBrokerKeys are the broker settings exportConfigs keeps, as upstream.
var exportedBrokerKeys = []string{
	"brokerClusterName", "brokerId", "brokerName", "brokerRole", "fileReservedTime", "filterServerNums",
	"flushDiskType", "maxMessageSize", "messageDelayLevel", "msgTraceTopicName", "slaveReadEnable",
	"traceOn", "traceTopicEnable", "useTLS", "autoCreateTopicEnable", "autoCreateSubscriptionGroup",
}

// exportedCluster connects and returns the cluster info with the cluster
// -c names, which must be in it.
func exportedCluster(ctx context.Context, x *Exec) (*client.Admin, *protocol.ClusterInfo, string, error) {
	cluster := strings.TrimSpace(x.Str("c"))
	if cluster == "" {
		return nil, nil, "", fmt.Errorf("-c needs a cluster name")
	}
	a, err := x.Admin()
	if err != nil {
		return nil, nil, "", err
	}
	info, err := a.ClusterInfo(ctx)
	if err != nil {
		return nil, nil, "", err
	}
	if _, ok := info.ClusterAddrTable[cluster]; !ok {
		return nil, nil, "", fmt.Errorf("cluster %q not found", cluster)
	}
	return a, info, cluster, nil
}

func runExportConfigs(ctx context.Context, x *Exec) error {
	a, info, cluster, err := exportedCluster(ctx, x)
	if err != nil {
		return err
	}
	masters, slaves := 0, 0
	configs := map[string]map[string]string{}
	for _, b := range allBrokers(info, cluster) {
		if b.ID != protocol.MasterID {
			slaves++
			continue
		}
		masters++
		text, err := a.BrokerConfig(ctx, b.Addr)
		if err != nil {
			return err
		}
		all := map[string]string{}
		for _, kv := range parseProperties(text) {
			all[kv[0]] = kv[1]
		}
		kept := map[string]string{}
		for _, k := range exportedBrokerKeys {
			if v, ok := all[k]; ok {
				kept[k] = v
			}
		}
		configs[all["brokerName"]] = kept
	}
	result := map[string]any{
		"brokerConfigs": configs,
		"clusterScale":  map[string]int{"namesrvSize": len(a.NameServers()), "masterBrokerSize": masters, "slaveBrokerSize": slaves},
	}
	path, err := writeJSON(exportDir(x), "configs.json", result)
	if err != nil {
		return err
	}
	fmt.Fprintf(x.Out, "export %s success\n", path)
	return nil
}
