package store_test

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store"
	"github.com/rocketgo/rocketgo/store/storetest"
)

var (
	bornHost  = netip.MustParseAddrPort("127.0.0.1:50000")
	storeHost = netip.MustParseAddrPort("127.0.0.1:10911")
)

func input(topic string, queue int32, body string, props map[string]string) *store.MessageInput {
	return &store.MessageInput{
		Topic: topic, QueueID: queue, Body: []byte(body),
		BornTimestamp: time.Now().UnixMilli(), BornHost: bornHost, StoreHost: storeHost,
		Properties: protocol.EncodeProperties(props),
	}
}

func mustPut(t testing.TB, s *store.Store, in *store.MessageInput) store.PutResult {
	t.Helper()
	res := s.PutMessage(in)
	if res.Status != store.PutOK {
		t.Fatalf("put %s-%d: %v %s", in.Topic, in.QueueID, res.Status, res.Remark)
	}
	return res
}

func waitDispatched(t testing.TB, s *store.Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitDispatched(ctx); err != nil {
		t.Fatal(err)
	}
}

// pull reads a queue and returns the decoded messages (copies).
func pull(t testing.TB, s *store.Store, topic string, queue int32, offset int64, max int, f *store.Filter) (*store.GetResult, []*protocol.MessageExt) {
	t.Helper()
	res, err := s.GetMessage("g", topic, queue, offset, max, 0, f)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Release()
	var msgs []*protocol.MessageExt
	for _, b := range res.Messages {
		m, n, err := protocol.DecodeMessage(b, protocol.DecodeOptions{VerifyBodyCRC: true})
		if err != nil || n != len(b) {
			t.Fatalf("decode pulled record (%d of %d bytes): %v", n, len(b), err)
		}
		msgs = append(msgs, m)
	}
	return res, msgs
}

func TestPutGetRoundTrip(t *testing.T) {
	s := storetest.MustOpen(t)
	const perQueue = 50
	for i := range perQueue {
		for q := range int32(4) {
			body := fmt.Sprintf("body-%d-%d", q, i)
			res := mustPut(t, s, input("TopicA", q, body, map[string]string{
				"TAGS": fmt.Sprintf("tag%d", i%3), "KEYS": fmt.Sprintf("k%d-%d other", q, i), "UNIQ_KEY": fmt.Sprintf("U%d-%d", q, i),
			}))
			if res.QueueOffset != int64(i) || res.MsgNum != 1 || res.WroteBytes <= 0 {
				t.Fatalf("put result %+v", res)
			}
			if id, err := protocolDecodeID(res.MsgID()); err != nil || id != res.WroteOffset {
				t.Fatalf("msg id %q -> %d, %v; want offset %d", res.MsgID(), id, err, res.WroteOffset)
			}
		}
	}
	waitDispatched(t, s)
	for q := range int32(4) {
		if got := s.MaxOffsetInQueue("TopicA", q); got != perQueue {
			t.Fatalf("max offset %d", got)
		}
		var all []*protocol.MessageExt
		next := int64(0)
		for next < perQueue {
			res, msgs := pull(t, s, "TopicA", q, next, 16, nil)
			if res.Status != store.Found || len(msgs) == 0 {
				t.Fatalf("pull at %d: %v", next, res.Status)
			}
			if res.NextBeginOffset != next+int64(len(msgs)) || res.MinOffset != 0 || res.MaxOffset != perQueue {
				t.Fatalf("pull result %+v", res)
			}
			all = append(all, msgs...)
			next = res.NextBeginOffset
		}
		for i, m := range all {
			if string(m.Body) != fmt.Sprintf("body-%d-%d", q, i) || m.QueueOffset != int64(i) || m.QueueID != q ||
				m.Topic != "TopicA" || m.BornHost != bornHost || m.StoreHost != storeHost || m.Tags() != fmt.Sprintf("tag%d", i%3) {
				t.Fatalf("message %d: %+v", i, m)
			}
		}
		res, _ := pull(t, s, "TopicA", q, perQueue, 16, nil)
		if res.Status != store.OffsetOverflowOne || res.NextBeginOffset != perQueue {
			t.Fatalf("at max: %v next %d", res.Status, res.NextBeginOffset)
		}
		res, _ = pull(t, s, "TopicA", q, perQueue+5, 16, nil)
		if res.Status != store.OffsetOverflowBadly || res.NextBeginOffset != 0 {
			t.Fatalf("past max: %v next %d", res.Status, res.NextBeginOffset)
		}
	}
	res, _ := pull(t, s, "NoSuchTopic", 0, 3, 16, nil)
	if res.Status != store.NoMatchedLogicQueue {
		t.Fatalf("unknown queue: %v", res.Status)
	}
	if times, size := s.TopicPutStats("TopicA"); times != 4*perQueue || size <= 0 {
		t.Fatalf("topic stats %d %d", times, size)
	}

	// Keys and unique keys are found through the index.
	q, err := s.QueryMessage("TopicA", "k2-7", 10, 0, time.Now().Add(time.Hour).UnixMilli())
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Messages) != 1 {
		t.Fatalf("query by key: %d messages", len(q.Messages))
	}
	m, _, err := protocol.DecodeMessage(q.Messages[0], protocol.DecodeOptions{})
	q.Release()
	if err != nil || string(m.Body) != "body-2-7" {
		t.Fatalf("query result %v %v", m, err)
	}
	q, _ = s.QueryMessage("TopicA", "other", 64, 0, time.Now().Add(time.Hour).UnixMilli())
	if len(q.Messages) != 64 { // capped by maxMsgsNumBatch
		t.Fatalf("query of a shared key: %d messages", len(q.Messages))
	}
	q.Release()
	q, _ = s.QueryMessage("TopicA", "U3-49", 10, 0, time.Now().Add(time.Hour).UnixMilli())
	if len(q.Messages) != 1 {
		t.Fatalf("query by unique key: %d", len(q.Messages))
	}
	q.Release()
}

func protocolDecodeID(id string) (int64, error) {
	_, off, err := protocol.DecodeOffsetMsgID(id)
	return off, err
}

func TestBatchPut(t *testing.T) {
	s := storetest.MustOpen(t)
	mustPut(t, s, input("B", 0, "first", nil))
	batch := &store.BatchInput{
		Topic: "B", QueueID: 0, BornHost: bornHost, StoreHost: storeHost, BornTimestamp: 1,
		Properties: "CLUSTER\x01c1", WaitStoreMsgOK: true,
	}
	for i := range 10 {
		batch.Messages = append(batch.Messages, store.BatchMessage{
			Body: []byte(fmt.Sprintf("inner-%d", i)), Properties: protocol.EncodeProperties(map[string]string{"KEYS": fmt.Sprintf("bk%d", i)}),
		})
	}
	res := s.PutMessages(batch)
	if res.Status != store.PutOK || res.MsgNum != 10 || res.QueueOffset != 1 {
		t.Fatalf("batch put %+v", res)
	}
	if ids := strings.Split(res.MsgID(), ","); len(ids) != 10 {
		t.Fatalf("batch ids %q", res.MsgID())
	}
	waitDispatched(t, s)
	got, msgs := pull(t, s, "B", 0, 0, 32, nil)
	if got.Status != store.Found || len(msgs) != 11 {
		t.Fatalf("pull %v %d", got.Status, len(msgs))
	}
	for i, m := range msgs[1:] {
		if string(m.Body) != fmt.Sprintf("inner-%d", i) || m.QueueOffset != int64(i+1) ||
			m.Property("CLUSTER") != "c1" || m.Property("KEYS") != fmt.Sprintf("bk%d", i) {
			t.Fatalf("inner %d: %+v %v", i, m, m.Properties)
		}
	}
	if r := s.PutMessages(&store.BatchInput{Topic: "B"}); r.Status != store.MessageIllegal {
		t.Fatalf("empty batch: %v", r.Status)
	}
}

func TestRollOverAndBlankRecords(t *testing.T) {
	s := storetest.MustOpen(t, func(o *store.Options) { o.MappedFileSizeCommitLog = 64 << 10 })
	body := strings.Repeat("x", 3000)
	var results []store.PutResult
	for i := range 100 {
		results = append(results, mustPut(t, s, input("R", int32(i%2), body, nil)))
	}
	files, _ := filepath.Glob(filepath.Join(s.Paths().CommitLog, "*"))
	if len(files) < 4 {
		t.Fatalf("expected several segments, got %d", len(files))
	}
	for _, r := range results {
		start := r.WroteOffset % (64 << 10)
		if start+int64(r.WroteBytes)+8 > 64<<10 {
			t.Fatalf("record at %d crosses or fills a segment end", r.WroteOffset)
		}
	}
	waitDispatched(t, s)
	for q := range int32(2) {
		n := 0
		for off := int64(0); off < 50; {
			res, msgs := pull(t, s, "R", q, off, 32, nil)
			if res.Status != store.Found {
				t.Fatalf("pull %d: %v", off, res.Status)
			}
			n += len(msgs)
			off = res.NextBeginOffset
		}
		if n != 50 {
			t.Fatalf("queue %d: %d messages", q, n)
		}
	}
}

func TestTransferLimits(t *testing.T) {
	s := storetest.MustOpen(t)
	for range 40 {
		mustPut(t, s, input("L", 0, strings.Repeat("y", 1000), nil))
	}
	waitDispatched(t, s)
	res, msgs := pull(t, s, "L", 0, 0, 100, nil)
	if len(msgs) != 32 { // maxTransferCountOnMessageInMemory
		t.Fatalf("in-memory count limit: %d", len(msgs))
	}
	if res.SuggestPullingFromSlave {
		t.Fatal("suggested the slave for data in memory")
	}
	got, err := s.GetMessage("g", "L", 0, 0, 100, 5000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Messages) != 4 || got.NextBeginOffset != 4 {
		t.Fatalf("maxTotalBytes limit: %d next %d", len(got.Messages), got.NextBeginOffset)
	}
	got.Release()

	// With "RAM" of 10 KB everything is on disk: 64 KiB / 8 messages, and
	// the slave is suggested.
	d := storetest.MustOpen(t, func(o *store.Options) { o.TotalPhysicalMemory = 10_000 })
	for range 40 {
		mustPut(t, d, input("L", 0, strings.Repeat("y", 1000), nil))
	}
	waitDispatched(t, d)
	res, msgs = pull(t, d, "L", 0, 0, 100, nil)
	if len(msgs) != 8 || !res.SuggestPullingFromSlave {
		t.Fatalf("on-disk limit: %d messages, suggest %v", len(msgs), res.SuggestPullingFromSlave)
	}
}

func TestTagFilter(t *testing.T) {
	s := storetest.MustOpen(t)
	for i := range 30 {
		mustPut(t, s, input("F", 0, fmt.Sprint(i), map[string]string{"TAGS": []string{"a", "b", "c"}[i%3]}))
	}
	waitDispatched(t, s)
	want := protocol.TagsCode("b")
	f := &store.Filter{TagsCode: func(c int64) bool { return c == want }}
	res, msgs := pull(t, s, "F", 0, 0, 32, f)
	if res.Status != store.Found || len(msgs) != 10 || res.NextBeginOffset != 30 {
		t.Fatalf("filter: %v %d next %d", res.Status, len(msgs), res.NextBeginOffset)
	}
	for _, m := range msgs {
		if m.Tags() != "b" {
			t.Fatalf("filtered message with tag %q", m.Tags())
		}
	}
	none := &store.Filter{TagsCode: func(int64) bool { return false }}
	res, _ = pull(t, s, "F", 0, 0, 32, none)
	if res.Status != store.NoMatchedMessage || res.NextBeginOffset != 30 {
		t.Fatalf("no match: %v next %d", res.Status, res.NextBeginOffset)
	}
	props := &store.Filter{Properties: func(p []byte) bool { return bytes.Contains(p, []byte("TAGS\x01c")) }}
	res, msgs = pull(t, s, "F", 0, 0, 32, props)
	if len(msgs) != 10 || msgs[0].Tags() != "c" {
		t.Fatalf("property filter: %v %d", res.Status, len(msgs))
	}
}

func TestOffsetAndTimeQueries(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := storetest.MustOpen(t, func(o *store.Options) { o.Now = clock })
	var times []int64
	for range 20 {
		res := mustPut(t, s, input("T", 1, "x", nil))
		times = append(times, res.StoreTimestamp)
		mu.Lock()
		now = now.Add(10 * time.Second)
		mu.Unlock()
	}
	waitDispatched(t, s)
	for i, ts := range times {
		if got := s.OffsetInQueueByTime("T", 1, ts); got != int64(i) {
			t.Fatalf("offset for time of %d = %d", i, got)
		}
		if got := s.OffsetInQueueByTime("T", 1, ts+3000); got != int64(i) {
			t.Fatalf("offset for 3 s after %d = %d", i, got)
		}
		if got := s.MessageStoreTimeStamp("T", 1, int64(i)); got != ts {
			t.Fatalf("store time of %d = %d, want %d", i, got, ts)
		}
	}
	if got := s.EarliestMessageTimeInQueue("T", 1); got != times[0] {
		t.Fatalf("earliest in queue %d", got)
	}
	if got := s.EarliestMessageTime(); got != times[0] {
		t.Fatalf("earliest %d", got)
	}
	if s.MinOffsetInQueue("T", 1) != 0 || s.MaxOffsetInQueue("T", 1) != 20 {
		t.Fatal("min/max offset")
	}
	if s.CommitLogMinOffset() != 0 || s.CommitLogMaxOffset() <= 0 {
		t.Fatal("commit log offsets")
	}
	m, err := s.LookMessageByOffset(0)
	if err != nil || m.Topic != "T" || m.StoreTimestamp != times[0] {
		t.Fatalf("look by offset: %v %v", m, err)
	}
	if _, err := s.LookMessageByOffset(3); err == nil {
		t.Fatal("look at a non-record offset succeeded")
	}
}

func TestPutLimits(t *testing.T) {
	s := storetest.MustOpen(t, func(o *store.Options) { o.MaxMessageSize = 1000 })
	cases := []struct {
		in   *store.MessageInput
		want store.PutStatus
	}{
		{input("Big", 0, strings.Repeat("z", 1001), nil), store.MessageIllegal},
		{input(strings.Repeat("t", 128), 0, "x", nil), store.MessageIllegal},
		{input("", 0, "x", nil), store.MessageIllegal},
		{input("a/b", 0, "x", nil), store.MessageIllegal},
		{&store.MessageInput{Topic: "P", Properties: "A\x01" + strings.Repeat("v", 40000)}, store.PropertiesSizeExceeded},
	}
	for _, c := range cases {
		res := s.PutMessage(c.in)
		if res.Status != c.want || res.Remark == "" {
			t.Errorf("topic %.10q: got %v (%s), want %v", c.in.Topic, res.Status, res.Remark, c.want)
		}
	}
	if info := s.RuntimeInfo(); info["putMessageFailedTimes"] != "5" {
		t.Fatalf("failed puts counted %q", info["putMessageFailedTimes"])
	}
	mustPut(t, s, input("Big", 0, strings.Repeat("z", 1000), nil))
}

func TestTransactionAndDelay(t *testing.T) {
	var arrivals []store.Arrival
	var mu sync.Mutex
	s := storetest.MustOpen(t, func(o *store.Options) {
		o.MessageArrived = func(a store.Arrival) {
			mu.Lock()
			a.Properties = nil
			arrivals = append(arrivals, a)
			mu.Unlock()
		}
	})
	prepared := input("Tx", 0, "half", nil)
	prepared.SysFlag = protocol.SysFlagTransactionPrepared
	res := mustPut(t, s, prepared)
	if res.QueueOffset != 0 {
		t.Fatalf("prepared queue offset %d", res.QueueOffset)
	}
	commit := input("Tx", 0, "commit", nil)
	commit.SysFlag = protocol.SysFlagTransactionCommit
	commit.PreparedTransactionOffset = res.WroteOffset
	mustPut(t, s, commit)
	delayed := mustPut(t, s, input("Real", 2, "later", map[string]string{"DELAY": "3"}))
	waitDispatched(t, s)

	_, msgs := pull(t, s, "Tx", 0, 0, 32, nil)
	if len(msgs) != 1 || string(msgs[0].Body) != "commit" || msgs[0].PreparedTransactionOffset != res.WroteOffset {
		t.Fatalf("transaction queue: %d messages", len(msgs))
	}
	_, msgs = pull(t, s, store.ScheduleTopic, 2, 0, 32, nil)
	if len(msgs) != 1 || msgs[0].Property("REAL_TOPIC") != "Real" || msgs[0].Property("REAL_QID") != "2" {
		t.Fatalf("schedule queue: %v", msgs)
	}
	if s.MaxOffsetInQueue("Real", 2) != 0 {
		t.Fatal("delayed message went to its real queue")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(arrivals) != 2 {
		t.Fatalf("arrivals %+v", arrivals)
	}
	if a := arrivals[1]; a.Topic != store.ScheduleTopic || a.QueueID != 2 || a.NextOffset != 1 ||
		a.TagsCode != delayed.StoreTimestamp+10_000 {
		t.Fatalf("schedule arrival %+v (store time %d)", a, delayed.StoreTimestamp)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	o := storetest.Options(t)
	s, err := store.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		mustPut(t, s, input("Re", int32(i%3), fmt.Sprint(i), map[string]string{"KEYS": fmt.Sprint("key", i)}))
	}
	maxOff := s.CommitLogMaxOffset()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Paths().Abort); !os.IsNotExist(err) {
		t.Fatalf("abort file left after a clean close: %v", err)
	}
	s = storetest.Open(t, o)
	if s.CommitLogMaxOffset() != maxOff {
		t.Fatalf("max offset %d after reopen, want %d", s.CommitLogMaxOffset(), maxOff)
	}
	for q := range int32(3) {
		if s.MaxOffsetInQueue("Re", q) != 100 {
			t.Fatalf("queue %d max %d", q, s.MaxOffsetInQueue("Re", q))
		}
	}
	res := mustPut(t, s, input("Re", 0, "after", nil))
	if res.QueueOffset != 100 || res.WroteOffset != maxOff {
		t.Fatalf("put after reopen: %+v", res)
	}
	if _, err := store.Open(o); err == nil || !strings.Contains(err.Error(), "already open") {
		t.Fatalf("second open of a locked store: %v", err)
	}
}
