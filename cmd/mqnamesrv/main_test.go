package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/internal/testcluster"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds mqnamesrv once for all tests of this package.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mqnamesrv-test")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "mqnamesrv")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// nsProcess is a running mqnamesrv with its stdout and stderr kept apart.
type nsProcess struct {
	cmd     *exec.Cmd
	addr    string
	dir     string
	stdout  *syncBuffer
	stderr  *syncBuffer
	booted  chan time.Time // receives when the boot line appears on stdout
	exited  chan struct{}
	waitErr error
	started time.Time
}

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

// startNamesrv starts the binary on a free port with its home, logs and
// files in a temp dir, and waits for the boot line. A port taken between
// choosing and binding is retried.
func startNamesrv(t *testing.T, extra map[string]string) *nsProcess {
	t.Helper()
	bin := binary(t)
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		dir := t.TempDir()
		port := testcluster.FreePort(t)
		props := map[string]string{
			"listenPort":      strconv.Itoa(port),
			"bindAddress":     "127.0.0.1",
			"kvConfigPath":    filepath.Join(dir, "namesrv", "kvConfig.json"),
			"configStorePath": filepath.Join(dir, "namesrv", "namesrv.properties"),
		}
		for k, v := range extra {
			props[k] = v
		}
		conf := testcluster.WriteProperties(t, dir, "namesrv.properties", props)
		p, err := launch(t, bin, dir, "-c", conf)
		if err == nil {
			p.addr = "127.0.0.1:" + strconv.Itoa(port)
			return p
		}
		lastErr = err
	}
	t.Fatal(lastErr)
	return nil
}

func launch(t *testing.T, bin, dir string, args ...string) (*nsProcess, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "ROCKETMQ_LOG_DIR="+filepath.Join(dir, "logs"))
	p := &nsProcess{cmd: cmd, dir: dir, stdout: &syncBuffer{}, stderr: &syncBuffer{}, booted: make(chan time.Time, 1), exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			p.stdout.Write([]byte(line + "\n"))
			if line == bootLine {
				p.booted <- time.Now()
			}
		}
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case at := <-p.booted:
		p.booted <- at
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("mqnamesrv exited before booting: %v\nstderr:\n%s", p.waitErr, p.stderr)
	case <-time.After(testcluster.BootTimeout):
		return nil, fmt.Errorf("no boot line within %v\nstderr:\n%s", testcluster.BootTimeout, p.stderr)
	}
}

// stop sends SIGTERM and returns the exit status.
func (p *nsProcess) stop(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		t.Fatalf("no exit within 10 s of SIGTERM\nstderr:\n%s", p.stderr)
	}
	return p.cmd.ProcessState.ExitCode()
}

func vmRSS(t *testing.T, pid int) string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmRSS:"))
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return ""
}

func TestServesAndStopsOnSIGTERM(t *testing.T) {
	p := startNamesrv(t, map[string]string{"nameSrvAddr": "typo"})
	cli := remoting.NewClient(remoting.ClientConfig{})
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := remoting.NewRequest(protocol.ReqGetRouteInfoByTopic, map[string]string{"topic": "TopicTest"}, nil)
	resp, err := cli.InvokeSync(ctx, p.addr, req, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Code != protocol.RespTopicNotExist {
		t.Fatalf("route of an unknown topic answered %d %q", resp.Code, resp.Remark)
	}
	resp, err = cli.InvokeSync(ctx, p.addr, remoting.NewRequest(protocol.ReqGetBrokerClusterInfo, nil, nil), 5*time.Second)
	if err != nil || resp.Code != protocol.RespSuccess {
		t.Fatalf("cluster info: %v %+v", err, resp)
	}

	if code := p.stop(t); code != 0 {
		t.Fatalf("exit status %d after SIGTERM\nstderr:\n%s", code, p.stderr)
	}
	if got := p.stdout.String(); got != bootLine+"\n" {
		t.Fatalf("stdout holds more than the boot line:\n%q", got)
	}
	// The unknown key was warned about, on stderr and in the log file.
	if !strings.Contains(p.stderr.String(), "nameSrvAddr") {
		t.Errorf("no config warning on stderr:\n%s", p.stderr)
	}
	logged, err := os.ReadFile(filepath.Join(p.dir, "logs", "namesrv.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"nameSrvAddr", bootLine, "name server stopped"} {
		if !strings.Contains(string(logged), want) {
			t.Errorf("namesrv.log lacks %q:\n%s", want, logged)
		}
	}
}

func TestPrintConfig(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	conf := testcluster.WriteProperties(t, dir, "ns.properties", map[string]string{"listenPort": "19876", "orderMessageEnable": "true", "listenPot": "1"})
	cmd := exec.Command(bin, "-c", conf, "-p")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "HOME="+dir, "ROCKETMQ_LOG_DIR="+filepath.Join(dir, "logs"))
	if err := cmd.Run(); err != nil {
		t.Fatalf("-p: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"listenPort=19876\n", "orderMessageEnable=true\n", "kvConfigPath=" + filepath.Join(dir, "namesrv", "kvConfig.json") + "\n"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("-p output lacks %q:\n%s", want, stdout.String())
		}
	}
	if !strings.Contains(stderr.String(), "listenPort") || strings.Contains(stdout.String(), "warning") {
		t.Errorf("unknown key warning: stderr %q", stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "logs")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("-p created the log directory: %v", err)
	}
}

func TestBadInvocations(t *testing.T) {
	bin := binary(t)
	dir := t.TempDir()
	bad := testcluster.WriteProperties(t, dir, "bad.properties", map[string]string{"listenPort": "abc"})
	cases := []struct {
		args   []string
		status int
		stderr []string
		stdout string
	}{
		{[]string{"-x"}, 2, []string{"-x", "usage: mqnamesrv"}, ""},
		{[]string{"extra"}, 2, []string{`unexpected argument "extra"`, "usage: mqnamesrv"}, ""},
		{[]string{"-h"}, 0, nil, "usage: mqnamesrv"},
		{[]string{"-c", filepath.Join(dir, "missing.properties")}, 1, []string{"missing.properties"}, ""},
		{[]string{"-c", bad}, 1, []string{"listenPort", "abc"}, ""},
	}
	for _, c := range cases {
		cmd := exec.Command(bin, c.args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		cmd.Env = append(os.Environ(), "HOME="+dir, "ROCKETMQ_LOG_DIR="+filepath.Join(dir, "logs"))
		err := cmd.Run()
		status := 0
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			status = exit.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if status != c.status {
			t.Errorf("%v: status %d, want %d\n%s", c.args, status, c.status, stderr.String())
		}
		for _, want := range c.stderr {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("%v: stderr lacks %q:\n%s", c.args, want, stderr.String())
			}
		}
		if !strings.Contains(stdout.String(), c.stdout) || (c.stdout == "" && stdout.Len() != 0) {
			t.Errorf("%v: stdout %q", c.args, stdout.String())
		}
		if strings.Contains(stderr.String(), "panic") || strings.Contains(stderr.String(), "goroutine ") {
			t.Errorf("%v: panicked:\n%s", c.args, stderr.String())
		}
	}
}

// TestStartsThroughTestcluster checks the process helper other packages
// use agrees with this command (boot line, flags, properties keys).
func TestStartsThroughTestcluster(t *testing.T) {
	p := testcluster.StartNamesrv(t, nil)
	if err := p.Stop(10 * time.Second); err != nil {
		t.Fatalf("stop: %v\n%s", err, p.Output())
	}
}

// TestStartupTimeAndRSS measures process start to boot line and the idle
// resident set size after boot. It logs the figures (targets: < 100 ms,
// < 20 MB) and does not assert them: the machine is shared.
func TestStartupTimeAndRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	var starts []time.Duration
	var rss []string
	for i := 0; i < 5; i++ {
		p := startNamesrv(t, nil)
		at := <-p.booted
		starts = append(starts, at.Sub(p.started))
		rss = append(rss, vmRSS(t, p.cmd.Process.Pid))
		if code := p.stop(t); code != 0 {
			t.Fatalf("exit status %d", code)
		}
	}
	sorted := append([]time.Duration(nil), starts...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	t.Logf("start to boot line over %d runs: min %v, median %v, max %v (all: %v)", len(starts), sorted[0], sorted[len(sorted)/2], sorted[len(sorted)-1], starts)
	t.Logf("idle VmRSS after boot: %v", rss)
}
