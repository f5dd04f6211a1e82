package admin

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/rocketgo/rocketgo/client"
)

// Reading a queue from one offset to another, for printMsg and
// printMsgByQueue.

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
func eachMessage(ctx context.Context, a *client.Admin, addr string, mq client.MessageQueue, minOff, maxOff int64, fn func(*client.MessageExt)) (client.PullStatus, int64, error) {
	for off := minOff; off < maxOff; {
		res, err := a.PullQueue(ctx, addr, "TOOLS_CONSUMER", mq, off, 32)
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

// printMessageLine prints a message on one line as upstream's printMsg does.
func printMessageLine(x *Exec, m *client.MessageExt, printBody bool) {
	body := "NOT PRINT BODY"
	if printBody {
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
	if cs := x.Str("c"); cs != "" && cs != "UTF-8" && cs != "utf-8" && cs != "UTF8" {
		return fmt.Errorf("-c %s: charsets other than UTF-8 are not implemented yet in RocketGo", cs)
	}
	flags := map[string]bool{}
	for _, f := range []string{"p", "d", "f"} {
		if flags[f], err = x.Bool(f, false); err != nil {
			return err
		}
	}
	var begin, end int64 = -1, -1
	if x.Has("b") {
		if begin, err = parseTimestamp(x.Str("b")); err != nil {
			return err
		}
	}
	if x.Has("e") {
		if end, err = parseTimestamp(x.Str("e")); err != nil {
			return err
		}
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
	if _, _, err := eachMessage(ctx, a, addr, mq, minOff, maxOff, func(m *client.MessageExt) {
		if !tags(m.Tags()) {
			return
		}
		counts[m.Tags()]++
		if flags["p"] {
			printMessageLine(x, m, flags["d"])
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
