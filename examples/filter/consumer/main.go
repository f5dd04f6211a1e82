// Command consumer consumes only the messages of -t that match -e: a tag
// expression ("TagA || TagC", the default) or, with -sql, a SQL92
// expression over message properties such as "a between 0 and 3" (the
// broker needs enablePropertyFilter=true).
package main

import (
	"flag"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/examples/internal/cli"
)

func main() {
	ns := cli.NameServerFlag()
	topic := flag.String("t", "TopicTest", "topic")
	expr := flag.String("e", "TagA || TagC", "tag expression, or SQL92 expression with -sql")
	sql := flag.Bool("sql", false, "-e is a SQL92 expression")
	group := flag.String("g", "CID_EXAMPLE", "consumer group")
	flag.Parse()

	sel := client.ByTag(*expr)
	if *sql {
		sel = client.BySQL(*expr)
	}
	ctx, stop := cli.Context()
	defer stop()
	cli.RunConsumer(ctx, client.PushConsumerOptions{
		ClientOptions: cli.Options(*ns),
		Group:         *group,
		ConsumeFrom:   client.ConsumeFromFirstOffset,
		Listener:      cli.PrintAll,
	}, *topic, sel, "Consumer Started.")
}
