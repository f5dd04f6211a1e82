// Command mqshutdown stops the RocketGo name servers or brokers running on
// this machine, as upstream's mqshutdown script does.
//
//	mqshutdown broker|namesrv [-w WAIT]
//
// It finds the processes by reading /proc/<pid>/cmdline of every process
// and keeping those whose program (the base name of argv[0]) is mqbroker
// or mqnamesrv, sends each SIGTERM (the clean shutdown: brokers unregister
// from their name servers and persist their offsets) and waits up to WAIT
// (default 60s) for them to exit. It exits 0 when every one stopped, 1 when
// none was running or one did not stop in time, 2 on bad usage. It only
// signals processes the caller may signal (the same user, or root).
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

const usage = `usage: mqshutdown broker|namesrv [-w WAIT]
 broker     stop every local mqbroker process
 namesrv    stop every local mqnamesrv process
 -w WAIT    how long to wait for them to exit (default 60s)

Processes are found by scanning /proc/*/cmdline for a program named
mqbroker or mqnamesrv; each gets SIGTERM, which shuts it down cleanly.
`

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("mqshutdown", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	wait := fs.Duration("w", 60*time.Second, "")
	var target string
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		target, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		if err == nil {
			err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
		}
		fmt.Fprintf(stderr, "mqshutdown: %v\n%s", err, usage)
		return 2
	}
	var program string
	switch target {
	case "broker":
		program = "mqbroker"
	case "namesrv":
		program = "mqnamesrv"
	default:
		fmt.Fprintf(stderr, "mqshutdown: want broker or namesrv, got %q\n%s", target, usage)
		return 2
	}
	return shutdown("/proc", program, *wait, stdout, stderr)
}

// shutdown signals every process named program and waits for them.
func shutdown(procRoot, program string, wait time.Duration, stdout, stderr io.Writer) int {
	pids, err := findProcesses(procRoot, program)
	if err != nil {
		fmt.Fprintf(stderr, "mqshutdown: %v\n", err)
		return 1
	}
	if len(pids) == 0 {
		fmt.Fprintf(stdout, "No %s running.\n", program)
		return 1
	}
	var signalled []int
	for _, pid := range pids {
		fmt.Fprintf(stdout, "The %s(%d) is running...\n", program, pid)
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
			if errors.Is(err, syscall.ESRCH) {
				continue // exited meanwhile
			}
			fmt.Fprintf(stderr, "mqshutdown: signal %s(%d): %v\n", program, pid, err)
			continue
		}
		fmt.Fprintf(stdout, "Send shutdown request to %s(%d) OK\n", program, pid)
		signalled = append(signalled, pid)
	}
	deadline := time.Now().Add(wait)
	status := 0
	for _, pid := range signalled {
		for alive(procRoot, pid) {
			if time.Now().After(deadline) {
				fmt.Fprintf(stderr, "mqshutdown: %s(%d) still running after %v\n", program, pid, wait)
				status = 1
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if len(signalled) < len(pids) && status == 0 {
		status = 1
	}
	return status
}

// findProcesses returns the pids whose argv[0] has base name program.
func findProcesses(procRoot, program string) ([]int, error) {
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join(procRoot, e.Name(), "cmdline"))
		if err != nil || len(cmdline) == 0 {
			continue // gone, or a kernel thread
		}
		argv0, _, _ := bytes.Cut(cmdline, []byte{0})
		if filepath.Base(string(argv0)) == program && alive(procRoot, pid) {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// alive reports whether pid exists and is not a zombie (a zombie has
// exited; only its parent's wait is missing).
func alive(procRoot string, pid int) bool {
	stat, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	// The state follows the ")" that closes the command name.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return true
	}
	state := stat[i+2]
	return state != 'Z' && state != 'X'
}
