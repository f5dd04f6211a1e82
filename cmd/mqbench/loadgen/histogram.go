package loadgen

import (
	"math"
	"math/bits"
	"sync"
	"time"
)

// subBuckets per power of two: values are kept to within 1/64 (1.6 %).
const (
	subBits    = 6
	subBuckets = 1 << subBits
	// buckets covers durations up to 2^40 ns (about 18 minutes).
	maxExp  = 40
	buckets = (maxExp - subBits + 1) * subBuckets
)

// Histogram counts durations in log-linear buckets. Recording takes a
// mutex and allocates nothing; the zero value is ready to use.
type Histogram struct {
	mu     sync.Mutex
	counts [buckets]uint64
	n      uint64
	sum    time.Duration
	max    time.Duration
}

// bucketOf maps a duration in nanoseconds to its bucket: below 64 ns one
// bucket per ns, then 64 buckets per power of two.
func bucketOf(ns uint64) int {
	if ns < subBuckets {
		return int(ns)
	}
	exp := bits.Len64(ns) - 1 // >= subBits
	if exp >= maxExp {
		return buckets - 1
	}
	sub := int(ns>>(exp-subBits)) - subBuckets // 0..63
	return (exp-subBits+1)*subBuckets + sub
}

// lowerBound is the smallest duration that falls in bucket i.
func lowerBound(i int) time.Duration {
	if i < subBuckets {
		return time.Duration(i)
	}
	exp := i/subBuckets + subBits - 1
	sub := i % subBuckets
	return time.Duration(uint64(subBuckets+sub) << (exp - subBits))
}

// Record adds one duration; negative durations (a clock step) count as 0.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	b := bucketOf(uint64(d))
	h.mu.Lock()
	h.counts[b]++
	h.n++
	h.sum += d
	if d > h.max {
		h.max = d
	}
	h.mu.Unlock()
}

// Summary is a histogram read at one moment.
type Summary struct {
	Count               uint64
	Mean, Max           time.Duration
	P50, P90, P99, P999 time.Duration
}

// Summary returns the count, mean, max and percentiles recorded so far.
func (h *Histogram) Summary() Summary {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := Summary{Count: h.n, Max: h.max}
	if h.n == 0 {
		return s
	}
	s.Mean = h.sum / time.Duration(h.n)
	s.P50 = h.quantileLocked(0.50)
	s.P90 = h.quantileLocked(0.90)
	s.P99 = h.quantileLocked(0.99)
	s.P999 = h.quantileLocked(0.999)
	return s
}

// quantileLocked returns the midpoint of the bucket holding the q-th
// value, capped at the maximum seen.
func (h *Histogram) quantileLocked(q float64) time.Duration {
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo := lowerBound(i)
			hi := lo + 1
			if i+1 < buckets {
				hi = lowerBound(i + 1)
			}
			return min(lo+(hi-lo)/2, h.max)
		}
	}
	return h.max
}
