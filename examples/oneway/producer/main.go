// Command producer sends -c messages oneway: no reply, no result, for
// logs and the like.
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
	topic := flag.String("t", "TopicTest", "topic")
	count := flag.Int("c", 100, "messages to send")
	flag.Parse()

	ctx, stop := cli.Context()
	defer stop()
	p := cli.StartProducer(ctx, *ns, "please_rename_unique_group_name")
	defer cli.Shutdown(p.Shutdown)

	sent := 0
	for i := 0; i < *count && ctx.Err() == nil; i++ {
		if err := p.SendOneway(ctx, client.NewMessage(*topic, "TagA", []byte("Hello RocketMQ "+strconv.Itoa(i)))); err != nil {
			fmt.Println("send failed:", err)
			continue
		}
		sent++
	}
	fmt.Printf("sent %d messages oneway\n", sent)
}
