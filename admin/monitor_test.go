package admin

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/client"
)

// runningInfoBody builds a consumer's running info as a Java client sends
// it: one queue of topic T on broker-a, with the given process queue state.
func runningInfoBody(consumeType string, orderly bool, started time.Time, sub string, pq string, status string) []byte {
	return fmt.Appendf(nil, `{"jstack":"","mqTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:%s},`+
		`"properties":{"consumerGroup":"G","PROP_CONSUME_TYPE":%q,"PROP_CONSUMEORDERLY":"%t","PROP_CONSUMER_START_TIMESTAMP":"%d"},`+
		`"statusTable":{%s},`+
		`"subscriptionSet":[{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":%q,"subVersion":1,"tagsSet":[],"topic":"T"}]}`,
		pq, consumeType, orderly, started.UnixMilli(), status, sub)
}

func TestAnalyzeRunningInfo(t *testing.T) {
	now := time.UnixMilli(10_000_000_000)
	longAgo := now.Add(-3 * time.Minute)
	idle := fmt.Sprintf(`{"cachedMsgCount":0,"droped":false,"lastConsumeTimestamp":%d,"locked":true,"lastLockTimestamp":0,"tryUnlockTimes":0}`, now.UnixMilli())
	decode := func(body []byte) *runningInfo {
		t.Helper()
		ri, err := decodeRunningInfo(body)
		if err != nil {
			t.Fatalf("%v\n%s", err, body)
		}
		return ri
	}
	mq := "MessageQueue [topic=T, brokerName=broker-a, queueId=0]"
	for _, c := range []struct {
		name  string
		infos map[string]*runningInfo
		want  []string
	}{
		{"healthy", map[string]*runningInfo{
			"c1": decode(runningInfoBody("CONSUME_PASSIVELY", false, longAgo, "*", idle, "")),
			"c2": decode(runningInfoBody("CONSUME_PASSIVELY", false, longAgo, "*", idle, "")),
		}, nil},
		{"subscriptions differ", map[string]*runningInfo{
			"c1": decode(runningInfoBody("CONSUME_PASSIVELY", false, longAgo, "TagA", idle, "")),
			"c2": decode(runningInfoBody("CONSUME_PASSIVELY", false, longAgo, "TagB", idle, "")),
		}, []string{"[MONITOR]  [NOTIFY] reportConsumerRunningInfo: ConsumerGroup: G, Subscription different"}},
		{"subscriptions differ, but the first started under 2 minutes ago", map[string]*runningInfo{
			"c1": decode(runningInfoBody("CONSUME_PASSIVELY", false, now.Add(-time.Minute), "TagA", idle, "")),
			"c2": decode(runningInfoBody("CONSUME_PASSIVELY", false, longAgo, "TagB", idle, "")),
		}, nil},
		{"pull consumers are not compared", map[string]*runningInfo{
			"c1": decode(runningInfoBody("CONSUME_ACTIVELY", false, longAgo, "TagA", idle, "")),
			"c2": decode(runningInfoBody("CONSUME_ACTIVELY", false, longAgo, "TagB", idle, "")),
		}, nil},
		{"blocked", map[string]*runningInfo{
			"c1": decode(runningInfoBody("CONSUME_PASSIVELY", false, longAgo, "*",
				fmt.Sprintf(`{"cachedMsgCount":5,"droped":false,"lastConsumeTimestamp":%d,"locked":false}`, now.Add(-90*time.Second).UnixMilli()), "")),
		}, []string{"[MONITOR]  [NOTIFY] reportConsumerRunningInfo: ConsumerGroup: G, ClientId: c1, c1 " + mq + " can't consume for a while, maybe blocked, 90000ms"}},
		{"orderly, not locked", map[string]*runningInfo{
			"c1": decode(runningInfoBody("CONSUME_PASSIVELY", true, longAgo, "*",
				fmt.Sprintf(`{"cachedMsgCount":0,"droped":false,"locked":false,"lastLockTimestamp":%d}`, now.Add(-45*time.Second).UnixMilli()), "")),
		}, []string{"[MONITOR]  [NOTIFY] reportConsumerRunningInfo: ConsumerGroup: G, ClientId: c1, c1 " + mq + " can't lock for a while, 45000ms"}},
		{"orderly, unlock failing", map[string]*runningInfo{
			"c1": decode(runningInfoBody("CONSUME_PASSIVELY", true, longAgo, "*", `{"droped":true,"locked":true,"tryUnlockTimes":3}`, "")),
		}, []string{"[MONITOR]  [NOTIFY] reportConsumerRunningInfo: ConsumerGroup: G, ClientId: c1, c1 " + mq + " unlock 3 times, still failed"}},
		{"failed consumption", map[string]*runningInfo{
			"c1": decode(runningInfoBody("CONSUME_PASSIVELY", false, longAgo, "*", idle,
				`"T":{"consumeFailedMsgs":4,"consumeFailedTPS":0.1,"consumeOKTPS":2.0,"consumeRT":1.5,"pullRT":2.0,"pullTPS":3.0}`)),
			"c2": decode(runningInfoBody("CONSUME_PASSIVELY", false, longAgo, "*", idle,
				`"T":{"consumeFailedMsgs":1},"%RETRY%G":{"consumeFailedMsgs":0}`)),
		}, []string{"[MONITOR] reportFailedMsgs: FailedMsgs [consumerGroup=G, topic=T, failedMsgsTotalRecently=5]"}},
	} {
		got := analyzeRunningInfo("G", c.infos, now)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
}

// TestRunningInfoStatusTableErrors: a status table entry that is not an
// object is a decode error naming the topic, not a panic.
func TestRunningInfoStatusTableErrors(t *testing.T) {
	_, err := decodeRunningInfo([]byte(`{"statusTable":{"T":[1]}}`))
	if err == nil || !strings.Contains(err.Error(), `"T"`) {
		t.Fatalf("err %v", err)
	}
}

// FuzzMonitorReports: whatever a consumer or a broker sends, the monitor's
// analysis and the offset-moved report print lines or errors, never panic.
func FuzzMonitorReports(f *testing.F) {
	now := time.UnixMilli(10_000_000_000)
	f.Add(runningInfoBody("CONSUME_PASSIVELY", false, now.Add(-3*time.Minute), "*", `{"cachedMsgCount":5,"lastConsumeTimestamp":1}`, `"T":{"consumeFailedMsgs":2}`))
	f.Add(runningInfoBody("CONSUME_PASSIVELY", true, now, "TagA", `{"locked":"yes","lastLockTimestamp":"12"}`, ""))
	f.Add([]byte(`{"properties":{"PROP_CONSUME_TYPE":"CONSUME_PASSIVELY","PROP_CONSUMER_START_TIMESTAMP":"1e3"},"mqTable":{{"topic":"T"}:{"tryUnlockTimes":1e300}}}`))
	f.Add([]byte(`{"consumerGroup":"g","messageQueue":{"brokerName":"b","queueId":0,"topic":"T"},"offsetNew":0,"offsetRequest":99}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var out strings.Builder
		m := &monitor{out: &lineWriter{w: &out}, err: &out, now: func() time.Time { return now }}
		msg := &client.MessageExt{}
		msg.Body = body
		m.reportOffsetMoved(msg)
		ri, err := decodeRunningInfo(body)
		if err != nil {
			return
		}
		other := *ri
		other.Subscriptions = nil
		for _, line := range analyzeRunningInfo("G", map[string]*runningInfo{"a": ri, "b": &other}, now) {
			if strings.Contains(line, "\n") {
				t.Fatalf("a finding spans lines: %q", line)
			}
		}
	})
}

// FuzzBodyDecoder: any charset name and body give text or an error.
func FuzzBodyDecoder(f *testing.F) {
	f.Add("GBK", []byte{0xd6, 0xd0, 0xff})
	f.Add("UTF-16", []byte{0xff})
	f.Add("Cp99999999999999999999", []byte("x"))
	f.Add("UTF-32", []byte{0, 0x11, 0, 0, 1})
	f.Fuzz(func(t *testing.T, charset string, body []byte) {
		dec, err := bodyDecoder(charset)
		if err != nil {
			return
		}
		_ = dec(body)
	})
}
