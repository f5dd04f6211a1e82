package admin

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/protocol"
)

// Consumer, group and connection commands.

var optGroup = Option{Short: "g", Long: "groupName", Arg: true, Required: true, Usage: "consumer group name"}

func consumerCommands() []*Command {
	return []*Command{
		{Name: "consumerProgress", Desc: "Query consumers's progress, speed", Run: runConsumerProgress, Options: []Option{
			optGroup, {Short: "s", Long: "showClientIP", Arg: true, Usage: "Show Client IP per Queue"},
		}},
		consumerStatusCommand(),
		{Name: "consumerConnection", Desc: "Query consumer's socket connection, client version and subscription", Run: runConsumerConnection, Options: []Option{
			{Short: "g", Long: "consumerGroup", Arg: true, Required: true, Usage: "consumer group name"},
			{Short: "b", Long: "brokerAddr", Arg: true, Usage: "broker address"},
		}},
		{Name: "producerConnection", Desc: "Query producer's socket connection and client version", Run: runProducerConnection, Options: []Option{
			{Short: "g", Long: "producerGroup", Arg: true, Required: true, Usage: "producer group name"},
			optTopic,
		}},
		{Name: "updateSubGroup", Desc: "Update or create subscription group", Run: runUpdateSubGroup, Options: []Option{
			{Short: "b", Long: "brokerAddr", Arg: true, Usage: "create subscription group to which broker (wins over -c)"},
			{Short: "c", Long: "clusterName", Arg: true, Usage: "create subscription group to which cluster"},
			optGroup,
			{Short: "s", Long: "consumeEnable", Arg: true, Usage: "consume enable"},
			{Short: "m", Long: "consumeFromMinEnable", Arg: true, Usage: "from min offset"},
			{Short: "d", Long: "consumeBroadcastEnable", Arg: true, Usage: "broadcast"},
			{Short: "q", Long: "retryQueueNums", Arg: true, Usage: "retry queue nums"},
			{Short: "r", Long: "retryMaxTimes", Arg: true, Usage: "retry max times"},
			{Short: "i", Long: "brokerId", Arg: true, Usage: "consumer from which broker id"},
			{Short: "w", Long: "whichBrokerWhenConsumeSlowly", Arg: true, Usage: "which broker id when consume slowly"},
			{Short: "a", Long: "notifyConsumerIdsChanged", Arg: true, Usage: "notify consumerId changed"},
		}},
		{Name: "deleteSubGroup", Desc: "Delete subscription group from broker.", Run: runDeleteSubGroup, Options: []Option{
			{Short: "b", Long: "brokerAddr", Arg: true, Usage: "delete subscription group from which broker (wins over -c)"},
			{Short: "c", Long: "clusterName", Arg: true, Usage: "delete subscription group from which cluster"},
			{Short: "g", Long: "groupName", Arg: true, Required: true, Usage: "subscription group name"},
			{Short: "r", Long: "removeOffset", Arg: true, Usage: "remove offset"},
		}},
	}
}

// versionDesc names a version ordinal as upstream's MQVersion does. From
// V4_1_0_SNAPSHOT (232) on, each release has a SNAPSHOT and a release
// entry, ten patch releases per minor, and 5.0.0 follows 4.9.9.
func versionDesc(v int32) string {
	if v < protocol.VersionV4_1_0Snapshot {
		return "V" + strconv.Itoa(int(v)) + "(before V4_1_0)"
	}
	idx := v - protocol.VersionV4_1_0Snapshot
	rel := idx / 2
	major, minor, patch := 4, 1+int(rel/10), int(rel%10)
	if minor >= 10 {
		major, minor = 5, minor-10
	}
	s := fmt.Sprintf("V%d_%d_%d", major, minor, patch)
	if idx%2 == 0 {
		s += "_SNAPSHOT"
	}
	return s
}

func runConsumerProgress(ctx context.Context, x *Exec) error {
	group := x.Str("g")
	showClientIP, err := x.Bool("s", false)
	if err != nil {
		return err
	}
	a, err := x.Admin()
	if err != nil {
		return err
	}
	all, tps, err := groupConsumeStats(ctx, a, group)
	if err != nil {
		return err
	}
	if len(all) == 0 {
		return fmt.Errorf("consumer group %s has no consume stats: it has committed no offset yet", group)
	}
	var holders map[protocol.MessageQueue]string
	if showClientIP {
		if holders, err = queueHolders(ctx, a, group); err != nil {
			fmt.Fprintf(x.Err, "consumer group %s: which client holds each queue: %v\n", group, err)
		}
		fmt.Fprintf(x.Out, "%-64s  %-32s  %-4s  %-20s  %-20s  %-20s %-20s  %s\n", "#Topic", "#Broker Name", "#QID", "#Broker Offset", "#Consumer Offset", "#Client IP", "#Diff", "#LastTime")
	} else {
		fmt.Fprintf(x.Out, "%-64s  %-32s  %-4s  %-20s  %-20s  %-20s  %s\n", "#Topic", "#Broker Name", "#QID", "#Broker Offset", "#Consumer Offset", "#Diff", "#LastTime")
	}
	var diffTotal int64
	for _, mq := range sortedQueues(all) {
		o := all[mq]
		diff := o.BrokerOffset - o.ConsumerOffset
		diffTotal += diff
		last := "N/A"
		if o.LastTimestamp != 0 {
			last = time.UnixMilli(o.LastTimestamp).Format("2006-01-02 15:04:05")
		}
		if showClientIP {
			ip, ok := holders[mq]
			if !ok {
				ip = "N/A"
			}
			fmt.Fprintf(x.Out, "%-64s  %-32s  %-4d  %-20d  %-20d  %-20s %-20d  %s\n", mq.Topic, mq.BrokerName, mq.QueueID, o.BrokerOffset, o.ConsumerOffset, ip, diff, last)
		} else {
			fmt.Fprintf(x.Out, "%-64s  %-32s  %-4d  %-20d  %-20d  %-20d  %s\n", mq.Topic, mq.BrokerName, mq.QueueID, o.BrokerOffset, o.ConsumerOffset, diff, last)
		}
	}
	fmt.Fprintf(x.Out, "\nConsume TPS: %.2f\nDiff Total: %d\n", tps, diffTotal)
	return nil
}

// groupConsumeStats merges group's consume stats from every broker of its
// retry topic's route (upstream examineConsumeStats), with the summed TPS.
func groupConsumeStats(ctx context.Context, a *client.Admin, group string) (map[protocol.MessageQueue]protocol.OffsetWrapper, float64, error) {
	_, addrs, err := routeBrokers(ctx, a, protocol.RetryTopic(group))
	if err != nil {
		return nil, 0, fmt.Errorf("consumer group %s: %w", group, err)
	}
	all := map[protocol.MessageQueue]protocol.OffsetWrapper{}
	tps := 0.0
	for _, name := range slices.Sorted(maps.Keys(addrs)) {
		cs, err := a.ConsumeStats(ctx, addrs[name], group, "")
		if err != nil {
			return nil, 0, err
		}
		tps += cs.ConsumeTps
		maps.Copy(all, cs.OffsetTable)
	}
	return all, tps, nil
}

// groupConnection returns group's live members as the first broker of its
// retry topic's route that answers knows them (upstream
// examineConsumerConnectionInfo), with that broker's address.
func groupConnection(ctx context.Context, a *client.Admin, group string) (*protocol.ConsumerConnection, string, error) {
	type answer struct {
		cc   *protocol.ConsumerConnection
		addr string
	}
	ans, err := firstAnswer(ctx, a, protocol.RetryTopic(group), func(addr string) (answer, error) {
		cc, err := a.ConsumerConnection(ctx, addr, group)
		return answer{cc, addr}, err
	})
	if err != nil {
		return nil, "", err
	}
	return ans.cc, ans.addr, nil
}

// queueHolders returns the IP of the client holding each queue of group,
// from the queue tables the live members report (upstream
// ConsumerProgressSubCommand's showClientIP).
func queueHolders(ctx context.Context, a *client.Admin, group string) (map[protocol.MessageQueue]string, error) {
	cc, addr, err := groupConnection(ctx, a, group)
	if err != nil {
		return nil, err
	}
	holders := map[protocol.MessageQueue]string{}
	var errs []error
	for _, c := range cc.ConnectionSet {
		body, err := a.ConsumerRunningInfo(ctx, addr, group, c.ClientID, false)
		if err == nil {
			var ri *runningInfo
			if ri, err = decodeRunningInfo(body); err == nil {
				ip, _, _ := strings.Cut(c.ClientID, "@")
				for mq := range ri.Queues {
					holders[mq] = ip
				}
				continue
			}
		}
		errs = append(errs, fmt.Errorf("client %s: %w", c.ClientID, err))
	}
	return holders, errors.Join(errs...)
}

// firstAnswer asks each broker of topic's route in turn and returns the
// first answer.
func firstAnswer[T any](ctx context.Context, a *client.Admin, topic string, ask func(addr string) (T, error)) (T, error) {
	var zero T
	_, addrs, err := routeBrokers(ctx, a, topic)
	if err != nil {
		return zero, err
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(addrs)) {
		v, err := ask(addrs[name])
		if err == nil {
			return v, nil
		}
		errs = append(errs, err)
	}
	return zero, errors.Join(errs...)
}

func runConsumerConnection(ctx context.Context, x *Exec) error {
	group := x.Str("g")
	a, err := x.Admin()
	if err != nil {
		return err
	}
	ask := func(addr string) (*protocol.ConsumerConnection, error) { return a.ConsumerConnection(ctx, addr, group) }
	var cc *protocol.ConsumerConnection
	if x.Has("b") {
		cc, err = ask(x.Str("b"))
	} else {
		cc, err = firstAnswer(ctx, a, protocol.RetryTopic(group), ask)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(x.Out, "%-36s %-22s %-10s %s\n", "#ClientId", "#ClientAddr", "#Language", "#Version")
	for _, c := range cc.ConnectionSet {
		fmt.Fprintf(x.Out, "%-36s %-22s %-10s %s\n", c.ClientID, c.ClientAddr, c.Language, versionDesc(c.Version))
	}
	fmt.Fprintf(x.Out, "\nBelow is subscription:\n")
	fmt.Fprintf(x.Out, "%-20s %s\n", "#Topic", "#SubExpression")
	for _, topic := range slices.Sorted(maps.Keys(cc.SubscriptionTable)) {
		fmt.Fprintf(x.Out, "%-20s %s\n", topic, cc.SubscriptionTable[topic].SubString)
	}
	fmt.Fprintf(x.Out, "\nConsumeType: %s\nMessageModel: %s\nConsumeFromWhere: %s\n", cc.ConsumeType, cc.MessageModel, cc.ConsumeFromWhere)
	return nil
}

func runProducerConnection(ctx context.Context, x *Exec) error {
	group, topic := x.Str("g"), x.Str("t")
	if err := checkTopicRead(topic); err != nil {
		return err
	}
	a, err := x.Admin()
	if err != nil {
		return err
	}
	pc, err := firstAnswer(ctx, a, topic, func(addr string) (*protocol.ProducerConnection, error) {
		return a.ProducerConnection(ctx, addr, group)
	})
	if err != nil {
		return err
	}
	for i, c := range pc.ConnectionSet {
		fmt.Fprintf(x.Out, "%04d  %-32s %-22s %-8s %s\n", i+1, c.ClientID, c.ClientAddr, c.Language, versionDesc(c.Version))
	}
	return nil
}

func subGroupString(c protocol.SubscriptionGroupConfig) string {
	return fmt.Sprintf("SubscriptionGroupConfig [groupName=%s, consumeEnable=%t, consumeFromMinEnable=%t, consumeBroadcastEnable=%t, retryQueueNums=%d, retryMaxTimes=%d, brokerId=%d, whichBrokerWhenConsumeSlowly=%d, notifyConsumerIdsChangedEnable=%t]",
		c.GroupName, c.ConsumeEnable, c.ConsumeFromMinEnable, c.ConsumeBroadcastEnable, c.RetryQueueNums, c.RetryMaxTimes, c.BrokerID, c.WhichBrokerWhenConsumeSlowly, c.NotifyConsumerIdsChangedEnable)
}

func runUpdateSubGroup(ctx context.Context, x *Exec) error {
	c := protocol.NewSubscriptionGroupConfig(x.Str("g"))
	for _, b := range []struct {
		flag string
		dst  *bool
	}{{"s", &c.ConsumeEnable}, {"m", &c.ConsumeFromMinEnable}, {"d", &c.ConsumeBroadcastEnable}, {"a", &c.NotifyConsumerIdsChangedEnable}} {
		v, err := x.Bool(b.flag, *b.dst)
		if err != nil {
			return err
		}
		*b.dst = v
	}
	for _, n := range []struct {
		flag string
		set  func(int64)
	}{
		{"q", func(v int64) { c.RetryQueueNums = int32(v) }},
		{"r", func(v int64) { c.RetryMaxTimes = int32(v) }},
		{"i", func(v int64) { c.BrokerID = v }},
		{"w", func(v int64) { c.WhichBrokerWhenConsumeSlowly = v }},
	} {
		if !x.Has(n.flag) {
			continue
		}
		v, err := x.Int(n.flag, 0)
		if err != nil {
			return err
		}
		if v < 0 || v > 1<<20 {
			return fmt.Errorf("-%s %d is out of range", n.flag, v)
		}
		n.set(v)
	}
	a, brokers, err := x.adminAndTargets(ctx, true)
	if err != nil {
		return err
	}
	for _, b := range brokers {
		if err := a.UpdateSubscriptionGroup(ctx, b.Addr, c); err != nil {
			return err
		}
		fmt.Fprintf(x.Out, "create subscription group to %s success.\n", b.Addr)
	}
	fmt.Fprintln(x.Out, subGroupString(c))
	return nil
}

func runDeleteSubGroup(ctx context.Context, x *Exec) error {
	group := x.Str("g")
	removeOffset, err := x.Bool("r", false)
	if err != nil {
		return err
	}
	a, brokers, err := x.adminAndTargets(ctx, true)
	if err != nil {
		return err
	}
	for _, b := range brokers {
		if err := a.DeleteSubscriptionGroup(ctx, b.Addr, group, removeOffset); err != nil {
			return err
		}
		if x.Has("b") {
			fmt.Fprintf(x.Out, "delete subscription group [%s] from broker [%s] success.\n", group, b.Addr)
		} else {
			fmt.Fprintf(x.Out, "delete subscription group [%s] from broker [%s] in cluster [%s] success.\n", group, b.Addr, x.Str("c"))
		}
	}
	return nil
}
