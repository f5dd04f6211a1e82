// Command producer sends -c messages of -s bytes in batches, split with
// client.SplitBatch so each request stays under 4 MiB, as the docs' batch
// example does with its ListSplitter.
package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/examples/internal/cli"
)

func main() {
	ns := cli.NameServerFlag()
	topic := flag.String("t", "BatchTest", "topic")
	count := flag.Int("c", 1000, "messages")
	size := flag.Int("s", 10<<10, "body bytes per message")
	flag.Parse()

	ctx, stop := cli.Context()
	defer stop()
	p := cli.StartProducer(ctx, *ns, "BatchProducerGroupName")
	defer cli.Shutdown(p.Shutdown)

	var msgs []*client.Message
	for i := range *count {
		msg := client.NewMessage(*topic, "TagA", []byte(fmt.Sprintf("Hello world %d %s", i, strings.Repeat("x", *size))))
		client.SetKeys(msg, fmt.Sprintf("OrderID%03d", i))
		msgs = append(msgs, msg)
	}
	for _, part := range client.SplitBatch(msgs, client.DefaultBatchLimit) {
		res, err := p.SendBatch(ctx, part)
		cli.Check(err)
		fmt.Printf("sent a batch of %d: queue %s, first offset %d\n", len(part), res.Queue, res.QueueOffset)
	}
}
