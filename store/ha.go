package store

import (
	"errors"
	"fmt"

	"github.com/rocketgo/rocketgo/store/commitlog"
)

// ReplicaWaiter waits until a slave has acknowledged the commit log up to
// end and returns PutOK, FlushSlaveTimeout or SlaveNotAvailable. The ha
// package installs one on a SYNC_MASTER.
type ReplicaWaiter func(end int64) PutStatus

// replicaHolder boxes a ReplicaWaiter for an atomic pointer.
type replicaHolder struct{ wait ReplicaWaiter }

// SetReplicaWaiter installs (or, with nil, removes) the replication wait a
// SYNC_MASTER applies after the flush. Its status wins over the flush
// status, as upstream combines them.
func (s *Store) SetReplicaWaiter(w ReplicaWaiter) {
	if w == nil {
		s.replica.Store(nil)
		return
	}
	s.replica.Store(&replicaHolder{wait: w})
}

// CommitLogData returns a view of the commit log from offset to the
// readable end of the segment holding it (never crossing into the next
// segment), for replication. Release it when sent.
func (s *Store) CommitLogData(offset int64) (*RecordView, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	b, f, err := s.commitLog.Chunk(offset)
	if err != nil {
		return nil, err
	}
	return &RecordView{Bytes: b, file: f}, nil
}

// ErrNotContiguous is returned by AppendToCommitLog when the data does not
// start at the commit log's end.
var ErrNotContiguous = errors.New("store: replicated data does not start at the commit log end")

// AppendToCommitLog appends replicated bytes (whole records, as a master's
// CommitLogData returned them) at startOffset, which must be the current
// commit log end. It is how a slave's log grows; the dispatcher then builds
// its consume queues and index.
func (s *Store) AppendToCommitLog(startOffset int64, data []byte) error {
	if s.closed.Load() {
		return ErrClosed
	}
	s.putMu.Lock()
	defer s.putMu.Unlock()
	if end := s.commitLog.MaxOffset(); startOffset != end {
		return fmt.Errorf("%w: data at %d, log ends at %d", ErrNotContiguous, startOffset, end)
	}
	if err := s.commitLog.AppendRaw(startOffset, data); err != nil {
		return err
	}
	s.lastEnd.Store(startOffset + int64(len(data)))
	if ts, ok := lastStoreTime(data); ok {
		s.lastStoreTs.Store(max(ts, s.lastStoreTs.Load()))
	}
	s.dispatcher.wake()
	s.flusher.flushFor(startOffset+int64(len(data)), false)
	return nil
}

// lastStoreTime is the store time of the last whole record in data.
func lastStoreTime(data []byte) (int64, bool) {
	var ts int64
	found := false
	for len(data) > 0 {
		r, err := commitlog.Decode(data, false)
		if err != nil || r.IsBlank() {
			break
		}
		ts, found = r.StoreTimestamp, true
		data = data[r.Size:]
	}
	return ts, found
}
