package store_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store"
	"github.com/rocketgo/rocketgo/store/storetest"
)

const (
	crashDirEnv   = "ROCKETGO_CRASH_CHILD_DIR"
	crashCycleEnv = "ROCKETGO_CRASH_CHILD_CYCLE"
	crashQueues   = 4
)

// crashOptions are the store options parent and child share.
func crashOptions(dir string) store.Options {
	o := store.DefaultOptions(dir)
	o.MappedFileSizeCommitLog = 1 << 20
	o.MappedFileSizeConsumeQueue = 500 * 20
	o.MaxHashSlotNum = 1024
	o.MaxIndexNum = 8192
	o.FlushDiskType = store.SyncFlush
	o.FlushConsumeQueueThoroughInterval = 200 // checkpoint written often: abnormal recovery starts late
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return o
}

// TestCrashChild is the child process of TestCrashRecovery: it writes with
// SYNC_FLUSH from several goroutines and prints every acknowledged put as
// "ack <phyOffset> <size> <queue> <queueOffset> <body>" until it is killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("run by TestCrashRecovery")
	}
	cycle := os.Getenv(crashCycleEnv)
	s, err := store.Open(crashOptions(dir))
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	fmt.Fprintln(out, "ready")
	out.Flush()
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				body := fmt.Sprintf("c%s-w%d-%d-%s", cycle, w, i, strings.Repeat("p", (w*97+i*31)%700))
				q := int32((w + i) % crashQueues)
				res := s.PutMessage(input("Crash", q, body, map[string]string{"KEYS": fmt.Sprintf("c%s-w%d-%d", cycle, w, i)}))
				if res.Status != store.PutOK {
					mu.Lock()
					fmt.Fprintf(out, "error %v %s\n", res.Status, res.Remark)
					out.Flush()
					mu.Unlock()
					return
				}
				mu.Lock()
				fmt.Fprintf(out, "ack %d %d %d %d %s\n", res.WroteOffset, res.WroteBytes, q, res.QueueOffset, body)
				out.Flush()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	os.Exit(3)
}

type ack struct {
	phy, queueOffset int64
	size             int
	queue            int32
	body             string
}

// TestCrashRecovery SIGKILLs a writing child process at random moments and
// checks after each restart that every acknowledged message survived.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	cycles := 20
	if v, err := strconv.Atoi(os.Getenv("ROCKETGO_CRASH_CYCLES")); err == nil && v > 0 {
		cycles = v
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var acks []ack
	for c := range cycles {
		got := runCrashChild(t, dir, c, rng)
		acks = append(acks, got...)
		// Every other cycle the parent recovers and checks; otherwise the
		// next child recovers from the crash itself.
		if c%2 == 1 || c == cycles-1 {
			verifyAcks(t, dir, acks)
		}
	}
	t.Logf("%d cycles, %d acknowledged messages", cycles, len(acks))
}

func runCrashChild(t *testing.T, dir string, cycle int, rng *rand.Rand) []ack {
	t.Helper()
	var acks []ack
	killAfter := 20 + rng.IntN(400) // acknowledged puts before the kill
	env := []string{crashDirEnv + "=" + dir, crashCycleEnv + "=" + strconv.Itoa(cycle)}
	killChild(t, "TestCrashChild", env, fmt.Sprintf("child cycle %d", cycle), func(line string) bool {
		switch {
		case line == "ready":
		case strings.HasPrefix(line, "ack "):
			f := strings.SplitN(line, " ", 6)
			if len(f) != 6 {
				break // the kill cut the line: the put was not acknowledged
			}
			phy, _ := strconv.ParseInt(f[1], 10, 64)
			size, _ := strconv.Atoi(f[2])
			q, _ := strconv.Atoi(f[3])
			qo, _ := strconv.ParseInt(f[4], 10, 64)
			acks = append(acks, ack{phy: phy, size: size, queue: int32(q), queueOffset: qo, body: f[5]})
		default:
			t.Fatalf("child cycle %d: %s", cycle, line)
		}
		return len(acks) >= killAfter
	})
	return acks
}

// killChild runs the test named run of this test binary as a child process
// with env added, hands each line it prints to onLine, and SIGKILLs it the
// first time onLine returns true. A child that ends before the kill fails
// the test.
func killChild(t *testing.T, run string, env []string, what string, onLine func(line string) (kill bool)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^"+run+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 4096), 1<<20)
	killed := false
	for sc.Scan() {
		if onLine(sc.Text()) && !killed {
			killed = true
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatalf("kill %s: %v", what, err)
			}
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("%s ended before the kill: %v", what, err)
	}
}

// verifyAcks opens the store (recovering from the kill), checks every
// acknowledged message and the store's consistency, and closes it.
func verifyAcks(t *testing.T, dir string, acks []ack) {
	t.Helper()
	s, err := store.Open(crashOptions(dir))
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	seen := make(map[[2]int64]bool)
	for _, a := range acks {
		key := [2]int64{int64(a.queue), a.queueOffset}
		if seen[key] {
			t.Fatalf("queue %d offset %d acknowledged twice", a.queue, a.queueOffset)
		}
		seen[key] = true
		v, err := s.SelectOneMessageByOffset(a.phy, a.size)
		if err != nil {
			t.Fatalf("acknowledged record at %d lost: %v", a.phy, err)
		}
		m, _, err := protocol.DecodeMessage(v.Bytes, protocol.DecodeOptions{VerifyBodyCRC: true})
		v.Release()
		if err != nil || string(m.Body) != a.body || m.QueueID != a.queue || m.QueueOffset != a.queueOffset {
			t.Fatalf("acknowledged record at %d: %v, %+v", a.phy, err, m)
		}
	}
	// Queue offsets are contiguous from 0 and no message is stored twice.
	bodies := make(map[string]bool)
	for q := range int32(crashQueues) {
		maxOff := s.MaxOffsetInQueue("Crash", q)
		for next := int64(0); next < maxOff; {
			res, err := s.GetMessage("g", "Crash", q, next, 32, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != store.Found {
				t.Fatalf("queue %d at %d of %d: %v", q, next, maxOff, res.Status)
			}
			for i, b := range res.Messages {
				if res.QueueOffsets[i] != next+int64(i) {
					t.Fatalf("queue %d: offset %d where %d was due", q, res.QueueOffsets[i], next+int64(i))
				}
				m, _, err := protocol.DecodeMessage(b, protocol.DecodeOptions{})
				if err != nil || m.QueueOffset != res.QueueOffsets[i] {
					t.Fatalf("queue %d offset %d: %v", q, res.QueueOffsets[i], err)
				}
				if bodies[string(m.Body)] {
					t.Fatalf("message %.20q stored twice", m.Body)
				}
				bodies[string(m.Body)] = true
			}
			next += int64(len(res.Messages))
			res.Release()
		}
	}
	storetest.Check(t, s)
	if t.Failed() {
		t.FailNow()
	}
}
