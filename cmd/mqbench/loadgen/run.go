package loadgen

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// ErrResponse marks a send whose request reached the server and was
// refused (upstream's "response failed", an MQBrokerException); any other
// error counts as "send failed". Wrap it: fmt.Errorf("%w: %v", ErrResponse, err).
var ErrResponse = errors.New("server refused")

// Stats counts a closed-loop send workload. Its methods are safe for
// concurrent use.
type Stats struct {
	ok, sendFailed, respFailed atomic.Int64
	rtSum                      atomic.Int64 // ns, for interval averages
	RT                         Histogram    // every acked send's round trip
}

// Snapshot is Stats read at one moment, for per-interval lines.
type Snapshot struct {
	At                             time.Time
	OK, SendFailed, ResponseFailed int64
	RTSum                          time.Duration
	MaxRT                          time.Duration // over the whole run, as upstream prints it
}

// Snapshot reads the counters.
func (s *Stats) Snapshot() Snapshot {
	s.RT.mu.Lock()
	maxRT := s.RT.max
	s.RT.mu.Unlock()
	return Snapshot{
		At: time.Now(), OK: s.ok.Load(), SendFailed: s.sendFailed.Load(),
		ResponseFailed: s.respFailed.Load(), RTSum: time.Duration(s.rtSum.Load()), MaxRT: maxRT,
	}
}

// Record counts one send that took rt and ended with err.
func (s *Stats) Record(rt time.Duration, err error) {
	switch {
	case err == nil:
		s.ok.Add(1)
		s.rtSum.Add(int64(rt))
		s.RT.Record(rt)
	case errors.Is(err, ErrResponse):
		s.respFailed.Add(1)
	default:
		s.sendFailed.Add(1)
	}
}

// Interval is what happened between two snapshots.
type Interval struct {
	TPS            float64       // acked sends per second
	AvgRT          time.Duration // mean round trip of those sends
	MaxRT          time.Duration // over the whole run
	SendFailed     int64         // totals so far, as upstream prints them
	ResponseFailed int64
}

// Between returns the rates from prev to cur.
func Between(prev, cur Snapshot) Interval {
	iv := Interval{MaxRT: cur.MaxRT, SendFailed: cur.SendFailed, ResponseFailed: cur.ResponseFailed}
	n := cur.OK - prev.OK
	if secs := cur.At.Sub(prev.At).Seconds(); secs > 0 {
		iv.TPS = float64(n) / secs
	}
	if n > 0 {
		iv.AvgRT = (cur.RTSum - prev.RTSum) / time.Duration(n)
	}
	return iv
}

// Config bounds a closed-loop run. With both Quantity and Duration zero
// it runs until ctx ends.
type Config struct {
	Workers  int           // goroutines sending at once
	Quantity int64         // total sends over all workers; 0 = unbounded
	Duration time.Duration // 0 = unbounded
	// FailurePause is how long a worker waits after a failed send before
	// the next, so a down server is not hammered; default 100 ms.
	FailurePause time.Duration
}

// SendFunc sends one message (or batch) and waits for its ack. worker is
// 0..Workers-1, seq counts that worker's sends from 0.
type SendFunc func(ctx context.Context, worker int, seq int64) error

// Run starts cfg.Workers goroutines that call send in a loop until the
// quantity or duration is reached or ctx ends, recording every call in st.
// The quantity is split as upstream's benchmark does: evenly, with the
// remainder on the first worker. It returns how long the run took.
func Run(ctx context.Context, cfg Config, st *Stats, send SendFunc) time.Duration {
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.FailurePause <= 0 {
		cfg.FailurePause = 100 * time.Millisecond
	}
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	quota := make([]int64, cfg.Workers)
	if cfg.Quantity > 0 {
		for i := range quota {
			quota[i] = cfg.Quantity / int64(cfg.Workers)
		}
		quota[0] += cfg.Quantity % int64(cfg.Workers)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for w := range cfg.Workers {
		if cfg.Quantity > 0 && quota[w] == 0 {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := int64(0); cfg.Quantity == 0 || seq < quota[w]; seq++ {
				if ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				err := send(ctx, w, seq)
				if err != nil && ctx.Err() != nil {
					return // cut short by the end of the run, not a failure
				}
				st.Record(time.Since(t0), err)
				if err != nil {
					select {
					case <-ctx.Done():
						return
					case <-time.After(cfg.FailurePause):
					}
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}

// Every calls f with the interval since the previous call every period
// until ctx ends; it returns when ctx ends.
func Every(ctx context.Context, period time.Duration, st *Stats, f func(Snapshot, Interval)) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	prev := st.Snapshot()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			cur := st.Snapshot()
			f(cur, Between(prev, cur))
			prev = cur
		}
	}
}
