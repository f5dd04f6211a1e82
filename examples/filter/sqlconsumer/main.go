// Command sqlconsumer consumes only the messages whose properties match
// the SQL92 expression -e ("a between 0 and 3" by default). The broker
// needs enablePropertyFilter=true.
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
	expr := flag.String("e", "a between 0 and 3", "SQL92 expression")
	flag.Parse()

	ctx, stop := cli.Context()
	defer stop()
	c, err := client.NewPushConsumer(client.PushConsumerOptions{
		ClientOptions: cli.Options(*ns),
		Group:         "please_rename_unique_group_name_4",
		ConsumeFrom:   client.ConsumeFromFirstOffset,
		Listener: func(_ context.Context, msgs []*client.MessageExt) (client.ConsumeResult, error) {
			for _, m := range msgs {
				cli.PrintMessage(m)
			}
			return client.ConsumeSuccess, nil
		},
	})
	cli.Check(err)
	cli.Check(c.Subscribe(*topic, client.BySQL(*expr)))
	cli.Check(c.Start(ctx))
	fmt.Println("Consumer Started.")
	<-ctx.Done()
	cli.Shutdown(c.Shutdown)
}
