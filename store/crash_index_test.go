package store_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/store"
	"github.com/rocketgo/rocketgo/store/storetest"
)

const crashIndexDirEnv = "ROCKETGO_CRASH_INDEX_CHILD_DIR"

// crashIndexOptions has index files of 63 entries, so that files fill,
// roll and are flushed in the background all the time, and a kill lands
// in the middle of that.
func crashIndexOptions(dir string) store.Options {
	o := crashOptions(dir)
	o.MaxHashSlotNum = 16
	o.MaxIndexNum = 64
	return o
}

// TestCrashIndexChild is the child of TestCrashIndexRecovery: it puts
// messages with a unique key from several goroutines and prints every
// acknowledged one as "ack <phyOffset> <key>" until it is killed.
func TestCrashIndexChild(t *testing.T) {
	dir := os.Getenv(crashIndexDirEnv)
	if dir == "" {
		t.Skip("run by TestCrashIndexRecovery")
	}
	s, err := store.Open(crashIndexOptions(dir))
	if err != nil {
		fmt.Printf("error %v\n", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				key := fmt.Sprintf("%s-w%d-%d", os.Getenv(crashCycleEnv), w, i)
				res := s.PutMessage(input("CrashIdx", int32(w%2), "b"+key, map[string]string{"KEYS": key}))
				mu.Lock()
				if res.Status != store.PutOK {
					fmt.Fprintf(out, "error %v %s\n", res.Status, res.Remark)
				} else {
					fmt.Fprintf(out, "ack %d %s\n", res.WroteOffset, key)
				}
				out.Flush()
				mu.Unlock()
				if res.Status != store.PutOK {
					return
				}
			}
		}()
	}
	wg.Wait()
	os.Exit(3)
}

// TestCrashIndexRecovery SIGKILLs a writing child at random moments; after
// each recovery every acknowledged key must be found exactly once, at its
// record, and no index entry may lead anywhere else.
func TestCrashIndexRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	acked := make(map[string]int64) // key -> phyOffset
	const cycles = 12
	for c := range cycles {
		for k, phy := range runCrashIndexChild(t, dir, c, 10+rng.IntN(300)) {
			acked[k] = phy
		}
		if c%2 == 1 || c == cycles-1 { // else the next child recovers
			verifyIndexAfterCrash(t, dir, acked)
		}
	}
	t.Logf("%d cycles, %d acknowledged keys", cycles, len(acked))
}

func runCrashIndexChild(t *testing.T, dir string, cycle, killAfter int) map[string]int64 {
	t.Helper()
	acked := make(map[string]int64)
	env := []string{crashIndexDirEnv + "=" + dir, crashCycleEnv + "=c" + strconv.Itoa(cycle)}
	killChild(t, "TestCrashIndexChild", env, fmt.Sprintf("child cycle %d", cycle), func(line string) bool {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "ack" {
			t.Fatalf("child cycle %d: %s", cycle, line)
		}
		if len(f) != 3 {
			return false // the kill cut the line: not acknowledged
		}
		phy, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return false // cut inside the number
		}
		acked[f[2]] = phy
		return len(acked) >= killAfter
	})
	return acked
}

func verifyIndexAfterCrash(t *testing.T, dir string, acked map[string]int64) {
	t.Helper()
	s, err := store.Open(crashIndexOptions(dir))
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	end := time.Now().Add(time.Hour).UnixMilli()
	for key, phy := range acked {
		q, err := s.QueryMessage("CrashIdx", key, 32, 0, end)
		if err != nil {
			t.Fatal(err)
		}
		n := len(q.Messages)
		q.Release()
		if n != 1 {
			t.Fatalf("key %s (record at %d): found %d messages", key, phy, n)
		}
		for _, off := range s.IndexOffsets("CrashIdx", key) {
			if off != phy && !indexedKeyAt(s, off, key) {
				t.Fatalf("key %s: index entry points at %d, its record is at %d", key, off, phy)
			}
		}
	}
	storetest.Check(t, s)
	if t.Failed() {
		t.FailNow()
	}
}
