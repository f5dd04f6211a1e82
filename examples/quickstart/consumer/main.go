// Command consumer is the quickstart consumer of the RocketMQ docs: it
// consumes -t with group -g from the first offset, prints each message
// and exits after -c messages (0: until interrupted).
//
//	go run ./examples/quickstart/consumer -n 127.0.0.1:9876 -t TopicTest -c 10
package main

import (
	"context"
	"flag"
	"sync"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/examples/internal/cli"
)

func main() {
	ns := cli.NameServerFlag()
	topic := flag.String("t", "TopicTest", "topic")
	group := flag.String("g", "please_rename_unique_group_name_4", "consumer group")
	count := flag.Int("c", 0, "exit after this many messages (0: run until interrupted)")
	flag.Parse()

	ctx, stop := cli.Context()
	defer stop()
	var mu sync.Mutex
	received := 0
	cli.RunConsumer(ctx, client.PushConsumerOptions{
		ClientOptions: cli.Options(*ns),
		Group:         *group,
		ConsumeFrom:   client.ConsumeFromFirstOffset,
		Listener: func(lctx context.Context, msgs []*client.MessageExt) (client.ConsumeResult, error) {
			mu.Lock()
			if *count > 0 && received >= *count {
				mu.Unlock()
				<-lctx.Done() // shutting down: these stay for the next run
				return client.ReconsumeLater, nil
			}
			for _, m := range msgs {
				cli.PrintMessage(m)
				received++
			}
			if *count > 0 && received >= *count {
				stop()
			}
			mu.Unlock()
			return client.ConsumeSuccess, nil
		},
	}, *topic, client.ByTag("*"), "Consumer Started.")
}
