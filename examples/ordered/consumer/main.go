// Command consumer consumes the ordered example's messages with an
// orderly listener: one goroutine per queue, each queue's messages in
// order, tags TagA || TagC || TagD.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/examples/internal/cli"
)

func main() {
	ns := cli.NameServerFlag()
	topic := flag.String("t", "TopicTest", "topic")
	group := flag.String("g", "please_rename_unique_group_name_3", "consumer group")
	work := flag.Duration("work", time.Second, "longest simulated processing time per message")
	flag.Parse()

	ctx, stop := cli.Context()
	defer stop()
	cli.RunConsumer(ctx, client.PushConsumerOptions{
		ClientOptions: cli.Options(*ns),
		Group:         *group,
		ConsumeFrom:   client.ConsumeFromFirstOffset,
		OrderlyListener: func(lctx context.Context, msgs []*client.MessageExt) (client.OrderlyResult, error) {
			for _, m := range msgs {
				fmt.Printf("queueId=%d, content:%s\n", m.QueueID, m.Body)
			}
			select { // simulated business work
			case <-time.After(rand.N(*work + 1)):
			case <-lctx.Done():
			}
			return client.OrderlySuccess, nil
		},
	}, *topic, client.ByTag("TagA || TagC || TagD"), "Consumer Started.")
}
