package store

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rocketgo/rocketgo/store/segment"
)

// cleaner deletes expired files (upstream's CleanCommitLogService and
// CleanConsumeQueueService) and watches disk usage, which can make the
// store refuse puts.
type cleaner struct {
	s *Store

	manual           atomic.Int32 // passes left of an admin "delete expired files"
	cleanImmediately atomic.Bool  // disk above the force-clean ratio
	stop             <-chan struct{}

	settings atomic.Pointer[expirySettings] // replaced by SetExpiry
	changed  chan struct{}                  // SetExpiry wakes run to reset its ticker

	mu         sync.Mutex // one pass at a time (the goroutine, tests)
	lastMinPhy int64      // commit log min offset at the last logic cleanup
}

// ExpiryOptions are the cleanup settings that may change while the store
// runs (UPDATE_BROKER_CONFIG); Options holds their values at Open.
type ExpiryOptions struct {
	DeleteWhen                   string // hours of the day, "04" or "04;10"
	FileReservedTime             int    // hours
	DiskMaxUsedSpaceRatio        int    // percent, clamped to [10, 95]
	CleanFileForciblyEnable      bool
	CleanResourceInterval        int // ms between cleanup passes
	DeleteCommitLogFilesInterval int // ms between two segment deletions
}

// expirySettings are ExpiryOptions checked, with the hours parsed.
type expirySettings struct {
	ExpiryOptions
	deleteHours map[int]bool
}

// Validate reports what SetExpiry would refuse.
func (e ExpiryOptions) Validate() error {
	_, err := e.check()
	return err
}

func (e ExpiryOptions) check() (*expirySettings, error) {
	hours, err := parseHours(e.DeleteWhen)
	switch {
	case err != nil:
		return nil, fmt.Errorf("store option deleteWhen: %w", err)
	case e.FileReservedTime < 0:
		return nil, fmt.Errorf("store option fileReservedTime: %d hours is negative", e.FileReservedTime)
	case e.CleanResourceInterval <= 0:
		return nil, fmt.Errorf("store option cleanResourceInterval: %d must be positive", e.CleanResourceInterval)
	case e.DeleteCommitLogFilesInterval < 0:
		return nil, fmt.Errorf("store option deleteCommitLogFilesInterval: %d is negative", e.DeleteCommitLogFilesInterval)
	}
	return &expirySettings{ExpiryOptions: e, deleteHours: hours}, nil
}

func newCleaner(s *Store) *cleaner {
	c := &cleaner{s: s, changed: make(chan struct{}, 1)}
	c.settings.Store(&expirySettings{ExpiryOptions: ExpiryOptions{
		DeleteWhen:                   s.opts.DeleteWhen,
		FileReservedTime:             s.opts.FileReservedTime,
		DiskMaxUsedSpaceRatio:        s.opts.DiskMaxUsedSpaceRatio,
		CleanFileForciblyEnable:      s.opts.CleanFileForciblyEnable,
		CleanResourceInterval:        s.opts.CleanResourceInterval,
		DeleteCommitLogFilesInterval: s.opts.DeleteCommitLogFilesInterval,
	}, deleteHours: s.st.deleteHours})
	return c
}

// SetExpiry replaces the cleanup settings from the next pass on; a new
// cleanResourceInterval also restarts the pass timer. Nothing changes when
// e is not valid.
func (s *Store) SetExpiry(e ExpiryOptions) error {
	st, err := e.check()
	if err != nil {
		return err
	}
	old := s.cleaner.settings.Swap(st)
	if old.CleanResourceInterval != e.CleanResourceInterval {
		signal(s.cleaner.changed)
	}
	s.log.Info("expiry settings changed", "deleteWhen", e.DeleteWhen, "fileReservedTime", e.FileReservedTime,
		"diskMaxUsedSpaceRatio", e.DiskMaxUsedSpaceRatio, "cleanFileForciblyEnable", e.CleanFileForciblyEnable,
		"cleanResourceInterval", e.CleanResourceInterval, "deleteCommitLogFilesInterval", e.DeleteCommitLogFilesInterval)
	return nil
}

// Expiry returns the cleanup settings in effect.
func (s *Store) Expiry() ExpiryOptions { return s.cleaner.settings.Load().ExpiryOptions }

func (c *cleaner) interval() time.Duration {
	return time.Duration(c.settings.Load().CleanResourceInterval) * time.Millisecond
}

// run cleans every cleanResourceInterval ms (the first pass after one
// interval; upstream waits 60 s).
func (c *cleaner) run(stop <-chan struct{}) {
	c.stop = stop
	t := time.NewTicker(c.interval())
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-c.changed:
			t.Reset(c.interval())
		case <-t.C:
			c.cleanOnce()
		}
	}
}

// DeleteExpiredFiles asks the next 20 cleanup passes to delete expired
// commit log files whatever the hour (upstream's manual delete command).
func (s *Store) DeleteExpiredFiles() { s.cleaner.manual.Store(20) }

// cleanOnce runs one cleanup pass and returns how many commit log segments
// it deleted.
func (c *cleaner) cleanOnce() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	usage := c.checkDisk()
	n := c.deleteCommitLog(usage)
	c.deleteLogics()
	return n
}

// diskUsage is the used fraction of path's file system (the seam, or
// statfs); -1 when it cannot be measured.
func (s *Store) diskUsage(path string) float64 {
	if s.opts.DiskUsage != nil {
		u, err := s.opts.DiskUsage(path)
		if err != nil {
			return -1
		}
		return u
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(path, &fs); err != nil || fs.Blocks == 0 {
		return -1
	}
	return float64(fs.Blocks-fs.Bfree) / float64(fs.Blocks)
}

// checkDisk sets the disk-full flag (puts refused) above the warning ratio
// and the clean-immediately flag above the force-clean ratio, and returns
// the higher usage of the commit log and consume queue partitions.
func (c *cleaner) checkDisk() float64 {
	s := c.s
	usage := max(s.diskUsage(s.paths.CommitLog), s.diskUsage(s.paths.ConsumeQueue))
	full := usage > s.opts.DiskSpaceWarningLevelRatio
	if was := s.diskFull.Swap(full); was != full {
		if full {
			s.log.Error("disk full: the store refuses puts", "usage", usage, "limit", s.opts.DiskSpaceWarningLevelRatio)
		} else {
			s.log.Info("disk usage back under the limit: the store accepts puts", "usage", usage)
		}
	}
	c.cleanImmediately.Store(usage > s.opts.DiskSpaceCleanForciblyRatio)
	return usage
}

// deleteCommitLog deletes expired segments from the head, never the last.
func (c *cleaner) deleteCommitLog(usage float64) int {
	s := c.s
	set := c.settings.Load()
	now := s.now()
	timeUp := set.deleteHours[now.Hour()]
	ratio := float64(min(max(set.DiskMaxUsedSpaceRatio, 10), 95)) / 100
	spaceFull := usage < 0 || usage > ratio
	manual := false
	if c.manual.Load() > 0 {
		c.manual.Add(-1)
		manual = true
	}
	if !timeUp && !spaceFull && !manual {
		return 0
	}
	reserved := time.Duration(set.FileReservedTime) * time.Hour
	force := c.cleanImmediately.Load() && set.CleanFileForciblyEnable
	expired := func(f *segment.File) bool {
		return force || !now.Before(f.ModTime().Add(reserved))
	}
	deleted := 0
	pause := time.Duration(set.DeleteCommitLogFilesInterval) * time.Millisecond
	for deleted < 10 {
		n, err := s.commitLog.Segments().DeleteFirstFiles(expired, 1)
		deleted += n
		if err != nil {
			s.log.Error("delete expired commit log segment", "err", err)
			break
		}
		if n == 0 {
			break
		}
		if pause > 0 && !c.sleep(pause) {
			break
		}
	}
	if deleted > 0 {
		s.log.Info("expired commit log segments deleted", "count", deleted, "timeUp", timeUp,
			"spaceFull", spaceFull, "manual", manual, "forced", force, "minOffset", s.commitLog.MinOffset())
	}
	return deleted
}

// sleep pauses unless the store is stopping; false means stop.
func (c *cleaner) sleep(d time.Duration) bool {
	if c.stop == nil {
		time.Sleep(d)
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.stop:
		return false
	case <-t.C:
		return true
	}
}

// deleteLogics deletes consume queue and index files that only point below
// the commit log's new min offset.
func (c *cleaner) deleteLogics() {
	s := c.s
	minPhy := s.commitLog.MinOffset()
	if minPhy <= c.lastMinPhy {
		return
	}
	c.lastMinPhy = minPhy
	if n, err := s.queues.DeleteBefore(minPhy); err != nil {
		s.log.Error("delete expired consume queue files", "err", err)
	} else if n > 0 {
		s.log.Info("expired consume queue files deleted", "count", n, "minPhyOffset", minPhy)
	}
	s.queues.CorrectMinOffset(minPhy)
	if s.index != nil {
		if n, err := s.index.DeleteBefore(minPhy); err != nil {
			s.log.Error("delete expired index files", "err", err)
		} else if n > 0 {
			s.log.Info("expired index files deleted", "count", n, "minPhyOffset", minPhy)
		}
	}
}
