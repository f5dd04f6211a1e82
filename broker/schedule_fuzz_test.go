package broker

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/store"
)

// FuzzProgressFiles: whatever delayOffset.json and timerCheckpoint.json
// hold, loading them either fails with an error or yields offsets inside
// the queues; it never panics.
func FuzzProgressFiles(f *testing.F) {
	for _, s := range []string{
		`{"offsetTable":{1:12,2:0}}`,
		`{"offsetTable":{"1":3}}`,
		`{"offsetTable":{-1:5,99:-7}}`,
		`{"scanOffset":10,"lowOffset":3,"doneUntilMs":1700000000000,"rollWindowMs":86400000}`,
		`{"scanOffset":1,"lowOffset":3}`,
		`{"offsetTable":`,
		``,
	} {
		f.Add([]byte(s))
	}
	o := store.DefaultOptions(f.TempDir())
	o.MappedFileSizeCommitLog = 1 << 20
	o.MappedFileSizeConsumeQueue = 20 * 100
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(o)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		for _, name := range []string{"delayOffset.json", "timerCheckpoint.json"} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s := newScheduleService([]time.Duration{time.Second, 2 * time.Second}, dir, log, time.Now)
		if err := s.load(st); err == nil {
			for level, off := range s.table() {
				if level < 1 || level > 2 || off != 0 {
					t.Fatalf("loaded level %d offset %d from %q", level, off, data)
				}
			}
		}
		tm := newTimerService(dir, log, time.Now)
		if err := tm.load(st); err == nil && (tm.scan != 0 || tm.resume.ScanOffset > 0 || tm.resume.LowOffset > tm.resume.ScanOffset) {
			t.Fatalf("loaded scan %d resume %+v from %q", tm.scan, tm.resume, data)
		}
	})
}
