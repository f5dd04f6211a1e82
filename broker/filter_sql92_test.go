package broker

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/filter"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// sqlPullReq is pullReq with a SQL92 subscription.
func sqlPullReq(group, topic string, offset int64, sysFlag int32, suspend time.Duration, expr string) *remoting.Command {
	r := pullReq(group, topic, 0, offset, sysFlag, suspend, expr)
	r.ExtFields["expressionType"] = protocol.ExpressionTypeSQL92
	return r
}

// heartbeatPull is a pull as rocketmq-client-go's push consumer sends it:
// no subscription, expression type TAG, subVersion 0, so the broker must
// filter with what the heartbeat registered.
func heartbeatPull(group, topic string, offset int64, sysFlag int32, suspend time.Duration) *remoting.Command {
	r := pullReq(group, topic, 0, offset, sysFlag, suspend, "")
	r.ExtFields["sysFlag"] = strconv.Itoa(int(sysFlag))
	return r
}

func sqlHeartbeat(clientID, group, topic, expr string, subVersion int64) *remoting.Command {
	hb := protocol.HeartbeatData{
		ClientID: clientID,
		ConsumerDataSet: []protocol.ConsumerData{{
			GroupName: group, ConsumeType: protocol.ConsumePassively, MessageModel: protocol.Clustering,
			ConsumeFromWhere: "CONSUME_FROM_FIRST_OFFSET",
			SubscriptionDataSet: []protocol.SubscriptionData{{
				Topic: topic, SubString: expr, ExpressionType: protocol.ExpressionTypeSQL92, SubVersion: subVersion,
			}},
		}},
	}
	return remoting.NewRequest(protocol.ReqHeartBeat, nil, hb.Encode())
}

func checkConfigReq(t *testing.T, group, topic, exprType, expr string) *remoting.Command {
	t.Helper()
	body, err := protocol.EncodeBody(&checkClientConfigBody{ClientID: "c1", Group: group, SubscriptionData: protocol.SubscriptionData{
		Topic: topic, SubString: expr, ExpressionType: exprType, SubVersion: 1,
	}})
	if err != nil {
		t.Fatal(err)
	}
	return remoting.NewRequest(protocol.ReqCheckClientConfig, nil, body)
}

// sendNumbered stores one message per entry of props on queue 0 of topic,
// with body "m<i>", and waits until they are readable.
func sendNumbered(t *testing.T, b *Broker, c *remoting.Client, topic string, props []map[string]string) {
	t.Helper()
	for i, p := range props {
		mustCode(t, call(t, c, b.Addr(), sendReq(topic, 0, []byte(fmt.Sprintf("m%d", i)), p)), protocol.RespSuccess)
	}
	dispatched(t, b)
}

func pulledBodies(t *testing.T, resp *remoting.Command) []string {
	t.Helper()
	msgs, err := protocol.DecodeMessages(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, string(m.Body))
	}
	return out
}

// TestSQL92Pull: pulls that carry a SQL92 subscription get exactly the
// matching messages; the others are skipped, not sent, and the offset
// moves past them.
func TestSQL92Pull(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	c := newClient(t)
	var props []map[string]string
	for i := range 10 {
		tag := "TagA"
		if i%2 == 1 {
			tag = "TagB"
		}
		props = append(props, map[string]string{"a": strconv.Itoa(i), protocol.PropertyTags: tag})
	}
	// m10: no property a (NULL); m11: a is not a number (a fault).
	props = append(props, map[string]string{protocol.PropertyTags: "TagA"}, map[string]string{"a": "x"})
	sendNumbered(t, b, c, "Sql", props)

	cases := []struct {
		expr string
		want []string
	}{
		{"a BETWEEN 0 AND 3", []string{"m0", "m1", "m2", "m3"}},
		{"TAGS = 'TagB' AND a > 5", []string{"m7", "m9"}},
		{"a IS NULL", []string{"m10"}},
		{"a IN ('4', 'x') OR TAGS IS NULL", []string{"m4", "m11"}},
		{"NOT (a >= 2) AND TAGS <> 'TagZ'", []string{"m0", "m1"}},
	}
	for _, tc := range cases {
		resp := call(t, c, b.Addr(), sqlPullReq("sqlg", "Sql", 0, 0, 0, tc.expr))
		mustCode(t, resp, protocol.RespSuccess)
		if got := pulledBodies(t, resp); !slices.Equal(got, tc.want) {
			t.Errorf("%s: pulled %v, want %v", tc.expr, got, tc.want)
		}
		if next := extInt(t, resp, "nextBeginOffset"); next != 12 {
			t.Errorf("%s: nextBeginOffset %d, want 12 (every entry scanned)", tc.expr, next)
		}
	}

	// Nothing matches: NO_MATCHED_MESSAGE, and the client skips ahead.
	resp := call(t, c, b.Addr(), sqlPullReq("sqlg", "Sql", 0, 0, 0, "a > 100"))
	mustCode(t, resp, protocol.RespPullRetryImmediately)
	if len(resp.Body) != 0 || extInt(t, resp, "nextBeginOffset") != 12 {
		t.Fatalf("no-match pull: body %d bytes, ext %v", len(resp.Body), resp.ExtFields)
	}
	// From the middle: only what follows the offset.
	resp = call(t, c, b.Addr(), sqlPullReq("sqlg", "Sql", 5, 0, 0, "a < 7"))
	mustCode(t, resp, protocol.RespSuccess)
	if got := pulledBodies(t, resp); !slices.Equal(got, []string{"m5", "m6"}) {
		t.Fatalf("pull from 5: %v", got)
	}
}

// TestSQL92HeartbeatSubscription: a pull without its own subscription (as
// rocketmq-client-go sends them) is filtered by the SQL92 expression the
// heartbeat registered; a heartbeat expression that does not compile makes
// its pulls fail with the parser's message.
func TestSQL92HeartbeatSubscription(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	c := newClient(t)
	var props []map[string]string
	for i := range 10 {
		props = append(props, map[string]string{"a": strconv.Itoa(i)})
	}
	sendNumbered(t, b, c, "SqlHb", props)

	mustCode(t, call(t, c, b.Addr(), sqlHeartbeat("client-1", "hbg", "SqlHb", "a BETWEEN 0 AND 3", 100)), protocol.RespSuccess)
	resp := call(t, c, b.Addr(), heartbeatPull("hbg", "SqlHb", 0, 0, 0))
	mustCode(t, resp, protocol.RespSuccess)
	if got := pulledBodies(t, resp); !slices.Equal(got, []string{"m0", "m1", "m2", "m3"}) {
		t.Fatalf("heartbeat-filtered pull: %v", got)
	}

	// A newer heartbeat replaces the expression; an older one is ignored.
	mustCode(t, call(t, c, b.Addr(), sqlHeartbeat("client-1", "hbg", "SqlHb", "a = 9", 200)), protocol.RespSuccess)
	mustCode(t, call(t, c, b.Addr(), sqlHeartbeat("client-1", "hbg", "SqlHb", "a = 1", 150)), protocol.RespSuccess)
	resp = call(t, c, b.Addr(), heartbeatPull("hbg", "SqlHb", 0, 0, 0))
	mustCode(t, resp, protocol.RespSuccess)
	if got := pulledBodies(t, resp); !slices.Equal(got, []string{"m9"}) {
		t.Fatalf("after the new heartbeat: %v", got)
	}

	mustCode(t, call(t, c, b.Addr(), sqlHeartbeat("client-2", "badg", "SqlHb", "a BETWEEN 3", 1)), protocol.RespSuccess)
	resp = call(t, c, b.Addr(), heartbeatPull("badg", "SqlHb", 0, 0, 0))
	mustCode(t, resp, protocol.RespSubscriptionParseFailed)
	if !strings.Contains(resp.Remark, "SQL92 parse error at column") || !strings.Contains(resp.Remark, "a BETWEEN 3") {
		t.Fatalf("remark %q does not carry the expression and the parser's message", resp.Remark)
	}
}

// TestSQL92Disabled: with enablePropertyFilter=false SQL92 is refused as
// upstream refuses it, at pull and at CHECK_CLIENT_CONFIG; TAG still works.
func TestSQL92Disabled(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.EnablePropertyFilter = false
	b := startBroker(t, cfg)
	c := newClient(t)
	sendNumbered(t, b, c, "SqlOff", []map[string]string{{"a": "1", protocol.PropertyTags: "TagA"}})
	const want = "The broker does not support consumer to filter message by SQL92"

	resp := call(t, c, b.Addr(), sqlPullReq("offg", "SqlOff", 0, 0, 0, "a = 1"))
	mustCode(t, resp, protocol.RespSystemError)
	if resp.Remark != want {
		t.Fatalf("pull remark %q", resp.Remark)
	}
	mustCode(t, call(t, c, b.Addr(), sqlHeartbeat("client-1", "offhb", "SqlOff", "a = 1", 1)), protocol.RespSuccess)
	resp = call(t, c, b.Addr(), heartbeatPull("offhb", "SqlOff", 0, 0, 0))
	mustCode(t, resp, protocol.RespSystemError)
	if resp.Remark != want {
		t.Fatalf("heartbeat pull remark %q", resp.Remark)
	}
	resp = call(t, c, b.Addr(), checkConfigReq(t, "offg", "SqlOff", protocol.ExpressionTypeSQL92, "a = 1"))
	mustCode(t, resp, protocol.RespSystemError)
	if resp.Remark != want {
		t.Fatalf("CHECK_CLIENT_CONFIG remark %q", resp.Remark)
	}
	mustCode(t, call(t, c, b.Addr(), checkConfigReq(t, "offg", "SqlOff", protocol.ExpressionTypeTag, "TagA")), protocol.RespSuccess)
	resp = call(t, c, b.Addr(), pullReq("offg", "SqlOff", 0, 0, 0, 0, "TagA"))
	mustCode(t, resp, protocol.RespSuccess)
}

// TestCheckClientConfig: a Java consumer's start-up check compiles the
// expression and answers the parser's message when it does not compile.
func TestCheckClientConfig(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	c := newClient(t)
	cases := []struct {
		exprType, expr string
		code           int32
		remark         string
	}{
		{protocol.ExpressionTypeTag, "TagA || TagB", protocol.RespSuccess, ""},
		{"", "*", protocol.RespSuccess, ""},
		{protocol.ExpressionTypeSQL92, "a BETWEEN 0 AND 3", protocol.RespSuccess, ""},
		{protocol.ExpressionTypeSQL92, "a BETWEEN 3", protocol.RespSubscriptionParseFailed, "SQL92 parse error at column 12: "},
		{protocol.ExpressionTypeSQL92, "a = 'x", protocol.RespSubscriptionParseFailed, "column 5"},
		{"sql92", "a = 1", protocol.RespSubscriptionParseFailed, "unsupported expression type"},
	}
	for _, tc := range cases {
		resp := call(t, c, b.Addr(), checkConfigReq(t, "ccg", "T", tc.exprType, tc.expr))
		mustCode(t, resp, tc.code)
		if !strings.Contains(resp.Remark, tc.remark) {
			t.Errorf("%s %q: remark %q, want it to contain %q", tc.exprType, tc.expr, resp.Remark, tc.remark)
		}
	}
}

// TestSQL92HeldPull: a held SQL92 pull is not woken by a message its
// expression rejects, and is by one it accepts, which it then returns
// alone.
func TestSQL92HeldPull(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	c := newClient(t)
	addr := b.Addr()
	sendNumbered(t, b, c, "SqlHold", []map[string]string{{"a": "1"}})
	mustCode(t, call(t, c, addr, sqlHeartbeat("client-1", "holdg", "SqlHold", "a > 5", 1)), protocol.RespSuccess)

	done := callAsync(t, c, addr, heartbeatPull("holdg", "SqlHold", 1, protocol.PullFlagSuspend, 20*time.Second))
	waitFor(t, 5*time.Second, "the pull to be held", func() bool { return b.holds.heldCount() == 1 })
	mustCode(t, call(t, c, addr, sendReq("SqlHold", 0, []byte("no"), map[string]string{"a": "2"})), protocol.RespSuccess)
	dispatched(t, b)
	if n := b.holds.heldCount(); n != 1 {
		t.Fatalf("a message with a=2 released the 'a > 5' pull (held %d)", n)
	}
	mustCode(t, call(t, c, addr, sendReq("SqlHold", 0, []byte("yes"), map[string]string{"a": "6"})), protocol.RespSuccess)
	select {
	case r := <-done:
		mustCode(t, r, protocol.RespSuccess)
		if got := pulledBodies(t, r); !slices.Equal(got, []string{"yes"}) || extInt(t, r, "nextBeginOffset") != 3 {
			t.Fatalf("woken pull: %v %v", got, r.ExtFields)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the matching message did not wake the pull")
	}
}

// TestSelectorCache: compiled once per (group, topic, subVersion), again
// when the version or the expression changes; errors are kept too.
func TestSelectorCache(t *testing.T) {
	var c selectorCache
	s1, err := c.compile("g", "t", 1, filter.TypeSQL92, "a = 1")
	if err != nil {
		t.Fatal(err)
	}
	if s2, _ := c.compile("g", "t", 1, filter.TypeSQL92, "a = 1"); s2 != s1 {
		t.Fatal("same subscription compiled twice")
	}
	if s3, _ := c.compile("g", "t", 2, filter.TypeSQL92, "a = 1"); s3 == s1 {
		t.Fatal("a new subVersion reused the old selector")
	}
	if s4, _ := c.compile("g", "t", 2, filter.TypeSQL92, "a = 2"); s4 == s1 || s4.SQL.String() != "a = 2" {
		t.Fatal("a changed expression reused the old selector")
	}
	if s5, _ := c.compile("g2", "t", 2, filter.TypeSQL92, "a = 2"); s5 == nil {
		t.Fatal("nil selector")
	}
	_, err1 := c.compile("g", "t", 3, filter.TypeSQL92, "a =")
	_, err2 := c.compile("g", "t", 3, filter.TypeSQL92, "a =")
	if err1 == nil || err1 != err2 {
		t.Fatalf("errors %v, %v: want the cached parse error", err1, err2)
	}
	for i := range maxCachedSelectors + 1 {
		if _, err := c.compile(strconv.Itoa(i), "t", 1, "", "*"); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.m); n > maxCachedSelectors {
		t.Fatalf("cache grew to %d entries", n)
	}
}

// TestMessageFilterAllocs: evaluating SQL92 on a record's raw properties
// allocates nothing per message.
func TestMessageFilterAllocs(t *testing.T) {
	sel, err := filter.NewSelector(filter.TypeSQL92, "a BETWEEN 0 AND 3 AND TAGS = 'TagA' OR b IS NULL")
	if err != nil {
		t.Fatal(err)
	}
	mf := newMessageFilter(sel)
	match := protocol.EncodeProperties(map[string]string{"a": "2", "b": "x", protocol.PropertyTags: "TagA", protocol.PropertyKeys: "k"})
	miss := protocol.EncodeProperties(map[string]string{"a": "7", "b": "x", protocol.PropertyTags: "TagA"})
	sf := mf.storeFilter()
	if sf == nil || sf.TagsCode != nil || sf.Properties == nil {
		t.Fatalf("store filter of a SQL92 selector: %+v", sf)
	}
	if !sf.Properties([]byte(match)) || sf.Properties([]byte(miss)) {
		t.Fatal("wrong answers")
	}
	raw, rawMiss := []byte(match), []byte(miss)
	if n := testing.AllocsPerRun(1000, func() {
		sf.Properties(raw)
		sf.Properties(rawMiss)
		mf.matchArrival(0, raw)
	}); n != 0 {
		t.Fatalf("%v allocations per evaluation", n)
	}
}

// TestTagSelectorStoreFilter: "*" reads without a filter; tags check the
// consume queue code only.
func TestTagSelectorStoreFilter(t *testing.T) {
	all, _ := filter.NewSelector("", "*")
	if sf := newMessageFilter(all).storeFilter(); sf != nil {
		t.Fatalf("'*' built a store filter %+v", sf)
	}
	tags, _ := filter.NewSelector(filter.TypeTag, "TagA || TagB")
	sf := newMessageFilter(tags).storeFilter()
	if sf == nil || sf.TagsCode == nil || sf.Properties != nil {
		t.Fatalf("tag store filter %+v", sf)
	}
	if !sf.TagsCode(int64(protocol.JavaStringHash("TagB"))) || sf.TagsCode(int64(protocol.JavaStringHash("TagC"))) {
		t.Fatal("tag codes")
	}
	// The heartbeat's tags set wins over its subscription string.
	sd := protocol.SubscriptionData{SubString: "TagA||TagB", TagsSet: []string{"TagA", "TagB"}, ExpressionType: "TAG"}
	if got := subscriptionExpr(&sd); got != "TagA||TagB" {
		t.Fatalf("expr %q", got)
	}
	sd = protocol.SubscriptionData{SubString: "*", TagsSet: []string{"x"}}
	if got := subscriptionExpr(&sd); got != "*" {
		t.Fatalf("expr %q", got)
	}
}

// TestSQL92FilterSupportRetry: with filterSupportRetry, messages pulled
// from the group's %RETRY% topic are checked against the SQL92
// subscription of their original topic (RETRY_TOPIC); without it, all
// come back.
func TestSQL92FilterSupportRetry(t *testing.T) {
	for _, supportRetry := range []bool{true, false} {
		t.Run(fmt.Sprint("filterSupportRetry=", supportRetry), func(t *testing.T) {
			cfg := testConfig(t.TempDir())
			cfg.FilterSupportRetry = supportRetry
			b := startBroker(t, cfg)
			c := newClient(t)
			retry := protocol.RetryTopic("rg")
			hb := protocol.HeartbeatData{ClientID: "client-1", ConsumerDataSet: []protocol.ConsumerData{{
				GroupName: "rg", ConsumeType: protocol.ConsumePassively, MessageModel: protocol.Clustering,
				SubscriptionDataSet: []protocol.SubscriptionData{
					{Topic: "Orig", SubString: "a > 5", ExpressionType: protocol.ExpressionTypeSQL92, SubVersion: 1},
					{Topic: "Tagged", SubString: "TagA", TagsSet: []string{"TagA"}, ExpressionType: protocol.ExpressionTypeTag, SubVersion: 1},
					{Topic: retry, SubString: "*", ExpressionType: protocol.ExpressionTypeTag, SubVersion: 1},
				},
			}}}
			mustCode(t, call(t, c, b.Addr(), remoting.NewRequest(protocol.ReqHeartBeat, nil, hb.Encode())), protocol.RespSuccess)
			sendNumbered(t, b, c, retry, []map[string]string{
				{protocol.PropertyRetryTopic: "Orig", "a": "1"},   // rejected by a > 5
				{protocol.PropertyRetryTopic: "Orig", "a": "9"},   // accepted
				{protocol.PropertyRetryTopic: "Tagged", "a": "1"}, // original subscription is TAG: passes
				{"a": "1"}, // no original topic: passes
			})
			resp := call(t, c, b.Addr(), heartbeatPull("rg", retry, 0, 0, 0))
			mustCode(t, resp, protocol.RespSuccess)
			want := []string{"m1", "m2", "m3"}
			if !supportRetry {
				want = []string{"m0", "m1", "m2", "m3"}
			}
			if got := pulledBodies(t, resp); !slices.Equal(got, want) {
				t.Fatalf("retry pull: %v, want %v", got, want)
			}
		})
	}
}
