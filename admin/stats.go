package admin

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/protocol"
)

// statsAll: every topic's and consumer group's rates and day totals, from
// the brokers' statistics (VIEW_BROKER_STATS_DATA), as upstream's
// StatsAllSubCommand prints them.

func statsCommands() []*Command {
	return []*Command{
		{Name: "statsAll", Desc: "Topic and Consumer tps stats", Run: runStatsAll, Options: []Option{
			{Short: "a", Long: "activeTopic", Usage: "print active topic only"},
			{Short: "t", Long: "topic", Arg: true, Usage: "print select topic only"},
		}},
	}
}

const (
	statsAllHeader = "%-64s  %-64s %12s %11s %11s %14s %14s\n"
	statsAllRow    = "%-64s  %-64s %12d %11.2f %11.2f %14d %14d\n"
	statsAllIdle   = "%-64s  %-64s %12d %11.2f %11s %14d %14s\n"
)

func runStatsAll(ctx context.Context, x *Exec) error {
	a, err := x.Admin()
	if err != nil {
		return err
	}
	topics, err := a.TopicList(ctx)
	if err != nil {
		return err
	}
	slices.Sort(topics)
	fmt.Fprintf(x.Out, statsAllHeader, "#Topic", "#Consumer Group", "#Accumulation", "#InTPS", "#OutTPS", "#InMsg24Hour", "#OutMsg24Hour")
	active, only := x.Has("a"), x.Str("t")
	for _, topic := range topics {
		if strings.HasPrefix(topic, protocol.RetryTopicPrefix) || strings.HasPrefix(topic, protocol.DLQTopicPrefix) {
			continue
		}
		if only != "" && topic != only {
			continue
		}
		// As upstream, a topic whose figures cannot be read is left out
		// and the others still print.
		if err := printTopicStats(ctx, x, a, topic, active); err != nil {
			fmt.Fprintf(x.Err, "topic %s: %v\n", topic, err)
		}
	}
	return nil
}

// printTopicStats prints topic's row per consuming group, or one
// NO_CONSUMER row; with active, only rows that moved messages in 24 h.
func printTopicStats(ctx context.Context, x *Exec, a *client.Admin, topic string, active bool) error {
	route, err := a.TopicRoute(ctx, topic)
	if err != nil {
		return err
	}
	var masters []string
	for _, bd := range route.BrokerDatas {
		if addr, ok := bd.BrokerAddrs[protocol.MasterID]; ok {
			masters = append(masters, addr)
		}
	}
	var groups []string
	for _, addr := range masters {
		g, err := a.QueryTopicConsumeByWho(ctx, addr, topic)
		if err != nil {
			return err
		}
		groups = append(groups, g...)
	}
	slices.Sort(groups)
	groups = slices.Compact(groups)

	inTPS, inDay := sumStats(ctx, a, masters, protocol.StatsTopicPutNums, topic)
	if len(groups) == 0 {
		if !active || inDay > 0 {
			fmt.Fprintf(x.Out, statsAllIdle, frontAtMost(topic, 64), "", 0, inTPS, "", inDay, "NO_CONSUMER")
		}
		return nil
	}
	for _, group := range groups {
		outTPS, outDay := sumStats(ctx, a, masters, protocol.StatsGroupGetNums, topic+"@"+group)
		var accumulate int64
		for _, addr := range masters {
			cs, err := a.ConsumeStats(ctx, addr, group, topic)
			if err != nil {
				continue // as upstream: no progress known counts as none
			}
			for _, w := range cs.OffsetTable {
				accumulate += w.BrokerOffset - w.ConsumerOffset
			}
		}
		if !active || inDay > 0 || outDay > 0 {
			fmt.Fprintf(x.Out, statsAllRow, frontAtMost(topic, 64), frontAtMost(group, 64), max(accumulate, 0), inTPS, outTPS, inDay, outDay)
		}
	}
	return nil
}

// sumStats adds up one statistic over the brokers: the minute rate and
// the 24-hour total. A broker that has not counted the key adds nothing.
func sumStats(ctx context.Context, a *client.Admin, addrs []string, name, key string) (tps float64, day int64) {
	for _, addr := range addrs {
		d, err := a.ViewBrokerStats(ctx, addr, name, key)
		if err != nil {
			continue
		}
		tps += d.StatsMinute.Tps
		day += dayTotal(d)
	}
	return tps, day
}

// dayTotal is upstream's compute24HourSum: the day's sum, or the hour's or
// the minute's when the longer windows have nothing yet.
func dayTotal(d *protocol.BrokerStatsData) int64 {
	for _, s := range []int64{d.StatsDay.Sum, d.StatsHour.Sum, d.StatsMinute.Sum} {
		if s != 0 {
			return s
		}
	}
	return 0
}

// frontAtMost is upstream's UtilAll.frontStringAtLeast: the first n
// characters of s.
func frontAtMost(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
