// Package cli holds what every example main needs: the -n name server
// flag with upstream's NAMESRV_ADDR default, a context ended by Ctrl-C,
// and a quiet logger.
package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rocketgo/rocketgo/client"
)

// NameServerFlag defines -n: name server addresses, "host:port;host:port",
// by default $NAMESRV_ADDR or 127.0.0.1:9876.
func NameServerFlag() *string {
	def := os.Getenv("NAMESRV_ADDR")
	if def == "" {
		def = "127.0.0.1:9876"
	}
	return flag.String("n", def, "name server address list, host:port;host:port (default $NAMESRV_ADDR or 127.0.0.1:9876)")
}

// Options returns client options for the name servers in ns, logging
// warnings and errors to stderr only.
func Options(ns string) client.ClientOptions {
	return client.ClientOptions{
		NameServers: client.SplitNameServers(ns),
		Logger:      slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
}

// Context returns a context that ends on SIGINT or SIGTERM.
func Context() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// Check exits with the error when err is not nil.
func Check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// StartProducer starts a producer of group; stop it with Shutdown.
func StartProducer(ctx context.Context, ns, group string) *client.Producer {
	p, err := client.NewProducer(client.ProducerOptions{ClientOptions: Options(ns), Group: group})
	Check(err)
	Check(p.Start(ctx))
	return p
}

// RunConsumer starts a push consumer of topic, prints started, and runs
// it until ctx ends (Ctrl-C, or the listener cancelling it).
func RunConsumer(ctx context.Context, opts client.PushConsumerOptions, topic string, sel client.Selector, started string) {
	c, err := client.NewPushConsumer(opts)
	Check(err)
	Check(c.Subscribe(topic, sel))
	Check(c.Start(ctx))
	fmt.Println(started)
	<-ctx.Done()
	Shutdown(c.Shutdown)
}

// PrintAll is a listener that prints every message and consumes it.
func PrintAll(_ context.Context, msgs []*client.MessageExt) (client.ConsumeResult, error) {
	for _, m := range msgs {
		PrintMessage(m)
	}
	return client.ConsumeSuccess, nil
}

// Shutdown stops a producer or consumer, reporting a failure.
func Shutdown(stop func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := stop(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "shutdown:", err)
	}
}

// PrintMessage prints a consumed message on one line.
func PrintMessage(m *client.MessageExt) {
	fmt.Printf("Receive New Message: topic=%s queueId=%d queueOffset=%d msgId=%s tags=%s reconsumeTimes=%d body=%s\n",
		m.Topic, m.QueueID, m.QueueOffset, m.MsgID(), m.Tags(), m.ReconsumeTimes, m.Body)
}
