package client

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// processQueue holds the pulled, not yet consumed messages of one queue a
// push consumer owns (upstream ProcessQueue): what flow control counts,
// and what the committed offset is computed from (the lowest offset still
// held, since concurrent consumption finishes out of order).
type processQueue struct {
	mq     MessageQueue
	ctx    context.Context // ends when the queue is dropped
	cancel context.CancelFunc

	mu        sync.Mutex
	msgs      []*MessageExt // by queue offset; consumed ones are nil
	head      int           // msgs[:head] are all nil
	count     int           // live entries in msgs
	size      int64         // their body bytes
	maxOffset int64         // highest offset ever put
	// consuming are messages an orderly listener has taken and not yet
	// committed, by offset.
	consuming []*MessageExt

	dropped     atomic.Bool
	locked      atomic.Bool  // orderly: the broker lock is held
	lastLock    atomic.Int64 // unix ms of the last successful lock
	lastPull    atomic.Int64 // unix ms
	lastConsume atomic.Int64 // unix ms
	// flowControlled counts the pulls put off by flow control.
	flowControlled atomic.Int64

	// consumeMu is held while an orderly listener runs, so dropping the
	// queue can wait for it before unlocking on the broker.
	consumeMu sync.Mutex
	// ready wakes an orderly queue's consumer when messages arrive.
	ready chan struct{}
	// running counts the queue's goroutines (pulling, orderly consuming).
	running sync.WaitGroup
}

// Lock timing (upstream RebalanceImpl / ProcessQueue).
const (
	lockMaxLive  = 30 * time.Second  // a lock older than this is not trusted
	pullMaxIdle  = 120 * time.Second // a queue not pulled this long is dropped
	lockInterval = 20 * time.Second  // orderly consumers renew their locks; brokers expire them after 60 s
)

func newProcessQueue(parent context.Context, mq MessageQueue) *processQueue {
	ctx, cancel := context.WithCancel(parent)
	pq := &processQueue{mq: mq, ctx: ctx, cancel: cancel, maxOffset: -1, ready: make(chan struct{}, 1)}
	pq.lastPull.Store(time.Now().UnixMilli())
	return pq
}

// drop marks the queue dropped and stops its goroutines.
func (pq *processQueue) drop() {
	pq.dropped.Store(true)
	pq.cancel()
}

// put adds pulled messages (in offset order) and reports whether the
// orderly consumer should be woken.
func (pq *processQueue) put(msgs []*MessageExt) {
	pq.mu.Lock()
	for _, m := range msgs {
		if m.QueueOffset <= pq.maxOffset {
			continue // already held (a pull repeated after an error)
		}
		pq.msgs = append(pq.msgs, m)
		pq.count++
		pq.size += int64(len(m.Body))
		pq.maxOffset = m.QueueOffset
	}
	pq.mu.Unlock()
	select {
	case pq.ready <- struct{}{}:
	default:
	}
}

// find returns the index of offset in msgs[head:], or -1.
func (pq *processQueue) find(offset int64) int {
	live := pq.msgs[pq.head:]
	i := sort.Search(len(live), func(i int) bool {
		// nil entries sit between live ones in offset order; look past
		// them to the next live entry to compare.
		for j := i; j < len(live); j++ {
			if live[j] != nil {
				return live[j].QueueOffset >= offset
			}
		}
		return true
	})
	for ; i < len(live); i++ {
		if live[i] != nil {
			if live[i].QueueOffset == offset {
				return pq.head + i
			}
			return -1
		}
	}
	return -1
}

// compactLocked moves head past consumed entries and shrinks the slice
// when most of it is dead.
func (pq *processQueue) compactLocked() {
	for pq.head < len(pq.msgs) && pq.msgs[pq.head] == nil {
		pq.head++
	}
	if pq.head == len(pq.msgs) {
		pq.msgs = pq.msgs[:0]
		pq.head = 0
	} else if pq.head > 64 && pq.head > len(pq.msgs)/2 {
		n := copy(pq.msgs, pq.msgs[pq.head:])
		clear(pq.msgs[n:])
		pq.msgs = pq.msgs[:n]
		pq.head = 0
	}
}

// remove takes consumed messages out and returns the offset to commit:
// the lowest offset still held, or one past the highest ever put when
// nothing is; -1 when nothing was held at all.
func (pq *processQueue) remove(msgs []*MessageExt) int64 {
	pq.mu.Lock()
	defer pq.mu.Unlock()
	if pq.maxOffset < 0 {
		return -1
	}
	pq.lastConsume.Store(time.Now().UnixMilli())
	for _, m := range msgs {
		if i := pq.find(m.QueueOffset); i >= 0 {
			pq.msgs[i] = nil
			pq.count--
			pq.size -= int64(len(m.Body))
		}
	}
	pq.compactLocked()
	if pq.head < len(pq.msgs) {
		return pq.msgs[pq.head].QueueOffset
	}
	return pq.maxOffset + 1
}

// stats returns the count and body bytes held (consuming ones included)
// and the span between the lowest and highest offset waiting.
func (pq *processQueue) stats() (count int, size int64, span int64) {
	pq.mu.Lock()
	defer pq.mu.Unlock()
	if pq.head < len(pq.msgs) {
		first := pq.msgs[pq.head].QueueOffset
		for i := len(pq.msgs) - 1; i >= pq.head; i-- {
			if m := pq.msgs[i]; m != nil {
				span = m.QueueOffset - first
				break
			}
		}
	}
	return pq.count, pq.size, span
}

// take moves up to n of the lowest-offset messages to consuming (orderly).
func (pq *processQueue) take(n int) []*MessageExt {
	pq.mu.Lock()
	defer pq.mu.Unlock()
	pq.lastConsume.Store(time.Now().UnixMilli())
	var out []*MessageExt
	for pq.head < len(pq.msgs) && len(out) < n {
		if m := pq.msgs[pq.head]; m != nil {
			out = append(out, m)
			pq.msgs[pq.head] = nil
		}
		pq.head++
	}
	pq.compactLocked()
	pq.consuming = append(pq.consuming, out...)
	return out
}

// commit forgets the consuming messages and returns the offset after the
// last of them; -1 when there were none.
func (pq *processQueue) commit() int64 {
	pq.mu.Lock()
	defer pq.mu.Unlock()
	if len(pq.consuming) == 0 {
		return -1
	}
	next := pq.consuming[len(pq.consuming)-1].QueueOffset + 1
	for _, m := range pq.consuming {
		pq.count--
		pq.size -= int64(len(m.Body))
	}
	pq.consuming = pq.consuming[:0]
	return next
}

// reconsume puts the consuming messages back in front, to be taken again.
func (pq *processQueue) reconsume() {
	pq.mu.Lock()
	defer pq.mu.Unlock()
	back := pq.consuming
	pq.consuming = nil
	if len(back) == 0 {
		return
	}
	if pq.head >= len(back) {
		pq.head -= len(back)
		copy(pq.msgs[pq.head:], back)
		return
	}
	pq.msgs = append(back, pq.msgs[pq.head:]...)
	pq.head = 0
}

// lockValid reports whether the broker lock is held and recent enough.
func (pq *processQueue) lockValid(now time.Time) bool {
	return pq.locked.Load() && now.UnixMilli()-pq.lastLock.Load() <= lockMaxLive.Milliseconds()
}

func (pq *processQueue) setLocked(ok bool, now time.Time) {
	pq.locked.Store(ok)
	if ok {
		pq.lastLock.Store(now.UnixMilli())
	}
}

// pullExpired reports whether the queue has not been pulled for too long
// (its pull loop is stuck).
func (pq *processQueue) pullExpired(now time.Time) bool {
	return now.UnixMilli()-pq.lastPull.Load() > pullMaxIdle.Milliseconds()
}
