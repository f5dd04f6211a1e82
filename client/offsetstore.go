package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// offsetStore keeps a consumer group's consumed offsets: in memory as
// consumption goes on, and persistently (on the brokers for clustering,
// in a local file for broadcasting) every PersistConsumerOffsetInterval
// and at shutdown. An offset is the next one to consume.
type offsetStore interface {
	// load reads what is persisted locally (the file store).
	load() error
	// update sets mq's offset in memory; increaseOnly never moves it back.
	update(mq MessageQueue, offset int64, increaseOnly bool)
	// read returns mq's offset in memory.
	read(mq MessageQueue) (int64, bool)
	// readStore reads mq's persisted offset, keeps it in memory and
	// returns it; -1 when none is persisted.
	readStore(ctx context.Context, mq MessageQueue) (int64, error)
	// persistAll persists the offsets of mqs.
	persistAll(ctx context.Context, mqs []MessageQueue) error
	// persist persists mq's offset.
	persist(ctx context.Context, mq MessageQueue) error
	// remove forgets mq's offset in memory.
	remove(mq MessageQueue)
	// snapshot returns the offsets in memory.
	snapshot() map[MessageQueue]int64
}

// memOffsets is the in-memory table both stores keep.
type memOffsets struct {
	mu sync.Mutex
	m  map[MessageQueue]int64
}

func (t *memOffsets) update(mq MessageQueue, offset int64, increaseOnly bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[MessageQueue]int64{}
	}
	if old, ok := t.m[mq]; ok && increaseOnly && offset < old {
		return
	}
	t.m[mq] = offset
}

func (t *memOffsets) read(mq MessageQueue) (int64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	off, ok := t.m[mq]
	return off, ok
}

func (t *memOffsets) remove(mq MessageQueue) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, mq)
}

// snapshot returns a copy of the table.
func (t *memOffsets) snapshot() map[MessageQueue]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[MessageQueue]int64, len(t.m))
	for k, v := range t.m {
		out[k] = v
	}
	return out
}

// remoteOffsets stores a clustering group's offsets on the brokers
// (upstream RemoteBrokerOffsetStore). Upstream commits with oneway
// requests; these are sync, so a failure is logged and a commit at
// shutdown is known to have arrived.
type remoteOffsets struct {
	memOffsets
	in    *instance
	group string
}

func newRemoteOffsets(in *instance, group string) *remoteOffsets {
	return &remoteOffsets{in: in, group: group}
}

func (s *remoteOffsets) load() error { return nil }

func (s *remoteOffsets) readStore(ctx context.Context, mq MessageQueue) (int64, error) {
	off, err := s.in.consumerOffset(ctx, s.group, mq)
	if err != nil {
		return 0, err
	}
	if off >= 0 {
		s.update(mq, off, false)
	}
	return off, nil
}

func (s *remoteOffsets) persistAll(ctx context.Context, mqs []MessageQueue) error {
	keep := make(map[MessageQueue]bool, len(mqs))
	for _, mq := range mqs {
		keep[mq] = true
	}
	var errs []error
	for mq, off := range s.snapshot() {
		if !keep[mq] {
			continue
		}
		if err := s.in.commitOffset(ctx, s.group, mq, off); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *remoteOffsets) persist(ctx context.Context, mq MessageQueue) error {
	off, ok := s.read(mq)
	if !ok {
		return nil
	}
	if err := s.in.commitOffset(ctx, s.group, mq, off); err != nil {
		return fmt.Errorf("client: persist offset %d of %s: %w", off, mq, err)
	}
	return nil
}
