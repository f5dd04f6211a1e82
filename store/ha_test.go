package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/store"
	"github.com/rocketgo/rocketgo/store/storetest"
)

// TestReplicationPath copies a master's commit log to a slave the way HA
// does (CommitLogData chunks appended with AppendToCommitLog) and checks the
// slave dispatches the same queues.
func TestReplicationPath(t *testing.T) {
	small := func(o *store.Options) { o.MappedFileSizeCommitLog = 64 << 10 }
	master := storetest.MustOpen(t, small)
	slave := storetest.MustOpen(t, small, func(o *store.Options) { o.BrokerRole = store.Slave })
	for i := range 60 {
		mustPut(t, master, input("H", int32(i%3), fmt.Sprintf("%d-%s", i, strings.Repeat("h", 2000)), map[string]string{"KEYS": fmt.Sprint("hk", i)}))
	}
	if r := slave.PutMessage(input("H", 0, "x", nil)); r.Status != store.ServiceNotAvailable {
		t.Fatalf("put on a slave: %v", r.Status)
	}
	for off := slave.CommitLogMaxOffset(); off < master.CommitLogMaxOffset(); off = slave.CommitLogMaxOffset() {
		v, err := master.CommitLogData(off)
		if err != nil {
			t.Fatal(err)
		}
		err = slave.AppendToCommitLog(off, v.Bytes)
		v.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := slave.AppendToCommitLog(3, []byte("x")); !errors.Is(err, store.ErrNotContiguous) {
		t.Fatalf("append at a wrong offset: %v", err)
	}
	waitDispatched(t, slave)
	for q := range int32(3) {
		if slave.MaxOffsetInQueue("H", q) != 20 {
			t.Fatalf("slave queue %d: %d", q, slave.MaxOffsetInQueue("H", q))
		}
	}
	res, _ := pull(t, slave, "H", 0, 25, 8, nil)
	if res.Status != store.OffsetOverflowBadly || res.NextBeginOffset != 25 {
		t.Fatalf("a slave keeps the client's offset: %v next %d", res.Status, res.NextBeginOffset)
	}
}

func TestReplicaWaiter(t *testing.T) {
	s := storetest.MustOpen(t, func(o *store.Options) { o.BrokerRole = store.SyncMaster })
	var asked int64
	s.SetReplicaWaiter(func(end int64) store.PutStatus { asked = end; return store.FlushSlaveTimeout })
	res := s.PutMessage(input("W", 0, "x", nil))
	if res.Status != store.FlushSlaveTimeout || asked != res.WroteOffset+int64(res.WroteBytes) {
		t.Fatalf("replica wait: %v asked %d", res.Status, asked)
	}
	if res := s.PutMessage(input("W", 0, "y", map[string]string{"WAIT": "false"})); res.Status != store.PutOK {
		t.Fatalf("WAIT=false on a SYNC_MASTER: %v", res.Status)
	}
	s.SetReplicaWaiter(nil)
	mustPut(t, s, input("W", 0, "z", nil))
}

func TestDeleteTopics(t *testing.T) {
	s := storetest.MustOpen(t)
	for i := range 10 {
		mustPut(t, s, input("Gone", int32(i%2), "x", nil))
		mustPut(t, s, input("Kept", 0, "y", nil))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.DeleteTopics(ctx, "Gone"); err != nil {
		t.Fatal(err)
	}
	if s.MaxOffsetInQueue("Gone", 0) != 0 || s.MaxOffsetInQueue("Kept", 0) != 10 {
		t.Fatal("wrong queues deleted")
	}
	// The topic starts again from queue offset 0.
	if r := mustPut(t, s, input("Gone", 0, "again", nil)); r.QueueOffset != 0 {
		t.Fatalf("recreated topic at queue offset %d", r.QueueOffset)
	}
	waitDispatched(t, s)
	_, msgs := pull(t, s, "Gone", 0, 0, 8, nil)
	if len(msgs) != 1 || string(msgs[0].Body) != "again" {
		t.Fatalf("recreated topic holds %d messages", len(msgs))
	}
}

func TestRuntimeInfo(t *testing.T) {
	s := storetest.MustOpen(t)
	for range 5 {
		mustPut(t, s, input("I", 0, "12345", nil))
	}
	info := s.RuntimeInfo()
	for _, k := range []string{
		"bootTimestamp", "runtime", "putMessageEntireTimeMax", "putMessageTimesTotal", "putMessageSizeTotal",
		"putMessageDistributeTime", "putMessageAverageSize", "getMessageEntireTimeMax", "putTps", "getFoundTps",
		"getMissTps", "getTotalTps", "getTransferedTps", "commitLogDiskRatio", "consumeQueueDiskRatio",
		"commitLogMinOffset", "commitLogMaxOffset", "dispatchBehindBytes", "pageCacheLockTimeMills",
		"earliestMessageTimeStamp", "remainHowManyDataToFlush", "commitLogDirCapacity", "putLatency99",
	} {
		if info[k] == "" {
			t.Errorf("RuntimeInfo lacks %s", k)
		}
	}
	if info["putMessageTimesTotal"] != "5" {
		t.Errorf("putMessageTimesTotal %q", info["putMessageTimesTotal"])
	}
	if !strings.HasPrefix(info["putMessageDistributeTime"], "[<=0ms]:") || !strings.Contains(info["putMessageDistributeTime"], "[10s~]:0") {
		t.Errorf("putMessageDistributeTime %q", info["putMessageDistributeTime"])
	}
	if !strings.HasPrefix(info["runtime"], "[ 0 days, 0 hours, 0 minutes, ") {
		t.Errorf("runtime %q", info["runtime"])
	}
	if f := strings.Fields(info["putTps"]); len(f) != 3 {
		t.Errorf("putTps %q", info["putTps"])
	}
	if info["commitLogMaxOffset"] != fmt.Sprint(s.CommitLogMaxOffset()) {
		t.Errorf("commitLogMaxOffset %q", info["commitLogMaxOffset"])
	}
}
