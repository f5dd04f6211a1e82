package broker

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/store"
)

// readQueue decodes every message of a queue straight from the store.
func readQueue(t testing.TB, st *store.Store, topic string, q int32) []*protocol.MessageExt {
	t.Helper()
	var out []*protocol.MessageExt
	for off := int64(0); ; {
		res, err := st.GetMessage("test", topic, q, off, 1000, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range res.Messages {
			m, _, err := protocol.DecodeMessage(raw, protocol.DecodeOptions{})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
		res.Release()
		if len(res.Messages) == 0 || res.NextBeginOffset == off {
			return out
		}
		off = res.NextBeginOffset
	}
}

// sendDelayed sends one message with a DELAY level and returns the due
// time of its schedule record (store time + the clamped level's delay).
func sendDelayed(t testing.TB, b *Broker, c *remoting.Client, topic, key string, level int, props map[string]string) int64 {
	t.Helper()
	all := map[string]string{protocol.PropertyDelayTimeLevel: strconv.Itoa(level)}
	for k, v := range props {
		all[k] = v
	}
	m := storedAt(t, b, sendKeyed(t, b, c, topic, key, all))
	clamped := min(level, len(b.schedule.levels))
	if m.Topic != store.ScheduleTopic || m.QueueID != int32(clamped-1) {
		t.Fatalf("delayed message %s stored in %s/%d, want %s/%d", key, m.Topic, m.QueueID, store.ScheduleTopic, clamped-1)
	}
	return m.StoreTimestamp + b.schedule.levels[clamped-1].Milliseconds()
}

func runtimeInfo(t testing.TB, c *remoting.Client, addr string) map[string]string {
	t.Helper()
	resp := call(t, c, addr, remoting.NewRequest(protocol.ReqGetBrokerRuntimeInfo, nil, nil))
	mustCode(t, resp, protocol.RespSuccess)
	var kv protocol.KVTable
	if err := protocol.DecodeJSON(resp.Body, &kv); err != nil {
		t.Fatal(err)
	}
	return kv.Table
}

func TestDelayLevelsDeliverInOrderNoEarlierThanDue(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MessageDelayLevel = "1s 2s"
	b := startBroker(t, cfg)
	c := newClient(t)

	due := map[string]int64{}
	var order [3][]string // keys per clamped level, in send order
	for i := range 20 {
		level := 1 + i%2
		if i == 19 {
			level = 7 // above the table: clamps to the last level
		}
		tag := "TagA"
		if i%3 == 0 {
			tag = "TagB"
		}
		key := fmt.Sprintf("D%02d", i)
		due[key] = sendDelayed(t, b, c, "Delayed", key, level, map[string]string{protocol.PropertyTags: tag})
		order[min(level, 2)] = append(order[min(level, 2)], key)
	}
	if n := b.store.MaxOffsetInQueue("Delayed", 0); n != 0 {
		t.Fatalf("%d messages in the real topic right after sending", n)
	}
	waitFor(t, 10*time.Second, "20 delayed messages delivered", func() bool { return b.store.MaxOffsetInQueue("Delayed", 0) == 20 })

	msgs := readQueue(t, b.store, "Delayed", 0)
	var got [3][]string
	for _, m := range msgs {
		key := m.UniqKey()
		if m.StoreTimestamp < due[key] {
			t.Errorf("%s delivered at %d, %d ms before it was due", key, m.StoreTimestamp, due[key]-m.StoreTimestamp)
		}
		if _, ok := m.Properties[protocol.PropertyDelayTimeLevel]; ok {
			t.Errorf("%s still has DELAY: %v", key, m.Properties)
		}
		if m.Property(protocol.PropertyRealTopic) != "Delayed" || m.Property(protocol.PropertyRealQueueID) != "0" ||
			m.Property(protocol.PropertyWaitStoreMsgOK) != "false" || string(m.Body) != "body-"+key || m.Topic != "Delayed" {
			t.Errorf("delivered %s: topic %s body %q props %v", key, m.Topic, m.Body, m.Properties)
		}
		n, _ := strconv.Atoi(key[1:])
		level := 1 + n%2
		if n == 19 {
			level = 2
		}
		got[level] = append(got[level], key)
	}
	for level := 1; level <= 2; level++ {
		if fmt.Sprint(got[level]) != fmt.Sprint(order[level]) {
			t.Errorf("level %d delivered %v, sent %v", level, got[level], order[level])
		}
	}

	// The delivered copies carry their tags code again: a TagB pull finds
	// exactly the TagB messages.
	resp := call(t, c, b.Addr(), pullReq("cg", "Delayed", 0, 0, 0, 0, "TagB"))
	mustCode(t, resp, protocol.RespSuccess)
	tagged, _ := protocol.DecodeMessages(resp.Body)
	if len(tagged) != 7 {
		t.Errorf("TagB pull found %d messages, want 7", len(tagged))
	}

	info := runtimeInfo(t, c, b.Addr())
	if info["scheduleMessageOffset_1"] != "10,10" || info["scheduleMessageOffset_2"] != "10,10" {
		t.Errorf("runtime info schedule offsets %q %q", info["scheduleMessageOffset_1"], info["scheduleMessageOffset_2"])
	}
	resp = call(t, c, b.Addr(), remoting.NewRequest(protocol.ReqGetAllDelayOffset, nil, nil))
	mustCode(t, resp, protocol.RespSuccess)
	if string(resp.Body) != `{"offsetTable":{1:10,2:10}}` {
		t.Errorf("GET_ALL_DELAY_OFFSET body %s", resp.Body)
	}
}

// newStartedBroker starts a broker the test stops itself (for restarts).
func newStartedBroker(t testing.TB, cfg config.Broker) *Broker {
	t.Helper()
	b, err := New(cfg, WithLogger(testLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	return b
}

func shutdown(t testing.TB, b *Broker) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
}

func TestDelayedMessagesSurviveRestart(t *testing.T) {
	const n = 1000
	cfg := testConfig(t.TempDir())
	cfg.MessageDelayLevel = "1s 3s"
	cfg.FlushDelayOffsetInterval = 50
	b := newStartedBroker(t, cfg)
	c := newClient(t)
	due := map[string]int64{}
	for i := range n {
		key := fmt.Sprintf("R%04d", i)
		due[key] = sendDelayed(t, b, c, "Restart", key, 1+i%2, nil)
	}
	// Stop while level 1 is being delivered and level 2 is still waiting.
	waitFor(t, 10*time.Second, "some level-1 deliveries", func() bool { return b.store.MaxOffsetInQueue("Restart", 0) >= 100 })
	shutdown(t, b)
	if _, err := os.Stat(filepath.Join(cfg.StorePathRootDir, "config", "delayOffset.json")); err != nil {
		t.Fatalf("no delayOffset.json after shutdown: %v", err)
	}
	delivered := b.schedule.offsets[0].Load() + b.schedule.offsets[1].Load()

	b = newStartedBroker(t, cfg)
	defer shutdown(t, b)
	waitFor(t, 20*time.Second, "all delayed messages delivered after the restart", func() bool {
		return b.store.MaxOffsetInQueue("Restart", 0) >= n
	})
	for q := range int32(2) {
		waitFor(t, 10*time.Second, "level done", func() bool {
			return b.schedule.offsets[q].Load() == b.store.MaxOffsetInQueue(store.ScheduleTopic, q)
		})
	}
	seen := map[string]int{}
	for _, m := range readQueue(t, b.store, "Restart", 0) {
		seen[m.UniqKey()]++
		if m.StoreTimestamp < due[m.UniqKey()] {
			t.Errorf("%s delivered %d ms early", m.UniqKey(), due[m.UniqKey()]-m.StoreTimestamp)
		}
	}
	for key := range due {
		switch seen[key] {
		case 1:
		case 0:
			t.Errorf("%s lost", key)
		default: // a clean shutdown writes the final offsets: no duplicates
			t.Errorf("%s delivered %d times", key, seen[key])
		}
	}
	t.Logf("%d of %d delivered before the restart", delivered, n)
}

// TestDelayOffsetsWaitForFlush: progress that counts an unflushed copy as
// delivered is not written until the copy is on disk.
func TestDelayOffsetsWaitForFlush(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.MessageDelayLevel = "1s"
	cfg.FlushDelayOffsetInterval = int64(time.Hour / time.Millisecond) // the test offers by hand
	cfg.FlushCommitLogLeastPages = 1 << 20
	cfg.FlushCommitLogThoroughInterval = int(time.Hour / time.Millisecond)
	b := newStartedBroker(t, cfg)
	c := newClient(t)
	sendDelayed(t, b, c, "Flush", "F1", 1, nil)
	waitFor(t, 10*time.Second, "delivery", func() bool { return b.store.MaxOffsetInQueue("Flush", 0) == 1 })
	if b.store.CommitLogFlushedOffset() >= b.store.CommitLogMaxOffset() {
		t.Fatalf("setup: commit log flushed to its end (%d) although flushing is held back", b.store.CommitLogFlushedOffset())
	}
	path := filepath.Join(cfg.StorePathRootDir, "config", "delayOffset.json")
	if err := b.schedule.file.offer(b.schedule.encode()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("delayOffset.json written before the delivered copy was flushed (stat: %v)", err)
	}
	shutdown(t, b)
	data, err := os.ReadFile(path)
	if err != nil || string(data) != "{\"offsetTable\":{1:1}}\n" {
		t.Fatalf("delayOffset.json after shutdown: %q %v", data, err)
	}
}

func TestDelayOffsetFileIsCheckedAtStart(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.MessageDelayLevel = "1s 2s"
	if err := os.MkdirAll(filepath.Join(dir, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config", "delayOffset.json")
	// fastjson's own form, with a level the table lacks and an offset past
	// the (empty) queue: both corrected.
	if err := os.WriteFile(path, []byte(`{"offsetTable":{1:12,9:3}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	b := startBroker(t, cfg)
	if got := fmt.Sprint(b.schedule.table()); got != "map[1:0]" {
		t.Fatalf("loaded table %s", got)
	}

	bad := testConfig(t.TempDir())
	if err := os.MkdirAll(filepath.Join(bad.StorePathRootDir, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad.StorePathRootDir, "config", "delayOffset.json"), []byte(`{"offsetTable":`), 0o644); err != nil {
		t.Fatal(err)
	}
	b2, err := New(bad, WithLogger(testLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if err := b2.Start(); err == nil {
		shutdown(t, b2)
		t.Fatal("Start accepted a broken delayOffset.json")
	} else if !strings.Contains(err.Error(), "delay offsets") {
		t.Fatalf("error %v does not name the file", err)
	}
}
