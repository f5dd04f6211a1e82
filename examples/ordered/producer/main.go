// Command producer sends the order steps of the docs' ordered example:
// every step of an order goes to the queue its order id selects, so a
// consumer sees each order's steps in order.
package main

import (
	"flag"
	"fmt"
	"time"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/examples/internal/cli"
)

// orderStep is one step of an order.
type orderStep struct {
	OrderID int64
	Desc    string
}

func (s orderStep) String() string {
	return fmt.Sprintf("OrderStep{orderId=%d, desc='%s'}", s.OrderID, s.Desc)
}

func buildOrders() []orderStep {
	return []orderStep{
		{15103111039, "create"}, {15103111065, "create"}, {15103111039, "pay"}, {15103117235, "create"},
		{15103111065, "pay"}, {15103117235, "pay"}, {15103111065, "done"}, {15103111039, "push"},
		{15103117235, "done"}, {15103111039, "done"},
	}
}

func main() {
	ns := cli.NameServerFlag()
	topic := flag.String("t", "TopicTest", "topic")
	flag.Parse()

	ctx, stop := cli.Context()
	defer stop()
	p := cli.StartProducer(ctx, *ns, "please_rename_unique_group_name")
	defer cli.Shutdown(p.Shutdown)

	tags := []string{"TagA", "TagC", "TagD"}
	now := time.Now().Format("2006-01-02 15:04:05")
	byOrderID := func(mqs []client.MessageQueue, _ *client.Message, arg any) client.MessageQueue {
		return mqs[arg.(int64)%int64(len(mqs))]
	}
	for i, step := range buildOrders() {
		body := now + " Hello RocketMQ " + step.String()
		msg := client.NewMessage(*topic, tags[i%len(tags)], []byte(body))
		client.SetKeys(msg, fmt.Sprintf("KEY%d", i))
		res, err := p.SendSelect(ctx, msg, byOrderID, step.OrderID)
		cli.Check(err)
		fmt.Printf("SendResult status:%s, queueId:%d, body:%s\n", res.Status, res.Queue.QueueID, body)
	}
}
