package broker

import (
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
)

// lockExpiry is how long a queue lock lives after its last refresh
// (upstream rocketmq.broker.rebalance.lockMaxLiveTime).
const lockExpiry = 60 * time.Second

// queueLocks grants orderly consumers exclusive use of queues (upstream
// RebalanceLockManager): a lock belongs to one client id of a group and
// expires lockExpiry after it was last taken or refreshed.
type queueLocks struct {
	now func() time.Time

	mu    sync.Mutex
	locks map[string]map[protocol.MessageQueue]*queueLock // by group
}

type queueLock struct {
	clientID string
	last     time.Time
}

func newQueueLocks(now func() time.Time) *queueLocks {
	return &queueLocks{now: now, locks: map[string]map[protocol.MessageQueue]*queueLock{}}
}

// lock takes or refreshes each queue that is free, expired or already the
// caller's, and returns the queues the caller holds afterwards.
func (l *queueLocks) lock(group, clientID string, mqs []protocol.MessageQueue) []protocol.MessageQueue {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.locks[group]
	if m == nil {
		m = map[protocol.MessageQueue]*queueLock{}
		l.locks[group] = m
	}
	held := make([]protocol.MessageQueue, 0, len(mqs))
	for _, mq := range mqs {
		cur := m[mq]
		if cur == nil || cur.clientID == clientID || now.Sub(cur.last) > lockExpiry {
			m[mq] = &queueLock{clientID: clientID, last: now}
			held = append(held, mq)
		}
	}
	return held
}

// unlock releases the queues held by clientID.
func (l *queueLocks) unlock(group, clientID string, mqs []protocol.MessageQueue) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.locks[group]
	for _, mq := range mqs {
		if cur := m[mq]; cur != nil && cur.clientID == clientID {
			delete(m, mq)
		}
	}
	if len(m) == 0 {
		delete(l.locks, group)
	}
}
