package broker

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
)

// The counters behind VIEW_BROKER_STATS_DATA, kept as upstream's
// StatsItem: a running total of values and of adds, sampled into three
// rings of snapshots from which a window's sum, rate and average come.

// statsWindow is one ring: a snapshot every interval, keep of them.
type statsWindow struct {
	interval time.Duration
	keep     int
}

// Upstream samples every 10 s keeping 7 (the last minute), every 10 min
// keeping 7 (the last hour) and every hour keeping 25 (the last day).
const (
	windowMinute = iota
	windowHour
	windowDay
	windowCount
)

var statsWindows = [windowCount]statsWindow{
	windowMinute: {10 * time.Second, 7},
	windowHour:   {10 * time.Minute, 7},
	windowDay:    {time.Hour, 25},
}

// callSnapshot is the totals at one sample; at is in Unix milliseconds.
type callSnapshot struct {
	at, times, value int64
}

// statsItem is one statistic of one key. add is the hot path: two atomic
// adds, no lock, no allocation.
type statsItem struct {
	value atomic.Int64
	times atomic.Int64

	mu    sync.Mutex
	rings [windowCount][]callSnapshot // oldest first, at most keep each
}

func (it *statsItem) add(value, times int64) {
	it.value.Add(value)
	if times != 0 {
		it.times.Add(times)
	}
}

// sample appends the current totals to ring w. The first sample of a key
// starts from a zero snapshot one interval back, as upstream's does, so
// what was added before it counts in the window.
func (it *statsItem) sample(w int, now int64) {
	win := statsWindows[w]
	it.mu.Lock()
	defer it.mu.Unlock()
	r := it.rings[w]
	if len(r) == 0 {
		r = make([]callSnapshot, 0, win.keep)
		r = append(r, callSnapshot{at: now - win.interval.Milliseconds()})
	}
	if len(r) == win.keep {
		copy(r, r[1:])
		r = r[:len(r)-1]
	}
	it.rings[w] = append(r, callSnapshot{at: now, times: it.times.Load(), value: it.value.Load()})
}

// window computes ring w as upstream's computeStatsData does, with one
// difference for users: the sum and average run up to now rather than to
// the last sample, so what was just sent shows at once (from the second
// snapshot of a full ring, so the span never exceeds the window). The
// rate is the sampled one: 0 until the ring has two snapshots.
func (it *statsItem) window(w int) protocol.BrokerStatsItem {
	it.mu.Lock()
	defer it.mu.Unlock()
	r := it.rings[w]
	var from callSnapshot // no sample yet: everything added counts
	switch {
	case len(r) == statsWindows[w].keep:
		from = r[1]
	case len(r) > 0:
		from = r[0]
	}
	var out protocol.BrokerStatsItem
	out.Sum = it.value.Load() - from.value
	if times := it.times.Load() - from.times; times > 0 {
		out.Avgpt = float64(out.Sum) / float64(times)
	}
	if len(r) >= 2 {
		first, last := r[0], r[len(r)-1]
		if d := last.at - first.at; d > 0 {
			out.Tps = float64(last.value-first.value) * 1000 / float64(d)
		}
	}
	return out
}

// idleForADay reports whether nothing was added during the whole day ring.
func (it *statsItem) idleForADay() bool {
	it.mu.Lock()
	defer it.mu.Unlock()
	r := it.rings[windowDay]
	return len(r) == statsWindows[windowDay].keep && r[0].value == it.value.Load() && r[0].times == it.times.Load()
}

// statsKey is a statistic's key: a topic, or a topic and a group (upstream
// joins them as "topic@group"). A struct key lets the hot path look up
// without building a string.
type statsKey struct {
	topic, group string
}

// statsEntry holds the statistics a table keeps for one key, in the
// order of the table's names.
type statsEntry struct {
	items []statsItem
}

// statsTable maps keys to entries. Lookups of existing keys take a shard's
// read lock only; an entry is allocated once, for a new key.
type statsTable struct {
	names  []string // the statistic names of an entry's items
	seed   maphash.Seed
	shards [16]statsShard
}

type statsShard struct {
	mu sync.RWMutex
	m  map[statsKey]*statsEntry
	_  [32]byte // keep neighbouring shards' locks off one cache line
}

func newStatsTable(names ...string) *statsTable {
	t := &statsTable{names: names, seed: maphash.MakeSeed()}
	for i := range t.shards {
		t.shards[i].m = make(map[statsKey]*statsEntry)
	}
	return t
}

func (t *statsTable) shard(k statsKey) *statsShard {
	return &t.shards[maphash.String(t.seed, k.topic)%uint64(len(t.shards))]
}

// entry returns k's entry, creating it on first use.
func (t *statsTable) entry(k statsKey) *statsEntry {
	sh := t.shard(k)
	sh.mu.RLock()
	e := sh.m[k]
	sh.mu.RUnlock()
	if e != nil {
		return e
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e = sh.m[k]; e == nil {
		e = &statsEntry{items: make([]statsItem, len(t.names))}
		sh.m[k] = e
	}
	return e
}

// find returns k's entry without creating it.
func (t *statsTable) find(k statsKey) (*statsEntry, bool) {
	sh := t.shard(k)
	sh.mu.RLock()
	defer sh.mu.RUnlock()
	e, ok := sh.m[k]
	return e, ok
}

// each calls f for every entry; f must not call back into t.
func (t *statsTable) each(f func(statsKey, *statsEntry)) {
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.RLock()
		entries := make([]*statsEntry, 0, len(sh.m))
		keys := make([]statsKey, 0, len(sh.m))
		for k, e := range sh.m {
			keys = append(keys, k)
			entries = append(entries, e)
		}
		sh.mu.RUnlock()
		for j, e := range entries {
			f(keys[j], e)
		}
	}
}

// sample takes a snapshot of every item for ring w.
func (t *statsTable) sample(w int, now int64) {
	t.each(func(_ statsKey, e *statsEntry) {
		for i := range e.items {
			e.items[i].sample(w, now)
		}
	})
}

// dropIdle forgets keys nothing was added to for a day, such as those of
// deleted topics and groups. A count racing with the drop is lost, which
// after a day of silence is what upstream's delete does too.
func (t *statsTable) dropIdle() (dropped int) {
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for k, e := range sh.m {
			idle := true
			for j := range e.items {
				idle = idle && e.items[j].idleForADay()
			}
			if idle {
				delete(sh.m, k)
				dropped++
			}
		}
		sh.mu.Unlock()
	}
	return dropped
}

// len is the number of keys.
func (t *statsTable) len() (n int) {
	for i := range t.shards {
		t.shards[i].mu.RLock()
		n += len(t.shards[i].m)
		t.shards[i].mu.RUnlock()
	}
	return n
}
