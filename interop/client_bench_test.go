package interop

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/internal/testcluster"
)

// BenchmarkProducerSync compares synchronous sends per second of
// RocketGo's producer and rocketmq-client-go v2.1.2's against the same
// local broker in the same run, with 1, 16 and 64 sending goroutines.
// allocs/op counts the client's allocations per send (the broker is
// another process). Run:
//
//	go test -run '^$' -bench BenchmarkProducerSync -benchtime 5000x ./
func BenchmarkProducerSync(b *testing.B) {
	ns := testcluster.StartNamesrv(b, nil)
	c := &cluster{ns: ns, broker: testcluster.StartBroker(b, []string{ns.Addr}, nil)}
	const topic = "BenchSync"
	adm, err := client.NewAdmin(c.ourOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer adm.Close()
	deadline := time.Now().Add(20 * time.Second)
	for adm.CreateTopic(context.Background(), "DefaultCluster", client.TopicOptions{Name: topic, ReadQueues: 8, WriteQueues: 8}) != nil {
		if time.Now().After(deadline) {
			b.Fatal("the broker did not register with the name server")
		}
		time.Sleep(20 * time.Millisecond) // polling for the registration
	}
	body := make([]byte, 256)
	for i := range body {
		body[i] = byte('a' + i%26)
	}
	ctx := context.Background()

	ours := c.ourProducer(b, "PG_bench_ours")
	theirs, err := rocketmq.NewProducer(
		producer.WithNsResolver(c.resolver()),
		producer.WithGroupName("PG_bench_theirs"),
		producer.WithInstanceName("bench-theirs"),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(5*time.Second),
	)
	if err != nil {
		b.Fatal(err)
	}
	if err = theirs.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { theirs.Shutdown() })

	sendOurs := func() error {
		_, err := ours.Send(ctx, client.NewMessage(topic, "TagA", body))
		return err
	}
	sendTheirs := func() error {
		m := primitive.NewMessage(topic, body)
		m.WithTag("TagA")
		_, err := theirs.SendSync(ctx, m)
		return err
	}
	// Warm both up: routes (the topic's route reaches the name server
	// with the broker's next registration), connections.
	for deadline := time.Now().Add(20 * time.Second); sendOurs() != nil; {
		if time.Now().After(deadline) {
			b.Fatal("no route for the benchmark topic")
		}
		time.Sleep(20 * time.Millisecond) // polling for the route
	}
	for range 100 {
		if err := sendOurs(); err != nil {
			b.Fatal(err)
		}
		if err := sendTheirs(); err != nil {
			b.Fatal(err)
		}
	}
	for _, g := range []int{1, 16, 64} {
		for _, side := range []struct {
			name string
			send func() error
		}{{"rocketgo", sendOurs}, {"rocketmq-client-go", sendTheirs}} {
			b.Run(fmt.Sprintf("%s/goroutines=%d", side.name, g), func(b *testing.B) {
				b.ReportAllocs()
				var next atomic.Int64
				var wg sync.WaitGroup
				var failed atomic.Value
				start := time.Now()
				b.ResetTimer()
				for range g {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for next.Add(1) <= int64(b.N) {
							if err := side.send(); err != nil {
								failed.Store(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.StopTimer()
				if err, _ := failed.Load().(error); err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "sends/s")
			})
		}
	}
}
