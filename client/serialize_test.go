package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// wireTap records every byte a client writes and reads, per connection, so
// a test can decode the frames that really crossed the wire.
type wireTap struct {
	mu    sync.Mutex
	conns []*tappedConn
}

type tappedConn struct {
	net.Conn
	mu            sync.Mutex
	written, read bytes.Buffer
}

func (c *tappedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	c.written.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

func (c *tappedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.read.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

// Writev through net.Buffers falls back to Write on a wrapped conn, so
// every frame passes through Write above.

func (w *wireTap) dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	tc := &tappedConn{Conn: nc}
	w.mu.Lock()
	w.conns = append(w.conns, tc)
	w.mu.Unlock()
	return tc, nil
}

// frames decodes the recorded streams of every connection: what the client
// wrote, what it read. A frame cut short by the end of a recording (a
// connection closed mid-read) ends that stream.
func (w *wireTap) frames(t *testing.T) (written, read []*remoting.Command) {
	t.Helper()
	decode := func(b []byte) []*remoting.Command {
		var out []*remoting.Command
		r := bytes.NewReader(b)
		for {
			cmd, err := remoting.ReadCommand(r, 0)
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return out
			}
			if err != nil {
				t.Fatalf("recorded stream does not decode: %v", err)
			}
			out = append(out, cmd)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.conns {
		c.mu.Lock()
		written = append(written, decode(c.written.Bytes())...)
		read = append(read, decode(c.read.Bytes())...)
		c.mu.Unlock()
	}
	return written, read
}

// A producer and a push consumer configured for ROCKETMQ send and receive
// through a real name server and broker, and every request they put on the
// wire, and every answer they get, carries the binary header.
func TestE2ESerializeRocketMQ(t *testing.T) {
	c := startCluster(t, nil)
	ctx := context.Background()
	c.createTopic(t, "E2EBinary", 4)
	tap := &wireTap{}
	opts := c.options()
	opts.SerializeType = "ROCKETMQ"
	opts.Dial = tap.dial

	p, err := client.NewProducer(client.ProducerOptions{ClientOptions: opts, Group: "e2e-bin-p"})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	pDone := false
	t.Cleanup(func() {
		if !pDone {
			shutdown(t, p.Shutdown)
		}
	})
	want := map[string]bool{}
	for i := range 20 {
		body := fmt.Sprintf("binary-sync-%d", i)
		want[body] = true
		msg := client.NewMessage("E2EBinary", "TagB", []byte(body))
		client.SetKeys(msg, "k"+body)
		msg.SetProperty("user-prop", body)
		if _, err := p.Send(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for i := range 10 {
		body := fmt.Sprintf("binary-async-%d", i)
		want[body] = true
		wg.Add(1)
		if err := p.SendAsync(ctx, client.NewMessage("E2EBinary", "TagB", []byte(body)), func(_ *client.SendResult, err error) {
			defer wg.Done()
			if err != nil {
				t.Error(err)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	for i := range 5 {
		body := fmt.Sprintf("binary-oneway-%d", i)
		want[body] = true
		if err := p.SendOneway(ctx, client.NewMessage("E2EBinary", "TagB", []byte(body))); err != nil {
			t.Fatal(err)
		}
	}

	got := newBodies()
	pc := c.consumer(t, client.PushConsumerOptions{ClientOptions: opts, Group: "e2e-bin-c",
		ConsumeFrom: client.ConsumeFromFirstOffset, Listener: got.listener()}, "E2EBinary", client.ByTag("TagB"))
	waitUntil(t, fmt.Sprintf("%d messages", len(want)), 20*time.Second, func() bool { return got.distinct() == len(want) })
	for body := range want {
		if !got.has(body) {
			t.Errorf("missing %q", body)
		}
	}
	got.mu.Lock()
	for _, m := range got.msgs {
		if body := string(m.Body); bytes.HasPrefix(m.Body, []byte("binary-sync-")) &&
			(m.Property("user-prop") != body || len(m.Keys()) != 1 || m.Keys()[0] != "k"+body) {
			t.Errorf("message %q came back with user-prop %q keys %q", body, m.Property("user-prop"), m.Keys())
		}
	}
	got.mu.Unlock()

	// Shut both down so their last frames (offset commits, unregister) are
	// on the wire before the recording is read.
	shutdown(t, pc.Shutdown)
	shutdown(t, p.Shutdown)
	pDone = true

	written, read := tap.frames(t)
	var requests, responses int
	codes := map[int32]bool{}
	for _, cmd := range written {
		if cmd.IsResponse() {
			continue // answers to the broker keep the broker's encoding
		}
		requests++
		codes[cmd.Code] = true
		if cmd.SerializeType != remoting.SerializeRocketMQ {
			t.Errorf("request code %d went out as %v", cmd.Code, cmd.SerializeType)
		}
	}
	for _, cmd := range read {
		if !cmd.IsResponse() {
			continue
		}
		responses++
		if cmd.SerializeType != remoting.SerializeRocketMQ {
			t.Errorf("response to opaque %d came back as %v", cmd.Opaque, cmd.SerializeType)
		}
	}
	// Routes, heartbeats, sends, pulls, offset commits and unregistering
	// must all have been seen, or the test checked less than it claims.
	for _, code := range []int32{protocol.ReqGetRouteInfoByTopic, protocol.ReqHeartBeat, protocol.ReqSendMessageV2,
		protocol.ReqPullMessage, protocol.ReqUpdateConsumerOffset, protocol.ReqUnregisterClient} {
		if !codes[code] {
			t.Errorf("no request with code %d recorded (saw %v)", code, codes)
		}
	}
	if requests == 0 || responses == 0 {
		t.Fatalf("recorded %d requests, %d responses", requests, responses)
	}
}
