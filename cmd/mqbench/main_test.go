package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/cmd/mqbench/loadgen"
	"github.com/rocketgo/rocketgo/internal/testcluster"
)

// cluster starts a name server and a broker as processes and builds
// mqbench; the three are stopped when the test ends.
func cluster(t *testing.T) (bin, ns string) {
	t.Helper()
	nsrv := testcluster.StartNamesrv(t, nil)
	testcluster.StartBroker(t, []string{nsrv.Addr}, map[string]string{"flushDiskType": "ASYNC_FLUSH"})
	return testcluster.Build(t, "mqbench"), nsrv.Addr
}

// runBench runs mqbench to completion and returns its stdout and the
// parsed -json line.
func runBench(t *testing.T, bin string, args ...string) (string, Result) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append(args, "-json")...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("mqbench %v: %v\nstdout:\n%s\nstderr:\n%s", args, err, stdout.String(), stderr.String())
	}
	if stderr.Len() > 0 {
		t.Logf("mqbench %v stderr:\n%s", args, stderr.String())
	}
	return stdout.String(), lastJSON(t, stdout.String())
}

func lastJSON(t *testing.T, out string) Result {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var r Result
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("last line is not the JSON summary: %v\n%s", err, out)
	}
	return r
}

func TestSmokeProducerThenConsumer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker")
	}
	bin, ns := cluster(t)
	out, res := runBench(t, bin, "producer", "-n", ns, "-t", "SmokeBench", "-w", "4", "-s", "128", "-k", "-l", "3", "-p", "40", "-q", "300", "-ri", "50ms")
	for _, want := range []string{"Send TPS:", "Max RT(ms):", "Average RT(ms):", "Send Failed: 0", "Response Failed: 0", "[Complete] Send Total: 300", "p99.9:"} {
		if !strings.Contains(out, want) {
			t.Errorf("producer output lacks %q:\n%s", want, out)
		}
	}
	if res.Sent != 300 || res.SendFailed != 0 || res.ResponseFailed != 0 || res.SendRT == nil || res.SendRT.Count != 300 {
		t.Fatalf("producer summary %+v, want 300 sent, no failures", res)
	}
	if res.SendRT.P50 <= 0 || res.SendRT.P50 > res.SendRT.P99 || res.SendRT.P99 > res.SendRT.Max {
		t.Fatalf("percentiles out of order: %+v", *res.SendRT)
	}

	out, res = runBench(t, bin, "consumer", "-n", ns, "-t", "SmokeBench", "-g", "smoke_consumer", "-from", "first", "-q", "300", "-ri", "50ms")
	if res.Consumed != 300 || res.B2C == nil || res.E2E == nil || res.E2E.Count != 300 {
		t.Fatalf("consumer summary %+v, want all 300 consumed with stamps\n%s", res, out)
	}
	if !strings.Contains(out, "[Complete] Consume Total: 300") {
		t.Errorf("consumer output lacks the summary:\n%s", out)
	}
}

func TestSmokeBatchAsyncAndTransactional(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker")
	}
	bin, ns := cluster(t)
	_, res := runBench(t, bin, "producer", "-n", ns, "-t", "SmokeBatch", "-y", "-window", "16", "-q", "200")
	if res.Sent != 200 || res.SendRT.Count != 200 || res.SendFailed+res.ResponseFailed != 0 {
		t.Fatalf("async summary %+v, want 200 acked sends", res)
	}
	// The batch goes to the topic the async run created: a batch to a
	// topic nobody has created yet once failed its first sends under load.
	_, res = runBench(t, bin, "producer", "-n", ns, "-t", "SmokeBatch", "-w", "2", "-b", "8", "-q", "64")
	if res.Sent != 64 || res.SendRT.Count != 8 {
		t.Fatalf("batch summary %+v, want 64 messages in 8 sends", res)
	}
	_, res = runBench(t, bin, "producer", "-n", ns, "-t", "SmokeTx", "-pg", "smoke_tx", "-w", "2", "-tx", "-q", "20")
	if res.Sent != 20 || res.SendFailed+res.ResponseFailed != 0 {
		t.Fatalf("transactional summary %+v, want 20 committed", res)
	}
	_, res = runBench(t, bin, "consumer", "-n", ns, "-t", "SmokeTx", "-g", "smoke_tx_consumer", "-from", "first", "-q", "20")
	if res.Consumed != 20 {
		t.Fatalf("consumed %d committed transactional messages, want 20", res.Consumed)
	}
}

// TestSmokeEndToEnd runs e2e mode plainly and with delay level 1 (1 s on
// the broker's default messageDelayLevel), where no message may arrive
// sooner.
func TestSmokeEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker")
	}
	bin, ns := cluster(t)
	for _, tc := range []struct {
		topic    string
		args     []string
		sent     int64
		minP50Us float64
	}{
		{"SmokeE2E", []string{"-w", "4", "-s", "256", "-q", "200", "-cw", "4"}, 200, 1},
		{"SmokeDelay", []string{"-w", "2", "-e", "1", "-q", "20", "-cw", "2"}, 20, 900_000},
		{"SmokeBinary", []string{"-serializeType", "ROCKETMQ", "-w", "4", "-q", "200", "-cw", "4"}, 200, 1},
	} {
		out, res := runBench(t, bin, append([]string{"e2e", "-n", ns, "-t", tc.topic}, tc.args...)...)
		if res.Sent != tc.sent || res.E2E == nil || res.E2E.Count != uint64(tc.sent) {
			t.Fatalf("%s: e2e summary %+v, want %d sent and as many end-to-end samples\n%s", tc.topic, res, tc.sent, out)
		}
		if res.E2E.P50 < tc.minP50Us || res.E2E.P99 > res.E2E.Max {
			t.Fatalf("%s: e2e latencies %+v: p50 under %.0f µs or p99 over max\n%s", tc.topic, *res.E2E, tc.minP50Us, out)
		}
	}
}

// TestSigintPrintsSummary runs an unbounded producer, waits for its first
// per-interval line, interrupts it, and expects a clean exit with totals.
func TestSigintPrintsSummary(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker")
	}
	bin, ns := cluster(t)
	cmd := exec.Command(bin, "producer", "-n", ns, "-t", "SmokeSigint", "-w", "2", "-ri", "100ms")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	var all []string
	deadline := time.After(time.Minute)
	interrupted := false
	for done := false; !done; {
		select {
		case line, ok := <-lines:
			if !ok {
				done = true
				break
			}
			all = append(all, line)
			if !interrupted && strings.HasPrefix(line, "Current Time:") {
				interrupted = true
				if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
					t.Fatal(err)
				}
			}
		case <-deadline:
			t.Fatalf("no summary and exit within a minute:\n%s", strings.Join(all, "\n"))
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGINT: %v\n%s", err, stderr.String())
	}
	out := strings.Join(all, "\n")
	if !interrupted || !strings.Contains(out, "[Complete] Send Total:") || !strings.Contains(out, "p99.9:") {
		t.Fatalf("no per-interval line or no summary after SIGINT:\n%s\n%s", out, stderr.String())
	}
}

func TestBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"nosuchmode"},
		{"producer", "-w", "0"},
		{"producer", "-b", "2", "-tx"},
		{"producer", "-y", "-b", "4"},
		{"producer", "-y", "-window", "0"},
		{"producer", "-nosuchflag"},
		{"consumer", "-from", "middle"},
		{"consumer", "-f", "REGEX"},
		{"consumer", "-r", "2"},
		{"producer", "-serializeType", "PROTOBUF"},
		{"consumer", "-serializeType", "binary"},
		{"e2e", "extra"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("mqbench %q: exit %d, want 2 (stderr %q)", args, code, errOut.String())
		}
	}
	var out bytes.Buffer
	if code := run(context.Background(), []string{"producer", "-h"}, &out, io.Discard); code != 0 || !strings.Contains(out.String(), "-tx") {
		t.Errorf("producer -h: exit %d, output %q", code, out.String())
	}
}

func TestStampRoundTrip(t *testing.T) {
	body := loadgen.RandomBody(64)
	now := time.Unix(1700000000, 123456789)
	stamp(body, now)
	got, ok := stamped(body)
	if !ok || !got.Equal(now) {
		t.Fatalf("stamped = %v %v, want %v", got, ok, now)
	}
	if _, ok := stamped(loadgen.RandomBody(64)); ok {
		t.Fatal("an unstamped body read as stamped")
	}
	short := []byte("tiny")
	stamp(short, now)
	if string(short) != "tiny" {
		t.Fatal("stamp wrote into a body too short for it")
	}
}

func TestUserPropertiesSize(t *testing.T) {
	if userProperties(0) != nil {
		t.Fatal("properties for size 0")
	}
	props := userProperties(100)
	total := 0
	for k, v := range props {
		total += len(k) + len(v)
	}
	if total <= 100 || total > 140 {
		t.Fatalf("properties of %d bytes for -p 100: %v", total, props)
	}
}

// TestNoNameServerFails: with nothing to send to, the first error is
// shown and the exit status says no send succeeded.
func TestNoNameServerFails(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"producer", "-n", addr, "-w", "2", "-q", "4"}, &out, &errOut)
	if code != 1 || !strings.Contains(errOut.String(), "send failed:") || !strings.Contains(errOut.String(), "no send succeeded") {
		t.Fatalf("exit %d, stderr %q; want 1, the first error and 'no send succeeded'", code, errOut.String())
	}
	if !strings.Contains(out.String(), "Send Failed: 4") {
		t.Fatalf("summary does not count the 4 failures:\n%s", out.String())
	}
}
