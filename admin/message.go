package admin

import (
	"context"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/protocol"
)

// Message commands: look messages up by id, key or queue offset, send
// one, print a topic's messages.

func messageCommands() []*Command {
	return []*Command{
		{Name: "queryMsgById", Desc: "Query Message by Id", Run: runQueryMsgByID, Options: []Option{
			{Short: "i", Long: "msgId", Arg: true, Required: true, Usage: "Message Id (the offset id; several separated by ',')"},
		}},
		{Name: "queryMsgByKey", Desc: "Query Message by Key", Run: runQueryMsgByKey, Options: []Option{
			optTopic, {Short: "k", Long: "msgKey", Arg: true, Required: true, Usage: "Message Key"},
		}},
		{Name: "queryMsgByUniqueKey", Desc: "Query Message by Unique key", Run: runQueryMsgByUniqueKey, Options: []Option{
			{Short: "i", Long: "msgId", Arg: true, Required: true, Usage: "Message Id (the client's unique key)"},
			optTopic,
		}},
		{Name: "queryMsgByOffset", Desc: "Query Message by offset", Run: runQueryMsgByOffset, Options: []Option{
			optTopic,
			{Short: "b", Long: "brokerName", Arg: true, Required: true, Usage: "Broker Name"},
			{Short: "i", Long: "queueId", Arg: true, Required: true, Usage: "Queue Id"},
			{Short: "o", Long: "offset", Arg: true, Required: true, Usage: "Queue Offset"},
		}},
		{Name: "sendMessage", Desc: "Send a message", Run: runSendMessage, Options: []Option{
			{Short: "t", Long: "topic", Arg: true, Required: true, Usage: "Topic name"},
			{Short: "p", Long: "body", Arg: true, Required: true, Usage: "UTF-8 string format of the message body"},
			{Short: "k", Long: "key", Arg: true, Usage: "Message keys"},
			{Short: "c", Long: "tags", Arg: true, Usage: "Message tags"},
			{Short: "b", Long: "broker", Arg: true, Usage: "Send message to target broker"},
			{Short: "i", Long: "qid", Arg: true, Usage: "Send message to target queue"},
		}},
		{Name: "printMsg", Desc: "Print Message Detail", Run: runPrintMsg, Options: []Option{
			optTopic,
			{Short: "c", Long: "charsetName", Arg: true, Usage: "CharsetName(eg: UTF-8,GBK)"},
			{Short: "s", Long: "subExpression", Arg: true, Usage: "Subscribe Expression(eg: TagA || TagB)"},
			{Short: "b", Long: "beginTimestamp", Arg: true, Usage: "Begin timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"},
			{Short: "e", Long: "endTimestamp", Arg: true, Usage: "End timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"},
			{Short: "d", Long: "printBody", Arg: true, Usage: "print body"},
		}},
		consumeMessageCommand(),
		{Name: "printMsgByQueue", Desc: "Print Message Detail", Run: runPrintMsgByQueue, Options: []Option{
			optTopic,
			{Short: "a", Long: "brokerName", Arg: true, Required: true, Usage: "broker name"},
			{Short: "i", Long: "queueId", Arg: true, Required: true, Usage: "queue id"},
			{Short: "c", Long: "charsetName", Arg: true, Usage: "CharsetName(eg: UTF-8,GBK)"},
			{Short: "s", Long: "subExpression", Arg: true, Usage: "Subscribe Expression(eg: TagA || TagB)"},
			{Short: "b", Long: "beginTimestamp", Arg: true, Usage: "Begin timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"},
			{Short: "e", Long: "endTimestamp", Arg: true, Usage: "End timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]"},
			{Short: "p", Long: "printMsg", Arg: true, Usage: "print msg. eg: true | false(default)"},
			{Short: "d", Long: "printBody", Arg: true, Usage: "print body. eg: true | false(default)"},
			{Short: "f", Long: "calculate", Arg: true, Usage: "calculate by tag. eg: true | false(default)"},
		}},
	}
}

// propsString prints properties as Java's HashMap.toString (sorted here).
func propsString(p map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(p)) {
		parts = append(parts, k+"="+p[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// printMsgDetail prints one message as upstream's QueryMsgByIdSubCommand
// does, with the body written to a file under the temporary directory.
func printMsgDetail(x *Exec, m *client.MessageExt) error {
	dir := filepath.Join(os.TempDir(), "rocketmq", "msgbodys")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("message body directory: %w", err)
	}
	bodyPath := filepath.Join(dir, m.MsgID())
	if err := os.WriteFile(bodyPath, m.Body, 0o644); err != nil {
		return fmt.Errorf("write message body: %w", err)
	}
	keys := m.Property(protocol.PropertyKeys)
	rows := []struct{ k, v string }{
		{"OffsetID:", m.OffsetMsgID()},
		{"Topic:", m.Topic},
		{"Tags:", "[" + m.Tags() + "]"},
		{"Keys:", "[" + keys + "]"},
		{"Queue ID:", strconv.Itoa(int(m.QueueID))},
		{"Queue Offset:", strconv.FormatInt(m.QueueOffset, 10)},
		{"CommitLog Offset:", strconv.FormatInt(m.CommitLogOffset, 10)},
		{"Reconsume Times:", strconv.Itoa(int(m.ReconsumeTimes))},
		{"Born Timestamp:", humanTime(m.BornTimestamp)},
		{"Store Timestamp:", humanTime(m.StoreTimestamp)},
		{"Born Host:", m.BornHost.String()},
		{"Store Host:", m.StoreHost.String()},
		{"System Flag:", strconv.Itoa(int(m.SysFlag))},
		{"Properties:", propsString(m.Properties)},
		{"Message Body Path:", bodyPath},
	}
	for _, r := range rows {
		fmt.Fprintf(x.Out, "%-20s %s\n", r.k, r.v)
	}
	return nil
}

func runQueryMsgByID(ctx context.Context, x *Exec) error {
	a, err := x.Admin()
	if err != nil {
		return err
	}
	for _, id := range strings.Split(x.Str("i"), ",") {
		id = strings.TrimSpace(id)
		host, offset, err := protocol.DecodeOffsetMsgID(id)
		if err != nil {
			return fmt.Errorf("-i %q is not an offset message id (32 or 56 hex digits: store host and commit-log offset): %w", id, err)
		}
		m, err := a.ViewMessage(ctx, host.String(), offset)
		if err != nil {
			return err
		}
		if err := printMsgDetail(x, m); err != nil {
			return err
		}
	}
	return nil
}

func runQueryMsgByKey(ctx context.Context, x *Exec) error {
	topic := x.Str("t")
	if err := checkTopicRead(topic); err != nil {
		return err
	}
	a, _, addrs, err := x.adminAndRoute(ctx, topic)
	if err != nil {
		return err
	}
	fmt.Fprintf(x.Out, "%-50s %4s %40s\n", "#Message ID", "#QID", "#Offset")
	for _, name := range slices.Sorted(maps.Keys(addrs)) {
		msgs, err := a.QueryMessage(ctx, addrs[name], topic, x.Str("k"), 64, 0, math.MaxInt64, false)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			fmt.Fprintf(x.Out, "%-50s %4d %40d\n", m.MsgID(), m.QueueID, m.QueueOffset)
		}
	}
	return nil
}

func runQueryMsgByUniqueKey(ctx context.Context, x *Exec) error {
	topic, id := x.Str("t"), x.Str("i")
	if err := checkTopicRead(topic); err != nil {
		return err
	}
	a, _, addrs, err := x.adminAndRoute(ctx, topic)
	if err != nil {
		return err
	}
	found := false
	for _, name := range slices.Sorted(maps.Keys(addrs)) {
		msgs, err := a.QueryMessage(ctx, addrs[name], topic, id, 32, 0, math.MaxInt64, true)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.UniqKey() != id {
				continue
			}
			found = true
			if err := printMsgDetail(x, m); err != nil {
				return err
			}
		}
	}
	if !found {
		return fmt.Errorf("message %s of topic %s not found", id, topic)
	}
	return nil
}

func runQueryMsgByOffset(ctx context.Context, x *Exec) error {
	topic, name := x.Str("t"), x.Str("b")
	if err := checkTopicRead(topic); err != nil {
		return err
	}
	qid, err := x.Int("i", 0)
	if err != nil {
		return err
	}
	offset, err := x.Int("o", 0)
	if err != nil {
		return err
	}
	if qid < 0 || qid > math.MaxInt32 || offset < 0 {
		return fmt.Errorf("-i %d -o %d: queue id and offset must not be negative", qid, offset)
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
	res, err := a.PullQueue(ctx, addr, protocol.GroupToolsConsumer, mq, offset, 1)
	if err != nil {
		return err
	}
	if res.Status != client.PullFound || len(res.Messages) == 0 {
		return fmt.Errorf("no message at offset %d of %s: %s", offset, mq, res)
	}
	return printMsgDetail(x, res.Messages[0])
}

func runSendMessage(ctx context.Context, x *Exec) error {
	topic := x.Str("t")
	if err := checkTopicStrict(topic); err != nil {
		return err
	}
	qid, err := x.Int("i", -1)
	if err != nil {
		return err
	}
	if x.Has("i") && !x.Has("b") {
		return fmt.Errorf("-i needs -b: a queue is named by broker name and queue id")
	}
	if x.Has("i") && (qid < 0 || qid > math.MaxInt32) {
		return fmt.Errorf("-i %d: a queue id is not negative", qid)
	}
	p, stop, err := toolProducer(ctx, x, "SEND_MESSAGE_TOOLS_GROUP")
	if err != nil {
		return err
	}
	defer stop()
	msg := client.NewMessage(topic, x.Str("c"), []byte(x.Str("p")))
	if x.Has("k") {
		client.SetKeys(msg, x.Str("k"))
	}
	var res *client.SendResult
	if x.Has("b") && x.Has("i") {
		res, err = p.SendToQueue(ctx, msg, client.MessageQueue{Topic: topic, BrokerName: x.Str("b"), QueueID: int32(qid)})
	} else {
		res, err = p.Send(ctx, msg)
	}
	const format = "%-32s  %-4s  %-20s    %s\n"
	fmt.Fprintf(x.Out, format, "#Broker Name", "#QID", "#Send Result", "#MsgId")
	if err != nil {
		fmt.Fprintf(x.Out, format, "Unknown", "Unknown", "Failed", "None")
		return err
	}
	fmt.Fprintf(x.Out, format, res.Queue.BrokerName, strconv.Itoa(int(res.Queue.QueueID)), res.Status, res.MsgID)
	return nil
}

// parseTimestamp reads ms since the epoch or yyyy-MM-dd#HH:mm:ss:SSS.
func parseTimestamp(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	bad := fmt.Errorf("timestamp %q is neither milliseconds since the epoch nor yyyy-MM-dd#HH:mm:ss:SSS", s)
	// Go's layouts take fractions only after '.' or ','; the last ':' is one.
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return 0, bad
	}
	t, err := time.ParseInLocation("2006-01-02#15:04:05.000", s[:i]+"."+s[i+1:], time.Local)
	if err != nil {
		return 0, bad
	}
	return t.UnixMilli(), nil
}

// messageString prints a message in the spirit of upstream's
// MessageExt.toString.
func messageString(m *client.MessageExt) string {
	return fmt.Sprintf("MessageExt [queueId=%d, storeSize=%d, queueOffset=%d, sysFlag=%d, bornTimestamp=%d, bornHost=%s, storeTimestamp=%d, storeHost=%s, msgId=%s, commitLogOffset=%d, bodyCRC=%d, reconsumeTimes=%d, preparedTransactionOffset=%d, toString()=Message{topic='%s', flag=%d, properties=%s}]",
		m.QueueID, m.StoreSize, m.QueueOffset, m.SysFlag, m.BornTimestamp, m.BornHost, m.StoreTimestamp, m.StoreHost,
		m.OffsetMsgID(), m.CommitLogOffset, m.BodyCRC, m.ReconsumeTimes, m.PreparedTransactionOffset, m.Topic, m.Flag, propsString(m.Properties))
}

func runPrintMsg(ctx context.Context, x *Exec) error {
	topic := x.Str("t")
	if err := checkTopicRead(topic); err != nil {
		return err
	}
	decode, err := bodyDecoder(x.Str("c"))
	if err != nil {
		return err
	}
	printBody, err := x.Bool("d", true)
	if err != nil {
		return err
	}
	begin, end, err := timeRange(x, "b", "e")
	if err != nil {
		return err
	}
	tags, err := parseTagExpression(x.Str("s"))
	if err != nil {
		return err
	}
	a, route, addrs, err := x.adminAndRoute(ctx, topic)
	if err != nil {
		return err
	}
	mqs := readableQueues(route, topic)
	slices.SortFunc(mqs, func(a, b client.MessageQueue) int {
		return strings.Compare(a.BrokerName+"\x00"+strconv.Itoa(int(a.QueueID)), b.BrokerName+"\x00"+strconv.Itoa(int(b.QueueID)))
	})
	for _, mq := range mqs {
		addr := addrs[mq.BrokerName]
		minOff, maxOff, err := queueRange(ctx, a, addr, mq, begin, end)
		if err != nil {
			return err
		}
		fmt.Fprintf(x.Out, "minOffset=%d, maxOffset=%d, %s\n", minOff, maxOff, mq)
		status, off, err := eachMessage(ctx, a, addr, protocol.GroupToolsConsumer, mq, minOff, maxOff, func(m *client.MessageExt) {
			if tags(m.Tags()) {
				printMessageLine(x, m, printBody, decode)
			}
		})
		if err != nil {
			return err
		}
		if status != client.PullFound {
			fmt.Fprintf(x.Out, "%s print msg finished. status=%s, offset=%d\n", mq, status, off)
		}
		fmt.Fprintf(x.Out, "--------------------------------------------------------\n")
	}
	return nil
}

// parseTagExpression reads "*" or "TagA || TagB" into a matcher.
func parseTagExpression(expr string) (func(string) bool, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" || expr == "*" {
		return func(string) bool { return true }, nil
	}
	var tags []string
	for _, t := range strings.Split(expr, "||") {
		if t = strings.TrimSpace(t); t == "" {
			return nil, fmt.Errorf("-s %q: an empty tag between '||'", expr)
		}
		tags = append(tags, t)
	}
	return func(tag string) bool { return slices.Contains(tags, tag) }, nil
}
