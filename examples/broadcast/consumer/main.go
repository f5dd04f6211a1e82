// Command consumer consumes -t in broadcasting mode: every consumer of
// the group gets every message. Run two with different -i to see it.
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
	group := flag.String("g", "group1", "consumer group")
	instance := flag.String("i", "", "instance name; broadcasting consumers of a group on one host need different ones")
	flag.Parse()

	ctx, stop := cli.Context()
	defer stop()
	opts := cli.Options(*ns)
	opts.InstanceName = *instance
	c, err := client.NewPushConsumer(client.PushConsumerOptions{
		ClientOptions: opts,
		Group:         *group,
		Model:         client.Broadcasting,
		ConsumeFrom:   client.ConsumeFromFirstOffset,
		Listener: func(_ context.Context, msgs []*client.MessageExt) (client.ConsumeResult, error) {
			for _, m := range msgs {
				cli.PrintMessage(m)
			}
			return client.ConsumeSuccess, nil
		},
	})
	cli.Check(err)
	cli.Check(c.Subscribe(*topic, client.ByTag("*")))
	cli.Check(c.Start(ctx))
	fmt.Println("Broadcast Consumer Started.")
	<-ctx.Done()
	cli.Shutdown(c.Shutdown)
}
