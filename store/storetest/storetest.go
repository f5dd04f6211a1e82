package storetest

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/store"
)

// Options returns store options rooted in a fresh t.TempDir() with sizes
// small enough for tests: 1 MiB commit log segments, 1000-unit consume
// queue files, small index files, quiet logging and a short sync timeout.
func Options(t testing.TB) store.Options {
	t.Helper()
	o := store.DefaultOptions(t.TempDir())
	o.MappedFileSizeCommitLog = 1 << 20
	o.MappedFileSizeConsumeQueue = 1000 * 20
	o.MaxHashSlotNum = 1024
	o.MaxIndexNum = 4096
	o.MaxMessageSize = 256 << 10
	o.FlushIntervalCommitLog = 50
	o.FlushIntervalConsumeQueue = 100
	o.CleanResourceInterval = int(time.Hour / time.Millisecond) // tests drive expiry themselves
	o.DeleteCommitLogFilesInterval = 0
	o.DeleteConsumeQueueFilesInterval = 0
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return o
}

// MustOpen opens a store with Options(t) changed by the mods, and on
// cleanup checks its consistency and closes it. A test that closes the
// store itself may do so; the check then reopens it.
func MustOpen(t testing.TB, mods ...func(*store.Options)) *store.Store {
	t.Helper()
	o := Options(t)
	for _, m := range mods {
		m(&o)
	}
	return Open(t, o)
}

// Open opens a store with exactly o and registers the cleanup check.
func Open(t testing.TB, o store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(o)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { Check(t, s) })
	return s
}

// Check verifies a store's consistency and closes it. On a store that was
// already closed it reopens the same files to check them.
func Check(t testing.TB, s *store.Store) {
	t.Helper()
	if !s.IsOpen() {
		o := s.Options()
		var err error
		if s, err = store.Open(o); err != nil {
			t.Errorf("reopen store for the consistency check: %v", err)
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.CheckConsistency(ctx); err != nil {
		t.Errorf("%v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("close store: %v", err)
	}
}
