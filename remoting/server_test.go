package remoting

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const (
	codeEcho  = 901
	codeBlock = 902
	codePanic = 903
	codeFail  = 904
)

// TestServerSurvivesBadInput: garbage and an oversized length close only the
// offending connection (one log line naming the peer); an unknown code gets
// REQUEST_CODE_NOT_SUPPORTED and the connection stays usable. A second
// client is served after each.
func TestServerSurvivesBadInput(t *testing.T) {
	cases := []struct {
		name  string
		bytes []byte
	}{
		{"unknown serialize type", concat(u32(12), []byte{7, 0, 0, 4}, []byte("junkjunk"))},
		{"garbage JSON header", concat(u32(12), u32(8), []byte("{{{{{{{{"))},
		{"header longer than frame", concat(u32(8), u32(100), []byte("{}{}"))},
		{"negative length", []byte{0xff, 0xff, 0xff, 0xf0, 1, 2, 3, 4}},
		{"oversized length", concat(u32(DefaultMaxFrameSize), u32(2), []byte("{}"))},
		{"random bytes", []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log, lines := testLogger(t)
			s := startServer(t, ServerConfig{Logger: log}, func(s *Server) { s.Handle(codeEcho, nil, echoHandler) })
			addr := s.Addr().String()

			bad := dialRaw(t, addr)
			if _, err := bad.Write(tc.bytes); err != nil {
				t.Fatal(err)
			}
			expectClosedByPeer(t, bad)
			if got := lines.lines("bad frame", bad.LocalAddr().String()); len(got) != 1 {
				t.Errorf("want one log line naming peer %s, got %q", bad.LocalAddr(), got)
			}

			c := newTestClient(t, ClientConfig{})
			resp := invoke(t, c, addr, NewRequest(codeEcho, map[string]string{"k": "v"}, []byte("after")))
			if resp.Code != CodeSuccess || string(resp.Body) != "after" {
				t.Fatalf("second client got %v", resp)
			}
		})
	}

	t.Run("unknown code", func(t *testing.T) {
		s := startServer(t, ServerConfig{}, func(s *Server) { s.Handle(codeEcho, nil, echoHandler) })
		addr := s.Addr().String()
		c := newTestClient(t, ClientConfig{})
		resp := invoke(t, c, addr, NewRequest(777, nil, nil))
		if resp.Code != CodeRequestCodeNotSupported || resp.Remark != " request type 777 not supported" {
			t.Fatalf("unknown code: got %v", resp)
		}
		// Same connection still usable, and a second client too.
		if resp := invoke(t, c, addr, NewRequest(codeEcho, nil, []byte("x"))); resp.Code != CodeSuccess {
			t.Fatalf("after unknown code: %v", resp)
		}
		if n := len(s.Conns()); n != 1 {
			t.Fatalf("want the one connection kept, server has %d", n)
		}
		c2 := newTestClient(t, ClientConfig{})
		if resp := invoke(t, c2, addr, NewRequest(codeEcho, nil, nil)); resp.Code != CodeSuccess {
			t.Fatalf("second client: %v", resp)
		}
	})
}

func TestHandleDefault(t *testing.T) {
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.HandleDefault(nil, func(_ *Conn, req *Command) (*Command, error) {
			return NewResponse(req, CodeSuccess, fmt.Sprintf("default %d", req.Code)), nil
		})
	})
	c := newTestClient(t, ClientConfig{})
	if resp := invoke(t, c, s.Addr().String(), NewRequest(555, nil, nil)); resp.Remark != "default 555" {
		t.Fatalf("got %v", resp)
	}
}

func TestSystemBusyWhenPoolFull(t *testing.T) {
	pool := NewPool("busy", 1, 1)
	started := make(chan struct{}, 4)
	unblock := make(chan struct{})
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Handle(codeBlock, pool, func(_ *Conn, req *Command) (*Command, error) {
			started <- struct{}{}
			<-unblock
			return NewResponse(req, CodeSuccess, "done"), nil
		})
	})
	addr := s.Addr().String()
	c := newTestClient(t, ClientConfig{})

	results := make(chan *Command, 2)
	async := func() {
		err := c.InvokeAsync(context.Background(), addr, NewRequest(codeBlock, nil, nil), waitTimeout, func(r *Command, err error) {
			if err != nil {
				t.Errorf("async: %v", err)
			}
			results <- r
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The only worker takes the first request, the second waits in the
	// queue (size 1), and the third finds no room.
	async()
	recv(t, started, "first handler")
	async()
	resp := invoke(t, c, addr, NewRequest(codeBlock, nil, nil))
	if resp.Code != CodeSystemBusy || !strings.HasPrefix(resp.Remark, "[OVERLOAD]") {
		t.Fatalf("want SYSTEM_BUSY [OVERLOAD], got %v", resp)
	}
	// The queued request's wait shows as the head wait, and grows.
	if pool.QueueLen() != 1 {
		t.Fatalf("queue length %d, want 1", pool.QueueLen())
	}
	waitUntil(t, "head wait of 20 ms", func() bool { return pool.HeadWait() >= 20*time.Millisecond })
	close(unblock)
	for range 2 {
		if r := recv(t, results, "queued request"); r.Code != CodeSuccess {
			t.Fatalf("queued request: %v", r)
		}
	}
	if w := pool.HeadWait(); pool.QueueLen() != 0 || w != 0 {
		t.Fatalf("after the queue drained: length %d, head wait %v", pool.QueueLen(), w)
	}
}

// waitUntil polls cond until it holds, failing the test after 10 s.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: timed out", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestOnewayNeverAnswered sends oneway requests whose handlers return a
// response, an error and a panic, then a normal request on the same raw
// connection; one worker runs them in order, so any reply to a oneway would
// arrive before the normal one.
func TestOnewayNeverAnswered(t *testing.T) {
	pool := NewPool("serial", 1, 16)
	seen := make(chan *Command, 8)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Handle(codeEcho, pool, func(c *Conn, req *Command) (*Command, error) {
			seen <- req
			return echoHandler(c, req)
		})
		s.Handle(codeFail, pool, func(*Conn, *Command) (*Command, error) { return nil, errors.New("boom") })
		s.Handle(codePanic, pool, func(*Conn, *Command) (*Command, error) { panic("oneway panic") })
	})
	nc := dialRaw(t, s.Addr().String())
	for i, code := range []int32{codeEcho, codeFail, codePanic} {
		req := NewRequest(code, nil, nil)
		req.Flag = FlagOneway
		req.Opaque = int32(100 + i)
		nc.Write(mustEncode(t, req))
	}
	probe := NewRequest(codeEcho, nil, []byte("probe"))
	probe.Opaque = 7
	nc.Write(mustEncode(t, probe))

	nc.SetReadDeadline(time.Now().Add(waitTimeout))
	resp, err := ReadCommand(nc, 0)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Opaque != 7 || string(resp.Body) != "probe" {
		t.Fatalf("first frame back should answer the probe, got %v", resp)
	}
	if r := recv(t, seen, "oneway request"); !r.IsOneway() || r.Opaque != 100 {
		t.Fatalf("handler saw %v", r)
	}

	// The client's InvokeOneway sets the flag.
	c := newTestClient(t, ClientConfig{})
	if err := c.InvokeOneway(context.Background(), s.Addr().String(), NewRequest(codeEcho, nil, []byte("ow"))); err != nil {
		t.Fatal(err)
	}
	recv(t, seen, "probe") // the raw probe
	if r := recv(t, seen, "client oneway"); !r.IsOneway() || string(r.Body) != "ow" {
		t.Fatalf("client oneway arrived as %v", r)
	}
}

func TestHandlerErrorAndPanicGiveSystemError(t *testing.T) {
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Handle(codeFail, nil, func(*Conn, *Command) (*Command, error) { return nil, errors.New("disk on fire") })
		s.Handle(codePanic, nil, func(*Conn, *Command) (*Command, error) {
			var m map[string]int
			m["x"]++ // nil map write: a real runtime panic
			return nil, nil
		})
		s.Handle(codeEcho, nil, echoHandler)
	})
	addr := s.Addr().String()
	c := newTestClient(t, ClientConfig{})
	if resp := invoke(t, c, addr, NewRequest(codeFail, nil, nil)); resp.Code != CodeSystemError || resp.Remark != "disk on fire" {
		t.Fatalf("handler error: %v", resp)
	}
	for range 3 {
		resp := invoke(t, c, addr, NewRequest(codePanic, nil, nil))
		if resp.Code != CodeSystemError || !strings.Contains(resp.Remark, "panic") {
			t.Fatalf("handler panic: %v", resp)
		}
	}
	if resp := invoke(t, c, addr, NewRequest(codeEcho, nil, []byte("alive"))); string(resp.Body) != "alive" {
		t.Fatalf("after panics: %v", resp)
	}
}

func TestDeferredRespond(t *testing.T) {
	holds := make(chan heldRequest, 1)
	s := startServer(t, ServerConfig{}, func(s *Server) { s.Handle(codeBlock, nil, holdHandler(holds)) })
	c := newTestClient(t, ClientConfig{})
	got := make(chan *Command, 1)
	go func() {
		resp, err := c.InvokeSync(context.Background(), s.Addr().String(), NewRequest(codeBlock, nil, nil), waitTimeout)
		if err != nil {
			t.Error(err)
		}
		got <- resp
	}()
	h := recv(t, holds, "held request")
	resp := NewResponse(h.req, CodeSuccess, "later")
	resp.Body = []byte("messages")
	if err := h.conn.Respond(resp); err != nil {
		t.Fatal(err)
	}
	r := recv(t, got, "deferred response")
	if r == nil || r.Remark != "later" || string(r.Body) != "messages" {
		t.Fatalf("got %v", r)
	}
}

// TestResponseStampAndSerializeType: responses carry the server's language
// and version and the request's serialize type; the client's first opaque is 1.
func TestResponseStampAndSerializeType(t *testing.T) {
	opaques := make(chan int32, 4)
	s := startServer(t, ServerConfig{Version: 409}, func(s *Server) {
		s.Handle(codeEcho, nil, func(c *Conn, req *Command) (*Command, error) {
			opaques <- req.Opaque
			return echoHandler(c, req)
		})
	})
	c := newTestClient(t, ClientConfig{})
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		req := NewRequest(codeEcho, map[string]string{"topic": "T"}, []byte("b"))
		req.SerializeType = st
		resp := invoke(t, c, s.Addr().String(), req)
		if resp.SerializeType != st || resp.Version != 409 || resp.Language != LanguageJava || resp.ExtFields["topic"] != "T" {
			t.Fatalf("%v request: got %v (%v)", st, resp, resp.SerializeType)
		}
	}
	if first := recv(t, opaques, "opaque"); first != 1 {
		t.Fatalf("first opaque %d, want 1", first)
	}
	if second := recv(t, opaques, "opaque"); second != 2 {
		t.Fatalf("second opaque %d, want 2", second)
	}
	// A 5.x code cannot go in a binary header: an error, not a truncated code.
	req := NewRequest(200050, nil, nil)
	req.SerializeType = SerializeRocketMQ
	if _, err := c.InvokeSync(context.Background(), s.Addr().String(), req, waitTimeout); err == nil || !strings.Contains(err.Error(), "int16") {
		t.Fatalf("code 200050 binary: want int16 error, got %v", err)
	}
}

func TestBodyPartsWrittenAndReleased(t *testing.T) {
	released := make(chan struct{}, 1)
	var releases atomic.Int32
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Handle(codeEcho, nil, func(_ *Conn, req *Command) (*Command, error) {
			resp := NewResponse(req, CodeSuccess, "")
			resp.Body = []byte("head-")
			resp.BodyParts = [][]byte{[]byte("part1-"), nil, []byte("part2")}
			resp.Release = func() {
				releases.Add(1)
				released <- struct{}{}
			}
			return resp, nil
		})
	})
	c := newTestClient(t, ClientConfig{})
	resp := invoke(t, c, s.Addr().String(), NewRequest(codeEcho, nil, nil))
	if string(resp.Body) != "head-part1-part2" {
		t.Fatalf("body %q", resp.Body)
	}
	recv(t, released, "release")
	if n := releases.Load(); n != 1 {
		t.Fatalf("Release ran %d times", n)
	}
}

func TestFrameTooLargeToSend(t *testing.T) {
	s := startServer(t, ServerConfig{}, func(s *Server) { s.Handle(codeEcho, nil, echoHandler) })
	c := newTestClient(t, ClientConfig{MaxFrameSize: 1024})
	released := false
	req := NewRequest(codeEcho, nil, make([]byte, 2000))
	req.Release = func() { released = true }
	_, err := c.InvokeSync(context.Background(), s.Addr().String(), req, waitTimeout)
	if !errors.Is(err, ErrFrameTooLarge) || !released {
		t.Fatalf("want ErrFrameTooLarge and Release, got %v released=%v", err, released)
	}
	// The connection is still fine for a frame that fits.
	if resp := invoke(t, c, s.Addr().String(), NewRequest(codeEcho, nil, []byte("small"))); string(resp.Body) != "small" {
		t.Fatalf("got %v", resp)
	}
}

func TestIdleConnectionClosed(t *testing.T) {
	closed := make(chan *Conn, 1)
	s := startServer(t, ServerConfig{IdleTimeout: 100 * time.Millisecond}, func(s *Server) {
		s.OnConnClose(func(c *Conn) { closed <- c })
	})
	start := time.Now() // before the server can accept: its idle clock starts later
	nc := dialRaw(t, s.Addr().String())
	expectClosedByPeer(t, nc)
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Fatalf("closed after %v, before the idle timeout", el)
	}
	if c := recv(t, closed, "close hook"); c.RemoteAddr() != nc.LocalAddr().String() {
		t.Fatalf("hook got %s, want %s", c.RemoteAddr(), nc.LocalAddr())
	}
}

// TestIdleTimeoutSparesActiveConn: a connection that keeps talking is not
// closed, though its life is longer than the idle timeout. (The timeout is
// generous so a loaded machine's scheduling stalls cannot look like idleness.)
func TestIdleTimeoutSparesActiveConn(t *testing.T) {
	const idle = 500 * time.Millisecond
	s := startServer(t, ServerConfig{IdleTimeout: idle}, func(s *Server) { s.Handle(codeEcho, nil, echoHandler) })
	nc := dialRaw(t, s.Addr().String())
	br := bufio.NewReader(nc)
	end := time.Now().Add(2 * idle)
	for i := int32(1); time.Now().Before(end); i++ {
		req := NewRequest(codeEcho, nil, nil)
		req.Opaque = i
		if _, err := nc.Write(mustEncode(t, req)); err != nil {
			t.Fatal(err)
		}
		nc.SetReadDeadline(time.Now().Add(waitTimeout))
		resp, err := ReadCommand(br, 0)
		if err != nil || resp.Opaque != i {
			t.Fatalf("request %d: %v %v", i, resp, err)
		}
	}
}

func TestWrapConnSeam(t *testing.T) {
	var wrapped, dialled atomic.Int32
	s := startServer(t, ServerConfig{WrapConn: func(nc net.Conn) (net.Conn, error) {
		if wrapped.Add(1) == 1 {
			// Like a TLS sniffer: look at the first bytes, then refuse. The
			// client's request is then surely in flight on this connection.
			io.ReadFull(nc, make([]byte, 4))
			return nil, errors.New("handshake refused")
		}
		return nc, nil
	}}, func(s *Server) { s.Handle(codeEcho, nil, echoHandler) })
	c := newTestClient(t, ClientConfig{Dial: func(ctx context.Context, addr string) (net.Conn, error) {
		dialled.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}})
	// The first connection is refused by WrapConn and closed; the call fails.
	if resp, err := c.InvokeSync(context.Background(), s.Addr().String(), NewRequest(codeEcho, nil, nil), waitTimeout); !errors.Is(err, ErrConnClosed) {
		t.Fatalf("want ErrConnClosed through a refused wrap, got %v, %v", resp, err)
	}
	if resp := invoke(t, c, s.Addr().String(), NewRequest(codeEcho, nil, []byte("w"))); string(resp.Body) != "w" {
		t.Fatalf("got %v", resp)
	}
	if wrapped.Load() != 2 || dialled.Load() != 2 {
		t.Fatalf("wrapped %d dialled %d, want 2 and 2", wrapped.Load(), dialled.Load())
	}
}

func TestHandleAfterStart(t *testing.T) {
	s := startServer(t, ServerConfig{}, nil)
	s.Handle(codeEcho, NewPool("late", 2, 8), echoHandler)
	c := newTestClient(t, ClientConfig{})
	if resp := invoke(t, c, s.Addr().String(), NewRequest(codeEcho, nil, []byte("late"))); string(resp.Body) != "late" {
		t.Fatalf("got %v", resp)
	}
}

// TestRawBinaryRequest drives the server with a captured ROCKETMQ frame and
// checks the reply is binary too.
func TestRawBinaryRequest(t *testing.T) {
	s := startServer(t, ServerConfig{Version: 409}, func(s *Server) { s.Handle(codeEcho, nil, echoHandler) })
	nc := dialRaw(t, s.Addr().String())
	nc.Write(readGolden(t, "rocketmq-105-1.bin")) // code 105: not handled here
	nc.SetReadDeadline(time.Now().Add(waitTimeout))
	resp, err := ReadCommand(nc, 0)
	if err != nil {
		t.Fatal(err)
	}
	if resp.SerializeType != SerializeRocketMQ || resp.Code != CodeRequestCodeNotSupported || resp.Opaque != 1 ||
		!resp.IsResponse() || resp.Remark != " request type 105 not supported" || resp.Version != 409 {
		t.Fatalf("got %v (%v)", resp, resp.SerializeType)
	}
}

// TestPoolSharedByTwoServers: a broker's main and fast ports share pools;
// shutting one server down must not stop the other's workers.
func TestPoolSharedByTwoServers(t *testing.T) {
	pool := NewPool("shared", 2, 16)
	setup := func(s *Server) { s.Handle(codeEcho, pool, echoHandler) }
	main := startServer(t, ServerConfig{}, setup)
	fast := NewServer(ServerConfig{Addr: "127.0.0.1:0"})
	setup(fast)
	if err := fast.Start(); err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, ClientConfig{})
	invoke(t, c, fast.Addr().String(), NewRequest(codeEcho, nil, nil))
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := fast.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if resp := invoke(t, c, main.Addr().String(), NewRequest(codeEcho, nil, []byte("m"))); string(resp.Body) != "m" {
		t.Fatalf("main port after fast port shutdown: %v", resp)
	}
}
