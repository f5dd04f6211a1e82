// Command consumer consumes -t in broadcasting mode: every consumer of
// the group gets every message. Run two with different -i to see it.
package main

import (
	"flag"

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
	cli.RunConsumer(ctx, client.PushConsumerOptions{
		ClientOptions: opts,
		Group:         *group,
		Model:         client.Broadcasting,
		ConsumeFrom:   client.ConsumeFromFirstOffset,
		Listener:      cli.PrintAll,
	}, *topic, client.ByTag("*"), "Broadcast Consumer Started.")
}
