package examples

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/internal/testcluster"
)

// Every example runs against a real name server and broker: producers to
// completion, consumers until they printed what they should, then Ctrl-C.

func build(t *testing.T, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), strings.ReplaceAll(strings.TrimPrefix(pkg, "./examples/"), "/", "-"))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = ".." // the module root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := runErr(bin, args...)
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(bin), args, err, out)
	}
	return out
}

func runErr(bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+home)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// home is the HOME of the examples run here, so broadcasting offsets
// land in the test's directory, not the user's.
var home string

// runUntil starts a long-running example, waits until it printed lines
// for which done returns true, interrupts it and checks it exits cleanly.
func runUntil(t *testing.T, bin string, done func(lines []string) bool, args ...string) []string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HOME="+home)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var got []string
	deadline := time.After(30 * time.Second)
	for !done(got) {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("%s exited early: %v\n%s", filepath.Base(bin), cmd.Wait(), strings.Join(got, "\n"))
			}
			got = append(got, l)
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("%s did not print what was expected in 30s:\n%s", filepath.Base(bin), strings.Join(got, "\n"))
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	for range lines {
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("%s after Ctrl-C: %v", filepath.Base(bin), err)
	}
	return got
}

func count(lines []string, substr string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, substr) {
			n++
		}
	}
	return n
}

func TestExamples(t *testing.T) {
	home = t.TempDir()
	ns := testcluster.StartNamesrv(t, nil)
	// Delay level 3 (the scheduled example's) becomes one second.
	// Undecided transactions are checked after a second.
	testcluster.StartBroker(t, []string{ns.Addr}, map[string]string{
		"messageDelayLevel":        strings.TrimSpace(strings.Repeat("1s ", 18)),
		"transactionTimeOut":       "1000",
		"transactionCheckInterval": "500",
	})
	n := []string{"-n", ns.Addr}
	args := func(extra ...string) []string { return append(append([]string{}, n...), extra...) }

	t.Run("async", func(t *testing.T) {
		out := run(t, build(t, "./examples/async/producer"), args("-t", "AsyncTopic", "-c", "20")...)
		if c := strings.Count(out, " OK "); c != 20 {
			t.Fatalf("%d callbacks OK:\n%s", c, out)
		}
	})
	t.Run("oneway", func(t *testing.T) {
		out := run(t, build(t, "./examples/oneway/producer"), args("-t", "OnewayTopic", "-c", "20")...)
		if !strings.Contains(out, "sent 20 messages oneway") {
			t.Fatal(out)
		}
	})
	t.Run("ordered", func(t *testing.T) {
		out := run(t, build(t, "./examples/ordered/producer"), args("-t", "OrderTopic")...)
		if c := strings.Count(out, "SendResult status:SEND_OK"); c != 10 {
			t.Fatalf("%d sends:\n%s", c, out)
		}
		got := runUntil(t, build(t, "./examples/ordered/consumer"), func(l []string) bool { return count(l, "content:") == 10 },
			args("-t", "OrderTopic", "-work", "0")...)
		// Order 15103111039's steps (create, pay, push, done) arrive in order.
		var steps []string
		for _, l := range got {
			if strings.Contains(l, "orderId=15103111039") {
				_, desc, _ := strings.Cut(l, "desc='")
				steps = append(steps, strings.TrimSuffix(desc, "'}"))
			}
		}
		if strings.Join(steps, ",") != "create,pay,push,done" {
			t.Errorf("order 15103111039 consumed as %v:\n%s", steps, strings.Join(got, "\n"))
		}
	})
	t.Run("batch", func(t *testing.T) {
		out := run(t, build(t, "./examples/batch/producer"), args("-t", "BatchTopic", "-c", "300", "-s", "30000")...)
		if c := strings.Count(out, "sent a batch of"); c < 2 {
			t.Fatalf("9 MB in %d batches:\n%s", c, out)
		}
	})
	t.Run("filter by tag", func(t *testing.T) {
		run(t, build(t, "./examples/filter/producer"), args("-t", "FilterTopic", "-c", "9")...)
		got := runUntil(t, build(t, "./examples/filter/consumer"), func(l []string) bool { return count(l, "Receive New Message") == 6 },
			args("-t", "FilterTopic")...)
		if count(got, "tags=TagB") != 0 {
			t.Errorf("TagB passed:\n%s", strings.Join(got, "\n"))
		}
	})
	t.Run("filter by SQL92", func(t *testing.T) {
		run(t, build(t, "./examples/filter/producer"), args("-t", "SQLTopic", "-c", "9")...)
		got := runUntil(t, build(t, "./examples/filter/consumer"), func(l []string) bool { return count(l, "Receive New Message") == 4 },
			args("-t", "SQLTopic", "-g", "sql-example", "-sql", "-e", "a between 0 and 3")...)
		for _, want := range []string{"body=Hello RocketMQ 0", "body=Hello RocketMQ 3"} {
			if count(got, want) != 1 {
				t.Errorf("missing %q:\n%s", want, strings.Join(got, "\n"))
			}
		}
	})
	t.Run("broadcast", func(t *testing.T) {
		run(t, build(t, "./examples/oneway/producer"), args("-t", "BroadcastTopic", "-c", "5")...)
		runUntil(t, build(t, "./examples/broadcast/consumer"), func(l []string) bool { return count(l, "Receive New Message") == 5 },
			args("-t", "BroadcastTopic", "-i", "example-bc")...)
	})
	t.Run("scheduled", func(t *testing.T) {
		out, err := runErr(build(t, "./examples/scheduled/producer"), args("-t", "ScheduledTopic", "-c", "3")...)
		if err != nil && strings.Contains(out, "not implemented") {
			t.Skipf("the broker refuses delayed messages: %s", strings.TrimSpace(out))
		}
		if c := strings.Count(out, "sendStatus=SEND_OK"); err != nil || c != 3 {
			t.Fatalf("%v\n%s", err, out)
		}
		runUntil(t, build(t, "./examples/scheduled/consumer"), func(l []string) bool { return count(l, "Receive message[msgId=") == 3 },
			args("-t", "ScheduledTopic")...)
	})
	t.Run("transaction", func(t *testing.T) {
		out := run(t, build(t, "./examples/transaction/producer"), args("-t", "TxTopic", "-wait", "20s")...)
		for _, want := range []string{"localTransactionState=COMMIT_MESSAGE", "localTransactionState=ROLLBACK_MESSAGE",
			"localTransactionState=UNKNOW", "the broker checks the local transaction of TagC: COMMIT_MESSAGE"} {
			if !strings.Contains(out, want) {
				t.Errorf("missing %q:\n%s", want, out)
			}
		}
		got := runUntil(t, build(t, "./examples/quickstart/consumer"), func(l []string) bool { return count(l, "Receive New Message") == 2 },
			args("-t", "TxTopic", "-g", "tx-example")...)
		if count(got, "tags=TagB") != 0 || count(got, "tags=TagA") != 1 || count(got, "tags=TagC") != 1 {
			t.Errorf("consumer saw:\n%s", strings.Join(got, "\n"))
		}
	})
	t.Run("pull", func(t *testing.T) {
		run(t, build(t, "./examples/oneway/producer"), args("-t", "PullTopic", "-c", "12")...)
		bin := build(t, "./examples/pull/consumer")
		// Each run reads from the committed offsets to the end and commits;
		// oneway sends may still be landing, so run until all 12 were read.
		total := 0
		for deadline := time.Now().Add(20 * time.Second); total < 12; {
			if time.Now().After(deadline) {
				t.Fatalf("pulled %d of 12 messages", total)
			}
			total += strings.Count(run(t, bin, args("-t", "PullTopic", "-g", "pull-example")...), "Receive New Message")
		}
		if total != 12 {
			t.Fatalf("pulled %d messages, want 12 (a run read again what an earlier one committed)", total)
		}
		if again := run(t, bin, args("-t", "PullTopic", "-g", "pull-example")...); strings.Contains(again, "Receive New Message") {
			t.Errorf("a run after everything was committed pulled again:\n%s", again)
		}
	})
}
