// Command producer sends -c messages with delay level 3 (10 s with the
// default messageDelayLevel), as the docs' scheduled example.
package main

import (
	"flag"
	"fmt"
	"strconv"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/examples/internal/cli"
)

func main() {
	ns := cli.NameServerFlag()
	topic := flag.String("t", "TestTopic", "topic")
	count := flag.Int("c", 100, "messages to send")
	level := flag.Int("l", 3, "delay level (1..18)")
	flag.Parse()

	ctx, stop := cli.Context()
	defer stop()
	p := cli.StartProducer(ctx, *ns, "ExampleProducerGroup")
	defer cli.Shutdown(p.Shutdown)

	for i := 0; i < *count && ctx.Err() == nil; i++ {
		msg := client.NewMessage(*topic, "", []byte("Hello scheduled message "+strconv.Itoa(i)))
		client.SetDelayLevel(msg, *level)
		res, err := p.Send(ctx, msg)
		cli.Check(err)
		fmt.Println(res)
	}
}
