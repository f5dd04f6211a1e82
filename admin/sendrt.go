package admin

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/client"
)

// Send probes: round trips of sends to a topic, to a broker, to every
// broker of a cluster.

func sendProbeCommands() []*Command {
	return []*Command{
		{Name: "checkMsgSendRT", Desc: "check message send response time", Run: runCheckMsgSendRT, Options: []Option{
			optTopic,
			{Short: "a", Long: "amount", Arg: true, Usage: "message amount | default 100"},
			{Short: "s", Long: "size", Arg: true, Usage: "message size | default 128 Byte"},
		}},
		{Name: "sendMsgStatus", Desc: "send msg to broker.", Run: runSendMsgStatus, Options: []Option{
			{Short: "b", Long: "brokerName", Arg: true, Required: true, Usage: "Broker Name"},
			{Short: "s", Long: "messageSize", Arg: true, Usage: "Message Size, Default: 128"},
			{Short: "c", Long: "count", Arg: true, Usage: "send message count, Default: 50"},
		}},
		{Name: "clusterRT", Desc: "List All clusters Message Send RT", Run: runClusterRT, Options: []Option{
			{Short: "a", Long: "amount", Arg: true, Usage: "message amount | default 100"},
			{Short: "s", Long: "size", Arg: true, Usage: "message size | default 128 Byte"},
			{Short: "c", Long: "cluster", Arg: true, Usage: "cluster name | default display all cluster"},
			{Short: "p", Long: "printLog", Arg: true, Usage: "print as tlog | default false"},
			{Short: "m", Long: "machineRoom", Arg: true, Usage: "machine room name | default noname"},
			{Short: "i", Long: "interval", Arg: true, Usage: "print interval | default 10 seconds"},
		}},
	}
}

// toolProducer starts a producer of group on the name servers of -n or
// NAMESRV_ADDR; stop shuts it down.
func toolProducer(ctx context.Context, x *Exec, group string) (p *client.Producer, stop func(), err error) {
	if _, err := x.Admin(); err != nil { // resolves -n / NAMESRV_ADDR
		return nil, nil, err
	}
	p, err = client.NewProducer(client.ProducerOptions{
		ClientOptions: client.ClientOptions{NameServers: x.ns, InstanceName: group + "_" + strconv.FormatInt(time.Now().UnixMilli(), 10), Logger: x.logger()},
		Group:         group,
	})
	if err != nil {
		return nil, nil, err
	}
	if err := p.Start(ctx); err != nil {
		return nil, nil, err
	}
	return p, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		p.Shutdown(sctx)
	}, nil
}

// sizeAndCount reads a message size flag and a count flag with their defaults.
func sizeAndCount(x *Exec, sizeFlag string, defSize int64, countFlag string, defCount int64) (size, count int64, err error) {
	if size, err = x.Int(sizeFlag, defSize); err != nil {
		return 0, 0, err
	}
	if count, err = x.Int(countFlag, defCount); err != nil {
		return 0, 0, err
	}
	if size < 1 || size > 4<<20 {
		return 0, 0, fmt.Errorf("-%s %d: a message size is 1..4194304 bytes", sizeFlag, size)
	}
	if count < 1 {
		return 0, 0, fmt.Errorf("-%s %d: the count must be at least 1", countFlag, count)
	}
	return size, count, nil
}

func runCheckMsgSendRT(ctx context.Context, x *Exec) error {
	topic := x.Str("t")
	if err := checkTopicStrict(topic); err != nil {
		return err
	}
	size, amount, err := sizeAndCount(x, "s", 128, "a", 100)
	if err != nil {
		return err
	}
	p, stop, err := toolProducer(ctx, x, "CHECK_MSG_SEND_RT_"+strconv.FormatInt(time.Now().UnixMilli(), 10))
	if err != nil {
		return err
	}
	defer stop()
	body := []byte(strings.Repeat("a", int(size)))
	const format = "%-32s  %-4s  %-20s    %s\n"
	fmt.Fprintf(x.Out, format, "#Broker Name", "#QID", "#Send Result", "#RT")
	var total time.Duration
	broker, qid := "", ""
	for i := range amount {
		start := time.Now()
		res, err := p.SendSelect(ctx, client.NewMessage(topic, "", body), func(qs []client.MessageQueue, _ *client.Message, arg any) client.MessageQueue {
			return qs[arg.(int64)%int64(len(qs))]
		}, i)
		rt := time.Since(start)
		if err == nil {
			broker, qid = res.Queue.BrokerName, strconv.Itoa(int(res.Queue.QueueID))
		} else {
			fmt.Fprintf(x.Err, "send %d: %v\n", i, err)
		}
		if i != 0 {
			total += rt
		}
		fmt.Fprintf(x.Out, format, broker, qid, strconv.FormatBool(err == nil), strconv.FormatInt(rt.Milliseconds(), 10))
	}
	avg := 0.0
	if amount > 1 {
		avg = float64(total.Milliseconds()) / float64(amount-1)
	}
	fmt.Fprintf(x.Out, "Avg RT: %.2f\n", avg)
	return nil
}

func runSendMsgStatus(ctx context.Context, x *Exec) error {
	name := x.Str("b")
	size, count, err := sizeAndCount(x, "s", 128, "c", 50)
	if err != nil {
		return err
	}
	p, stop, err := toolProducer(ctx, x, "PID_SMSC")
	if err != nil {
		return err
	}
	defer stop()
	// A broker's own topic is named after it; the first send warms the route.
	if _, err := p.Send(ctx, client.NewMessage(name, "", []byte(strings.Repeat("a", 16)))); err != nil {
		return fmt.Errorf("send to broker %s (its topic %s): %w", name, name, err)
	}
	body := []byte(strings.Repeat("a", int(size)))
	for range count {
		start := time.Now()
		res, err := p.Send(ctx, client.NewMessage(name, "", body))
		if err != nil {
			return err
		}
		fmt.Fprintf(x.Out, "rt=%dms, SendResult=%s\n", time.Since(start).Milliseconds(), res)
	}
	return nil
}

func runClusterRT(ctx context.Context, x *Exec) error {
	size, amount, err := sizeAndCount(x, "s", 128, "a", 100)
	if err != nil {
		return err
	}
	interval, err := x.Int("i", 10)
	if err != nil {
		return err
	}
	if interval < 1 {
		return fmt.Errorf("-i %d: the interval is a number of seconds >= 1", interval)
	}
	tlog, err := x.Bool("p", false)
	if err != nil {
		return err
	}
	room := x.Str("m")
	if room == "" {
		room = "noname"
	}
	a, err := x.Admin()
	if err != nil {
		return err
	}
	info, err := a.ClusterInfo(ctx)
	if err != nil {
		return err
	}
	clusters := slices.Sorted(maps.Keys(info.ClusterAddrTable))
	if x.Has("c") {
		if _, ok := info.ClusterAddrTable[x.Str("c")]; !ok {
			return fmt.Errorf("cluster [%s] not exist", x.Str("c"))
		}
		clusters = []string{x.Str("c")}
	}
	p, stop, err := toolProducer(ctx, x, "CLUSTER_RT_"+strconv.FormatInt(time.Now().UnixMilli(), 10))
	if err != nil {
		return err
	}
	defer stop()
	if !tlog {
		fmt.Fprintf(x.Out, "%-24s  %-24s  %-4s  %-8s  %-8s\n", "#Cluster Name", "#Broker Name", "#RT", "#successCount", "#failCount")
	}
	body := []byte(strings.Repeat("a", int(size)))
	tick := time.NewTicker(time.Duration(interval) * time.Second)
	defer tick.Stop()
	for {
		for _, cluster := range clusters {
			for _, name := range slices.Sorted(slices.Values(info.ClusterAddrTable[cluster])) {
				var elapsed time.Duration
				ok, failed := 0, 0
				for i := range amount {
					start := time.Now()
					if _, err := p.Send(ctx, client.NewMessage(name, "", body)); err != nil {
						if ctx.Err() != nil {
							return nil
						}
						failed++
					} else {
						ok++
					}
					if i != 0 {
						elapsed += time.Since(start)
					}
				}
				rt := 0.0
				if amount > 1 {
					rt = float64(elapsed.Milliseconds()) / float64(amount-1)
				}
				if tlog {
					now := time.Now().In(time.FixedZone("GMT+8", 8*3600)).Format("2006-01-02 15:04:05")
					fmt.Fprintf(x.Out, "%s|%s|%s|%s|%.0f\n", now, room, cluster, name, rt)
				} else {
					fmt.Fprintf(x.Out, "%-24s  %-24s  %-8s  %-16d  %-16d\n", cluster, name, fmt.Sprintf("%.2f", rt), ok, failed)
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
