package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestRunQuantitySplitsLikeUpstream(t *testing.T) {
	var st Stats
	var mu sync.Mutex
	perWorker := map[int]int64{}
	Run(context.Background(), Config{Workers: 4, Quantity: 10}, &st, func(_ context.Context, w int, _ int64) error {
		mu.Lock()
		perWorker[w]++
		mu.Unlock()
		return nil
	})
	want := map[int]int64{0: 4, 1: 2, 2: 2, 3: 2}
	for w, n := range want {
		if perWorker[w] != n {
			t.Errorf("worker %d sent %d, want %d (all: %v)", w, perWorker[w], n, perWorker)
		}
	}
	if s := st.Snapshot(); s.OK != 10 || st.RT.Summary().Count != 10 {
		t.Fatalf("ok %d histogram %d, want 10", s.OK, st.RT.Summary().Count)
	}
}

func TestRunClassifiesFailures(t *testing.T) {
	var st Stats
	Run(context.Background(), Config{Workers: 1, Quantity: 6, FailurePause: time.Microsecond}, &st, func(_ context.Context, _ int, seq int64) error {
		switch seq % 3 {
		case 1:
			return errors.New("connection refused")
		case 2:
			return fmt.Errorf("%w: code 17", ErrResponse)
		}
		return nil
	})
	s := st.Snapshot()
	if s.OK != 2 || s.SendFailed != 2 || s.ResponseFailed != 2 {
		t.Fatalf("ok/send failed/response failed = %d/%d/%d, want 2/2/2", s.OK, s.SendFailed, s.ResponseFailed)
	}
}

func TestRunStopsOnDurationAndCountsNoCutShortSend(t *testing.T) {
	var st Stats
	elapsed := Run(context.Background(), Config{Workers: 3, Duration: 50 * time.Millisecond}, &st, func(ctx context.Context, _ int, _ int64) error {
		<-ctx.Done() // a send that only ends with the run
		return ctx.Err()
	})
	if elapsed < 50*time.Millisecond {
		t.Fatalf("run ended after %v, before its 50ms duration", elapsed)
	}
	if s := st.Snapshot(); s.OK+s.SendFailed+s.ResponseFailed != 0 {
		t.Fatalf("sends cut short by the end of the run were counted: %+v", s)
	}
}

func TestBetween(t *testing.T) {
	t0 := time.Now()
	prev := Snapshot{At: t0, OK: 100, RTSum: time.Second}
	cur := Snapshot{At: t0.Add(2 * time.Second), OK: 300, RTSum: 3 * time.Second, MaxRT: 40 * time.Millisecond, SendFailed: 1}
	iv := Between(prev, cur)
	if iv.TPS != 100 || iv.AvgRT != 10*time.Millisecond || iv.MaxRT != 40*time.Millisecond || iv.SendFailed != 1 {
		t.Fatalf("Between = %+v", iv)
	}
}
