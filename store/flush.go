package store

import (
	"sync"
	"sync/atomic"
	"time"
)

// flusher is the commit log flush policy a put goes through.
type flusher interface {
	// flushFor is called after a record ending at end was appended. wait is
	// the message's WAIT flag. It returns PutOK or FlushDiskTimeout.
	flushFor(end int64, wait bool) PutStatus
	// flushLater is flushFor(end, true) for an asynchronous put: it returns
	// at once and completes p (Store.completePut) when the wait is over.
	flushLater(p pendingPut)
}

// groupCommit is SYNC_FLUSH: writers that need durability register and
// wait; one goroutine syncs everything appended so far and wakes every
// waiter its sync covered. Many concurrent writers thus share one fsync.
//
// Waiters sleep on a condition variable that is broadcast after every flush
// pass and by the watchdog every 10 ms while anyone waits, so a hung sync
// still lets writers time out with FLUSH_DISK_TIMEOUT. Nothing is allocated
// per put.
//
// Asynchronous puts (flushLater) wait in pending instead of in a goroutine:
// after every flush pass the flusher completes those its sync covered (or
// whose sync failed), the watchdog completes those past their deadline, and
// the flusher's last pass on stop completes the rest, so each is answered
// exactly once. Their callbacks run outside mu.
type groupCommit struct {
	s       *Store
	timeout time.Duration

	kick    chan struct{} // wakes the flusher; capacity 1
	watchOn chan struct{} // wakes the watchdog; capacity 1
	waiters atomic.Int32

	flushed atomic.Int64 // commit log offset known durable
	failed  atomic.Int64 // writers at or below this saw their flush fail
	stopped atomic.Bool  // the flusher has made its last attempt

	mu      sync.Mutex
	cond    *sync.Cond   // on mu: flushed, failed or the clock moved
	pending []pendingPut // on mu: asynchronous puts not answered yet

	flushReady, watchReady []pendingPut // completion buffers of run and watch
}

func newGroupCommit(s *Store) *groupCommit {
	g := &groupCommit{
		s:       s,
		timeout: time.Duration(s.opts.SyncFlushTimeout) * time.Millisecond,
		kick:    make(chan struct{}, 1),
		watchOn: make(chan struct{}, 1),
	}
	g.cond = sync.NewCond(&g.mu)
	g.flushed.Store(s.commitLog.Segments().FlushedOffset())
	g.failed.Store(-1)
	return g
}

// broadcast wakes every waiter to re-check its condition.
func (g *groupCommit) broadcast() {
	g.mu.Lock()
	g.cond.Broadcast()
	g.mu.Unlock()
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (g *groupCommit) flushFor(end int64, wait bool) PutStatus {
	signal(g.kick)
	if !wait {
		return PutOK
	}
	deadline := time.Now().Add(g.timeout)
	if g.waiters.Add(1) == 1 {
		signal(g.watchOn)
	}
	defer g.waiters.Add(-1)
	g.mu.Lock()
	defer g.mu.Unlock()
	for {
		switch {
		case g.flushed.Load() >= end:
			return PutOK
		case g.failed.Load() >= end, g.stopped.Load(), !time.Now().Before(deadline):
			return FlushDiskTimeout
		}
		g.cond.Wait()
	}
}

func (g *groupCommit) flushLater(p pendingPut) {
	p.deadline = p.begin.Add(g.timeout)
	end := p.end()
	g.mu.Lock()
	switch {
	case g.flushed.Load() >= end:
		p.flush = PutOK
	case g.failed.Load() >= end, g.stopped.Load():
		p.flush = FlushDiskTimeout
	default:
		g.pending = append(g.pending, p)
		first := g.waiters.Add(1) == 1 // under mu: complete subtracts after
		g.mu.Unlock()
		if first {
			signal(g.watchOn)
		}
		signal(g.kick)
		return
	}
	g.mu.Unlock()
	g.s.completePut(&p, p.flush)
}

// complete answers the pending puts that are done: flushed, failed, past
// their deadline at now, or all of them when the flusher has stopped. buf
// is the caller's reusable buffer; callbacks run after mu is released.
func (g *groupCommit) complete(buf *[]pendingPut, now time.Time) {
	g.mu.Lock()
	flushed, failed, stopped := g.flushed.Load(), g.failed.Load(), g.stopped.Load()
	keep := g.pending[:0]
	for _, p := range g.pending {
		switch end := p.end(); {
		case flushed >= end:
			p.flush = PutOK
		case failed >= end, stopped, !now.Before(p.deadline):
			p.flush = FlushDiskTimeout
		default:
			keep = append(keep, p)
			continue
		}
		*buf = append(*buf, p)
	}
	clear(g.pending[len(keep):])
	g.pending = keep
	g.mu.Unlock()
	if len(*buf) == 0 {
		return
	}
	g.waiters.Add(-int32(len(*buf)))
	for i := range *buf {
		g.s.completePut(&(*buf)[i], (*buf)[i].flush)
	}
	clear(*buf)
	*buf = (*buf)[:0]
}

// run is the flusher goroutine: on a kick, or every 10 ms, sync everything
// appended so far. On stop it flushes one last time.
func (g *groupCommit) run(stop <-chan struct{}) {
	t := time.NewTimer(10 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			g.flushOnce()
			g.mu.Lock()
			g.stopped.Store(true) // nobody will flush for the waiters left
			g.cond.Broadcast()
			g.mu.Unlock()
			g.complete(&g.flushReady, time.Now())
			return
		case <-g.kick:
		case <-t.C:
		}
		g.flushOnce()
		t.Reset(10 * time.Millisecond)
	}
}

func (g *groupCommit) flushOnce() {
	segs := g.s.commitLog.Segments()
	ts, target := g.s.lastStoreTs.Load(), segs.MaxOffset()
	if g.flushed.Load() >= target {
		return
	}
	var off int64
	var err error
	// Upstream tries twice: a record may have just rolled to a new segment.
	for range 2 {
		if off, err = segs.Flush(); err == nil {
			break
		}
	}
	g.flushed.Store(off)
	if err != nil {
		g.failed.Store(target)
		g.s.log.Error("sync flush of the commit log failed", "flushed", off, "target", target, "err", err)
	} else if off >= g.s.lastEnd.Load() || off >= target {
		g.s.checkpoint.physic.Store(max(g.s.checkpoint.physic.Load(), ts))
	}
	g.broadcast()
	g.complete(&g.flushReady, time.Now())
}

// watch wakes waiters every 10 ms while there are any, so their deadlines
// are noticed even when a sync hangs.
func (g *groupCommit) watch(stop <-chan struct{}) {
	t := time.NewTimer(0)
	<-t.C
	for {
		select {
		case <-stop:
			g.broadcast()
			return
		case <-g.watchOn:
		}
		for g.waiters.Load() > 0 {
			t.Reset(10 * time.Millisecond)
			select {
			case <-stop:
				t.Stop()
				g.broadcast()
				return
			case <-t.C:
			}
			g.broadcast()
			g.complete(&g.watchReady, time.Now())
		}
	}
}

// asyncFlush is ASYNC_FLUSH: a goroutine syncs the commit log every
// flushIntervalCommitLog ms once flushCommitLogLeastPages pages are dirty,
// and everything every flushCommitLogThoroughInterval ms.
type asyncFlush struct {
	s    *Store
	kick chan struct{}
}

func newAsyncFlush(s *Store) *asyncFlush {
	return &asyncFlush{s: s, kick: make(chan struct{}, 1)}
}

func (a *asyncFlush) flushFor(end int64, wait bool) PutStatus {
	if !a.s.opts.FlushCommitLogTimed {
		signal(a.kick)
	}
	return PutOK
}

func (a *asyncFlush) flushLater(p pendingPut) {
	a.flushFor(p.end(), true)
	a.s.completePut(&p, PutOK)
}

func (a *asyncFlush) run(stop <-chan struct{}) {
	o := &a.s.opts
	flushLoop(stop, a.kick, o.FlushIntervalCommitLog, o.FlushCommitLogThoroughInterval, o.FlushCommitLogLeastPages, a.flush)
	a.flush(0)
}

// flushLoop calls flush every intervalMs (or on a kick) with leastPages,
// or with 0 once thoroughMs have passed since the last full flush, until
// stop is closed.
func flushLoop(stop <-chan struct{}, kick <-chan struct{}, intervalMs, thoroughMs, leastPages int, flush func(leastPages int)) {
	interval := time.Duration(intervalMs) * time.Millisecond
	thorough := time.Duration(thoroughMs) * time.Millisecond
	lastThorough := time.Now()
	t := time.NewTimer(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-kick:
		case <-t.C:
		}
		least := leastPages
		if time.Since(lastThorough) >= thorough {
			least, lastThorough = 0, time.Now()
		}
		flush(least)
		t.Reset(interval)
	}
}

func (a *asyncFlush) flush(leastPages int) {
	segs := a.s.commitLog.Segments()
	ts, end := a.s.lastStoreTs.Load(), a.s.lastEnd.Load()
	off, err := segs.FlushLeast(leastPages)
	if err != nil {
		a.s.log.Error("flush commit log", "flushed", off, "err", err)
		return
	}
	if off >= end && ts > 0 {
		a.s.checkpoint.physic.Store(max(a.s.checkpoint.physic.Load(), ts))
	}
}

// flushConsumeQueues is the consume queue flushing service: every
// flushIntervalConsumeQueue ms it syncs queues with enough dirty pages; every
// flushConsumeQueueThoroughInterval ms it syncs all queues and the index and
// writes the checkpoint.
func (s *Store) flushConsumeQueues(stop <-chan struct{}) {
	// Close flushes everything after the dispatcher stops.
	o := &s.opts
	flushLoop(stop, nil, o.FlushIntervalConsumeQueue, o.FlushConsumeQueueThoroughInterval, o.FlushConsumeQueueLeastPages, s.flushLogics)
}

// flushLogics flushes the consume queues (and, for a full pass, the index
// and the checkpoint).
func (s *Store) flushLogics(leastPages int) {
	logicsTs := s.dispatcher.lastStoreTs.Load()
	if err := s.queues.FlushLeast(leastPages); err != nil {
		s.log.Error("flush consume queues", "err", err)
		return
	}
	if leastPages > 0 {
		return
	}
	if s.index != nil {
		if err := s.index.Flush(); err != nil {
			s.log.Error("flush index", "err", err)
			return
		}
	}
	if logicsTs > 0 {
		s.checkpoint.logics.Store(max(s.checkpoint.logics.Load(), logicsTs))
	}
	if err := s.checkpoint.flush(); err != nil {
		s.log.Error("flush checkpoint", "err", err)
	}
}
