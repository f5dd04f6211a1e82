// Command consumer reads every queue of -t with a pull consumer, from
// the group's committed offset (0 when none) to the end, printing each
// message and committing as it goes.
package main

import (
	"flag"
	"fmt"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/examples/internal/cli"
)

func main() {
	ns := cli.NameServerFlag()
	topic := flag.String("t", "TopicTest", "topic")
	group := flag.String("g", "please_rename_unique_group_name_5", "consumer group")
	flag.Parse()

	ctx, stop := cli.Context()
	defer stop()
	c, err := client.NewPullConsumer(client.PullConsumerOptions{ClientOptions: cli.Options(*ns), Group: *group})
	cli.Check(err)
	cli.Check(c.Start(ctx))
	defer cli.Shutdown(c.Shutdown)

	queues, err := c.Queues(ctx, *topic)
	cli.Check(err)
	for _, mq := range queues {
		offset, err := c.CommittedOffset(ctx, mq)
		cli.Check(err)
		offset = max(offset, 0)
		for ctx.Err() == nil {
			res, err := c.Pull(ctx, mq, client.ByTag("*"), offset, 32)
			cli.Check(err)
			fmt.Printf("%s %s\n", mq, res)
			if res.Status != client.PullFound {
				if res.Status == client.PullOffsetIllegal {
					offset = res.NextBeginOffset
					continue
				}
				break
			}
			for _, m := range res.Messages {
				cli.PrintMessage(m)
			}
			offset = res.NextBeginOffset
			c.UpdateOffset(mq, offset)
		}
	}
}
