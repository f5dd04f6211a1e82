package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// needNATS skips without nats-server unless BENCH_REQUIRE_NATS=1 (make
// bench-smoke sets it), where its absence fails the test.
func needNATS(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("nats-server"); err != nil {
		if os.Getenv("BENCH_REQUIRE_NATS") == "1" {
			t.Fatalf("nats-server not installed (apt-get install -y nats-server): %v", err)
		}
		t.Skip("nats-server not installed; apt-get install -y nats-server")
	}
}

// children lists our live child processes by command name.
func children(t *testing.T) []string {
	t.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	me := strconv.Itoa(os.Getpid())
	var kids []string
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid ...
		s := string(b)
		end := strings.LastIndexByte(s, ')')
		fields := strings.Fields(s[end+1:])
		if len(fields) > 1 && fields[1] == me && fields[0] != "Z" {
			kids = append(kids, s[strings.IndexByte(s, '(')+1:end])
		}
	}
	return kids
}

func TestSmokeComparison(t *testing.T) {
	if testing.Short() {
		t.Skip("starts brokers and nats-server")
	}
	needNATS(t)
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx, []string{"-smoke", "-dir", t.TempDir()}, &out, &errOut); err != nil {
		t.Fatalf("compare -smoke: %v\n%s", err, errOut.String())
	}
	table := out.String()
	for _, sys := range []string{"RocketGo ASYNC_FLUSH", "RocketGo SYNC_FLUSH", "NATS "} {
		for _, wl := range []string{"publish 128 B, 1 pub", "publish 128 B, 64 pub", "publish 1 KB, 1 pub", "publish 1 KB, 64 pub", "consume 128 B", "consume 1 KB"} {
			row := rowOf(table, wl, sys)
			if row == nil {
				t.Errorf("no row for %q on %q:\n%s", wl, sys, table)
				continue
			}
			// | workload | system | msgs/s | p50 | p99 | ratio | ratio | failed |
			if rate, err := strconv.ParseFloat(row[2], 64); err != nil || rate <= 0 {
				t.Errorf("%s on %s: msgs/s %q", wl, sys, row[2])
			}
			if row[7] != "0" {
				t.Errorf("%s on %s: %s failed sends", wl, sys, row[7])
			}
			if strings.HasPrefix(wl, "publish") && (row[3] == "-" || row[4] == "-") {
				t.Errorf("%s on %s: no latency: %v", wl, sys, row)
			}
			if strings.HasPrefix(sys, "RocketGo") && row[5] == "" {
				t.Errorf("%s on %s: no ours/theirs ratio: %v", wl, sys, row)
			}
		}
	}
	if !strings.Contains(table, "| 128 B |") || !strings.Contains(table, "| 1 KB |") {
		t.Errorf("no raw disk baseline rows:\n%s", table)
	}
	if kids := children(t); len(kids) > 0 {
		t.Fatalf("processes left running after compare: %v", kids)
	}
}

// rowOf returns the cells of the table row for workload and system.
func rowOf(table, workload, system string) []string {
	for _, line := range strings.Split(table, "\n") {
		cells := strings.Split(strings.Trim(line, "| "), "|")
		if len(cells) != 8 {
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		if cells[0] == workload && strings.HasPrefix(cells[1], system) {
			return cells
		}
	}
	return nil
}

// signalWriter closes fired when a line containing want is written.
type signalWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	want  string
	fired chan struct{}
	once  sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.want) {
		w.once.Do(func() { close(w.fired) })
	}
	return len(p), nil
}

// TestInterruptStopsEverything cancels compare (as SIGINT does) while the
// broker runs a workload and expects every server it started to be gone.
func TestInterruptStopsEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("starts brokers")
	}
	needNATS(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	progress := &signalWriter{want: "[mqbroker ASYNC_FLUSH]", fired: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-smoke", "-v", "-dir", t.TempDir()}, &bytes.Buffer{}, progress)
	}()
	select {
	case <-progress.fired:
	case err := <-done:
		t.Fatalf("compare ended before the broker started: %v", err)
	case <-time.After(3 * time.Minute):
		t.Fatal("the broker did not start within 3 minutes")
	}
	if len(children(t)) == 0 {
		t.Fatal("no child process seen while the broker runs")
	}
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("compare cut short reported success")
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("compare did not return within 2 minutes of its cancellation")
	}
	if kids := children(t); len(kids) > 0 {
		t.Fatalf("processes left running after an interrupted compare: %v", kids)
	}
}
