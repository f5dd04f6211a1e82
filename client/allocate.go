package client

import (
	"crypto/md5"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
)

// AllocateStrategy shares a topic's queues among the consumers of a
// clustering group. Every consumer runs it with the same sorted lists and
// takes what it gets for itself, so the strategies must be deterministic.
type AllocateStrategy interface {
	// Name is upstream's name of the strategy.
	Name() string
	// Allocate returns the queues of mqs that consumer self gets; mqs and
	// consumers are sorted and consumers contains self.
	Allocate(group, self string, mqs []MessageQueue, consumers []string) []MessageQueue
}

// Strategies as upstream names them.
var (
	// AllocateAveragely gives each consumer a contiguous block, the first
	// ones one more when the queues do not divide evenly.
	AllocateAveragely AllocateStrategy = averagely{}
	// AllocateByCircle deals the queues out one at a time, like cards.
	AllocateByCircle AllocateStrategy = byCircle{}
)

type averagely struct{}

func (averagely) Name() string { return "AVG" }

func (averagely) Allocate(_, self string, mqs []MessageQueue, cids []string) []MessageQueue {
	index := slices.Index(cids, self)
	if index < 0 || len(mqs) == 0 {
		return nil
	}
	n, c := len(mqs), len(cids)
	mod := n % c
	size := n / c
	if n <= c {
		size = 1
	} else if mod > 0 && index < mod {
		size++
	}
	start := index*size + mod
	if mod > 0 && index < mod {
		start = index * size
	}
	var out []MessageQueue
	for i := range min(size, n-start) {
		out = append(out, mqs[(start+i)%n])
	}
	return out
}

type byCircle struct{}

func (byCircle) Name() string { return "AVG_BY_CIRCLE" }

func (byCircle) Allocate(_, self string, mqs []MessageQueue, cids []string) []MessageQueue {
	index := slices.Index(cids, self)
	if index < 0 {
		return nil
	}
	var out []MessageQueue
	for i := index; i < len(mqs); i += len(cids) {
		out = append(out, mqs[i])
	}
	return out
}

// AllocateByMachineRoom shares only the queues of brokers named
// "<room>@<name>" whose room is one of rooms, averagely with the rest
// dealt out one by one (upstream AllocateMessageQueueByMachineRoom).
func AllocateByMachineRoom(rooms ...string) AllocateStrategy {
	return byMachineRoom{rooms: slices.Clone(rooms)}
}

type byMachineRoom struct{ rooms []string }

func (byMachineRoom) Name() string { return "MACHINE_ROOM" }

func (m byMachineRoom) Allocate(_, self string, mqs []MessageQueue, cids []string) []MessageQueue {
	index := slices.Index(cids, self)
	if index < 0 {
		return nil
	}
	var mine []MessageQueue
	for _, mq := range mqs {
		room, _, ok := strings.Cut(mq.BrokerName, "@")
		if ok && !strings.Contains(mq.BrokerName[len(room)+1:], "@") && slices.Contains(m.rooms, room) {
			mine = append(mine, mq)
		}
	}
	per := len(mine) / len(cids)
	rem := len(mine) % len(cids)
	out := slices.Clone(mine[index*per : index*per+per])
	if rem > index {
		out = append(out, mine[index+per*len(cids)])
	}
	return out
}

// AllocateConsistentHash places consumers on a hash ring with
// virtualNodes points each (10 when <= 0) and gives each queue to the
// consumer after it on the ring, so a consumer joining or leaving moves
// few queues. Hashes are upstream's: the first 4 bytes of the MD5 of
// "<client id>-<i>" for the points and of the queue's String for queues.
func AllocateConsistentHash(virtualNodes int) AllocateStrategy {
	if virtualNodes <= 0 {
		virtualNodes = 10
	}
	return consistentHash{vnodes: virtualNodes}
}

type consistentHash struct{ vnodes int }

func (consistentHash) Name() string { return "CONSISTENT_HASH" }

type ringPoint struct {
	hash uint32
	cid  string
}

func md5Hash(s string) uint32 {
	sum := md5.Sum([]byte(s))
	return binary.BigEndian.Uint32(sum[:4])
}

func (c consistentHash) Allocate(_, self string, mqs []MessageQueue, cids []string) []MessageQueue {
	if !slices.Contains(cids, self) {
		return nil
	}
	// Upstream keys its ring with a TreeMap, so when two points hash
	// alike the one added later wins; do the same.
	byHash := map[uint32]string{}
	for _, cid := range cids {
		for i := range c.vnodes {
			byHash[md5Hash(cid+"-"+strconv.Itoa(i))] = cid
		}
	}
	ring := make([]ringPoint, 0, len(byHash))
	for h, cid := range byHash {
		ring = append(ring, ringPoint{h, cid})
	}
	slices.SortFunc(ring, func(a, b ringPoint) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return 0
	})
	var out []MessageQueue
	for _, mq := range mqs {
		h := md5Hash(mq.String())
		i, _ := slices.BinarySearchFunc(ring, h, func(p ringPoint, h uint32) int {
			switch {
			case p.hash < h:
				return -1
			case p.hash > h:
				return 1
			}
			return 0
		})
		if i == len(ring) {
			i = 0
		}
		if ring[i].cid == self {
			out = append(out, mq)
		}
	}
	return out
}
