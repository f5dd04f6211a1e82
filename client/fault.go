package client

import (
	"sync"
	"time"
)

// faultTolerance remembers brokers that failed or answered slowly and
// keeps producers away from them for a while (upstream MQFaultStrategy
// with LatencyFaultToleranceImpl): a latency of at least latencyMax[i]
// makes the broker unavailable for notAvailable[i]; a failure counts as a
// 30 s latency, so it is avoided for 10 minutes or until every other
// broker is avoided too.
type faultTolerance struct {
	now func() time.Time

	mu    sync.Mutex
	items map[string]time.Time // broker name -> available again at
}

var (
	latencyMax   = [...]time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 550 * time.Millisecond, time.Second, 2 * time.Second, 3 * time.Second, 15 * time.Second}
	notAvailable = [...]time.Duration{0, 0, 30 * time.Second, 60 * time.Second, 2 * time.Minute, 3 * time.Minute, 10 * time.Minute}
)

// failureLatency is the latency a failed send counts as (upstream isolation).
const failureLatency = 30 * time.Second

func newFaultTolerance() *faultTolerance {
	return &faultTolerance{now: time.Now, items: map[string]time.Time{}}
}

// update records one send to broker that took latency (failed: it did not
// succeed).
func (f *faultTolerance) update(broker string, latency time.Duration, failed bool) {
	if failed {
		latency = failureLatency
	}
	var d time.Duration
	for i := len(latencyMax) - 1; i >= 0; i-- {
		if latency >= latencyMax[i] {
			d = notAvailable[i]
			break
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if d == 0 {
		delete(f.items, broker)
		return
	}
	f.items[broker] = f.now().Add(d)
}

// available reports whether broker may be used now.
func (f *faultTolerance) available(broker string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	until, ok := f.items[broker]
	if !ok {
		return true
	}
	if !f.now().Before(until) {
		delete(f.items, broker)
		return true
	}
	return false
}

// selectQueue picks the next queue round-robin, preferring a broker that
// is available and is not lastBroker (the one the previous attempt of
// this send failed on), then one that is available, then any other than
// lastBroker, then any. f may be nil (latency fault tolerance off).
func selectQueue(info *publishInfo, lastBroker string, f *faultTolerance) MessageQueue {
	qs := info.queues
	n := uint32(len(qs))
	start := info.next.Add(1)
	if f != nil {
		for i := range n {
			q := qs[(start+i)%n]
			if q.BrokerName != lastBroker && f.available(q.BrokerName) {
				return q
			}
		}
		for i := range n {
			q := qs[(start+i)%n]
			if f.available(q.BrokerName) {
				return q
			}
		}
	}
	if lastBroker != "" {
		for i := range n {
			q := qs[(start+i)%n]
			if q.BrokerName != lastBroker {
				return q
			}
		}
	}
	return qs[start%n]
}
