package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procs owns every server process compare starts; stopAll ends them.
type procs struct {
	mu    sync.Mutex
	list  []*proc
	logTo io.Writer // verbose output, or io.Discard
}

// proc is one started server.
type proc struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	mu     sync.Mutex
	tail   []string // last lines of output, for errors
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}

// start runs bin in dir and waits until a line containing bootLine
// appears, the process exits, or 60 s pass.
func (ps *procs) start(ctx context.Context, name, bin, dir, bootLine string, args ...string) (*proc, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir, "ROCKETMQ_LOG_DIR="+filepath.Join(dir, "logs"))
	// Own process group: a terminal's ^C reaches compare alone, which
	// stops the servers in order. Pdeathsig: they die with compare.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	pw.Close()
	p := &proc{name: name, cmd: cmd, exited: make(chan struct{})}
	ps.mu.Lock()
	ps.list = append(ps.list, p)
	ps.mu.Unlock()
	booted := make(chan struct{})
	go func() {
		var once sync.Once
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintf(ps.logTo, "[%s] %s\n", name, line)
			p.mu.Lock()
			if p.tail = append(p.tail, line); len(p.tail) > 40 {
				p.tail = p.tail[1:]
			}
			p.mu.Unlock()
			if strings.Contains(line, bootLine) {
				once.Do(func() { close(booted) })
			}
		}
		_ = cmd.Wait()
		pr.Close()
		close(p.exited)
	}()
	timer := time.NewTimer(60 * time.Second)
	defer timer.Stop()
	select {
	case <-booted:
		return p, nil
	case <-p.exited:
		return nil, fmt.Errorf("%s exited before booting:\n%s", name, p.output())
	case <-timer.C:
		return nil, fmt.Errorf("%s printed no %q within 60s:\n%s", name, bootLine, p.output())
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// stop sends SIGTERM to the process and kills it after timeout.
func (p *proc) stop(timeout time.Duration) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// stopAll stops every process started, newest first.
func (ps *procs) stopAll() {
	ps.mu.Lock()
	list := ps.list
	ps.list = nil
	ps.mu.Unlock()
	for i := len(list) - 1; i >= 0; i-- {
		list[i].stop(30 * time.Second)
	}
}
