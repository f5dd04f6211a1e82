package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store/commitlog"
	"github.com/rocketgo/rocketgo/store/consumequeue"
)

// dispatcher is upstream's ReputMessageService: one goroutine follows the
// commit log from reputFrom and, for each record, writes the consume queue
// unit, the index entries and calls Options.MessageArrived.
type dispatcher struct {
	s       *Store
	scanner *commitlog.Scanner // owned by the dispatching goroutine (or Open before it starts)

	reputFrom   atomic.Int64 // next commit log offset to dispatch
	lastStoreTs atomic.Int64 // store time of the last dispatched message
	wakeCh      chan struct{}

	// queues caches consume queues by topic bytes and id, giving the
	// canonical topic string without a per-message allocation.
	queues    map[string]map[int32]*consumequeue.Queue
	topicsGen atomic.Int64 // bumped by DeleteTopics: the cache must be dropped
	seenGen   int64
	keyBuf    []byte

	notify   bool         // call MessageArrived; off for the catch-up inside Open
	waiting  atomic.Int32 // WaitDispatched callers
	mu       sync.Mutex
	progress chan struct{} // closed and replaced after a pass that moved reputFrom, if anyone waits
}

func newDispatcher(s *Store, from int64) *dispatcher {
	d := &dispatcher{
		s:        s,
		scanner:  s.commitLog.NewScanner(from, false),
		wakeCh:   make(chan struct{}, 1),
		queues:   make(map[string]map[int32]*consumequeue.Queue),
		progress: make(chan struct{}),
	}
	d.reputFrom.Store(from)
	return d
}

// wake tells the dispatcher new records were appended.
func (d *dispatcher) wake() { signal(d.wakeCh) }

// behind is the dispatch lag in bytes (upstream's dispatchBehindBytes).
func (d *dispatcher) behind() int64 {
	return max(d.s.commitLog.MaxOffset()-d.reputFrom.Load(), 0)
}

// waitProgress returns a channel closed at the next dispatch pass.
func (d *dispatcher) waitProgress() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.progress
}

func (d *dispatcher) run(stop <-chan struct{}) {
	d.notify = true // the store is open: held pulls may be woken from now on
	// A safety tick picks up records appended by paths that do not wake us.
	t := time.NewTimer(time.Second)
	defer t.Stop()
	for {
		select {
		case <-stop:
			d.dispatchAvailable() // Close waits for the last puts to be dispatched
			return
		case <-d.wakeCh:
		case <-t.C:
		}
		d.dispatchAvailable()
		t.Reset(time.Second)
	}
}

// dispatchAvailable dispatches every record readable now.
func (d *dispatcher) dispatchAvailable() {
	log := d.s.commitLog
	if gen := d.topicsGen.Load(); gen != d.seenGen {
		clear(d.queues)
		d.seenGen = gen
	}
	if min := log.MinOffset(); d.reputFrom.Load() < min {
		// Expiry removed what we had not reached; continue at the head.
		d.s.log.Warn("dispatch position below the commit log head, skipping ahead", "from", d.reputFrom.Load(), "min", min)
		d.scanner.Reset(min)
		d.reputFrom.Store(min)
	}
	moved := false
	for {
		for d.scanner.Next() {
			off := d.scanner.RecordOffset()
			d.dispatch(d.scanner.Record(), off)
			d.reputFrom.Store(d.scanner.Offset())
			moved = true
		}
		err := d.scanner.Err()
		if err == nil {
			// Readable end; the scanner may also have crossed blank records.
			if o := d.scanner.Offset(); o > d.reputFrom.Load() {
				d.reputFrom.Store(o)
				moved = true
			}
			break
		}
		if d.scanner.Skip() {
			d.s.log.Error("dispatch: skipping an invalid record of known size", "offset", d.scanner.Offset(), "err", err)
			continue
		}
		// Upstream's master skips the rest of the chunk; appends publish
		// whole records, so this is damage, not a record in flight.
		next := log.NextFileStart(d.scanner.Offset())
		end := log.MaxOffset()
		d.s.log.Error("dispatch: unreadable record, skipping to the next segment", "offset", d.scanner.Offset(), "err", err)
		if next > end {
			next = end
		}
		if next <= d.scanner.Offset() {
			break
		}
		d.scanner.Reset(next)
		d.reputFrom.Store(next)
		moved = true
	}
	if moved && d.waiting.Load() > 0 {
		d.mu.Lock()
		close(d.progress)
		d.progress = make(chan struct{})
		d.mu.Unlock()
	}
}

// dispatch builds the consume queue unit and index entries of one record.
func (d *dispatcher) dispatch(r *commitlog.Record, off int64) {
	req := r.Dispatch(off)
	if commitlog.IsDispatchedToQueue(req.SysFlag) {
		q, topic := d.queue(req.Topic, req.QueueID)
		if q != nil {
			tagsCode := req.TagsCode
			if topic == ScheduleTopic {
				tagsCode = d.deliverTime(req.Properties, req.StoreTimestamp)
			}
			d.putUnit(q, req.QueueOffset, req.PhyOffset, req.Size, tagsCode)
			d.lastStoreTs.Store(req.StoreTimestamp)
			if cb := d.s.opts.MessageArrived; cb != nil && d.notify {
				cb(Arrival{Topic: topic, QueueID: req.QueueID, NextOffset: req.QueueOffset + 1,
					TagsCode: tagsCode, StoreTimestamp: req.StoreTimestamp, Properties: req.Properties})
			}
		}
	}
	if d.s.index != nil && commitlog.TransactionType(req.SysFlag) != protocol.SysFlagTransactionRollback {
		d.indexKeys(&req)
	}
}

// putUnit writes a consume queue unit, retrying a failing write as upstream
// does (30 times, 1 s apart) before marking the store not writeable.
func (d *dispatcher) putUnit(q *consumequeue.Queue, cqOffset, phy int64, size int32, tagsCode int64) {
	for attempt := 1; ; attempt++ {
		err := q.Put(cqOffset, phy, size, tagsCode)
		if err == nil {
			if d.s.logicsError.Load() && attempt > 1 {
				d.s.logicsError.Store(false)
			}
			return
		}
		if errors.Is(err, consumequeue.ErrConflict) || errors.Is(err, consumequeue.ErrHoleTooLarge) {
			// The queue disagrees with the commit log; keep the queue as
			// it is and go on (the commit log is the truth, readers check).
			d.s.log.Error("dispatch: consume queue refused a unit", "topic", q.Topic(), "queue", q.QueueID(),
				"queueOffset", cqOffset, "phyOffset", phy, "err", err)
			return
		}
		d.s.log.Error("dispatch: write consume queue", "topic", q.Topic(), "queue", q.QueueID(), "attempt", attempt, "err", err)
		if attempt >= 30 || d.s.closed.Load() {
			d.s.logicsError.Store(true)
			return
		}
		time.Sleep(time.Second) // not a test synchronisation: upstream's retry pause for a failing disk
	}
}

// queue returns the consume queue for a topic view, creating it on first
// use, and the canonical topic string.
func (d *dispatcher) queue(topic []byte, id int32) (*consumequeue.Queue, string) {
	byID := d.queues[string(topic)] // no allocation for a map lookup
	if q := byID[id]; q != nil {
		return q, q.Topic()
	}
	name := string(topic)
	q, err := d.s.queues.GetOrCreate(name, id)
	if err != nil {
		d.s.log.Error("dispatch: create consume queue", "topic", name, "queue", id, "err", err)
		return nil, name
	}
	if byID == nil {
		byID = make(map[int32]*consumequeue.Queue)
		d.queues[name] = byID
	}
	byID[id] = q
	return q, q.Topic()
}

// deliverTime is the schedule topic's tags code: store time plus the
// delay of the message's level (upstream: +1 s for an unknown level).
func (d *dispatcher) deliverTime(props []byte, storeTs int64) int64 {
	v, ok := protocol.LookupProperty(props, protocol.PropertyDelayTimeLevel)
	if !ok {
		return 0
	}
	level, err := strconv.Atoi(string(v))
	if err != nil || level <= 0 {
		return 0
	}
	levels := d.s.st.delayLevels
	level = min(level, len(levels))
	return storeTs + levels[level-1].Milliseconds()
}

// indexKeys adds "topic#key" entries for UNIQ_KEY and each key in KEYS.
func (d *dispatcher) indexKeys(req *commitlog.DispatchRequest) {
	if len(req.UniqKey) > 0 {
		d.indexKey(req, req.UniqKey)
	}
	for k := range bytes.SplitSeq(req.Keys, []byte(protocol.KeySeparator)) {
		if len(k) > 0 {
			d.indexKey(req, k)
		}
	}
}

func (d *dispatcher) indexKey(req *commitlog.DispatchRequest, key []byte) {
	d.keyBuf = append(append(append(d.keyBuf[:0], req.Topic...), '#'), key...)
	// Put only hashes the key, so a view of the reused buffer saves a
	// string allocation per key.
	k := unsafe.String(unsafe.SliceData(d.keyBuf), len(d.keyBuf))
	if err := d.s.index.Put(k, req.PhyOffset, req.StoreTimestamp); err != nil {
		d.s.log.Error("dispatch: index key", "key", string(d.keyBuf), "phyOffset", req.PhyOffset, "err", err)
	}
}

// close releases the scanner's segment; the goroutine has stopped.
func (d *dispatcher) close() { d.scanner.Close() }

// WaitDispatched waits until every record appended before the call is in
// the consume queues and the index, or ctx ends.
func (s *Store) WaitDispatched(ctx context.Context) error {
	target := s.commitLog.MaxOffset()
	s.dispatcher.waiting.Add(1) // before reading progress: see dispatchAvailable
	defer s.dispatcher.waiting.Add(-1)
	for {
		ch := s.dispatcher.waitProgress()
		if s.dispatcher.reputFrom.Load() >= target {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("wait for dispatch to reach %d (at %d): %w", target, s.dispatcher.reputFrom.Load(), ctx.Err())
		}
	}
}

// DeleteTopics removes the consume queues of topics and forgets their queue
// offsets (upstream's deleteTopics, after DELETE_TOPIC_IN_BROKER). Their
// records stay in the commit log until they expire. Puts wait while the
// dispatcher finishes the records already appended.
func (s *Store) DeleteTopics(ctx context.Context, topics ...string) error {
	s.putMu.Lock()
	defer s.putMu.Unlock()
	if err := s.WaitDispatched(ctx); err != nil {
		return fmt.Errorf("delete topics: %w", err)
	}
	drop := make(map[string]bool, len(topics))
	for _, t := range topics {
		drop[t] = true
	}
	for k := range s.queueOffsets {
		if drop[k.topic] {
			delete(s.queueOffsets, k)
		}
	}
	var errs []error
	for _, t := range topics {
		if err := s.queues.Remove(t); err != nil {
			errs = append(errs, fmt.Errorf("delete topic %s: %w", t, err))
		}
		s.deletedTopics.Store(t, s.commitLog.MaxOffset())
	}
	s.dispatcher.topicsGen.Add(1)
	if err := s.expiredOffsets.forget(topics); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
