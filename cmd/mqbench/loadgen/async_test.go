package loadgen

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunAsyncKeepsTheWindowAndRecordsEveryOutcome(t *testing.T) {
	var st Stats
	var inflight, peak atomic.Int64
	RunAsync(context.Background(), Config{Quantity: 300}, 8, time.Minute, &st, func(_ context.Context, seq int64, done func(error)) error {
		if seq%100 == 99 {
			return errors.New("could not start") // done is never called
		}
		n := inflight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		go func() {
			inflight.Add(-1)
			if seq%50 == 0 {
				done(fmt.Errorf("%w: busy", ErrResponse))
				return
			}
			done(nil)
		}()
		return nil
	})
	s := st.Snapshot()
	if s.OK+s.SendFailed+s.ResponseFailed != 300 {
		t.Fatalf("recorded %d outcomes, want 300: %+v", s.OK+s.SendFailed+s.ResponseFailed, s)
	}
	if s.SendFailed != 3 || s.ResponseFailed != 6 {
		t.Fatalf("send failed %d, response failed %d; want 3 and 6", s.SendFailed, s.ResponseFailed)
	}
	if p := peak.Load(); p > 8 {
		t.Fatalf("%d sends in flight at once, window 8", p)
	}
}

func TestRunAsyncGivesUpOnLostCallbacks(t *testing.T) {
	var st Stats
	start := time.Now()
	RunAsync(context.Background(), Config{Quantity: 3}, 10, 50*time.Millisecond, &st, func(context.Context, int64, func(error)) error {
		return nil // the callbacks never come
	})
	if waited := time.Since(start); waited > 10*time.Second {
		t.Fatalf("RunAsync waited %v for callbacks that never came; drain was 50ms", waited)
	}
}
