package loadgen

import (
	"context"
	"sync"
	"time"
)

// AsyncSendFunc starts one send and returns without waiting for it; done
// must be called exactly once with the outcome, unless AsyncSendFunc
// itself returns an error (the send never started).
type AsyncSendFunc func(ctx context.Context, seq int64, done func(error)) error

// RunAsync is upstream's asynchronous benchmark: one goroutine starts
// sends without waiting for them, keeping at most window in flight (its
// flow control), until cfg.Quantity sends or cfg.Duration; each send's
// round trip is recorded when it completes. It waits up to drain for the
// sends still in flight and returns how long the run took.
func RunAsync(ctx context.Context, cfg Config, window int, drain time.Duration, st *Stats, send AsyncSendFunc) time.Duration {
	window = max(window, 1)
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	slots := make(chan struct{}, window)
	var inflight sync.WaitGroup
	start := time.Now()
	for seq := int64(0); cfg.Quantity == 0 || seq < cfg.Quantity; seq++ {
		select {
		case <-ctx.Done():
		case slots <- struct{}{}:
		}
		if ctx.Err() != nil {
			break
		}
		t0 := time.Now()
		inflight.Add(1)
		var once sync.Once
		err := send(ctx, seq, func(err error) {
			once.Do(func() {
				st.Record(time.Since(t0), err)
				<-slots
				inflight.Done()
			})
		})
		if err != nil {
			st.Record(time.Since(t0), err)
			<-slots
			inflight.Done()
		}
	}
	drained := make(chan struct{})
	go func() {
		inflight.Wait()
		close(drained)
	}()
	t := time.NewTimer(drain)
	defer t.Stop()
	select {
	case <-drained:
	case <-t.C: // the rest are abandoned: their callbacks still record, after the summary
	}
	return time.Since(start)
}
