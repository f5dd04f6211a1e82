package store_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/store"
	"github.com/rocketgo/rocketgo/store/segment"
	"github.com/rocketgo/rocketgo/store/storetest"
)

// fill opens a store, puts n messages round-robin over 2 queues and closes
// it, simulating a crash (the abort file is put back) when crash is set.
func fill(t *testing.T, o store.Options, n int, crash bool) []store.PutResult {
	t.Helper()
	s, err := store.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	var res []store.PutResult
	for i := range n {
		res = append(res, mustPut(t, s, input("Rec", int32(i%2), fmt.Sprintf("m%d-%s", i, strings.Repeat("b", 2000)),
			map[string]string{"KEYS": fmt.Sprintf("key%d", i)})))
	}
	waitDispatched(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if crash {
		if err := os.WriteFile(s.Paths().Abort, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

func segmentPath(o store.Options, off int64) string {
	base := off - off%int64(o.MappedFileSizeCommitLog)
	return filepath.Join(o.Paths().CommitLog, segment.FileName(base))
}

func patchFile(t *testing.T, path string, at int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

func TestTornTail(t *testing.T) {
	for _, crash := range []bool{true, false} {
		t.Run(fmt.Sprintf("abort=%v", crash), func(t *testing.T) {
			o := storetest.Options(t)
			o.MappedFileSizeCommitLog = 64 << 10
			res := fill(t, o, 60, crash)
			last := res[len(res)-1]
			// Zero the second half of the last record: a write cut short.
			seg := int64(o.MappedFileSizeCommitLog)
			half := int64(last.WroteBytes / 2)
			patchFile(t, segmentPath(o, last.WroteOffset), last.WroteOffset%seg+half, make([]byte, last.WroteBytes-int(half)))

			s := storetest.Open(t, o)
			if s.CommitLogMaxOffset() != last.WroteOffset {
				t.Fatalf("log ends at %d, want the torn record's start %d", s.CommitLogMaxOffset(), last.WroteOffset)
			}
			q := int32((len(res) - 1) % 2)
			if got := s.MaxOffsetInQueue("Rec", q); got != last.QueueOffset {
				t.Fatalf("queue %d max %d, want %d", q, got, last.QueueOffset)
			}
			for _, r := range res[:len(res)-1] {
				if _, err := s.LookMessageByOffset(r.WroteOffset); err != nil {
					t.Fatalf("record at %d lost: %v", r.WroteOffset, err)
				}
			}
			again := mustPut(t, s, input("Rec", q, "replacement", nil))
			if again.WroteOffset != last.WroteOffset || again.QueueOffset != last.QueueOffset {
				t.Fatalf("next put at %d/%d, want %d/%d", again.WroteOffset, again.QueueOffset, last.WroteOffset, last.QueueOffset)
			}
			bad, _ := filepath.Glob(filepath.Join(o.Paths().CommitLog, "*.bad"))
			if len(bad) != 0 {
				t.Fatalf("a torn tail is not damage worth keeping: %v", bad)
			}
		})
	}
}

func TestFlippedByteQuarantine(t *testing.T) {
	o := storetest.Options(t)
	o.MappedFileSizeCommitLog = 64 << 10
	res := fill(t, o, 90, true) // about 3 segments
	seg := int64(o.MappedFileSizeCommitLog)
	// Damage the body of a record in the middle of segment 1.
	var victim store.PutResult
	for _, r := range res {
		if r.WroteOffset/seg == 1 && r.WroteOffset%seg > seg/3 {
			victim = r
			break
		}
	}
	if victim.WroteBytes == 0 || res[len(res)-1].WroteOffset/seg < 2 {
		t.Fatal("test data does not span three segments")
	}
	path := segmentPath(o, victim.WroteOffset)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	patchFile(t, path, victim.WroteOffset%seg+200, []byte{orig[victim.WroteOffset%seg+200] ^ 0x40})

	s := storetest.Open(t, o)
	if s.CommitLogMaxOffset() != victim.WroteOffset {
		t.Fatalf("log ends at %d, want the damaged record at %d", s.CommitLogMaxOffset(), victim.WroteOffset)
	}
	// Everything before the damage is intact and readable.
	for _, r := range res {
		if r.WroteOffset >= victim.WroteOffset {
			break
		}
		m, err := s.LookMessageByOffset(r.WroteOffset)
		if err != nil || !strings.HasPrefix(string(m.Body), "m") {
			t.Fatalf("record at %d: %v", r.WroteOffset, err)
		}
	}
	// Nothing holding data was deleted: the damaged segment was copied
	// aside, and the later one moved aside whole.
	copyPath := path + ".bad"
	kept, err := os.ReadFile(copyPath)
	if err != nil {
		t.Fatalf("no copy of the damaged segment: %v", err)
	}
	if !bytes.Equal(kept[victim.WroteOffset%seg+300:], orig[victim.WroteOffset%seg+300:]) {
		t.Fatal("the copy does not hold the data after the damage")
	}
	later := filepath.Join(o.Paths().CommitLog, segment.FileName(2*seg)+".bad")
	if _, err := os.Stat(later); err != nil {
		t.Fatalf("later segment not moved aside: %v", err)
	}
	// The queues were cut back to the damage and writing goes on there.
	next := mustPut(t, s, input("Rec", 0, "after", nil))
	if next.WroteOffset != victim.WroteOffset {
		t.Fatalf("next put at %d", next.WroteOffset)
	}
}

func TestWrongSizeSegmentRefused(t *testing.T) {
	o := storetest.Options(t)
	fill(t, o, 5, false)
	if err := os.Truncate(segmentPath(o, 0), 1000); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(o)
	if err == nil || !strings.Contains(err.Error(), segment.FileName(0)) {
		t.Fatalf("open with a short segment: %v", err)
	}
}

func TestRecoveryRebuildsQueuesAndIndex(t *testing.T) {
	o := storetest.Options(t)
	res := fill(t, o, 50, true)
	// Lose the consume queues and the index entirely.
	if err := os.RemoveAll(o.Paths().ConsumeQueue); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(o.Paths().Index); err != nil {
		t.Fatal(err)
	}
	s := storetest.Open(t, o)
	if s.MaxOffsetInQueue("Rec", 0) != 25 || s.MaxOffsetInQueue("Rec", 1) != 25 {
		t.Fatalf("queues rebuilt to %d and %d", s.MaxOffsetInQueue("Rec", 0), s.MaxOffsetInQueue("Rec", 1))
	}
	q, err := s.QueryMessage("Rec", "key17", 4, 0, time.Now().Add(time.Hour).UnixMilli())
	if err != nil || len(q.Messages) != 1 {
		t.Fatalf("index rebuilt: %v %d", err, len(q.Messages))
	}
	q.Release()
	if r := mustPut(t, s, input("Rec", 1, "next", nil)); r.QueueOffset != 25 || r.WroteOffset != res[len(res)-1].WroteOffset+int64(res[len(res)-1].WroteBytes) {
		t.Fatalf("put after rebuild: %+v", r)
	}
}

func TestConsistencyCheckFindsDamage(t *testing.T) {
	o := storetest.Options(t)
	s, err := store.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 10 {
		mustPut(t, s, input("C", 0, fmt.Sprint(i), nil))
	}
	waitDispatched(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.CheckConsistency(ctx); err != nil {
		t.Fatalf("healthy store: %v", err)
	}
	// Point unit 3 of the queue at another record.
	cq := filepath.Join(o.Paths().ConsumeQueue, "C", "0", segment.FileName(0))
	unit := make([]byte, 8)
	patchFile(t, cq, 3*20, unit) // phyOffset 0: record 0's
	err = s.CheckConsistency(ctx)
	if err == nil || !strings.Contains(err.Error(), "unit 3") {
		t.Fatalf("damaged unit not reported: %v", err)
	}
}
