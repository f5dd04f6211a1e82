package loadgen

import (
	"testing"
	"time"
)

func TestBucketsAreMonotonicAndTight(t *testing.T) {
	prev := -1
	for ns := uint64(0); ns < 1<<22; ns += 1 + ns/97 {
		b := bucketOf(ns)
		if b < prev {
			t.Fatalf("bucketOf(%d)=%d after %d", ns, b, prev)
		}
		prev = b
		lo := uint64(lowerBound(b))
		if lo > ns {
			t.Fatalf("lowerBound(bucketOf(%d)) = %d, above the value", ns, lo)
		}
		if ns >= subBuckets && float64(ns-lo) > float64(ns)/subBuckets {
			t.Fatalf("bucket of %d starts at %d: error over 1/%d", ns, lo, subBuckets)
		}
	}
	if b := bucketOf(1 << 50); b != buckets-1 {
		t.Fatalf("huge value in bucket %d, want the last (%d)", b, buckets-1)
	}
}

func TestSummaryPercentiles(t *testing.T) {
	var h Histogram
	if s := h.Summary(); s.Count != 0 || s.P99 != 0 {
		t.Fatalf("empty histogram summary %+v", s)
	}
	// 1..1000 µs: p50 ≈ 500 µs, p99 ≈ 990 µs, max 1000 µs.
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	h.Record(-time.Second) // a clock step counts as 0
	s := h.Summary()
	near := func(name string, got, want time.Duration) {
		t.Helper()
		if d := got - want; d < -want/50 || d > want/50 {
			t.Errorf("%s = %v, want %v ± 2%%", name, got, want)
		}
	}
	if s.Count != 1001 || s.Max != time.Millisecond {
		t.Fatalf("count %d max %v, want 1001 and 1ms", s.Count, s.Max)
	}
	near("p50", s.P50, 500*time.Microsecond)
	near("p90", s.P90, 900*time.Microsecond)
	near("p99", s.P99, 990*time.Microsecond)
	near("p99.9", s.P999, 999*time.Microsecond)
	near("mean", s.Mean, 500*time.Microsecond)
}
