// Command producer sends -c messages tagged TagA, TagB and TagC in turn,
// each with the user property a=i, for the tag and SQL92 filter examples.
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
	count := flag.Int("c", 10, "messages to send")
	flag.Parse()

	ctx, stop := cli.Context()
	defer stop()
	p := cli.StartProducer(ctx, *ns, "please_rename_unique_group_name")
	defer cli.Shutdown(p.Shutdown)

	tags := []string{"TagA", "TagB", "TagC"}
	for i := 0; i < *count && ctx.Err() == nil; i++ {
		msg := client.NewMessage(*topic, tags[i%len(tags)], []byte("Hello RocketMQ "+strconv.Itoa(i)))
		msg.SetProperty("a", strconv.Itoa(i))
		res, err := p.Send(ctx, msg)
		cli.Check(err)
		fmt.Println(res)
	}
}
