package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/rocketgo/rocketgo/broker"
	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/internal/logfile"
)

const usage = `usage: mqbroker [-c <arg>] [-h] [-m] [-n <arg>] [-p]
 -c,--configFile <arg>       Broker config properties file; mqadmin updateBrokerConfig rewrites it
                             (without -c: <storePathRootDir>/config/broker.properties, loaded if present)
 -h,--help                   Print help
 -m,--printImportantConfig   Print important config items
 -n,--namesrvAddr <arg>      Name server address list, eg: '192.168.0.1:9876;192.168.0.2:9876'
                             (overrides namesrvAddr of the config file)
 -p,--printConfigItem        Print all config items
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

type options struct {
	configFile     string
	namesrvAddr    string
	printConfig    bool
	printImportant bool
	help           bool
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("mqbroker", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // we print our own usage
	for _, name := range []string{"c", "configFile"} {
		fs.StringVar(&o.configFile, name, "", "")
	}
	for _, name := range []string{"n", "namesrvAddr"} {
		fs.StringVar(&o.namesrvAddr, name, "", "")
	}
	for _, name := range []string{"p", "printConfigItem"} {
		fs.BoolVar(&o.printConfig, name, false, "")
	}
	for _, name := range []string{"m", "printImportantConfig"} {
		fs.BoolVar(&o.printImportant, name, false, "")
	}
	for _, name := range []string{"h", "help"} {
		fs.BoolVar(&o.help, name, false, "")
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return o, nil
}

// importantKeys are what -m prints (upstream's @ImportantField keys that
// RocketGo has).
var importantKeys = []string{
	"namesrvAddr", "brokerIP1", "brokerName", "brokerClusterName", "brokerId", "listenPort",
	"brokerRole", "flushDiskType", "storePathRootDir", "storePathCommitLog", "autoCreateTopicEnable",
	"autoCreateSubscriptionGroup", "defaultTopicQueueNums", "maxMessageSize", "deleteWhen", "fileReservedTime",
}

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args)
	if err != nil {
		fmt.Fprintf(stderr, "mqbroker: %v\n%s", err, usage)
		return 2
	}
	if o.help {
		fmt.Fprint(stdout, usage)
		return 0
	}

	cfg := config.DefaultBroker()
	var warnings []config.Warning
	// Without -c, the file runtime config updates (mqadmin
	// updateBrokerConfig) were persisted to is loaded, if there is one.
	confFile, persisted := o.configFile, false
	if confFile == "" {
		confFile = filepath.Join(cfg.Store.Paths().Config, broker.DefaultConfigFileName)
		_, err := os.Stat(confFile)
		persisted = err == nil
	}
	if o.configFile != "" || persisted {
		if warnings, err = config.LoadFile(confFile, &cfg); err != nil {
			fmt.Fprintf(stderr, "mqbroker: %v\n", err)
			return 1
		}
	}
	if o.namesrvAddr != "" {
		if err := config.Set(&cfg, "namesrvAddr", o.namesrvAddr); err != nil {
			fmt.Fprintf(stderr, "mqbroker: -n: %v\n", err)
			return 1
		}
	}
	_, addrWarnings := config.SplitAddrs(cfg.NamesrvAddr)
	warnings = append(warnings, addrWarnings...)
	if o.printConfig || o.printImportant {
		for _, w := range warnings {
			fmt.Fprintf(stderr, "mqbroker: warning: %s\n", w)
		}
		if err := printConfig(stdout, &cfg, o.printImportant && !o.printConfig); err != nil {
			fmt.Fprintf(stderr, "mqbroker: %v\n", err)
			return 1
		}
		return 0
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "mqbroker: invalid configuration:\n%v\n", err)
		return 1
	}

	log, logCloser, err := logfile.Open("broker", logfile.Options{Stderr: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "mqbroker: %v\n", err)
		return 1
	}
	defer logCloser.Close()
	storeLog, storeCloser, err := logfile.Open("store", logfile.Options{Stderr: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "mqbroker: %v\n", err)
		return 1
	}
	defer storeCloser.Close()
	for _, w := range warnings {
		log.Warn("config: " + w.String())
	}
	switch {
	case o.configFile != "":
		log.Info("load config properties file OK", "file", o.configFile)
	case persisted:
		log.Info("no -c: loaded the config persisted by runtime updates", "file", confFile)
	default:
		log.Info("no -c: defaults in use; runtime config updates will be persisted", "file", confFile)
	}
	if cfg.NamesrvAddr == "" {
		log.Warn("no name server address (namesrvAddr or -n): clients cannot find this broker through a name server")
	}

	b, err := broker.New(cfg, broker.WithLogger(log), broker.WithStoreLogger(storeLog), broker.WithConfigFile(confFile))
	if err != nil {
		log.Error("broker not started", "err", err)
		return 1
	}
	if err := b.Start(); err != nil {
		log.Error("broker not started", "err", err)
		return 1
	}
	line := b.BootLine()
	log.Info(line)
	fmt.Fprintln(stdout, line)

	<-ctx.Done()
	log.Info("shutting down")
	wait := time.Duration(cfg.ShutdownWaitTimeSeconds) * time.Second
	if wait <= 0 {
		wait = 30 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := b.Shutdown(sctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Error("shutdown", "err", err)
		return 1
	}
	log.Info("broker stopped")
	return 0
}

// printConfig writes every key (or only the important ones) as key=value.
func printConfig(w io.Writer, cfg *config.Broker, importantOnly bool) error {
	if !importantOnly {
		return config.Print(w, cfg)
	}
	var all strings.Builder
	if err := config.Print(&all, cfg); err != nil {
		return err
	}
	for line := range strings.Lines(all.String()) {
		key, _, _ := strings.Cut(line, "=")
		if slices.Contains(importantKeys, key) {
			if _, err := io.WriteString(w, line); err != nil {
				return err
			}
		}
	}
	return nil
}
