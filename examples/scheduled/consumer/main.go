// Command consumer prints how long after being stored each scheduled
// message arrived.
package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/examples/internal/cli"
)

func main() {
	ns := cli.NameServerFlag()
	topic := flag.String("t", "TestTopic", "topic")
	flag.Parse()

	ctx, stop := cli.Context()
	defer stop()
	cli.RunConsumer(ctx, client.PushConsumerOptions{
		ClientOptions: cli.Options(*ns),
		Group:         "ExampleConsumer",
		Listener: func(_ context.Context, msgs []*client.MessageExt) (client.ConsumeResult, error) {
			for _, m := range msgs {
				fmt.Printf("Receive message[msgId=%s] %dms later\n", m.MsgID(), time.Now().UnixMilli()-m.StoreTimestamp)
			}
			return client.ConsumeSuccess, nil
		},
	}, *topic, client.ByTag("*"), "Consumer Started.")
}
