package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/rocketgo/rocketgo/store/jsonfile"
)

// ExpiredQueue is a consume queue removed by CleanExpiredQueues.
type ExpiredQueue struct {
	Topic     string
	QueueID   int32
	MaxOffset int64 // the queue offset its next message gets
	LastPhy   int64 // commit log end of its last message, at or below the commit log's min offset
}

// CleanExpiredQueues is upstream's cleanExpiredConsumerQueue (mqadmin
// cleanExpiredCQ): it removes every consume queue whose last message lies
// below the commit log's first offset, so that none of its messages can be
// read any more, and with its last queue the topic's directory. The
// schedule topic is spared, as upstream spares it. Queues with no message
// at all (just created) are left alone. Queues of a topic whose queue
// count an admin lowered are not treated apart: upstream removes them by
// the same rule, once their messages have expired.
//
// Deliberately unlike upstream, which forgets the queue's offsets so its
// next message starts again at queue offset 0, the queue keeps its
// logical offsets: its next message gets the old max offset (also after a
// restart, through expiredQueueOffsets.json in the config directory), so
// the offsets consumers committed stay valid instead of pointing past the
// end of a restarted queue. Until that message, reads see an empty queue
// whose min and max are the kept offset: a pull below it is moved up to
// it (OFFSET_TOO_SMALL), not back to 0.
func (s *Store) CleanExpiredQueues(ctx context.Context) ([]ExpiredQueue, error) {
	s.putMu.Lock()
	defer s.putMu.Unlock()
	if err := s.WaitDispatched(ctx); err != nil {
		return nil, fmt.Errorf("clean expired consume queues: %w", err)
	}
	minPhy := s.commitLog.MinOffset()
	var (
		removed []ExpiredQueue
		errs    []error
	)
	for _, q := range s.queues.Queues() {
		last := q.MaxPhyOffset()
		if q.Topic() == ScheduleTopic || last <= 0 || last > minPhy {
			continue
		}
		eq := ExpiredQueue{Topic: q.Topic(), QueueID: q.QueueID(), MaxOffset: q.MaxOffset(), LastPhy: last}
		key := queueKey{eq.Topic, eq.QueueID}
		eq.MaxOffset = max(eq.MaxOffset, s.queueOffsets[key])
		// Remembered first: a reader that no longer finds the queue finds
		// its kept offset.
		s.expiredOffsets.remember(eq)
		if _, err := s.queues.RemoveQueue(eq.Topic, eq.QueueID); err != nil {
			errs = append(errs, err)
		}
		// Puts wait on putMu; the next one to this queue continues here.
		s.queueOffsets[key] = eq.MaxOffset
		removed = append(removed, eq)
		s.log.Info("expired consume queue removed", "topic", eq.Topic, "queue", eq.QueueID,
			"maxOffset", eq.MaxOffset, "lastPhyOffset", last, "minPhyOffset", minPhy)
	}
	if len(removed) == 0 {
		return nil, errors.Join(errs...)
	}
	s.dispatcher.topicsGen.Add(1) // its cache holds the destroyed queues
	if err := s.expiredOffsets.persist(); err != nil {
		errs = append(errs, err)
	}
	return removed, errors.Join(errs...)
}

// expiredOffsets remembers the next queue offset of queues removed by
// CleanExpiredQueues, in <config>/expiredQueueOffsets.json, so a restart
// that rebuilds the queue offsets from the consume queues does not start
// those queues again at 0. An entry is dropped when its topic is deleted.
type expiredOffsets struct {
	path string

	mu      sync.Mutex
	offsets map[string]map[int32]int64 // topic -> queue id -> next offset
}

type expiredOffsetsFile struct {
	Offsets map[string]map[string]int64 `json:"offsets"`
}

// loadExpiredOffsets reads the file in configDir (or its backup); a
// missing file is an empty table.
func loadExpiredOffsets(configDir string) (*expiredOffsets, error) {
	e := &expiredOffsets{path: filepath.Join(configDir, "expiredQueueOffsets.json"), offsets: map[string]map[int32]int64{}}
	var f expiredOffsetsFile
	if _, err := jsonfile.Read(e.path, &f); err != nil {
		return nil, fmt.Errorf("load expired queue offsets: %w", err)
	}
	for topic, byID := range f.Offsets {
		for id, off := range byID {
			n, err := strconv.ParseInt(id, 10, 32)
			if err != nil || n < 0 || off < 0 {
				return nil, fmt.Errorf("load expired queue offsets: %s: queue %q offset %d is not a queue id and offset", e.path, id, off)
			}
			if e.offsets[topic] == nil {
				e.offsets[topic] = map[int32]int64{}
			}
			e.offsets[topic][int32(n)] = off
		}
	}
	return e, nil
}

// each calls fn for every remembered queue.
func (e *expiredOffsets) each(fn func(topic string, id int32, next int64)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for topic, byID := range e.offsets {
		for id, off := range byID {
			fn(topic, id, off)
		}
	}
}

// next is the kept offset of a removed queue.
func (e *expiredOffsets) next(topic string, id int32) (int64, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	off, ok := e.offsets[topic][id]
	return off, ok
}

// remember keeps q's offset in memory; persist writes the table.
func (e *expiredOffsets) remember(q ExpiredQueue) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.offsets[q.Topic] == nil {
		e.offsets[q.Topic] = map[int32]int64{}
	}
	e.offsets[q.Topic][q.QueueID] = q.MaxOffset
}

func (e *expiredOffsets) persist() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.persistLocked()
}

// forget drops the topics' entries (their topic was deleted: a new topic of
// the same name starts at 0, as upstream).
func (e *expiredOffsets) forget(topics []string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := len(e.offsets)
	for _, t := range topics {
		delete(e.offsets, t)
	}
	if len(e.offsets) == n {
		return nil
	}
	return e.persistLocked()
}

func (e *expiredOffsets) persistLocked() error {
	f := expiredOffsetsFile{Offsets: make(map[string]map[string]int64, len(e.offsets))}
	for topic, byID := range e.offsets {
		m := make(map[string]int64, len(byID))
		for id, off := range maps.All(byID) {
			m[strconv.Itoa(int(id))] = off
		}
		f.Offsets[topic] = m
	}
	if err := jsonfile.Write(e.path, &f); err != nil {
		return fmt.Errorf("persist expired queue offsets: %w", err)
	}
	return nil
}

// restoreExpiredOffsets sets the next offset of remembered queues that
// have no consume queue (yet); putMu must be held. A queue that exists
// again counts from its own max offset, which is not below the entry.
func (s *Store) restoreExpiredOffsets() {
	s.expiredOffsets.each(func(topic string, id int32, next int64) {
		k := queueKey{topic, id}
		if q := s.queues.Get(topic, id); q == nil || q.MaxOffset() < next {
			s.queueOffsets[k] = max(s.queueOffsets[k], next)
		}
	})
}
