package store_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/store"
)

const bigDirEnv = "ROCKETGO_BIG_CHILD_DIR"

// bigOptions: upstream's 1 GiB segments and defaults, ASYNC_FLUSH.
func bigOptions(dir string) store.Options {
	o := store.DefaultOptions(dir)
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	o.OSPageCacheBusyTimeOutMills = 60_000
	return o
}

// TestBigChild writes 4 KB messages with ASYNC_FLUSH and reports the commit
// log end every 64 MiB until it is killed.
func TestBigChild(t *testing.T) {
	dir := os.Getenv(bigDirEnv)
	if dir == "" {
		t.Skip("run by TestBigRecovery")
	}
	s, err := store.Open(bigOptions(dir))
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	next := int64(64 << 20)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := input("Big", int32(w), strings.Repeat("b", 4096), map[string]string{"KEYS": "k" + strconv.Itoa(w)})
			for {
				res := s.PutMessage(in)
				if res.Status != store.PutOK {
					fmt.Printf("error %v %s\n", res.Status, res.Remark)
					os.Exit(3)
				}
				mu.Lock()
				if end := res.WroteOffset + int64(res.WroteBytes); end >= next {
					fmt.Printf("at %d\n", end)
					next += 64 << 20
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

// TestBigRecovery (ROCKETGO_BIG=1) measures how long Open takes to recover a
// 2 GiB commit log after SIGKILL, and after a clean close.
func TestBigRecovery(t *testing.T) {
	if os.Getenv("ROCKETGO_BIG") == "" {
		t.Skip("set ROCKETGO_BIG=1 to write and recover a 2 GiB commit log")
	}
	size := int64(2 << 30)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBigChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), bigDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "at ") {
			t.Fatalf("child: %s", line)
		}
		if end, _ := strconv.ParseInt(line[3:], 10, 64); end >= size {
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	cmd.Wait()
	t.Logf("child wrote 2 GiB in %v", time.Since(begin))

	var logs strings.Builder
	o := bigOptions(dir)
	o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	begin = time.Now()
	s, err := store.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	crash := time.Since(begin)
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "recovered") {
			t.Log(line)
		}
	}
	maxOff := s.CommitLogMaxOffset()
	if maxOff < size {
		t.Fatalf("recovered only %d bytes", maxOff)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	begin = time.Now()
	s, err = store.Open(bigOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	clean := time.Since(begin)
	s.Close()
	t.Logf("recovered %d bytes: after SIGKILL in %v, after a clean close in %v", maxOff, crash, clean)
}
