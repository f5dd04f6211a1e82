package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/internal/logfile"
	"github.com/rocketgo/rocketgo/namesrv"
)

// bootLine is what upstream prints once the name server serves; scripts and
// test harnesses wait for it.
const bootLine = "The Name Server boot success. serializeType=JSON"

const usage = `usage: mqnamesrv [-c <arg>] [-h] [-n <arg>] [-p]
 -c,--configFile <arg>    Name server config properties file
 -h,--help                Print help
 -n,--namesrvAddr <arg>   Name server address list, eg: '192.168.0.1:9876;192.168.0.2:9876'
                          (accepted for compatibility; a name server does not use it)
 -p,--printConfigItem     Print all config items
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type options struct {
	configFile  string
	printConfig bool
	help        bool
	namesrvAddr string
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("mqnamesrv", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // we print our own usage
	for _, name := range []string{"c", "configFile"} {
		fs.StringVar(&o.configFile, name, "", "")
	}
	for _, name := range []string{"p", "printConfigItem"} {
		fs.BoolVar(&o.printConfig, name, false, "")
	}
	for _, name := range []string{"h", "help"} {
		fs.BoolVar(&o.help, name, false, "")
	}
	for _, name := range []string{"n", "namesrvAddr"} {
		fs.StringVar(&o.namesrvAddr, name, "", "")
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return o, nil
}

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args)
	if err != nil {
		fmt.Fprintf(stderr, "mqnamesrv: %v\n%s", err, usage)
		return 2
	}
	if o.help {
		fmt.Fprint(stdout, usage)
		return 0
	}

	cfg := config.DefaultNamesrv()
	var warnings []config.Warning
	if o.configFile != "" {
		warnings, err = config.LoadFile(o.configFile, &cfg)
		if err != nil {
			fmt.Fprintf(stderr, "mqnamesrv: %v\n", err)
			return 1
		}
	}
	if o.printConfig {
		for _, w := range warnings {
			fmt.Fprintf(stderr, "mqnamesrv: warning: %s\n", w)
		}
		if err := config.Print(stdout, &cfg); err != nil {
			fmt.Fprintf(stderr, "mqnamesrv: %v\n", err)
			return 1
		}
		return 0
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "mqnamesrv: invalid configuration:\n%v\n", err)
		return 1
	}

	log, logCloser, err := logfile.Open("namesrv", logfile.Options{Stderr: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "mqnamesrv: %v\n", err)
		return 1
	}
	defer logCloser.Close()
	for _, w := range warnings {
		log.Warn("config: " + w.String())
	}
	if o.namesrvAddr != "" {
		log.Warn("-n has no effect on a name server; ignored", "namesrvAddr", o.namesrvAddr)
	}
	if o.configFile != "" {
		log.Info("load config properties file OK", "file", o.configFile)
	}

	srv, err := namesrv.New(cfg, namesrv.WithLogger(log))
	if err != nil {
		log.Error("name server not started", "err", err)
		return 1
	}
	if err := srv.Start(); err != nil {
		log.Error("name server not started", "err", err)
		return 1
	}
	log.Info(bootLine, "addr", srv.Addr().String())
	fmt.Fprintln(stdout, bootLine)

	<-ctx.Done()
	log.Info("shutting down")
	wait := time.Duration(cfg.ShutdownWaitTimeSeconds) * time.Second
	if wait <= 0 {
		wait = 30 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	log.Info("name server stopped")
	return 0
}
