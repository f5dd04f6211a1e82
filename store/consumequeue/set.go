package consumequeue

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"

	"github.com/rocketgo/rocketgo/store/segment"
)

// Set holds every consume queue under one root directory, keyed by topic and
// queue id. It is safe for concurrent use.
type Set struct {
	root string

	mu     sync.RWMutex
	opts   Options // Syncer changes with SetSyncer
	queues map[string]map[int32]*Queue
}

// Load opens every queue under root (<store>/consumequeue), creating root if
// needed. Topic directories hold one directory per queue id; entries whose
// names are not integers are skipped, as upstream does. unitsPerFile <= 0
// means DefaultUnitsPerFile.
func Load(root string, unitsPerFile int) (*Set, error) {
	return LoadWith(root, Options{UnitsPerFile: unitsPerFile})
}

// LoadWith is Load with Options applied to every queue, loaded or created.
func LoadWith(root string, opts Options) (*Set, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("load consume queues: %w", err)
	}
	s := &Set{root: root, opts: opts, queues: make(map[string]map[int32]*Queue)}
	topics, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("load consume queues: %w", err)
	}
	for _, t := range topics {
		if !t.IsDir() || checkTopic(t.Name()) != nil {
			continue
		}
		ids, err := os.ReadDir(filepath.Join(root, t.Name()))
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("load consume queues: %w", err)
		}
		for _, d := range ids {
			id, err := strconv.ParseInt(d.Name(), 10, 32)
			if !d.IsDir() || err != nil || id < 0 {
				continue
			}
			q, err := OpenWith(root, t.Name(), int32(id), opts)
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("load consume queues: %w", err)
			}
			s.add(q)
		}
	}
	return s, nil
}

func (s *Set) add(q *Queue) {
	m := s.queues[q.topic]
	if m == nil {
		m = make(map[int32]*Queue)
		s.queues[q.topic] = m
	}
	m[q.queueID] = q
}

// Root is the directory holding the topics.
func (s *Set) Root() string { return s.root }

// Get returns the queue, or nil when it does not exist.
func (s *Set) Get(topic string, queueID int32) *Queue {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.queues[topic][queueID]
}

// GetOrCreate returns the queue, creating its directory when it is new.
func (s *Set) GetOrCreate(topic string, queueID int32) (*Queue, error) {
	if q := s.Get(topic, queueID); q != nil {
		return q, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.queues[topic][queueID]; q != nil {
		return q, nil
	}
	q, err := OpenWith(s.root, topic, queueID, s.opts)
	if err != nil {
		return nil, err
	}
	s.add(q)
	return q, nil
}

// Queues returns a snapshot of every queue, sorted by topic then queue id.
func (s *Set) Queues() []*Queue {
	s.mu.RLock()
	out := make([]*Queue, 0, len(s.queues))
	for _, m := range s.queues {
		for _, q := range m {
			out = append(out, q)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].topic != out[j].topic {
			return out[i].topic < out[j].topic
		}
		return out[i].queueID < out[j].queueID
	})
	return out
}

// Each calls fn for every queue (a snapshot, in Queues order) until fn
// returns false.
func (s *Set) Each(fn func(*Queue) bool) {
	for _, q := range s.Queues() {
		if !fn(q) {
			return
		}
	}
}

// Remove deletes every queue of topic and its directory.
func (s *Set) Remove(topic string) error {
	if err := checkTopic(topic); err != nil {
		return err
	}
	s.mu.Lock()
	m := s.queues[topic]
	delete(s.queues, topic)
	s.mu.Unlock()
	var errs []error
	for _, q := range m {
		if err := q.Destroy(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := os.RemoveAll(filepath.Join(s.root, topic)); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove consume queues of %s: %w", topic, err)
	}
	return nil
}

// RemoveQueue deletes one queue of topic and its directory, and the
// topic's directory when no queue is left; it reports whether the queue
// existed.
func (s *Set) RemoveQueue(topic string, queueID int32) (bool, error) {
	if err := checkTopic(topic); err != nil {
		return false, err
	}
	s.mu.Lock()
	q := s.queues[topic][queueID]
	if q != nil {
		delete(s.queues[topic], queueID)
	}
	last := len(s.queues[topic]) == 0
	if last {
		delete(s.queues, topic)
	}
	s.mu.Unlock()
	if q == nil {
		return false, nil
	}
	var errs []error
	if err := q.Destroy(); err != nil {
		errs = append(errs, err)
	}
	if err := os.RemoveAll(filepath.Join(s.root, topic, strconv.Itoa(int(queueID)))); err != nil {
		errs = append(errs, err)
	}
	if last {
		// Only an empty directory goes: a queue created meanwhile keeps it.
		if err := os.Remove(filepath.Join(s.root, topic)); err != nil && !errors.Is(err, os.ErrNotExist) && !isNotEmpty(err) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return true, fmt.Errorf("remove consume queue %s-%d: %w", topic, queueID, err)
	}
	return true, nil
}

func isNotEmpty(err error) bool {
	var pe *os.PathError
	return errors.As(err, &pe) && (errors.Is(pe.Err, syscall.ENOTEMPTY) || errors.Is(pe.Err, syscall.EEXIST))
}

// SetSyncer passes a fault-injection syncer to every current and future queue.
func (s *Set) SetSyncer(sy segment.Syncer) {
	s.mu.Lock()
	s.opts.Syncer = sy
	s.mu.Unlock()
	for _, q := range s.Queues() {
		q.SetSyncer(sy)
	}
}

// MaxPhyOffset is the largest MaxPhyOffset over all queues (0 when none).
func (s *Set) MaxPhyOffset() int64 {
	var m int64
	for _, q := range s.Queues() {
		m = max(m, q.MaxPhyOffset())
	}
	return m
}

// Truncate truncates every queue to the commit log end maxPhyOffset.
func (s *Set) Truncate(maxPhyOffset int64) error {
	var errs []error
	for _, q := range s.Queues() {
		if err := q.Truncate(maxPhyOffset); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// CorrectMinOffset runs CorrectMinOffset on every queue.
func (s *Set) CorrectMinOffset(minPhyOffset int64) {
	for _, q := range s.Queues() {
		q.CorrectMinOffset(minPhyOffset)
	}
}

// DeleteBefore expires files in every queue; it returns the files deleted.
func (s *Set) DeleteBefore(minPhyOffset int64) (int, error) {
	total := 0
	var errs []error
	for _, q := range s.Queues() {
		n, err := q.DeleteBefore(minPhyOffset)
		total += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	return total, errors.Join(errs...)
}

// Flush syncs every queue.
func (s *Set) Flush() error { return s.FlushLeast(0) }

// FlushLeast syncs, in every queue, files with at least leastPages dirty pages.
func (s *Set) FlushLeast(leastPages int) error {
	var errs []error
	for _, q := range s.Queues() {
		if err := q.FlushLeast(leastPages); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Destroy deletes every queue (when the commit log has no segments left).
func (s *Set) Destroy() error {
	var errs []error
	for topic, m := range s.takeAll() {
		for _, q := range m {
			if err := q.Destroy(); err != nil {
				errs = append(errs, err)
			}
		}
		if err := os.RemoveAll(filepath.Join(s.root, topic)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close closes every queue.
func (s *Set) Close() error {
	var errs []error
	for _, m := range s.takeAll() {
		for _, q := range m {
			if err := q.Close(); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// takeAll empties the set and returns what it held.
func (s *Set) takeAll() map[string]map[int32]*Queue {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := s.queues
	s.queues = make(map[string]map[int32]*Queue)
	return all
}
