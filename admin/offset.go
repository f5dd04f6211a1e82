package admin

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/rocketgo/rocketgo/client"
)

// Offset commands: reset a group's offsets by time, clone a group's offsets.

func offsetCommands() []*Command {
	return []*Command{
		{Name: "resetOffsetByTime", Desc: "Reset consumer offset by timestamp(without client restart).", Run: runResetOffsetByTime, Options: []Option{
			{Short: "g", Long: "group", Arg: true, Required: true, Usage: "set the consumer group"},
			{Short: "t", Long: "topic", Arg: true, Required: true, Usage: "set the topic"},
			{Short: "s", Long: "timestamp", Arg: true, Required: true, Usage: "set the timestamp[now|currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"},
			{Short: "f", Long: "force", Arg: true, Usage: "set the force rollback by timestamp switch[true|false]"},
			{Short: "c", Long: "cplus", Usage: "reset c++ client offset"},
		}},
		getConsumerStatusCommand(),
		{Name: "cloneGroupOffset", Desc: "clone offset from other group.", Run: runCloneGroupOffset, Options: []Option{
			{Short: "s", Long: "srcGroup", Arg: true, Required: true, Usage: "set source consumer group"},
			{Short: "d", Long: "destGroup", Arg: true, Required: true, Usage: "set destination consumer group"},
			{Short: "t", Long: "topic", Arg: true, Required: true, Usage: "set the topic"},
			{Short: "o", Long: "offline", Arg: true, Usage: "the group or the topic is offline"},
		}},
	}
}

func runResetOffsetByTime(ctx context.Context, x *Exec) error {
	group, topic, tsText := x.Str("g"), x.Str("t"), x.Str("s")
	if err := checkTopicRead(topic); err != nil {
		return err
	}
	ts := int64(-1)
	if tsText != "now" {
		var err error
		if ts, err = parseTimestamp(tsText); err != nil {
			return err
		}
	}
	force, err := x.Bool("f", true)
	if err != nil {
		return err
	}
	a, _, addrs, err := x.adminAndRoute(ctx, topic)
	if err != nil {
		return err
	}
	all := map[client.MessageQueue]int64{}
	for _, name := range slices.Sorted(maps.Keys(addrs)) {
		t, err := a.ResetOffsetByTime(ctx, addrs[name], topic, group, ts, force, x.Has("c"))
		if err != nil {
			return err
		}
		maps.Copy(all, t)
	}
	fmt.Fprintf(x.Out, "rollback consumer offset by specified group[%s], topic[%s], force[%t], timestamp(string)[%s], timestamp(long)[%d]\n",
		group, topic, force, tsText, ts)
	fmt.Fprintf(x.Out, "%-40s  %-40s  %-40s\n", "#brokerName", "#queueId", "#offset")
	mqs := slices.SortedFunc(maps.Keys(all), func(a, b client.MessageQueue) int {
		return cmp.Or(cmp.Compare(a.BrokerName, b.BrokerName), cmp.Compare(a.QueueID, b.QueueID))
	})
	for _, mq := range mqs {
		fmt.Fprintf(x.Out, "%-40s  %-40d  %-40d\n", mq.BrokerName, mq.QueueID, all[mq])
	}
	return nil
}

func runCloneGroupOffset(ctx context.Context, x *Exec) error {
	src, dest, topic := x.Str("s"), x.Str("d"), x.Str("t")
	if err := checkTopicRead(topic); err != nil {
		return err
	}
	offline, err := x.Bool("o", false)
	if err != nil {
		return err
	}
	a, _, addrs, err := x.adminAndRoute(ctx, topic)
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(addrs)) {
		if err := a.CloneGroupOffset(ctx, addrs[name], src, dest, topic, offline); err != nil {
			return err
		}
	}
	fmt.Fprintf(x.Out, "clone group offset success. srcGroup[%s], destGroup=[%s], topic[%s]\n", src, dest, topic)
	return nil
}

func getConsumerStatusCommand() *Command {
	return &Command{Name: "getConsumerStatus", Desc: "get consumer status from client.", Run: runGetConsumerStatus, Options: []Option{
		{Short: "g", Long: "group", Arg: true, Required: true, Usage: "set the consumer group"},
		{Short: "t", Long: "topic", Arg: true, Required: true, Usage: "set the topic"},
		{Short: "i", Long: "originClientId", Arg: true, Usage: "set the consumer clientId"},
	}}
}

func runGetConsumerStatus(ctx context.Context, x *Exec) error {
	group, topic, clientID := x.Str("g"), x.Str("t"), x.Str("i")
	if err := checkTopicRead(topic); err != nil {
		return err
	}
	a, err := x.Admin()
	if err != nil {
		return err
	}
	status, err := firstAnswer(ctx, a, topic, func(addr string) (map[string]map[client.MessageQueue]int64, error) {
		return a.ConsumerStatus(ctx, addr, topic, group, clientID)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(x.Out, "get consumer status from client. group=%s, topic=%s, originClientId=%s\n", group, topic, clientID)
	fmt.Fprintf(x.Out, "%-50s  %-15s  %-15s  %-20s\n", "#clientId", "#brokerName", "#queueId", "#offset")
	for _, id := range slices.Sorted(maps.Keys(status)) {
		table := status[id]
		mqs := slices.SortedFunc(maps.Keys(table), func(a, b client.MessageQueue) int {
			return cmp.Or(cmp.Compare(a.BrokerName, b.BrokerName), cmp.Compare(a.QueueID, b.QueueID))
		})
		for _, mq := range mqs {
			fmt.Fprintf(x.Out, "%-50s  %-15s  %-15d  %-20d\n", id, mq.BrokerName, mq.QueueID, table[mq])
		}
	}
	return nil
}
