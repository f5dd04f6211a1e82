// Command producer is the docs' transaction example: three messages
// tagged TagA, TagB and TagC; the local transaction commits TagA, rolls
// back TagB and leaves TagC unknown, which the broker checks later and
// the check commits. Consumers see TagA and, after the check, TagC.
package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/examples/internal/cli"
)

type listener struct{ checked chan struct{} }

func (l *listener) ExecuteLocalTransaction(_ context.Context, msg *client.Message, _ any) (client.LocalTransactionState, error) {
	fmt.Println("executing the local transaction of", msg.Tags())
	switch msg.Tags() {
	case "TagA":
		return client.CommitMessage, nil
	case "TagB":
		return client.RollbackMessage, nil
	}
	return client.UnknownState, nil
}

func (l *listener) CheckLocalTransaction(_ context.Context, msg *client.MessageExt) (client.LocalTransactionState, error) {
	fmt.Printf("the broker checks the local transaction of %s: COMMIT_MESSAGE\n", msg.Tags())
	select {
	case l.checked <- struct{}{}:
	default:
	}
	return client.CommitMessage, nil
}

func main() {
	ns := cli.NameServerFlag()
	topic := flag.String("t", "TransactionTopic", "topic")
	wait := flag.Duration("wait", 2*time.Minute, "how long to wait for the broker's check of TagC")
	flag.Parse()

	ctx, stop := cli.Context()
	defer stop()
	l := &listener{checked: make(chan struct{}, 1)}
	p, err := client.NewTransactionProducer(client.ProducerOptions{ClientOptions: cli.Options(*ns), Group: "group6"}, l, 1)
	cli.Check(err)
	cli.Check(p.Start(ctx))
	defer cli.Shutdown(p.Shutdown)

	for i, tag := range []string{"TagA", "TagB", "TagC"} {
		msg := client.NewMessage(*topic, tag, []byte(fmt.Sprintf("Hello RocketMQ %d", i)))
		client.SetKeys(msg, fmt.Sprintf("KEY%d", i))
		res, err := p.SendMessageInTransaction(ctx, msg, nil)
		cli.Check(err)
		fmt.Printf("%s localTransactionState=%s\n", &res.SendResult, res.LocalState)
	}
	select {
	case <-l.checked:
	case <-time.After(*wait):
		fmt.Println("no check within", *wait)
	case <-ctx.Done():
	}
}
