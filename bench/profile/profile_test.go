package profile

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/broker"
	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/namesrv"
)

func set(tb testing.TB, cfg any, kv ...string) {
	tb.Helper()
	for i := 0; i < len(kv); i += 2 {
		if err := config.Set(cfg, kv[i], kv[i+1]); err != nil {
			tb.Fatalf("set %s: %v", kv[i], err)
		}
	}
}

// startCluster runs a name server and a broker in this process on
// 127.0.0.1 with the store in a temporary directory.
func startCluster(tb testing.TB, flush string, extra ...string) string {
	tb.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := tb.TempDir()
	ncfg := config.DefaultNamesrv()
	set(tb, &ncfg, "bindAddress", "127.0.0.1", "listenPort", "0", "rocketmqHome", dir, "kvConfigPath", dir+"/kv.json", "configStorePath", dir+"/ns.properties")
	ns, err := namesrv.New(ncfg, namesrv.WithLogger(quiet))
	if err != nil {
		tb.Fatal(err)
	}
	if err := ns.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = ns.Shutdown(context.Background()) })
	nsAddr := ns.Addr().String()

	bcfg := config.DefaultBroker()
	set(tb, &bcfg, "brokerIP1", "127.0.0.1", "brokerIP2", "127.0.0.1", "bindAddress", "127.0.0.1", "listenPort", "0",
		"namesrvAddr", nsAddr, "rocketmqHome", dir, "storePathRootDir", dir+"/store", "flushDiskType", flush,
		"autoCreateTopicEnable", "true", "defaultTopicQueueNums", "8")
	set(tb, &bcfg, extra...)
	b, err := broker.New(bcfg, broker.WithLogger(quiet), broker.WithStoreLogger(quiet))
	if err != nil {
		tb.Fatal(err)
	}
	if err := b.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = b.Shutdown(ctx)
	})
	return nsAddr
}

// benchSend sends b.N messages of size bytes from pubs goroutines, each
// waiting for the broker's answer, as mqbench producer -w pubs does.
func benchSend(b *testing.B, flush string, size, pubs int, brokerProps ...string) {
	ns := startCluster(b, flush, brokerProps...)
	p, err := client.NewProducer(client.ProducerOptions{
		ClientOptions: client.ClientOptions{NameServers: []string{ns},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		Group: "profile_producer", CompressOver: -1,
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := p.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	topic := "Profile_" + strconv.Itoa(size)
	body := make([]byte, size)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	// The broker registers with the name server in the background: the
	// first send (which creates the topic) waits for that.
	for deadline := time.Now().Add(30 * time.Second); ; {
		_, err := p.Send(ctx, client.NewMessage(topic, "", body))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("first send: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // the registration has no event to wait on from here
	}
	var next, failed atomic.Int64
	b.SetBytes(int64(size))
	b.ResetTimer()
	done := make(chan struct{})
	for range pubs {
		go func() {
			defer func() { done <- struct{}{} }()
			for next.Add(1) <= int64(b.N) {
				if _, err := p.Send(ctx, client.NewMessage(topic, "", body)); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	for range pubs {
		<-done
	}
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d sends failed", n)
	}
}

func BenchmarkSendAsyncFlush128B64Pubs(b *testing.B) { benchSend(b, "ASYNC_FLUSH", 128, 64) }
func BenchmarkSendAsyncFlush1KB1Pub(b *testing.B)    { benchSend(b, "ASYNC_FLUSH", 1024, 1) }
func BenchmarkSendSyncFlush128B64Pubs(b *testing.B)  { benchSend(b, "SYNC_FLUSH", 128, 64) }
func BenchmarkSendSyncFlush1KB1Pub(b *testing.B)     { benchSend(b, "SYNC_FLUSH", 1024, 1) }

// With SYNC_FLUSH a send worker waits for the fsync of its message, so
// sendMessageThreadPoolNums (default min(cores, 4)) bounds how many
// messages one fsync can cover; this variant shows the effect of more.
func BenchmarkSendSyncFlush128B64PubsPool64(b *testing.B) {
	benchSend(b, "SYNC_FLUSH", 128, 64, "sendMessageThreadPoolNums", "64")
}
