package client

import (
	"context"
	"testing"
)

func msgAt(off int64, body string) *MessageExt {
	m := &MessageExt{QueueOffset: off}
	m.Body = []byte(body)
	return m
}

func TestProcessQueueConcurrent(t *testing.T) {
	pq := newProcessQueue(context.Background(), MessageQueue{"T", "b", 0})
	if off := pq.remove(nil); off != -1 {
		t.Errorf("empty queue commits %d", off)
	}
	var ms []*MessageExt
	for i := range 10 {
		ms = append(ms, msgAt(int64(100+i), "xx"))
	}
	pq.put(ms[:6])
	pq.put(ms[4:]) // overlap from a repeated pull is ignored
	if n, size, span := pq.stats(); n != 10 || size != 20 || span != 9 {
		t.Fatalf("stats %d %d %d", n, size, span)
	}
	// Finishing out of order: the commit offset is the lowest still held.
	if off := pq.remove([]*MessageExt{ms[3], ms[5]}); off != 100 {
		t.Errorf("commit %d, want 100", off)
	}
	if off := pq.remove(ms[0:3]); off != 104 {
		t.Errorf("commit %d, want 104", off)
	}
	if off := pq.remove([]*MessageExt{ms[9]}); off != 104 {
		t.Errorf("commit %d, want 104", off)
	}
	if n, _, span := pq.stats(); n != 4 || span != 4 {
		t.Errorf("stats %d span %d, want 4 held spanning 104..108", n, span)
	}
	if off := pq.remove([]*MessageExt{ms[4], ms[6], ms[7], ms[8], ms[8]}); off != 110 {
		t.Errorf("all consumed: commit %d, want 110", off)
	}
	// Long runs compact.
	for i := range 1000 {
		m := msgAt(int64(200+i), "")
		pq.put([]*MessageExt{m})
		pq.remove([]*MessageExt{m})
	}
	if len(pq.msgs) > 64 {
		t.Errorf("slice kept %d entries", len(pq.msgs))
	}
}

func TestProcessQueueOrderly(t *testing.T) {
	pq := newProcessQueue(context.Background(), MessageQueue{"T", "b", 0})
	for i := range 5 {
		pq.put([]*MessageExt{msgAt(int64(i), "x")})
	}
	got := pq.take(2)
	if len(got) != 2 || got[0].QueueOffset != 0 || got[1].QueueOffset != 1 {
		t.Fatalf("took %v", got)
	}
	if n, _, _ := pq.stats(); n != 5 {
		t.Errorf("taken messages still count for flow control: %d", n)
	}
	pq.reconsume()
	again := pq.take(3)
	if len(again) != 3 || again[0].QueueOffset != 0 || again[2].QueueOffset != 2 {
		t.Fatalf("after reconsume took %v", again)
	}
	if off := pq.commit(); off != 3 {
		t.Errorf("commit %d, want 3", off)
	}
	if n, _, _ := pq.stats(); n != 2 {
		t.Errorf("%d held, want 2", n)
	}
	rest := pq.take(10)
	pq.reconsume()
	rest = pq.take(10)
	if len(rest) != 2 || rest[0].QueueOffset != 3 {
		t.Fatalf("rest %v", rest)
	}
	if off := pq.commit(); off != 5 {
		t.Errorf("commit %d", off)
	}
	if off := pq.commit(); off != -1 {
		t.Errorf("nothing taken commits %d", off)
	}
}
