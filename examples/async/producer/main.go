// Command producer sends -c messages asynchronously, as the docs' async
// example: each callback prints "<index> OK <msgId>" or the error.
package main

import (
	"flag"
	"fmt"
	"sync"

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
	p, err := client.NewProducer(client.ProducerOptions{
		ClientOptions: cli.Options(*ns), Group: "please_rename_unique_group_name", AsyncRetries: -1,
	})
	cli.Check(err)
	cli.Check(p.Start(ctx))
	defer cli.Shutdown(p.Shutdown)

	var wg sync.WaitGroup
	for i := 0; i < *count && ctx.Err() == nil; i++ {
		msg := client.NewMessage(*topic, "TagA", []byte("Hello world"))
		client.SetKeys(msg, "OrderID188")
		wg.Add(1)
		err := p.SendAsync(ctx, msg, func(res *client.SendResult, err error) {
			defer wg.Done()
			if err != nil {
				fmt.Printf("%-10d Exception %v\n", i, err)
				return
			}
			fmt.Printf("%-10d OK %s\n", i, res.MsgID)
		})
		if err != nil {
			wg.Done()
			fmt.Printf("%-10d Exception %v\n", i, err)
		}
	}
	wg.Wait()
}
