package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rocketgo/rocketgo/store/commitlog"
	"github.com/rocketgo/rocketgo/store/consumequeue"
	"github.com/rocketgo/rocketgo/store/indexfile"
	"github.com/rocketgo/rocketgo/store/segment"
)

// ErrClosed is returned by reads on a closed store.
var ErrClosed = errors.New("store: closed")

// Store is the message store: the commit log, the consume queues and index
// built from it, and the services that flush, dispatch and expire them.
// All methods are safe for concurrent use.
type Store struct {
	opts  Options
	st    settings
	paths Paths
	log   *slog.Logger
	now   func() time.Time

	lockFile   *os.File
	commitLog  *commitlog.Log
	queues     *consumequeue.Set
	index      *indexfile.Index // nil when messageIndexEnable is false
	checkpoint *checkpoint
	totalRAM   int64

	// putMu is the put lock: it orders appends, assigns queue offsets and
	// store times. Lock order: putMu, then anything a leaf locks inside.
	putMu        sync.Mutex
	queueOffsets map[queueKey]int64 // upstream's topicQueueTable, under putMu
	lockBegin    atomic.Int64       // unix ns when the put lock was taken, 0 when free
	lastStoreTs  atomic.Int64       // store time of the last appended record
	lastEnd      atomic.Int64       // commit log end after that record

	commitLogSyncs atomic.Int64 // syncs of a commit log segment's dirty range

	role        atomic.Value // BrokerRole
	replica     atomic.Pointer[replicaHolder]
	closed      atomic.Bool
	limits      atomic.Pointer[sizeLimits]
	diskFull    atomic.Bool // set by the disk check; puts are refused
	logicsError atomic.Bool // the dispatcher could not write a consume queue

	deletedTopics  sync.Map        // topic -> commit log end when it was deleted (CheckConsistency skips older records)
	expiredOffsets *expiredOffsets // next offsets of queues removed by CleanExpiredQueues

	flusher    flusher
	dispatcher *dispatcher
	stats      *stats
	cleaner    *cleaner
	services   []*service // started in Open, stopped in reverse order by Close

	closeOnce sync.Once
	closeErr  error
}

type queueKey struct {
	topic string
	queue int32
}

// CommitLogSyncs counts the syncs of commit log segments since Open (a
// flush that spans two segments syncs both): under SYNC_FLUSH, messages
// stored divided by it is the group commit's batch size.
func (s *Store) CommitLogSyncs() int64 { return s.commitLogSyncs.Load() }

// Open opens (creating if needed) the store described by opts, recovers it
// and starts its services. Only one process may have a store open: the
// "lock" file under the root is locked while it is.
func Open(opts Options) (*Store, error) {
	st, err := opts.check()
	if err != nil {
		return nil, err
	}
	s := &Store{
		opts:         opts,
		st:           st,
		paths:        opts.Paths(),
		log:          opts.Logger,
		now:          opts.Now,
		queueOffsets: make(map[queueKey]int64),
		totalRAM:     opts.TotalPhysicalMemory,
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "store")
	if s.now == nil {
		s.now = time.Now
	}
	if s.totalRAM <= 0 {
		s.totalRAM = totalMemory()
	}
	s.role.Store(opts.BrokerRole)
	s.limits.Store(newSizeLimits(opts.MaxMessageSize, opts.MappedFileSizeCommitLog))
	if err := s.open(); err != nil {
		s.closed.Store(true)
		for i := len(s.services) - 1; i >= 0; i-- {
			s.services[i].shutdown()
		}
		s.closeFiles()
		if s.lockFile != nil {
			s.lockFile.Close()
		}
		return nil, err
	}
	return s, nil
}

func (s *Store) open() error {
	for _, dir := range []string{s.paths.Root, s.paths.Config} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("open store: %w", err)
		}
	}
	if err := s.lock(); err != nil {
		return err
	}
	_, err := os.Stat(s.paths.Abort)
	lastExitOK := errors.Is(err, os.ErrNotExist)

	if s.commitLog, err = commitlog.Open(s.paths.CommitLog, s.opts.MappedFileSizeCommitLog); err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	if s.opts.FlushDiskType == SyncFlush {
		// Small folios at the tail: a sync then writes the record's pages,
		// not the 2 MB folio around them (segment/advise.go).
		s.commitLog.Segments().AdviseRandomTail()
	}
	s.commitLog.Segments().StartWarming(0) // fault pages in ahead of appends, off the put lock
	if s.queues, err = consumequeue.Load(s.paths.ConsumeQueue, s.st.unitsPerCQ); err != nil {
		return fmt.Errorf("open store: load consume queues: %w", err)
	}
	if s.checkpoint, err = openCheckpoint(s.paths.Checkpoint); err != nil {
		return err
	}
	if s.expiredOffsets, err = loadExpiredOffsets(s.paths.Config); err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	syncer := s.opts.Syncer
	if syncer == nil {
		syncer = segment.Msync
	} else {
		s.queues.SetSyncer(syncer)
	}
	s.commitLog.Segments().SetSyncer(func(f *os.File, mapped []byte) error {
		s.commitLogSyncs.Add(1)
		return syncer(f, mapped)
	})
	reputFrom, err := s.recover(lastExitOK)
	if err != nil {
		return err
	}
	s.stats = newStats(s.now())
	s.dispatcher = newDispatcher(s, reputFrom)
	// Every record already in the log is dispatched before the first put,
	// so the queue offsets taken from the consume queues are complete.
	s.dispatcher.dispatchAvailable()
	s.rebuildQueueOffsets()

	if s.opts.FlushDiskType == SyncFlush {
		gc := newGroupCommit(s)
		s.flusher = gc
		s.start(gc.run)
		s.start(gc.watch)
	} else {
		af := newAsyncFlush(s)
		s.flusher = af
		s.start(af.run)
	}
	s.start(s.dispatcher.run)
	s.start(s.flushConsumeQueues)
	s.cleaner = newCleaner(s)
	s.start(s.cleaner.run)
	s.start(s.stats.run)

	if err := os.WriteFile(s.paths.Abort, nil, 0o644); err != nil {
		return fmt.Errorf("open store: create abort file: %w", err)
	}
	if err := syncDir(s.paths.Root); err != nil {
		s.log.Warn("sync store root after creating abort file", "err", err)
	}
	return nil
}

// lock takes an exclusive flock on <root>/lock and writes "lock" into it.
func (s *Store) lock() error {
	f, err := os.OpenFile(s.paths.Lock, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open store lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return fmt.Errorf("lock store %s: already open by another process or store (%w)", s.paths.Root, err)
	}
	if _, err := f.WriteAt([]byte("lock"), 0); err != nil {
		f.Close()
		return fmt.Errorf("write store lock: %w", err)
	}
	s.lockFile = f
	return nil
}

// rebuildQueueOffsets sets each queue's next offset from its consume queue.
func (s *Store) rebuildQueueOffsets() {
	s.putMu.Lock()
	defer s.putMu.Unlock()
	clear(s.queueOffsets)
	s.queues.Each(func(q *consumequeue.Queue) bool {
		s.queueOffsets[queueKey{q.Topic(), q.QueueID()}] = q.MaxOffset()
		return true
	})
	s.restoreExpiredOffsets()
}

// Close stops the services in order (no new puts; the dispatcher catches
// up; the commit log, consume queues and index are flushed), removes the
// abort file when everything was written out, and releases the files.
// Read views handed out earlier stay valid until released.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		// Wait for an append in progress.
		s.putMu.Lock()
		s.putMu.Unlock() //nolint:staticcheck // an empty critical section is the point
		for i := len(s.services) - 1; i >= 0; i-- {
			s.services[i].shutdown()
		}
		clean := !s.diskFull.Load() && !s.logicsError.Load() && s.dispatcher.behind() == 0
		err := s.closeFiles()
		if clean && err == nil {
			if rerr := os.Remove(s.paths.Abort); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				err = fmt.Errorf("close store: remove abort file: %w", rerr)
			}
		} else if !clean {
			s.log.Warn("store closed with work left; the next open recovers as after a crash",
				"dispatchBehind", s.dispatcher.behind(), "diskFull", s.diskFull.Load())
		}
		if s.lockFile != nil {
			s.lockFile.Close() // releases the flock
		}
		s.closeErr = err
	})
	return s.closeErr
}

// closeFiles flushes and closes what open managed to open.
func (s *Store) closeFiles() error {
	var errs []error
	if s.dispatcher != nil {
		s.dispatcher.close()
	}
	if s.commitLog != nil {
		var err error
		for range 10 { // upstream retries the final flush
			if _, err = s.commitLog.Segments().Flush(); err == nil {
				break
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("flush commit log: %w", err))
		}
		if err := s.commitLog.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.queues != nil {
		if err := s.queues.Flush(); err != nil {
			errs = append(errs, fmt.Errorf("flush consume queues: %w", err))
		}
		if err := s.queues.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.index != nil {
		if err := s.index.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if s.checkpoint != nil {
		if s.dispatcher != nil {
			s.checkpoint.logics.Store(max(s.checkpoint.logics.Load(), s.dispatcher.lastStoreTs.Load()))
		}
		if ts := s.lastStoreTs.Load(); ts > 0 && len(errs) == 0 {
			s.checkpoint.physic.Store(ts)
		}
		if err := s.checkpoint.close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// service is one background goroutine with a stop channel.
type service struct {
	stop chan struct{}
	done chan struct{}
}

// start runs fn on its own goroutine until Close stops it.
func (s *Store) start(fn func(stop <-chan struct{})) {
	sv := &service{stop: make(chan struct{}), done: make(chan struct{})}
	s.services = append(s.services, sv)
	go func() {
		defer close(sv.done)
		fn(sv.stop)
	}()
}

func (sv *service) shutdown() {
	close(sv.stop)
	<-sv.done
}

// SetRole changes the broker role (HA role changes); a SLAVE refuses puts.
func (s *Store) SetRole(r BrokerRole) { s.role.Store(r) }

// Role is the current broker role.
func (s *Store) Role() BrokerRole { return s.role.Load().(BrokerRole) }

// Paths are the store's resolved paths.
func (s *Store) Paths() Paths { return s.paths }

// Options are the options the store was opened with.
func (s *Store) Options() Options { return s.opts }

// CommitLogMaxOffset is the end of the readable commit log.
func (s *Store) CommitLogMaxOffset() int64 { return s.commitLog.MaxOffset() }

// CommitLogMinOffset is the first commit log offset still held.
func (s *Store) CommitLogMinOffset() int64 { return s.commitLog.MinOffset() }

// CommitLogFlushedOffset is the offset below which the commit log is on disk.
func (s *Store) CommitLogFlushedOffset() int64 { return s.commitLog.Segments().FlushedOffset() }

// DispatchBehindBytes is how far the dispatcher trails the commit log end.
func (s *Store) DispatchBehindBytes() int64 { return s.dispatcher.behind() }

// IsOSPageCacheBusy reports whether the put lock has been held longer than
// osPageCacheBusyTimeOutMills (the broker's fast-failure check).
func (s *Store) IsOSPageCacheBusy() bool {
	held := s.LockTimeMills()
	return held > s.opts.OSPageCacheBusyTimeOutMills && held < 10_000_000
}

// LockTimeMills is how long the current put lock holder has held it, in ms
// (upstream's pageCacheLockTimeMills), 0 when the lock is free.
func (s *Store) LockTimeMills() int64 {
	begin := s.lockBegin.Load()
	if begin == 0 {
		return 0
	}
	return (time.Now().UnixNano() - begin) / int64(time.Millisecond)
}

// IsWriteable reports whether puts are accepted.
func (s *Store) IsWriteable() bool {
	return !s.closed.Load() && !s.diskFull.Load() && !s.logicsError.Load()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// IsOpen reports whether Close has not been called.
func (s *Store) IsOpen() bool { return !s.closed.Load() }
