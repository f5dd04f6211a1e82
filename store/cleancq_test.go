package store_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/store"
	"github.com/rocketgo/rocketgo/store/storetest"
)

// TestCleanExpiredQueues expires the commit log under two queues of topic
// Old, sweeps, and checks that their directories are gone, that topic New
// (still readable) keeps its queue, and that the next message of a removed
// queue continues at its old max offset, also after a restart.
func TestCleanExpiredQueues(t *testing.T) {
	sm := newSeams(3)
	// The first instance is closed and reopened below; storetest checks
	// the second, which holds the same files.
	s, o := openCleanFixture(t, sm)
	body := strings.Repeat("x", 3000)
	for range 25 {
		mustPut(t, s, input("Old", 0, body, nil))
	}
	for range 3 {
		mustPut(t, s, input("Old", 1, body, nil))
	}
	for range 200 {
		mustPut(t, s, input("New", 0, body, nil))
	}
	waitDispatched(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	removed, err := s.CleanExpiredQueues(ctx)
	if err != nil || len(removed) != 0 {
		t.Fatalf("nothing expired yet, removed %v: %v", removed, err)
	}

	ageCommitLog(t, s, sm)
	sm.setHour(4)
	for s.CleanOnce() > 0 {
	}
	removed, err = s.CleanExpiredQueues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(removed, func(a, b store.ExpiredQueue) int { return int(a.QueueID - b.QueueID) })
	if len(removed) != 2 || removed[0].Topic != "Old" || removed[0].MaxOffset != 25 || removed[1].MaxOffset != 3 ||
		removed[0].LastPhy > s.CommitLogMinOffset() {
		t.Fatalf("removed %+v (commit log min %d)", removed, s.CommitLogMinOffset())
	}
	if _, err := os.Stat(filepath.Join(s.Paths().ConsumeQueue, "Old")); !os.IsNotExist(err) {
		t.Fatalf("topic directory of the expired queues: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Paths().ConsumeQueue, "New", "0")); err != nil {
		t.Fatalf("a queue with readable messages was removed: %v", err)
	}
	if again, err := s.CleanExpiredQueues(ctx); err != nil || len(again) != 0 {
		t.Fatalf("second sweep removed %v: %v", again, err)
	}

	// The queue continues where it was: committed offsets stay valid.
	if res := mustPut(t, s, input("Old", 0, "after", nil)); res.QueueOffset != 25 {
		t.Fatalf("next message of the removed queue at offset %d, want 25", res.QueueOffset)
	}
	waitDispatched(t, s)
	if _, msgs := pull(t, s, "Old", 0, 25, 8, nil); len(msgs) != 1 || string(msgs[0].Body) != "after" {
		t.Fatalf("pull at the kept offset: %d messages", len(msgs))
	}
	if min := s.MinOffsetInQueue("Old", 0); min != 25 {
		t.Fatalf("min offset of the restarted queue %d, want 25", min)
	}

	// And after a restart, for the queue that got no message before it.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = storetest.Open(t, o)
	if res := mustPut(t, s, input("Old", 1, "after restart", nil)); res.QueueOffset != 3 {
		t.Fatalf("after a restart the removed queue continues at %d, want 3", res.QueueOffset)
	}
	if res := mustPut(t, s, input("Old", 0, "after restart", nil)); res.QueueOffset != 26 {
		t.Fatalf("queue 0 continues at %d, want 26", res.QueueOffset)
	}

	// Deleting the topic forgets the kept offsets, as upstream starts a
	// new topic of the same name at 0.
	waitDispatched(t, s)
	if err := s.DeleteTopics(ctx, "Old"); err != nil {
		t.Fatal(err)
	}
	if res := mustPut(t, s, input("Old", 1, "new topic", nil)); res.QueueOffset != 0 {
		t.Fatalf("a deleted topic's queue starts at %d, want 0", res.QueueOffset)
	}
}

// TestSetExpiry changes the expiry settings of a running store: a new
// delete hour and reserved time take effect at the next pass, and bad
// settings are refused without changing anything.
func TestSetExpiry(t *testing.T) {
	sm := newSeams(12)
	s := expiryStore(t, sm, "04")
	if s.CleanOnce() != 0 {
		t.Fatal("deleted outside the delete hour")
	}
	e := s.Expiry()
	e.DeleteWhen = "12"
	e.FileReservedTime = 200 // the files are 100 hours old: not expired yet
	if err := s.SetExpiry(e); err != nil {
		t.Fatal(err)
	}
	if s.CleanOnce() != 0 {
		t.Fatal("deleted files younger than fileReservedTime")
	}
	bad := e
	bad.DeleteWhen = "25"
	if err := s.SetExpiry(bad); err == nil || !strings.Contains(err.Error(), "deleteWhen") {
		t.Fatalf("bad deleteWhen accepted: %v", err)
	}
	if got := s.Expiry(); got != e {
		t.Fatalf("a refused update changed the settings: %+v", got)
	}
	e.FileReservedTime = 48
	e.CleanResourceInterval = 50 // the store's own pass now runs every 50 ms
	if err := s.SetExpiry(e); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.CommitLogMinOffset() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the store's own cleanup did not run at the new interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Stop the fast passes and finish the deletion, so the consistency
	// check at cleanup does not race a pass.
	e.CleanResourceInterval = int(time.Hour / time.Millisecond)
	if err := s.SetExpiry(e); err != nil {
		t.Fatal(err)
	}
	for s.CleanOnce() > 0 {
	}
}
