package testcluster

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
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
)

// BootTimeout bounds how long a process may take to print its boot line.
const BootTimeout = 30 * time.Second

var (
	rootOnce sync.Once
	rootDir  string
	rootErr  error
)

// moduleRoot finds the directory of github.com/rocketgo/rocketgo, also when
// called from the interop module, where a replace directive points at it.
func moduleRoot() (string, error) {
	rootOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/rocketgo/rocketgo").Output()
		if err != nil {
			rootErr = fmt.Errorf("locate module root: %w", err)
			return
		}
		rootDir = strings.TrimSpace(string(out))
	})
	return rootDir, rootErr
}

// RaceServersEnv, set to 1, builds the started processes with the race
// detector even when the test binary itself is not (the interop suite runs
// without -race because the official client has known races).
const RaceServersEnv = "ROCKETGO_RACE_SERVERS"

// raceServers says whether started processes are built with -race: always
// under a race-enabled test binary, else when RaceServersEnv is 1.
func raceServers() bool { return raceEnabled || os.Getenv(RaceServersEnv) == "1" }

// Build compiles cmd/<name> once per test process and returns the
// binary's path. Linking a server takes seconds on a loaded machine, and
// every test of a package starts servers, so the binaries live in a
// directory of this process (rocketgo-testbin-<pid> in the temp
// directory) rather than in a test's; directories of processes that no
// longer run are removed the first time Build runs.
func Build(t testing.TB, name string) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bins.mu.Lock()
	defer bins.mu.Unlock()
	if bins.dir == "" {
		removeStaleBinDirs()
		dir := filepath.Join(os.TempDir(), binDirPrefix+strconv.Itoa(os.Getpid()))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		bins.dir = dir
	}
	out := filepath.Join(bins.dir, name)
	if bins.built[name] {
		if _, err := os.Stat(out); err == nil {
			return out
		}
	}
	args := []string{"build", "-o", out}
	if raceServers() {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, "./cmd/"+name)...)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/%s: %v\n%s", name, err, b)
	}
	bins.built[name] = true
	return out
}

const binDirPrefix = "rocketgo-testbin-"

// bins holds what Build has built in this process.
var bins = struct {
	mu    sync.Mutex
	dir   string
	built map[string]bool
}{built: map[string]bool{}}

// removeStaleBinDirs removes the binary directories of test processes
// that are gone.
func removeStaleBinDirs() {
	entries, _ := os.ReadDir(os.TempDir())
	for _, e := range entries {
		pid, err := strconv.Atoi(strings.TrimPrefix(e.Name(), binDirPrefix))
		if !e.IsDir() || !strings.HasPrefix(e.Name(), binDirPrefix) || err != nil || pid == os.Getpid() {
			continue
		}
		if syscall.Kill(pid, 0) == syscall.ESRCH {
			os.RemoveAll(filepath.Join(os.TempDir(), e.Name()))
		}
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// WriteProperties writes a .properties file with the given keys, sorted.
func WriteProperties(t testing.TB, dir, name string, props map[string]string) string {
	t.Helper()
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, props[k])
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Process is a started RocketGo command.
type Process struct {
	Cmd    *exec.Cmd
	Addr   string // 127.0.0.1:port the process listens on
	Dir    string // its home, log and store directory
	output *lockedBuffer
	exited chan struct{}
	err    error
}

// Output returns what the process printed so far (stdout and stderr).
func (p *Process) Output() string { return p.output.String() }

// Exited is closed when the process has ended.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Stop sends SIGTERM and waits up to the deadline; it returns the exit error.
func (p *Process) Stop(timeout time.Duration) error {
	select {
	case <-p.exited:
		return p.err
	default:
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return p.err
	case <-time.After(timeout):
		_ = p.Cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not stop within %v after SIGTERM; killed", filepath.Base(p.Cmd.Path), timeout)
	}
}

// Start runs bin with args in dir (HOME and ROCKETMQ_LOG_DIR point into it)
// and waits until a line containing bootLine appears on stdout or stderr.
// The process is stopped with SIGTERM when the test ends.
func Start(t testing.TB, bin, dir, bootLine string, args ...string) *Process {
	t.Helper()
	p, err := start(t, bin, dir, bootLine, args...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func start(t testing.TB, bin, dir, bootLine string, args ...string) (*Process, error) {
	out := &lockedBuffer{}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	// A test binary that is killed cannot run its cleanups; the kernel
	// then kills what it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Env = append(os.Environ(), "HOME="+dir, "ROCKETMQ_LOG_DIR="+filepath.Join(dir, "logs"))
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	pw.Close()
	p := &Process{Cmd: cmd, Dir: dir, output: out, exited: make(chan struct{})}
	booted := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var once sync.Once
		for sc.Scan() {
			line := sc.Text()
			out.WriteLine(line)
			// The boot line goes to stdout as a bare line and to the log
			// (stderr) behind a timestamp, usually first; wait for the bare
			// one so callers that check stdout find it.
			if strings.HasPrefix(line, "The ") && strings.Contains(line, bootLine) {
				once.Do(func() { close(booted) })
			}
		}
		p.err = cmd.Wait()
		pr.Close()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if err := p.Stop(10 * time.Second); err != nil {
			t.Logf("%s: %v\n%s", filepath.Base(bin), err, p.Output())
		}
		// A race-enabled server reports races on stderr and keeps going;
		// that must fail the test that drove it.
		if out := p.Output(); strings.Contains(out, "WARNING: DATA RACE") {
			t.Errorf("%s reported a data race:\n%s", filepath.Base(bin), out)
		}
	})
	select {
	case <-booted:
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("%s exited before booting: %v\n%s", filepath.Base(bin), p.err, p.Output())
	case <-time.After(BootTimeout):
		return nil, fmt.Errorf("%s printed no %q within %v\n%s", filepath.Base(bin), bootLine, BootTimeout, p.Output())
	}
}

// NamesrvBootLine is what mqnamesrv prints once it serves.
const NamesrvBootLine = "The Name Server boot success."

// StartNamesrv builds and starts mqnamesrv on a free port with extra
// properties, and returns it once it has printed its boot line. A port taken
// between choosing and binding makes the process exit; it is retried.
func StartNamesrv(t testing.TB, props map[string]string) *Process {
	t.Helper()
	bin := Build(t, "mqnamesrv")
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		dir := t.TempDir()
		port := FreePort(t)
		all := map[string]string{
			"listenPort":      strconv.Itoa(port),
			"rocketmqHome":    dir,
			"kvConfigPath":    filepath.Join(dir, "namesrv", "kvConfig.json"),
			"configStorePath": filepath.Join(dir, "namesrv", "namesrv.properties"),
		}
		for k, v := range props {
			all[k] = v
		}
		conf := WriteProperties(t, dir, "namesrv.properties", all)
		p, err := start(t, bin, dir, NamesrvBootLine, "-c", conf)
		if err == nil {
			p.Addr = "127.0.0.1:" + strconv.Itoa(port)
			return p
		}
		lastErr = err
	}
	t.Fatal(lastErr)
	return nil
}

// lockedBuffer collects a process's output lines for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) WriteLine(s string) {
	l.mu.Lock()
	l.b.WriteString(s)
	l.b.WriteByte('\n')
	l.mu.Unlock()
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
