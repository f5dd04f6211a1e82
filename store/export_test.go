package store

// CleanOnce runs one expiry pass now and returns how many commit log
// segments it deleted.
func (s *Store) CleanOnce() int { return s.cleaner.cleanOnce() }

// FlushLogicsNow runs a full consume queue / index / checkpoint flush.
func (s *Store) FlushLogicsNow() { s.flushLogics(0) }
