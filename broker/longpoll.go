package broker

import (
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/store"
)

// pullHolds is long polling (upstream PullRequestHoldService): a pull that
// found nothing new is kept, unanswered, until a message for its queue
// arrives or its suspend time runs out, and is then run again, this time
// without the right to be held.
//
// Wake-ups come from the store's dispatcher (arrived), which must never
// block, so woken pulls go to a queue served by a few worker goroutines;
// expiry is a timer per held pull, so it fires on time rather than on a
// 5 s scan.
type pullHolds struct {
	b *Broker

	mu     sync.Mutex
	held   map[queueKey]map[*heldPull]struct{}
	ready  []*heldPull // woken, waiting for a worker
	closed bool

	wake chan struct{} // a worker should look at ready
	stop chan struct{}
	wg   sync.WaitGroup
}

type queueKey struct {
	topic string
	queue int32
}

// heldPull is one suspended PULL_MESSAGE.
type heldPull struct {
	conn   *remoting.Conn
	req    *remoting.Command
	hdr    protocol.PullMessageRequestHeader
	filter *messageFilter
	key    queueKey
	timer  *time.Timer
	taken  bool // removed from held by a wake-up or the timer; under mu
}

// holdWorkers run re-pulls; a re-pull is one store read and one write.
const holdWorkers = 4

func newPullHolds(b *Broker) *pullHolds {
	return &pullHolds{
		b:    b,
		held: map[queueKey]map[*heldPull]struct{}{},
		wake: make(chan struct{}, 1),
		stop: make(chan struct{}),
	}
}

func (h *pullHolds) start() {
	for range holdWorkers {
		h.wg.Add(1)
		go h.work()
	}
}

// shutdown drops every held pull (their connections are closing) and
// stops the workers.
func (h *pullHolds) shutdown() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	for _, set := range h.held {
		for hp := range set {
			hp.timer.Stop()
		}
	}
	h.held = nil
	h.ready = nil
	h.mu.Unlock()
	close(h.stop)
	h.wg.Wait()
}

// hold suspends a pull for d. It reports false when the broker is closing.
func (h *pullHolds) hold(hp *heldPull, d time.Duration) bool {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return false
	}
	set := h.held[hp.key]
	if set == nil {
		set = map[*heldPull]struct{}{}
		h.held[hp.key] = set
	}
	set[hp] = struct{}{}
	hp.timer = time.AfterFunc(d, func() { h.expire(hp) })
	h.mu.Unlock()
	// A message may have been dispatched between the read that found
	// nothing and the hold: look again so it is not missed.
	if max := h.b.store.MaxOffsetInQueue(hp.key.topic, hp.key.queue); max > hp.hdr.QueueOffset {
		h.takeIf(hp)
	}
	return true
}

// arrived is the store's dispatch hook: wake the pulls of the message's
// queue that wait below its offset and whose filter it passes.
func (h *pullHolds) arrived(a store.Arrival) {
	key := queueKey{a.Topic, a.QueueID}
	h.mu.Lock()
	set := h.held[key]
	woke := false
	for hp := range set {
		if hp.hdr.QueueOffset < a.NextOffset && hp.filter.matchArrival(a.TagsCode, a.Properties) {
			h.takeLocked(hp)
			woke = true
		}
	}
	h.mu.Unlock()
	if woke {
		h.signal()
	}
}

// dropConn forgets the pulls held for a closed connection, so a client
// that asked for a long suspend and left does not pin them until then.
func (h *pullHolds) dropConn(c *remoting.Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for key, set := range h.held {
		for hp := range set {
			if hp.conn == c {
				hp.taken = true
				hp.timer.Stop()
				delete(set, hp)
			}
		}
		if len(set) == 0 {
			delete(h.held, key)
		}
	}
}

// expire runs when a held pull's time is up.
func (h *pullHolds) expire(hp *heldPull) { h.takeIf(hp) }

func (h *pullHolds) takeIf(hp *heldPull) {
	h.mu.Lock()
	took := !hp.taken && !h.closed
	if took {
		h.takeLocked(hp)
	}
	h.mu.Unlock()
	if took {
		h.signal()
	}
}

// takeLocked moves hp from held to ready; h.mu must be held.
func (h *pullHolds) takeLocked(hp *heldPull) {
	if hp.taken {
		return
	}
	hp.taken = true
	hp.timer.Stop()
	set := h.held[hp.key]
	delete(set, hp)
	if len(set) == 0 {
		delete(h.held, hp.key)
	}
	h.ready = append(h.ready, hp)
}

func (h *pullHolds) signal() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// heldCount is the number of suspended pulls (for tests and stats).
func (h *pullHolds) heldCount() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, set := range h.held {
		n += len(set)
	}
	return n
}

func (h *pullHolds) work() {
	defer h.wg.Done()
	for {
		h.mu.Lock()
		var hp *heldPull
		if len(h.ready) > 0 {
			hp = h.ready[0]
			h.ready[0] = nil
			h.ready = h.ready[1:]
			if len(h.ready) > 0 {
				h.signal() // let another worker help
			}
		}
		h.mu.Unlock()
		if hp != nil {
			h.b.repull(hp)
			continue
		}
		select {
		case <-h.stop:
			return
		case <-h.wake:
		}
	}
}
