package client

import (
	"fmt"
	"slices"
	"testing"
)

func queues(n int, broker string) []MessageQueue {
	out := make([]MessageQueue, n)
	for i := range out {
		out[i] = MessageQueue{Topic: "T", BrokerName: broker, QueueID: int32(i)}
	}
	return out
}

func ids(qs []MessageQueue) []int32 {
	out := []int32{}
	for _, q := range qs {
		out = append(out, q.QueueID)
	}
	return out
}

func TestAllocateTable(t *testing.T) {
	cids := []string{"c0", "c1", "c2"}
	cases := []struct {
		s    AllocateStrategy
		mqs  int
		cids []string
		want [][]int32
	}{
		{AllocateAveragely, 8, cids, [][]int32{{0, 1, 2}, {3, 4, 5}, {6, 7}}},
		{AllocateAveragely, 9, cids, [][]int32{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}}},
		{AllocateAveragely, 2, cids, [][]int32{{0}, {1}, {}}},
		{AllocateAveragely, 4, []string{"c0"}, [][]int32{{0, 1, 2, 3}}},
		{AllocateByCircle, 8, cids, [][]int32{{0, 3, 6}, {1, 4, 7}, {2, 5}}},
		{AllocateByCircle, 2, cids, [][]int32{{0}, {1}, {}}},
	}
	for _, c := range cases {
		for i, cid := range c.cids {
			got := ids(c.s.Allocate("g", cid, queues(c.mqs, "b"), c.cids))
			if !slices.Equal(got, c.want[i]) {
				t.Errorf("%s %d queues, %s of %v: got %v, want %v", c.s.Name(), c.mqs, cid, c.cids, got, c.want[i])
			}
		}
	}
	if got := AllocateAveragely.Allocate("g", "stranger", queues(4, "b"), cids); len(got) != 0 {
		t.Errorf("a consumer not in the list got %v", got)
	}
}

func TestAllocateByMachineRoom(t *testing.T) {
	var mqs []MessageQueue
	for _, b := range []string{"room1@a", "room2@b", "plain", "room1@c"} {
		mqs = append(mqs, queues(2, b)...)
	}
	sortQueues(mqs)
	s := AllocateByMachineRoom("room1")
	got := map[string][]MessageQueue{}
	for _, cid := range []string{"c0", "c1", "c2"} {
		got[cid] = s.Allocate("g", cid, mqs, []string{"c0", "c1", "c2"})
	}
	// room1 holds 4 queues: one each, the 4th to c0.
	if len(got["c0"]) != 2 || len(got["c1"]) != 1 || len(got["c2"]) != 1 {
		t.Fatalf("allocation %v", got)
	}
	for _, qs := range got {
		for _, q := range qs {
			if q.BrokerName != "room1@a" && q.BrokerName != "room1@c" {
				t.Errorf("got %s outside room1", q)
			}
		}
	}
}

// Every strategy must hand each queue to exactly one consumer.
func TestAllocatePartitions(t *testing.T) {
	for _, s := range []AllocateStrategy{AllocateAveragely, AllocateByCircle, AllocateConsistentHash(0)} {
		for nq := 1; nq <= 17; nq += 4 {
			for nc := 1; nc <= 6; nc++ {
				var cids []string
				for i := range nc {
					cids = append(cids, fmt.Sprintf("10.0.0.%d@%d", i, i))
				}
				mqs := queues(nq, "b")
				owner := map[MessageQueue]string{}
				for _, cid := range cids {
					for _, q := range s.Allocate("g", cid, mqs, cids) {
						if prev, dup := owner[q]; dup {
							t.Fatalf("%s: %s given to %s and %s", s.Name(), q, prev, cid)
						}
						owner[q] = cid
					}
				}
				if len(owner) != nq {
					t.Fatalf("%s with %d queues, %d consumers: %d allocated", s.Name(), nq, nc, len(owner))
				}
			}
		}
	}
}

// A consumer joining a consistent-hash group takes queues only for
// itself; no queue moves between the others.
func TestConsistentHashStability(t *testing.T) {
	s := AllocateConsistentHash(10)
	mqs := queues(64, "b")
	before := []string{"a", "b", "c"}
	after := []string{"a", "b", "c", "d"}
	own := func(cids []string) map[MessageQueue]string {
		m := map[MessageQueue]string{}
		for _, cid := range cids {
			for _, q := range s.Allocate("g", cid, mqs, cids) {
				m[q] = cid
			}
		}
		return m
	}
	b, a := own(before), own(after)
	moved := 0
	for q, was := range b {
		if now := a[q]; now != was {
			if now != "d" {
				t.Errorf("%s moved from %s to %s", q, was, now)
			}
			moved++
		}
	}
	if moved == 0 || moved == len(mqs) {
		t.Errorf("%d of %d queues moved to the new consumer", moved, len(mqs))
	}
	// The ring hash is upstream's: first 4 bytes of MD5, big-endian.
	if got := md5Hash("a-0"); got != 0xa165efd1 {
		t.Errorf("md5Hash(\"a-0\") = %#x", got)
	}
}
