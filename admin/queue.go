package admin

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/protocol"
)

// Reading a queue from one offset to another, for printMsg and
// printMsgByQueue.

// timeRange reads the begin and end time flags; -1 for each not given.
func timeRange(x *Exec, beginFlag, endFlag string) (begin, end int64, err error) {
	begin, end = -1, -1
	if x.Has(beginFlag) {
		if begin, err = parseTimestamp(x.Str(beginFlag)); err != nil {
			return 0, 0, err
		}
	}
	if x.Has(endFlag) {
		if end, err = parseTimestamp(x.Str(endFlag)); err != nil {
			return 0, 0, err
		}
	}
	return begin, end, nil
}

// queueRange returns the offsets of mq to read: the queue's min and max,
// or the offsets of the begin and end times (ms) when they are >= 0.
func queueRange(ctx context.Context, a *client.Admin, addr string, mq client.MessageQueue, begin, end int64) (minOff, maxOff int64, err error) {
	if minOff, maxOff, err = a.QueueOffsets(ctx, addr, mq.Topic, mq.QueueID); err != nil {
		return 0, 0, err
	}
	if begin >= 0 {
		if minOff, err = a.SearchOffset(ctx, addr, mq.Topic, mq.QueueID, begin); err != nil {
			return 0, 0, err
		}
	}
	if end >= 0 {
		if maxOff, err = a.SearchOffset(ctx, addr, mq.Topic, mq.QueueID, end); err != nil {
			return 0, 0, err
		}
	}
	return minOff, maxOff, nil
}

// eachMessage pulls mq from minOff up to (not including) maxOff and calls
// fn for each message. It returns PullFound when it reached maxOff, or the
// status that ended it early, with the offset it stopped at.
func eachMessage(ctx context.Context, a *client.Admin, addr, group string, mq client.MessageQueue, minOff, maxOff int64, fn func(*client.MessageExt)) (client.PullStatus, int64, error) {
	for off := minOff; off < maxOff; {
		res, err := a.PullQueue(ctx, addr, group, mq, off, 32)
		if err != nil {
			return 0, off, err
		}
		if res.Status != client.PullFound {
			return res.Status, res.NextBeginOffset, nil
		}
		if res.NextBeginOffset <= off {
			return 0, off, fmt.Errorf("pull of %s at offset %d did not move on (next %d)", mq, off, res.NextBeginOffset)
		}
		off = res.NextBeginOffset
		for _, m := range res.Messages {
			if m.QueueOffset < maxOff {
				fn(m)
			}
		}
	}
	return client.PullFound, maxOff, nil
}

// printMessageLine prints a message on one line as upstream's printMsg
// does, the body as text in the charset decode reads (nil: UTF-8).
func printMessageLine(x *Exec, m *client.MessageExt, printBody bool, decode func([]byte) string) {
	body := "NOT PRINT BODY"
	if printBody && decode != nil {
		body = decode(m.Body)
	} else if printBody {
		body = string(m.Body)
	}
	fmt.Fprintf(x.Out, "MSGID: %s %s BODY: %s\n", m.MsgID(), messageString(m), body)
}

func runPrintMsgByQueue(ctx context.Context, x *Exec) error {
	topic, name := x.Str("t"), x.Str("a")
	if err := checkTopicRead(topic); err != nil {
		return err
	}
	qid, err := x.Int("i", 0)
	if err != nil {
		return err
	}
	if qid < 0 || qid > math.MaxInt32 {
		return fmt.Errorf("-i %d: a queue id is not negative", qid)
	}
	decode, err := bodyDecoder(x.Str("c"))
	if err != nil {
		return err
	}
	flags := map[string]bool{}
	for _, f := range []string{"p", "d", "f"} {
		if flags[f], err = x.Bool(f, false); err != nil {
			return err
		}
	}
	begin, end, err := timeRange(x, "b", "e")
	if err != nil {
		return err
	}
	tags, err := parseTagExpression(x.Str("s"))
	if err != nil {
		return err
	}
	a, err := x.Admin()
	if err != nil {
		return err
	}
	addr, err := brokerAddrByName(ctx, a, name)
	if err != nil {
		return err
	}
	mq := client.MessageQueue{Topic: topic, BrokerName: name, QueueID: int32(qid)}
	minOff, maxOff, err := queueRange(ctx, a, addr, mq, begin, end)
	if err != nil {
		return err
	}
	counts := map[string]int64{}
	if _, _, err := eachMessage(ctx, a, addr, protocol.GroupToolsConsumer, mq, minOff, maxOff, func(m *client.MessageExt) {
		if !tags(m.Tags()) {
			return
		}
		counts[m.Tags()]++
		if flags["p"] {
			printMessageLine(x, m, flags["d"], decode)
		}
	}); err != nil {
		return err
	}
	if flags["f"] {
		for _, tag := range slices.SortedFunc(maps.Keys(counts), func(a, b string) int {
			return cmp.Or(cmp.Compare(counts[b], counts[a]), cmp.Compare(a, b))
		}) {
			fmt.Fprintf(x.Out, "Tag: %-30s Count: %d\n", tag, counts[tag])
		}
	}
	return nil
}

func consumeMessageCommand() *Command {
	return &Command{Name: "consumeMessage", Desc: "Consume message", Run: runConsumeMessage, Options: []Option{
		{Short: "t", Long: "topic", Arg: true, Required: true, Usage: "Topic name"},
		{Short: "b", Long: "brokerName", Arg: true, Usage: "Broker name"},
		{Short: "i", Long: "queueId", Arg: true, Usage: "Queue Id (needs -b)"},
		{Short: "o", Long: "offset", Arg: true, Usage: "Queue offset (needs -b and -i)"},
		{Short: "g", Long: "consumerGroup", Arg: true, Usage: "Consumer group name"},
		{Short: "s", Long: "beginTimestamp", Arg: true, Usage: "Begin timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"},
		{Short: "e", Long: "endTimestamp", Arg: true, Usage: "End timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"},
		{Short: "c", Long: "MessageNumber", Arg: true, Usage: "Number of message to be consumed (default 128)"},
	}}
}

// runConsumeMessage reads up to -c messages, from one queue (-b, -i,
// optionally from -o) or from every queue of the topic, between the begin
// and end times, and prints them with their bodies. It commits nothing.
func runConsumeMessage(ctx context.Context, x *Exec) error {
	topic := x.Str("t")
	if err := checkTopicRead(topic); err != nil {
		return err
	}
	count, err := x.Int("c", 128)
	if err != nil {
		return err
	}
	if count <= 0 {
		return fmt.Errorf("-c %d: please input a positive messageNumber", count)
	}
	if x.Has("i") && !x.Has("b") {
		return fmt.Errorf("-i needs -b: a queue is named by broker name and queue id")
	}
	if x.Has("o") && !x.Has("i") {
		return fmt.Errorf("-o needs -b and -i: an offset belongs to one queue")
	}
	qid, err := x.Int("i", 0)
	if err != nil {
		return err
	}
	offset, err := x.Int("o", -1)
	if err != nil {
		return err
	}
	if qid < 0 || qid > math.MaxInt32 {
		return fmt.Errorf("-i %d: a queue id is not negative", qid)
	}
	begin, end, err := timeRange(x, "s", "e")
	if err != nil {
		return err
	}
	if begin >= 0 && end >= 0 && begin > end {
		return fmt.Errorf("the begin time (-s) is after the end time (-e)")
	}
	group := x.Str("g")
	if group == "" {
		group = protocol.GroupToolsConsumer
	}
	a, route, addrs, err := x.adminAndRoute(ctx, topic)
	if err != nil {
		return err
	}
	var mqs []client.MessageQueue
	if x.Has("i") {
		mqs = []client.MessageQueue{{Topic: topic, BrokerName: x.Str("b"), QueueID: int32(qid)}}
	} else {
		for _, qd := range route.QueueDatas {
			if x.Has("b") && qd.BrokerName != x.Str("b") {
				continue
			}
			for q := range qd.ReadQueueNums {
				mqs = append(mqs, client.MessageQueue{Topic: topic, BrokerName: qd.BrokerName, QueueID: q})
			}
		}
		slices.SortFunc(mqs, func(a, b client.MessageQueue) int {
			return cmp.Or(cmp.Compare(a.BrokerName, b.BrokerName), cmp.Compare(a.QueueID, b.QueueID))
		})
	}
	left := count
	for _, mq := range mqs {
		if left == 0 {
			break
		}
		addr, ok := addrs[mq.BrokerName]
		if !ok {
			return fmt.Errorf("broker %s holds no queue of %s", mq.BrokerName, topic)
		}
		minOff, maxOff, err := queueRange(ctx, a, addr, mq, begin, end)
		if err != nil {
			return err
		}
		if offset >= 0 {
			if offset > maxOff {
				fmt.Fprintf(x.Out, "%s no matched msg, offset=%d\n", mq, offset)
				continue
			}
			minOff = max(minOff, offset)
		}
		if maxOff-minOff > left {
			fmt.Fprintf(x.Out, "The older %d message of the %d queue will be provided\n", left, mq.QueueID)
			maxOff = minOff + left
		}
		first := true
		status, off, err := eachMessage(ctx, a, addr, group, mq, minOff, maxOff, func(m *client.MessageExt) {
			if first {
				fmt.Fprintf(x.Out, "Consume ok\n")
				first = false
			}
			left--
			printMessageLine(x, m, true, nil)
		})
		if err != nil {
			return err
		}
		if status != client.PullFound {
			fmt.Fprintf(x.Out, "%s print msg finished. status=%s, offset=%d\n", mq, status, off)
		}
	}
	return nil
}
