package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/internal/testcluster"
)

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"proxy"}, {"broker", "-x"}, {"broker", "extra"}} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 || !strings.Contains(errb.String(), "/proc/*/cmdline") {
			t.Fatalf("%q: exit %d, stderr %q", args, code, errb.String())
		}
	}
}

func TestNothingRunning(t *testing.T) {
	var out, errb bytes.Buffer
	name := fmt.Sprintf("no-such-program-%d", os.Getpid())
	if code := shutdown("/proc", name, time.Second, &out, &errb); code != 1 || !strings.Contains(out.String(), "No "+name+" running.") {
		t.Fatalf("exit %d, out %q", code, out.String())
	}
}

// TestStopsARealProcess runs a name server under a program name no other
// process has (so nothing else on the machine is touched), stops it with
// shutdown and checks it exited cleanly.
func TestStopsARealProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a process")
	}
	bin := testcluster.Build(t, "mqnamesrv")
	name := fmt.Sprintf("mqnamesrv-shutdowntest-%d", os.Getpid())
	renamed := filepath.Join(filepath.Dir(bin), name)
	if err := os.Rename(bin, renamed); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	conf := testcluster.WriteProperties(t, dir, "namesrv.properties", map[string]string{
		"listenPort":      strconv.Itoa(testcluster.FreePort(t)),
		"kvConfigPath":    filepath.Join(dir, "kvConfig.json"),
		"configStorePath": filepath.Join(dir, "namesrv.properties"),
	})
	p := testcluster.Start(t, renamed, dir, testcluster.NamesrvBootLine, "-c", conf)

	var out, errb bytes.Buffer
	if code := shutdown("/proc", name, 30*time.Second, &out, &errb); code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, out.String(), errb.String())
	}
	want := fmt.Sprintf("Send shutdown request to %s(%d) OK", name, p.Cmd.Process.Pid)
	if !strings.Contains(out.String(), want) {
		t.Fatalf("stdout %q lacks %q", out.String(), want)
	}
	select {
	case <-p.Exited():
	case <-time.After(30 * time.Second):
		t.Fatal("process still running")
	}
	if code := p.Cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d after SIGTERM\n%s", code, p.Output())
	}
}
