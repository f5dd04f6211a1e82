package broker

// timerEntry is one pending timer message as the timer keeps it in
// memory: where the record is and when to look at it again, no body.
type timerEntry struct {
	fireAt int64 // ms: the delivery time, or the roll time when that is sooner
	qoff   int64 // offset in the timer topic's queue
	phy    int64 // commit log offset of the record
	size   int32
	cancel bool // the record has TIMER_DEL_UNIQKEY
}

// timerQueue is a min-heap of entries by fire time, then messages before
// cancels (a cancel must outlive the messages due with it), then queue
// offset (so messages due in the same millisecond go out in arrival
// order).
type timerQueue []timerEntry

func (h timerQueue) less(i, j int) bool {
	a, b := &h[i], &h[j]
	if a.fireAt != b.fireAt {
		return a.fireAt < b.fireAt
	}
	if a.cancel != b.cancel {
		return b.cancel
	}
	return a.qoff < b.qoff
}

func (h *timerQueue) push(e timerEntry) {
	*h = append(*h, e)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.less(i, p) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

// pop removes and returns the earliest entry; the queue must not be empty.
func (h *timerQueue) pop() timerEntry {
	q := *h
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q = q[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q.less(r, l) {
			m = r
		}
		if !q.less(m, i) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	if cap(q) > 1024 && n < cap(q)/4 { // give memory back after a burst
		q = append(timerQueue(nil), q...)
	}
	*h = q
	return top
}

// peek returns the earliest entry.
func (h timerQueue) peek() (timerEntry, bool) {
	if len(h) == 0 {
		return timerEntry{}, false
	}
	return h[0], true
}

// minQueueOffset is the lowest queue offset still pending, or def when
// none is. It is a linear scan, done once per checkpoint.
func (h timerQueue) minQueueOffset(def int64) int64 {
	lo := def
	for i := range h {
		lo = min(lo, h[i].qoff)
	}
	return lo
}
