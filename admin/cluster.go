package admin

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/protocol"
)

// Cluster and broker commands: clusterList, brokerStatus, broker config,
// write permission on the name servers.

func clusterCommands() []*Command {
	return []*Command{
		{Name: "clusterList", Desc: "List all of clusters", Run: runClusterList, Options: []Option{
			{Short: "m", Long: "moreStats", Usage: "Print more stats"},
			{Short: "i", Long: "interval", Arg: true, Usage: "specify intervals numbers, it is in seconds"},
		}},
		{Name: "brokerStatus", Desc: "Fetch broker runtime status data", Run: runBrokerStatus, Options: []Option{
			{Short: "b", Long: "brokerAddr", Arg: true, Usage: "Broker address (wins over -c)"},
			{Short: "c", Long: "clusterName", Arg: true, Usage: "which cluster"},
		}},
		{Name: "brokerConsumeStats", Desc: "Fetch broker consume stats data", Run: runBrokerConsumeStats, Options: []Option{
			{Short: "b", Long: "brokerAddr", Arg: true, Required: true, Usage: "Broker address"},
			{Short: "t", Long: "timeoutMillis", Arg: true, Usage: "request timeout Millis"},
			{Short: "l", Long: "level", Arg: true, Usage: "threshold of print diff"},
			{Short: "o", Long: "order", Arg: true, Usage: "order topic"},
		}},
		{Name: "cleanUnusedTopic", Desc: "Clean unused topic on broker.", Run: runCleanUnusedTopic, Options: []Option{
			{Short: "b", Long: "brokerAddr", Arg: true, Usage: "Broker address (wins over -c)"},
			{Short: "c", Long: "cluster", Arg: true, Usage: "cluster name"},
		}},
		{Name: "cleanExpiredCQ", Desc: "Clean expired ConsumeQueue on broker.", Run: runCleanExpiredCQ, Options: []Option{
			{Short: "b", Long: "brokerAddr", Arg: true, Usage: "Broker address (wins over -c)"},
			{Short: "c", Long: "cluster", Arg: true, Usage: "clustername (neither -b nor -c: every broker of every cluster)"},
		}},
		{Name: "getBrokerConfig", Desc: "Get broker config by cluster or special broker!", Run: runGetBrokerConfig, Options: []Option{
			{Short: "b", Long: "brokerAddr", Arg: true, Usage: "get which broker (wins over -c)"},
			{Short: "c", Long: "clusterName", Arg: true, Usage: "get which cluster"},
		}},
		{Name: "updateBrokerConfig", Desc: "Update broker's config", Run: runUpdateBrokerConfig, Options: []Option{
			{Short: "b", Long: "brokerAddr", Arg: true, Usage: "update which broker (wins over -c)"},
			{Short: "c", Long: "clusterName", Arg: true, Usage: "update which cluster"},
			{Short: "k", Long: "key", Arg: true, Required: true, Usage: "config key"},
			{Short: "v", Long: "value", Arg: true, Required: true, Usage: "config value"},
		}},
		{Name: "wipeWritePerm", Desc: "Wipe write perm of broker in all name server", Run: runWritePerm(false), Options: []Option{
			{Short: "b", Long: "brokerName", Arg: true, Required: true, Usage: "broker name"},
		}},
		{Name: "addWritePerm", Desc: "Add write perm of broker in all name server", Run: runWritePerm(true), Options: []Option{
			{Short: "b", Long: "brokerName", Arg: true, Required: true, Usage: "broker name"},
		}},
	}
}

func runClusterList(ctx context.Context, x *Exec) error {
	interval, err := x.Int("i", 0)
	if err != nil {
		return err
	}
	if interval < 0 {
		return fmt.Errorf("-i %d: the interval is a number of seconds > 0", interval)
	}
	a, err := x.Admin()
	if err != nil {
		return err
	}
	print := printClusterBase
	if x.Has("m") {
		print = printClusterMore
	}
	if interval == 0 {
		return print(ctx, x, a)
	}
	t := time.NewTicker(time.Duration(interval) * time.Second)
	defer t.Stop()
	for {
		if err := print(ctx, x, a); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// firstFloat reads the first figure of "1.0 0.5 0.1".
func firstFloat(s string) float64 {
	f, _ := strconv.ParseFloat(strings.Fields(s + " 0")[0], 64)
	return f
}

func num(m map[string]string, key string) int64 {
	n, _ := strconv.ParseInt(m[key], 10, 64)
	return n
}

func printClusterBase(ctx context.Context, x *Exec, a *client.Admin) error {
	info, err := a.ClusterInfo(ctx)
	if err != nil {
		return err
	}
	const format = "%-16s  %-22s  %-4s  %-22s %-16s %19s %19s %10s %5s %6s\n"
	fmt.Fprintf(x.Out, format, "#Cluster Name", "#Broker Name", "#BID", "#Addr", "#Version", "#InTPS(LOAD)", "#OutTPS(LOAD)", "#PCWait(ms)", "#Hour", "#SPACE")
	for _, b := range allBrokers(info, "") {
		rt, err := a.BrokerRuntimeInfo(ctx, b.Addr)
		if err != nil {
			fmt.Fprintf(x.Err, "broker %s at %s: %v\n", b.Name, b.Addr, err)
			rt = map[string]string{}
		}
		hour := 0.0
		if ts := num(rt, "earliestMessageTimeStamp"); ts > 0 {
			hour = float64(time.Now().UnixMilli()-ts) / 1000 / 60 / 60
		}
		space, _ := strconv.ParseFloat(rt["commitLogDiskRatio"], 64)
		fmt.Fprintf(x.Out, format, b.Cluster, b.Name, strconv.FormatInt(b.ID, 10), b.Addr, rt["brokerVersionDesc"],
			fmt.Sprintf("%9.2f(%s,%sms)", firstFloat(rt["putTps"]), rt["sendThreadPoolQueueSize"], rt["sendThreadPoolQueueHeadWaitTimeMills"]),
			fmt.Sprintf("%9.2f(%s,%sms)", firstFloat(rt["getTransferedTps"]), rt["pullThreadPoolQueueSize"], rt["pullThreadPoolQueueHeadWaitTimeMills"]),
			rt["pageCacheLockTimeMills"], fmt.Sprintf("%2.2f", hour), fmt.Sprintf("%.4f", space))
	}
	return nil
}

func printClusterMore(ctx context.Context, x *Exec, a *client.Admin) error {
	info, err := a.ClusterInfo(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(x.Out, "%-16s  %-32s %14s %14s %14s %14s\n", "#Cluster Name", "#Broker Name", "#InTotalYest", "#OutTotalYest", "#InTotalToday", "#OutTotalToday")
	for _, b := range allBrokers(info, "") {
		rt, err := a.BrokerRuntimeInfo(ctx, b.Addr)
		if err != nil {
			fmt.Fprintf(x.Err, "broker %s at %s: %v\n", b.Name, b.Addr, err)
			rt = map[string]string{}
		}
		fmt.Fprintf(x.Out, "%-16s  %-32s %14d %14d %14d %14d\n", b.Cluster, b.Name,
			num(rt, "msgPutTotalTodayMorning")-num(rt, "msgPutTotalYesterdayMorning"),
			num(rt, "msgGetTotalTodayMorning")-num(rt, "msgGetTotalYesterdayMorning"),
			num(rt, "msgPutTotalTodayNow")-num(rt, "msgPutTotalTodayMorning"),
			num(rt, "msgGetTotalTodayNow")-num(rt, "msgGetTotalTodayMorning"))
	}
	return nil
}

func runBrokerStatus(ctx context.Context, x *Exec) error {
	a, brokers, err := x.adminAndTargets(ctx, false)
	if err != nil {
		return err
	}
	for _, b := range brokers {
		rt, err := a.BrokerRuntimeInfo(ctx, b.Addr)
		if err != nil {
			return err
		}
		for _, k := range slices.Sorted(maps.Keys(rt)) {
			if x.Has("b") {
				fmt.Fprintf(x.Out, "%-32s: %s\n", k, rt[k])
			} else {
				fmt.Fprintf(x.Out, "%-24s %-32s: %s\n", b.Addr, k, rt[k])
			}
		}
	}
	return nil
}

// parseProperties reads key=value lines (comments and blanks skipped).
func parseProperties(text string) [][2]string {
	var out [][2]string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		out = append(out, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	return out
}

func printProperties(x *Exec, text string) {
	kv := parseProperties(text)
	slices.SortFunc(kv, func(a, b [2]string) int { return strings.Compare(a[0], b[0]) })
	for _, e := range kv {
		fmt.Fprintf(x.Out, "%-50s=  %s\n", e[0], e[1])
	}
}

func runGetBrokerConfig(ctx context.Context, x *Exec) error {
	a, brokers, err := x.adminAndTargets(ctx, false)
	if err != nil {
		return err
	}
	masters := map[string]string{}
	for _, b := range brokers {
		if b.ID == protocol.MasterID {
			masters[b.Name] = b.Addr
		}
	}
	for _, b := range brokers {
		text, err := a.BrokerConfig(ctx, b.Addr)
		if err != nil {
			return err
		}
		switch {
		case x.Has("b"):
			fmt.Fprintf(x.Out, "============%s============\n", b.Addr)
		case b.ID == protocol.MasterID:
			fmt.Fprintf(x.Out, "============Master: %s============\n", b.Addr)
		default:
			fmt.Fprintf(x.Out, "============My Master: %s=====Slave: %s============\n", masters[b.Name], b.Addr)
		}
		printProperties(x, text)
		fmt.Fprintln(x.Out)
	}
	return nil
}

func runUpdateBrokerConfig(ctx context.Context, x *Exec) error {
	key, value := strings.TrimSpace(x.Str("k")), strings.TrimSpace(x.Str("v"))
	if key == "" || strings.ContainsAny(key, "=: \t\n") || strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("-k %q -v %q: a key is a non-empty name without '=', ':', spaces or newlines, a value one line", key, value)
	}
	// The masters of -c, as upstream: slaves take their config from their own files.
	a, brokers, err := x.adminAndTargets(ctx, true)
	if err != nil {
		return err
	}
	body := []byte(escapePropertiesKey(key) + "=" + escapePropertiesValue(value) + "\n")
	failed := 0
	for _, b := range brokers {
		remark, err := a.UpdateBrokerConfig(ctx, b.Addr, body)
		if err != nil {
			if len(brokers) == 1 {
				return err
			}
			failed++
			fmt.Fprintf(x.Err, "update broker config of %s failed: %v\n", b.Addr, err)
			continue
		}
		fmt.Fprintf(x.Out, "update broker config success, %s\n", b.Addr)
		if remark != "" {
			fmt.Fprintf(x.Err, "note: %s: %s\n", b.Addr, remark)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d brokers refused the update", failed, len(brokers))
	}
	return nil
}

// escapePropertiesKey and escapePropertiesValue write -k and -v so the
// broker reads back exactly what was typed (upstream sends a
// java.util.Properties, whose encoding escapes the same characters).
func escapePropertiesKey(k string) string { return escapeProperties(k, true) }

func escapePropertiesValue(v string) string { return escapeProperties(v, false) }

func escapeProperties(s string, key bool) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\\' || r == '#' || r == '!' || r == '$' || (key && (r == '=' || r == ':')):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == ' ' && (key || i == 0 || i == len(s)-1):
			b.WriteString("\\ ")
		case r == '\t':
			b.WriteString("\\t")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func runWritePerm(add bool) func(ctx context.Context, x *Exec) error {
	return func(ctx context.Context, x *Exec) error {
		name := x.Str("b")
		a, err := x.Admin()
		if err != nil {
			return err
		}
		verb, call := "wipe", a.WipeWritePerm
		if add {
			verb, call = "add", a.AddWritePerm
		}
		failed := 0
		for _, ns := range a.NameServers() {
			n, err := call(ctx, ns, name)
			if err != nil {
				failed++
				fmt.Fprintf(x.Out, "%s write perm of broker[%s] in name server[%s] Failed\n", verb, name, ns)
				fmt.Fprintf(x.Err, "%v\n", err)
				continue
			}
			fmt.Fprintf(x.Out, "%s write perm of broker[%s] in name server[%s] OK, %d\n", verb, name, ns, n)
		}
		if failed > 0 {
			return fmt.Errorf("%d of %d name servers failed", failed, len(a.NameServers()))
		}
		return nil
	}
}

func runBrokerConsumeStats(ctx context.Context, x *Exec) error {
	timeout, err := x.Int("t", 50000)
	if err != nil {
		return err
	}
	level, err := x.Int("l", 0)
	if err != nil {
		return err
	}
	order, err := x.Bool("o", false)
	if err != nil {
		return err
	}
	if timeout <= 0 {
		return fmt.Errorf("-t %d: the timeout is a number of milliseconds > 0", timeout)
	}
	a, err := x.Admin()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(timeout)*time.Millisecond)
	defer cancel()
	groups, totalDiff, err := a.BrokerConsumeStats(ctx, x.Str("b"), order)
	if err != nil {
		return err
	}
	fmt.Fprintf(x.Out, "%-64s  %-64s  %-32s  %-4s  %-20s  %-20s  %-20s  %s\n",
		"#Topic", "#Group", "#Broker Name", "#QID", "#Broker Offset", "#Consumer Offset", "#Diff", "#LastTime")
	slices.SortFunc(groups, func(a, b client.GroupConsumeStats) int { return strings.Compare(a.Group, b.Group) })
	for _, g := range groups {
		for _, cs := range g.Stats {
			for _, mq := range sortedQueues(cs.OffsetTable) {
				o := cs.OffsetTable[mq]
				diff := o.BrokerOffset - o.ConsumerOffset
				if diff < level || o.LastTimestamp <= 0 {
					continue
				}
				fmt.Fprintf(x.Out, "%-64s  %-64s  %-32s  %-4d  %-20d  %-20d  %-20d  %s\n", mq.Topic, g.Group, mq.BrokerName, mq.QueueID,
					o.BrokerOffset, o.ConsumerOffset, diff, time.UnixMilli(o.LastTimestamp).Format("2006-01-02 15:04:05"))
			}
		}
	}
	fmt.Fprintf(x.Out, "\nDiff Total: %d\n", totalDiff)
	return nil
}

func runCleanUnusedTopic(ctx context.Context, x *Exec) error {
	a, brokers, err := x.adminAndTargets(ctx, true)
	if err != nil {
		return err
	}
	for _, b := range brokers {
		if err := a.CleanUnusedTopic(ctx, b.Addr); err != nil {
			fmt.Fprintln(x.Out, "false")
			return err
		}
	}
	fmt.Fprintln(x.Out, "success")
	return nil
}

func runCleanExpiredCQ(ctx context.Context, x *Exec) error {
	a, err := x.Admin()
	if err != nil {
		return err
	}
	var brokers []broker
	if x.Has("b") || x.Has("c") {
		if brokers, err = x.targets(ctx, a, false); err != nil {
			return err
		}
	} else {
		info, err := a.ClusterInfo(ctx)
		if err != nil {
			return err
		}
		brokers = allBrokers(info, "")
	}
	if len(brokers) == 0 {
		fmt.Fprintln(x.Out, "false")
		return fmt.Errorf("no broker registered with the name server")
	}
	for _, b := range brokers {
		if err := a.CleanExpiredConsumeQueue(ctx, b.Addr); err != nil {
			fmt.Fprintln(x.Out, "false")
			return fmt.Errorf("cleanExpiredCQ on %s: %w", b.Addr, err)
		}
	}
	fmt.Fprintln(x.Out, "success")
	return nil
}
