package store

import "time"

// PutDone receives the result of an asynchronous put. It runs exactly once:
// in the putting goroutine when the result is known before the put returns
// (a refusal, ASYNC_FLUSH, WAIT=false, a flush already done), otherwise in
// the SYNC_FLUSH flusher or its watchdog, which it must not block: hand the
// result on (queue a response) and return.
type PutDone func(PutResult)

// PutMessageAsync is PutMessage without the wait: it appends the message
// and returns, and done gets the result once the flush the configuration
// and the WAIT flag ask for is done or has timed out. Under SYNC_FLUSH the
// group commit answers every put its fsync covered, so a caller need not
// hold a goroutine per message waiting for the disk.
//
// On a SYNC_MASTER with a replica waiter the put waits (flush and replica)
// before it returns, as PutMessage does, and then calls done.
func (s *Store) PutMessageAsync(in *MessageInput, done PutDone) {
	begin := time.Now()
	res, wait := s.appendMessage(in)
	s.finishPutAsync(pendingPut{res: res, topic: in.Topic, begin: begin, done: done}, wait)
}

// PutMessagesAsync is PutMessages without the wait, as PutMessageAsync.
func (s *Store) PutMessagesAsync(in *BatchInput, done PutDone) {
	begin := time.Now()
	res := s.appendMessages(in)
	s.finishPutAsync(pendingPut{res: res, topic: in.Topic, begin: begin, done: done}, in.WaitStoreMsgOK)
}

// pendingPut is an appended message whose answer waits for a flush.
type pendingPut struct {
	res      PutResult
	topic    string
	begin    time.Time
	deadline time.Time // FLUSH_DISK_TIMEOUT after this
	done     PutDone
	flush    PutStatus // the flush outcome, once known
}

// end is the commit log offset the flush must reach.
func (p *pendingPut) end() int64 { return p.res.WroteOffset + int64(p.res.WroteBytes) }

func (s *Store) finishPutAsync(p pendingPut, wait bool) {
	switch {
	case p.res.Status != PutOK:
		s.completePut(&p, PutOK) // refused: nothing to wait for
	case wait && s.replica.Load() != nil && s.Role() == SyncMaster:
		s.finishPut(&p.res, wait) // the replica wait blocks
		s.completePut(&p, PutOK)
	case !wait:
		s.flusher.flushFor(p.end(), false)
		s.completePut(&p, PutOK)
	default:
		s.flusher.flushLater(p)
	}
}

// completePut answers an asynchronous put with the flush status.
func (s *Store) completePut(p *pendingPut, flush PutStatus) {
	s.setFlushStatus(&p.res, flush)
	s.stats.recordPut(p.topic, p.res, time.Since(p.begin))
	p.done(p.res)
}
