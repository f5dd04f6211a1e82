package admin

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
)

// consumerStatus: the running info consumers report through the broker.

func consumerStatusCommand() *Command {
	return &Command{Name: "consumerStatus", Desc: "Query consumer's internal data structure", Run: runConsumerStatus, Options: []Option{
		{Short: "g", Long: "consumerGroup", Arg: true, Required: true, Usage: "consumer group name"},
		{Short: "i", Long: "clientId", Arg: true, Usage: "The consumer's client id"},
		{Short: "b", Long: "brokerAddr", Arg: true, Usage: "broker address"},
		{Short: "s", Long: "jstackEnable", Usage: "print the consumer's goroutine stacks"},
	}}
}

// runningInfo is upstream's ConsumerRunningInfo as a consumer sends it.
type runningInfo struct {
	Properties      map[string]string
	Subscriptions   []protocol.SubscriptionData
	Queues          map[protocol.MessageQueue]map[string]any
	Jstack          string
	StatusTopicKeys []string
	FailedMsgs      map[string]int64 // per topic: statusTable's consumeFailedMsgs
}

func decodeRunningInfo(body []byte) (*runningInfo, error) {
	var raw struct {
		Jstack          string                      `json:"jstack"`
		MQTable         map[string]map[string]any   `json:"mqTable"`
		Properties      map[string]any              `json:"properties"`
		StatusTable     map[string]json.RawMessage  `json:"statusTable"`
		SubscriptionSet []protocol.SubscriptionData `json:"subscriptionSet"`
	}
	if err := protocol.DecodeJSON(body, &raw); err != nil {
		return nil, fmt.Errorf("decode consumer running info: %w", err)
	}
	ri := &runningInfo{Properties: map[string]string{}, Subscriptions: raw.SubscriptionSet, Queues: map[protocol.MessageQueue]map[string]any{}, Jstack: raw.Jstack}
	for k, v := range raw.Properties {
		ri.Properties[k] = fmt.Sprint(v)
	}
	for k, v := range raw.MQTable {
		var mq protocol.MessageQueue
		if err := json.Unmarshal([]byte(k), &mq); err != nil {
			return nil, fmt.Errorf("decode consumer running info: queue key %.80q: %w", k, err)
		}
		ri.Queues[mq] = v
	}
	ri.StatusTopicKeys = slices.Sorted(maps.Keys(raw.StatusTable))
	ri.FailedMsgs = map[string]int64{}
	for topic, v := range raw.StatusTable {
		var st struct {
			ConsumeFailedMsgs int64 `json:"consumeFailedMsgs"`
		}
		if err := json.Unmarshal(v, &st); err != nil {
			return nil, fmt.Errorf("decode consumer running info: status of topic %.80q: %w", topic, err)
		}
		ri.FailedMsgs[topic] = st.ConsumeFailedMsgs
	}
	return ri, nil
}

// format lays the running info out as upstream's formatString does.
func (ri *runningInfo) format() string {
	var b strings.Builder
	b.WriteString("#Consumer Properties#\n")
	for _, k := range slices.Sorted(maps.Keys(ri.Properties)) {
		fmt.Fprintf(&b, "%-40s: %s\n", k, ri.Properties[k])
	}
	b.WriteString("\n\n#Consumer Subscription#\n")
	for i, s := range ri.Subscriptions {
		fmt.Fprintf(&b, "%03d Topic: %-40s ClassFilter: %-8t SubExpression: %s\n", i+1, s.Topic, false, s.SubString)
	}
	mqs := sortedQueues(ri.Queues)
	b.WriteString("\n\n#Consumer Offset#\n")
	fmt.Fprintf(&b, "%-64s  %-32s  %-4s  %-20s\n", "#Topic", "#Broker Name", "#QID", "#Consumer Offset")
	for _, mq := range mqs {
		fmt.Fprintf(&b, "%-32s  %-32s  %-4d  %-20v\n", mq.Topic, mq.BrokerName, mq.QueueID, jsonNumber(ri.Queues[mq]["commitOffset"]))
	}
	b.WriteString("\n\n#Consumer MQ Detail#\n")
	fmt.Fprintf(&b, "%-64s  %-32s  %-4s  %-20s\n", "#Topic", "#Broker Name", "#QID", "#ProcessQueueInfo")
	for _, mq := range mqs {
		info := ri.Queues[mq]
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(info)) {
			parts = append(parts, fmt.Sprintf("%s=%v", k, jsonNumber(info[k])))
		}
		fmt.Fprintf(&b, "%-64s  %-32s  %-4d  ProcessQueueInfo [%s]\n", mq.Topic, mq.BrokerName, mq.QueueID, strings.Join(parts, ", "))
	}
	if ri.Jstack != "" {
		b.WriteString("\n\n#Consumer jstack#\n")
		b.WriteString(ri.Jstack)
	}
	return b.String()
}

// jsonNumber prints a decoded JSON number without a float's exponent.
func jsonNumber(v any) any {
	if f, ok := v.(float64); ok && f == float64(int64(f)) {
		return int64(f)
	}
	return v
}

func runConsumerStatus(ctx context.Context, x *Exec) error {
	group := x.Str("g")
	jstack := x.Has("s")
	a, err := x.Admin()
	if err != nil {
		return err
	}
	addr := x.Str("b")
	if addr == "" {
		if _, addrs, err := routeBrokers(ctx, a, protocol.RetryTopic(group)); err != nil {
			return fmt.Errorf("consumer group %s: %w", group, err)
		} else if len(addrs) > 0 {
			addr = addrs[slices.Sorted(maps.Keys(addrs))[0]]
		}
	}
	if addr == "" {
		return fmt.Errorf("consumer group %s: no broker to ask", group)
	}
	if x.Has("i") {
		body, err := a.ConsumerRunningInfo(ctx, addr, group, x.Str("i"), jstack)
		if err != nil {
			return err
		}
		ri, err := decodeRunningInfo(body)
		if err != nil {
			return err
		}
		fmt.Fprint(x.Out, ri.format())
		return nil
	}
	cc, err := a.ConsumerConnection(ctx, addr, group)
	if err != nil {
		return err
	}
	dir := strconv.FormatInt(time.Now().UnixMilli(), 10)
	fmt.Fprintf(x.Out, "%-10s %-40s %-20s %s\n", "#Index", "#ClientId", "#Version", "#ConsumerRunningInfoFile")
	conns := slices.SortedFunc(slices.Values(cc.ConnectionSet), func(a, b protocol.Connection) int { return cmp.Compare(a.ClientID, b.ClientID) })
	infos := map[string]*runningInfo{}
	for _, c := range conns {
		body, err := a.ConsumerRunningInfo(ctx, addr, group, c.ClientID, jstack)
		if err != nil {
			fmt.Fprintf(x.Err, "consumer %s: %v\n", c.ClientID, err)
			continue
		}
		ri, err := decodeRunningInfo(body)
		if err != nil {
			fmt.Fprintf(x.Err, "consumer %s: %v\n", c.ClientID, err)
			continue
		}
		path := filepath.Join(dir, c.ClientID)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(ri.format()), 0o644); err != nil {
			return fmt.Errorf("write running info: %w", err)
		}
		infos[c.ClientID] = ri
		fmt.Fprintf(x.Out, "%-10d %-40s %-20s %s\n", len(infos), c.ClientID, versionDesc(c.Version), path)
	}
	if len(infos) == 0 {
		return nil
	}
	if !sameSubscriptions(infos) {
		fmt.Fprintf(x.Out, "\n\nWARN: Different subscription in the same group of consumer!!!\n")
		return nil
	}
	fmt.Fprintf(x.Out, "\n\nSame subscription in the same group of consumer")
	if owners := sharedQueues(infos); len(owners) > 0 {
		fmt.Fprintf(x.Out, "\n\nRebalance Failed\n")
		for _, s := range owners {
			fmt.Fprintf(x.Out, "%s\n", s)
		}
		return nil
	}
	fmt.Fprintf(x.Out, "\n\nRebalance OK\n")
	return nil
}

// sameSubscriptions says whether every consumer subscribes the same
// topics with the same expressions.
func sameSubscriptions(infos map[string]*runningInfo) bool {
	var first string
	for i, id := range slices.Sorted(maps.Keys(infos)) {
		var subs []string
		for _, s := range infos[id].Subscriptions {
			subs = append(subs, s.Topic+"\x00"+s.ExpressionType+"\x00"+s.SubString)
		}
		slices.Sort(subs)
		key := strings.Join(subs, "\n")
		if i == 0 {
			first = key
		} else if key != first {
			return false
		}
	}
	return true
}

// sharedQueues lists the queues more than one consumer holds (a broken
// rebalance).
func sharedQueues(infos map[string]*runningInfo) []string {
	holders := map[protocol.MessageQueue][]string{}
	for _, id := range slices.Sorted(maps.Keys(infos)) {
		for mq, info := range infos[id].Queues {
			if dropped, _ := info["droped"].(bool); !dropped {
				holders[mq] = append(holders[mq], id)
			}
		}
	}
	var out []string
	for _, mq := range sortedQueues(holders) {
		if len(holders[mq]) > 1 {
			out = append(out, fmt.Sprintf("%s is held by %s", mq.Topic+"@"+mq.BrokerName+":"+strconv.Itoa(int(mq.QueueID)), strings.Join(holders[mq], ", ")))
		}
	}
	return out
}
