package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case err != nil:
		fmt.Fprintf(os.Stderr, "compare: %v\n", err)
		os.Exit(1)
	}
}

// config is what one comparison runs.
type config struct {
	duration     time.Duration // each publish workload
	warmup       int           // sends before each timed workload
	sizes        []int
	pubs         []int
	consumePubs  int // the publish workload whose messages are consumed
	diskRecords  int
	diskSyncs    int
	natsBin      string
	dir          string
	keep, smoke  bool
	verbose      bool
	skipSyncMode bool
}

// workload is one publish shape.
type workload struct{ size, pubs int }

func (w workload) key() string { return fmt.Sprintf("publish %s, %d pub", sizeName(w.size), w.pubs) }

func consumeKey(size int) string { return fmt.Sprintf("consume %s", sizeName(size)) }

func sizeName(n int) string {
	if n%1024 == 0 {
		return fmt.Sprintf("%d KB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}

func publishWorkloads(cfg config) []workload {
	var ws []workload
	for _, s := range cfg.sizes {
		for _, p := range cfg.pubs {
			ws = append(ws, workload{s, p})
		}
	}
	return ws
}

// measure is one workload's figures on one system.
type measure struct {
	perSec   float64
	p50, p99 time.Duration // zero for consume rows
	count    int64
	failed   int64
}

func parseConfig(args []string, stderr io.Writer) (config, error) {
	cfg := config{sizes: []int{128, 1024}, pubs: []int{1, 64}, consumePubs: 64}
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&cfg.duration, "d", 10*time.Second, "duration of each publish workload")
	fs.IntVar(&cfg.warmup, "warmup", 200, "sends before each timed workload (topic creation, routes, connections)")
	fs.StringVar(&cfg.natsBin, "nats-server", "nats-server", "the nats-server binary")
	fs.StringVar(&cfg.dir, "dir", "", "parent of the temporary directory for stores and binaries (default $TMPDIR)")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the temporary directory")
	fs.BoolVar(&cfg.smoke, "smoke", false, "a few seconds of everything: checks the comparison runs, measures nothing")
	fs.BoolVar(&cfg.verbose, "v", false, "copy server and mqbench output to stderr")
	fs.BoolVar(&cfg.skipSyncMode, "no-sync", false, "skip RocketGo's SYNC_FLUSH run")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg.diskRecords, cfg.diskSyncs = 200_000, 2_000
	if cfg.smoke {
		cfg.duration, cfg.warmup, cfg.diskRecords, cfg.diskSyncs = time.Second, 20, 2_000, 50
	}
	if cfg.duration <= 0 || cfg.warmup <= 0 {
		return cfg, errors.New("-d and -warmup must be positive")
	}
	return cfg, nil
}

// run is main without the process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	natsBin, err := exec.LookPath(cfg.natsBin)
	if err != nil {
		return fmt.Errorf("%s not found (apt-get install -y nats-server, or -nats-server PATH): %w", cfg.natsBin, err)
	}
	version, err := natsVersion(natsBin)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp(cfg.dir, "rocketgo-bench-")
	if err != nil {
		return err
	}
	if cfg.keep {
		fmt.Fprintf(stderr, "compare: keeping %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	ps := &procs{logTo: io.Discard}
	if cfg.verbose {
		ps.logTo = stderr
	}
	defer ps.stopAll() // whatever happens below, no server outlives compare

	started := time.Now()
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "compare: "+format+"\n", a...) }
	progress("building RocketGo into %s", dir)
	bin := filepath.Join(dir, "bin")
	if err := buildRocketGo(ctx, bin); err != nil {
		return err
	}
	var disks []diskResult
	for _, size := range cfg.sizes {
		progress("raw disk baseline, %s records", sizeName(size))
		d, err := diskBaseline(dir, size, cfg.diskRecords, cfg.diskSyncs)
		if err != nil {
			return err
		}
		disks = append(disks, d)
	}
	var cols []column
	modes := []string{"ASYNC_FLUSH", "SYNC_FLUSH"}
	if cfg.skipSyncMode {
		modes = modes[:1]
	}
	for _, mode := range modes {
		progress("RocketGo %s", mode)
		got, err := runRocketGo(ctx, ps, cfg, bin, filepath.Join(dir, "rocketgo-"+mode), mode)
		if err != nil {
			return fmt.Errorf("RocketGo %s: %w", mode, err)
		}
		cols = append(cols, column{name: "RocketGo " + mode, ours: true, syncs: mode == "SYNC_FLUSH", got: got})
	}
	natsModes := []bool{false}
	if natsCanSyncAlways(version) {
		natsModes = append(natsModes, true)
	}
	for _, syncAll := range natsModes {
		name := "NATS " + version + " file (default sync)"
		if syncAll {
			name = "NATS " + version + " file (sync always)"
		}
		progress("%s", name)
		got, err := runNATS(ctx, ps, cfg, natsBin, filepath.Join(dir, fmt.Sprintf("nats-%t", syncAll)), version, syncAll)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		cols = append(cols, column{name: name, syncs: syncAll, got: got})
	}
	printReport(stdout, cfg, disks, cols, time.Since(started))
	return nil
}

// machine describes where the run happened, for the table's header.
func machine() string {
	var load string
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return fmt.Sprintf("%d cores (GOMAXPROCS %d), %s/%s, %s, load average at the end %s",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version(), load)
}
