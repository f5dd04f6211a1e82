package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

const usage = `usage: mqbench producer|consumer|e2e [flags]
  mqbench producer -h    lists the producer's flags (and e2e's)
  mqbench consumer -h    lists the consumer's flags
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: it returns the exit status. A signal
// ends the workload early; the summary is printed all the same.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var (
		err     error
		profile *string
	)
	mode, rest := args[0], args[1:]
	switch mode {
	case "producer", "e2e":
		var o producerOptions
		fs := o.flags(mode)
		profile = fs.String("cpuprofile", "", "write a CPU profile of this process to `file`")
		if err = parse(fs, rest, stdout); err != nil {
			break
		}
		err = withProfile(*profile, func() error {
			if mode == "e2e" {
				return runE2E(ctx, o, stdout, stderr)
			}
			return runProducer(ctx, o, stdout, stderr)
		})
	case "consumer":
		var o consumerOptions
		fs := o.flags()
		profile = fs.String("cpuprofile", "", "write a CPU profile of this process to `file`")
		if err = parse(fs, rest, stdout); err != nil {
			break
		}
		err = withProfile(*profile, func() error { return runConsumer(ctx, o, stdout, stderr) })
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "mqbench: unknown mode %q\n%s", mode, usage)
		return 2
	}
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "mqbench %s: %v\n", mode, err)
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "mqbench %s: %v\n", mode, err)
		return 1
	}
	return 0
}

var errUsage = errors.New("bad usage")

func parse(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	fs.SetOutput(stdout)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	return nil
}

// withProfile runs f under a CPU profile written to path ("" = none).
func withProfile(path string, f func() error) error {
	if path == "" {
		return f()
	}
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return fmt.Errorf("cpuprofile: %w", err)
	}
	ferr := f()
	pprof.StopCPUProfile()
	if err := out.Close(); err != nil && ferr == nil {
		ferr = fmt.Errorf("cpuprofile: %w", err)
	}
	return ferr
}
