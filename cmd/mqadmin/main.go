// Command mqadmin administers a RocketGo (or RocketMQ) cluster: topics,
// brokers, messages, consumer groups and name server settings, with
// upstream mqadmin's commands, flags and output. Run it without arguments
// for the list of commands, and "mqadmin COMMAND -h" for a command's flags.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/rocketgo/rocketgo/admin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := admin.Main(ctx, os.Args[1:], admin.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv})
	stop()
	os.Exit(code)
}
