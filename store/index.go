package store

import (
	"fmt"

	"github.com/rocketgo/rocketgo/store/indexfile"
)

// openIndex opens the index files; a file that fills up moves the
// checkpoint's indexMsgTimestamp.
func (s *Store) openIndex() error {
	cp := s.checkpoint
	x, err := indexfile.OpenDir(s.paths.Index, indexfile.Options{
		Slots:      s.opts.MaxHashSlotNum,
		MaxEntries: s.opts.MaxIndexNum,
		OnFull: func(endTs int64) {
			cp.index.Store(endTs)
			if err := cp.flush(); err != nil {
				s.log.Error("flush checkpoint after an index file filled", "err", err)
			}
		},
		OnFlushError: func(err error) { s.log.Error("flush full index file", "err", err) },
		Now:          s.now,
	})
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	if s.opts.Syncer != nil {
		x.SetSyncer(s.opts.Syncer)
	}
	s.index = x
	return nil
}
