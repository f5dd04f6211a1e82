package logfile

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestOpenWritesFileAndStderr(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "logs")
	var stderr syncBuffer
	log, closer, err := Open("namesrv", Options{Dir: dir, Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	log.Info("The Name Server boot success", "port", 9876, "serializeType", "JSON")
	log.Debug("not shown at INFO")
	log.With("broker", "broker-a").WithGroup("route").Warn("expired", "addr", "127.0.0.1:10911", "why", "no heartbeat for 120s")
	log.Error("bad", slog.Group("req", "code", 103, "remark", ""), "err", errors.New("boom"))
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, "namesrv.log"))
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != stderr.String() {
		t.Errorf("file and stderr differ:\nfile:\n%s\nstderr:\n%s", data, stderr.String())
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	ts := `\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} `
	want := []string{
		ts + `INFO  The Name Server boot success port=9876 serializeType=JSON$`,
		ts + `WARN  expired broker=broker-a route\.addr=127\.0\.0\.1:10911 route\.why="no heartbeat for 120s"$`,
		ts + `ERROR bad req\.code=103 req\.remark="" err=boom$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), data)
	}
	for i, re := range want {
		if !regexp.MustCompile("^" + re).MatchString(lines[i]) {
			t.Errorf("line %d\n got %s\nwant /%s/", i, lines[i], re)
		}
	}

	// Logging after Close still reaches stderr and does not panic.
	log.Info("after close")
	if !strings.Contains(stderr.String(), "after close") {
		t.Error("stderr lost the line logged after Close")
	}
}

func TestOpenAppends(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		log, closer, err := Open("broker.log", Options{Dir: dir, Stderr: &syncBuffer{}})
		if err != nil {
			t.Fatal(err)
		}
		log.Info("start")
		closer.Close()
	}
	data, _ := os.ReadFile(filepath.Join(dir, "broker.log"))
	if n := strings.Count(string(data), "INFO  start\n"); n != 2 {
		t.Errorf("%d lines after two opens, want 2 (append):\n%s", n, data)
	}
}

func TestDirFromEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvDir, dir)
	log, closer, err := Open("store", Options{Stderr: &syncBuffer{}, Level: slog.LevelDebug})
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("flushed", "bytes", 4096)
	closer.Close()
	data, err := os.ReadFile(filepath.Join(dir, "store.log"))
	if err != nil || !strings.Contains(string(data), "DEBUG flushed bytes=4096") {
		t.Errorf("store.log: %q, %v", data, err)
	}
	// An explicit directory beats the environment.
	explicit := t.TempDir()
	if got, _ := Dir(explicit); got != explicit {
		t.Errorf("Dir(%q) = %q", explicit, got)
	}
	t.Setenv(EnvDir, "")
	t.Setenv("HOME", "/home/mq")
	if got, _ := Dir(""); got != "/home/mq/logs/rocketmqlogs" {
		t.Errorf("default dir %q", got)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open("broker", Options{Dir: filepath.Join(blocker, "logs")}); err == nil {
		t.Error("Open under a regular file succeeded")
	}
	for _, name := range []string{"", "../x", `a\b`} {
		if _, _, err := Open(name, Options{Dir: dir}); err == nil {
			t.Errorf("Open(%q) succeeded", name)
		}
	}
}

func TestConcurrentLinesStayWhole(t *testing.T) {
	dir := t.TempDir()
	var stderr syncBuffer
	log, closer, err := Open("broker", Options{Dir: dir, Stderr: &stderr})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				log.Info("message", "g", g, "i", i, "at", time.Unix(0, 0).UTC())
			}
		}()
	}
	wg.Wait()
	closer.Close()
	data, _ := os.ReadFile(filepath.Join(dir, "broker.log"))
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 1600 {
		t.Fatalf("%d lines, want 1600", len(lines))
	}
	re := regexp.MustCompile(`^\S+ \S+ INFO  message g=\d i=\d+ at=1970-01-01T00:00:00Z$`)
	for _, l := range lines {
		if !re.MatchString(l) {
			t.Fatalf("torn line %q", l)
		}
	}
}
