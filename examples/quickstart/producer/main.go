// Command producer is the quickstart producer of the RocketMQ docs: it
// sends -c messages "Hello RocketMQ i" with tag TagA to -t and prints
// each SendResult.
//
//	go run ./examples/quickstart/producer -n 127.0.0.1:9876 -t TopicTest -c 10
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
	group := flag.String("g", "please_rename_unique_group_name", "producer group")
	count := flag.Int("c", 1000, "messages to send")
	flag.Parse()

	ctx, stop := cli.Context()
	defer stop()
	p := cli.StartProducer(ctx, *ns, *group)
	defer cli.Shutdown(p.Shutdown)

	for i := 0; i < *count && ctx.Err() == nil; i++ {
		msg := client.NewMessage(*topic, "TagA", []byte("Hello RocketMQ "+strconv.Itoa(i)))
		res, err := p.Send(ctx, msg)
		if err != nil {
			fmt.Println("send failed:", err)
			continue
		}
		fmt.Println(res)
	}
}
