package consumequeue

// OffsetForTime returns the queue offset of the message stored closest to the
// time ts (ms), as upstream's getOffsetInQueueByTime: an exact match wins,
// otherwise the nearer of the last message before ts and the first one after
// it (the earlier one on a tie). storeTime reads a message's store timestamp
// from the commit log; it returns false when the message is no longer there
// (expired), and such units, like blank filler, count as older than any ts.
// Store times never decrease along the commit log, so a binary search over
// [MinOffset, MaxOffset) works. An empty queue answers MinOffset.
func (q *Queue) OffsetForTime(ts int64, storeTime func(phyOffset int64, size int32) (int64, bool)) int64 {
	lo, hi := q.MinOffset(), q.MaxOffset() // search [lo, hi)
	if lo >= hi {
		return lo
	}
	// Find the first offset whose time is >= ts.
	left, right := int64(-1), int64(-1) // last unit before ts, first unit at/after ts
	var leftTime, rightTime int64
	for lo < hi {
		mid := lo + (hi-lo)/2
		t, ok := q.timeAt(mid, storeTime)
		if !ok || t < ts {
			if ok {
				left, leftTime = mid, t
			}
			lo = mid + 1
		} else {
			right, rightTime = mid, t
			hi = mid
		}
	}
	switch {
	case right >= 0 && rightTime == ts:
		return right
	case left < 0 && right < 0:
		return q.MinOffset()
	case left < 0:
		return right
	case right < 0:
		return left
	case ts-leftTime > rightTime-ts:
		return right
	default:
		return left
	}
}

func (q *Queue) timeAt(off int64, storeTime func(int64, int32) (int64, bool)) (int64, bool) {
	u, ok := q.Get(off)
	if !ok {
		return 0, false
	}
	return storeTime(u.PhyOffset, u.Size)
}
