// Command tagconsumer consumes only the messages whose tag matches -e
// ("TagA || TagC" by default).
package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/examples/internal/cli"
)

func main() {
	ns := cli.NameServerFlag()
	topic := flag.String("t", "TopicTest", "topic")
	expr := flag.String("e", "TagA || TagC", "tag expression")
	flag.Parse()

	ctx, stop := cli.Context()
	defer stop()
	c, err := client.NewPushConsumer(client.PushConsumerOptions{
		ClientOptions: cli.Options(*ns),
		Group:         "CID_EXAMPLE",
		ConsumeFrom:   client.ConsumeFromFirstOffset,
		Listener: func(_ context.Context, msgs []*client.MessageExt) (client.ConsumeResult, error) {
			for _, m := range msgs {
				cli.PrintMessage(m)
			}
			return client.ConsumeSuccess, nil
		},
	})
	cli.Check(err)
	cli.Check(c.Subscribe(*topic, client.ByTag(*expr)))
	cli.Check(c.Start(ctx))
	fmt.Println("Consumer Started.")
	<-ctx.Done()
	cli.Shutdown(c.Shutdown)
}
