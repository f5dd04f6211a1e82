package remoting

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

const (
	codeHeartbeat   = 34
	codeRunningInfo = 307
)

// TestServerInvokesClient: the server calls the client back on the
// client's own connection (GET_CONSUMER_RUNNING_INFO style), while the
// client's own requests keep working on it.
func TestServerInvokesClient(t *testing.T) {
	conns := make(chan *Conn, 1)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Handle(codeHeartbeat, nil, func(c *Conn, req *Command) (*Command, error) {
			conns <- c
			return NewResponse(req, CodeSuccess, ""), nil
		})
		s.Handle(codeEcho, nil, echoHandler)
	})
	c := newTestClient(t, ClientConfig{})
	c.Handle(codeRunningInfo, func(_ *Conn, req *Command) (*Command, error) {
		resp := NewResponse(req, CodeSuccess, "")
		resp.Body = []byte(`{"group":"` + req.ExtFields["consumerGroup"] + `"}`)
		return resp, nil
	})
	addr := s.Addr().String()
	invoke(t, c, addr, NewRequest(codeHeartbeat, nil, nil))
	sc := recv(t, conns, "heartbeat conn")

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for _, st := range []SerializeType{SerializeJSON, SerializeRocketMQ} {
		req := NewRequest(codeRunningInfo, map[string]string{"consumerGroup": "g1"}, nil)
		req.SerializeType = st
		resp, err := sc.InvokeSync(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Code != CodeSuccess || string(resp.Body) != `{"group":"g1"}` || resp.SerializeType != st {
			t.Fatalf("%v: got %v", st, resp)
		}
	}
	// Codes the client has no handler for: REQUEST_CODE_NOT_SUPPORTED.
	resp, err := sc.InvokeSync(ctx, NewRequest(221, nil, nil))
	if err != nil || resp.Code != CodeRequestCodeNotSupported {
		t.Fatalf("unhandled code: %v %v", resp, err)
	}
	// Async and oneway from the server side too.
	done := make(chan *Command, 1)
	if err := sc.InvokeAsync(ctx, NewRequest(codeRunningInfo, map[string]string{"consumerGroup": "g2"}, nil), func(r *Command, err error) {
		if err != nil {
			t.Error(err)
		}
		done <- r
	}); err != nil {
		t.Fatal(err)
	}
	if r := recv(t, done, "async server->client"); string(r.Body) != `{"group":"g2"}` {
		t.Fatalf("got %v", r)
	}
	if resp := invoke(t, c, addr, NewRequest(codeEcho, nil, []byte("still"))); string(resp.Body) != "still" {
		t.Fatalf("client request after callbacks: %v", resp)
	}
}

func TestClientReconnectsAfterServerRestart(t *testing.T) {
	first := NewServer(ServerConfig{Addr: "127.0.0.1:0"})
	first.Handle(codeEcho, nil, echoHandler)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	addr := first.Addr().String()
	c := newTestClient(t, ClientConfig{})
	invoke(t, c, addr, NewRequest(codeEcho, nil, nil))

	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := first.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	// While the server is down the call fails: on the dead connection
	// (ErrConnClosed) or on the redial (refused).
	if _, err := c.InvokeSync(ctx, addr, NewRequest(codeEcho, nil, nil), waitTimeout); err == nil {
		t.Fatal("call to a stopped server succeeded")
	}

	second := startServer(t, ServerConfig{Addr: addr}, func(s *Server) { s.Handle(codeEcho, nil, echoHandler) })
	if second.Addr().String() != addr {
		t.Fatalf("restarted on %s, want %s", second.Addr(), addr)
	}
	if resp := invoke(t, c, addr, NewRequest(codeEcho, nil, []byte("back"))); string(resp.Body) != "back" {
		t.Fatalf("after restart: %v", resp)
	}
}

// TestPendingFailFastWhenConnDies: a request waiting with a long timeout
// fails as soon as its connection dies, sync and async alike.
func TestPendingFailFastWhenConnDies(t *testing.T) {
	arrived := make(chan *Conn, 2)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Handle(codeBlock, nil, func(c *Conn, req *Command) (*Command, error) {
			arrived <- c
			<-c.Closed()
			return nil, nil
		})
	})
	c := newTestClient(t, ClientConfig{})
	addr := s.Addr().String()

	asyncErr := make(chan error, 1)
	if err := c.InvokeAsync(context.Background(), addr, NewRequest(codeBlock, nil, nil), time.Hour, func(_ *Command, err error) {
		asyncErr <- err
	}); err != nil {
		t.Fatal(err)
	}
	syncErr := make(chan error, 1)
	go func() {
		_, err := c.InvokeSync(context.Background(), addr, NewRequest(codeBlock, nil, nil), time.Hour)
		syncErr <- err
	}()
	sc := recv(t, arrived, "first request")
	recv(t, arrived, "second request")
	start := time.Now()
	sc.Close()
	for _, ch := range []chan error{syncErr, asyncErr} {
		if err := recv(t, ch, "failure"); !errors.Is(err, ErrConnClosed) {
			t.Fatalf("want ErrConnClosed, got %v", err)
		}
	}
	if el := time.Since(start); el > waitTimeout/2 {
		t.Fatalf("took %v to fail", el)
	}
}

// TestAsyncCallbackOnceOnTimeout: the callback runs once with ErrTimeout, and
// the response arriving afterwards is dropped.
func TestAsyncCallbackOnceOnTimeout(t *testing.T) {
	holds := make(chan heldRequest, 1)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Handle(codeBlock, nil, holdHandler(holds))
		s.Handle(codeEcho, nil, echoHandler)
	})
	c := newTestClient(t, ClientConfig{})
	addr := s.Addr().String()
	invoke(t, c, addr, NewRequest(codeEcho, nil, nil)) // connect first: the short timeouts below cover dialling too

	var calls atomic.Int32
	errs := make(chan error, 4)
	if err := c.InvokeAsync(context.Background(), addr, NewRequest(codeBlock, nil, nil), 50*time.Millisecond, func(r *Command, err error) {
		calls.Add(1)
		errs <- err
	}); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, errs, "timeout callback"); !errors.Is(err, ErrTimeout) {
		t.Fatalf("want ErrTimeout, got %v", err)
	}
	// Answer late; the echo after it is written later on the same connection,
	// so once the echo is back the late answer has been read (and dropped).
	h := recv(t, holds, "held request")
	if err := h.conn.Respond(NewResponse(h.req, CodeSuccess, "late")); err != nil {
		t.Fatal(err)
	}
	invoke(t, c, addr, NewRequest(codeEcho, nil, nil))
	if n := calls.Load(); n != 1 {
		t.Fatalf("callback ran %d times", n)
	}

	// A context deadline ends a sync call with ErrTimeout too.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if _, err := c.InvokeSync(ctx, addr, NewRequest(codeBlock, nil, nil), 0); !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ctx deadline: got %v", err)
	}
	recv(t, holds, "second held request")
	// And a cancelled context ends an async call with context.Canceled.
	cctx, ccancel := context.WithCancel(context.Background())
	if err := c.InvokeAsync(cctx, addr, NewRequest(codeBlock, nil, nil), 0, func(_ *Command, err error) { errs <- err }); err != nil {
		t.Fatal(err)
	}
	recv(t, holds, "third held request")
	ccancel()
	if err := recv(t, errs, "cancel callback"); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: got %v", err)
	}
}

// TestShutdownWithInflightRequests: Shutdown closes the connection under a
// running handler, the caller fails at once, and Shutdown waits for the
// handler to return.
func TestShutdownWithInflightRequests(t *testing.T) {
	s := NewServer(ServerConfig{Addr: "127.0.0.1:0"})
	inHandler := make(chan struct{})
	var handlerDone atomic.Bool
	s.Handle(codeBlock, nil, func(c *Conn, req *Command) (*Command, error) {
		close(inHandler)
		<-c.Closed()
		handlerDone.Store(true)
		return NewResponse(req, CodeSuccess, "too late"), nil
	})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, ClientConfig{})
	callErr := make(chan error, 1)
	go func() {
		_, err := c.InvokeSync(context.Background(), s.Addr().String(), NewRequest(codeBlock, nil, nil), time.Hour)
		callErr <- err
	}()
	<-inHandler
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if !handlerDone.Load() {
		t.Fatal("Shutdown returned before the handler did")
	}
	if err := recv(t, callErr, "in-flight call"); !errors.Is(err, ErrConnClosed) {
		t.Fatalf("want ErrConnClosed, got %v", err)
	}
	if len(s.Conns()) != 0 {
		t.Fatalf("%d connections left", len(s.Conns()))
	}
	// A second Shutdown is a no-op.
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestShutdownGivesUpAtDeadline: a handler that ignores Closed makes
// Shutdown report its context's error instead of hanging.
func TestShutdownGivesUpAtDeadline(t *testing.T) {
	s := NewServer(ServerConfig{Addr: "127.0.0.1:0"})
	inHandler := make(chan struct{})
	release := make(chan struct{})
	s.Handle(codeBlock, nil, func(c *Conn, req *Command) (*Command, error) {
		close(inHandler)
		<-release
		return nil, nil
	})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, ClientConfig{})
	if err := c.InvokeOneway(context.Background(), s.Addr().String(), NewRequest(codeBlock, nil, nil)); err != nil {
		t.Fatal(err)
	}
	<-inHandler
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want DeadlineExceeded, got %v", err)
	}
	close(release)
}

func TestOnConnCloseAndCloseAddr(t *testing.T) {
	closed := make(chan *Conn, 4)
	accepted := make(chan *Conn, 4)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Handle(codeEcho, nil, func(c *Conn, req *Command) (*Command, error) {
			accepted <- c
			return echoHandler(c, req)
		})
		s.OnConnClose(func(c *Conn) { closed <- c })
	})
	c := newTestClient(t, ClientConfig{})
	addr := s.Addr().String()
	invoke(t, c, addr, NewRequest(codeEcho, nil, nil))
	first := recv(t, accepted, "first conn")
	c.CloseAddr(addr)
	if got := recv(t, closed, "close hook"); got != first {
		t.Fatalf("hook for conn %d, want %d", got.ID(), first.ID())
	}
	select {
	case <-first.Closed():
	default:
		t.Fatal("hooked conn is not closed")
	}
	// The next call redials: a new connection.
	invoke(t, c, addr, NewRequest(codeEcho, nil, nil))
	if second := recv(t, accepted, "second conn"); second.ID() == first.ID() || second.RemoteAddr() == first.RemoteAddr() {
		t.Fatalf("call after CloseAddr reused the connection")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	recv(t, closed, "close hook after Client.Close")
	if _, err := c.InvokeSync(context.Background(), addr, NewRequest(codeEcho, nil, nil), time.Second); !errors.Is(err, ErrClientClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestDialFailure(t *testing.T) {
	// A listener that is closed again: its port refuses connections.
	s := startServer(t, ServerConfig{}, nil)
	addr := s.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	s.Shutdown(ctx)
	c := newTestClient(t, ClientConfig{})
	for range 2 { // the failed slot is not kept: the second call dials again
		if _, err := c.InvokeSync(ctx, addr, NewRequest(codeEcho, nil, nil), time.Second); err == nil {
			t.Fatal("call to a closed port succeeded")
		}
	}
	released := false
	req := NewRequest(codeEcho, nil, nil)
	req.Release = func() { released = true }
	if err := c.InvokeOneway(ctx, addr, req); err == nil || !released {
		t.Fatalf("oneway to closed port: err %v released %v", err, released)
	}
}

// TestConcurrentCallsOneConnection: many goroutines share one connection;
// every response reaches its own caller.
func TestConcurrentCallsOneConnection(t *testing.T) {
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Handle(codeEcho, NewPool("echo", 8, 4096), echoHandler)
	})
	c := newTestClient(t, ClientConfig{})
	addr := s.Addr().String()
	const callers, calls = 16, 200
	errs := make(chan error, callers)
	for g := range callers {
		go func() {
			for i := range calls {
				want := string(rune('a'+g)) + "-" + string(rune('0'+i%10))
				resp, err := c.InvokeSync(context.Background(), addr, NewRequest(codeEcho, map[string]string{"w": want}, []byte(want)), waitTimeout)
				if err == nil && (string(resp.Body) != want || resp.ExtFields["w"] != want) {
					err = errors.New("crossed response: got " + string(resp.Body) + " want " + want)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range callers {
		if err := recv(t, errs, "caller"); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.Conns()); n != 1 {
		t.Fatalf("%d server connections, want 1", n)
	}
}

// A client configured for ROCKETMQ sends every request, sync, async and
// oneway, with the binary header; its answers to the server's requests keep
// the encoding the server chose.
func TestClientSerializeType(t *testing.T) {
	got := make(chan SerializeType, 4)
	conns := make(chan *Conn, 1)
	s := startServer(t, ServerConfig{}, func(s *Server) {
		s.Handle(codeEcho, nil, func(c *Conn, req *Command) (*Command, error) {
			got <- req.SerializeType
			select {
			case conns <- c:
			default:
			}
			return echoHandler(c, req)
		})
	})
	c := newTestClient(t, ClientConfig{SerializeType: SerializeRocketMQ})
	c.Handle(codeRunningInfo, func(_ *Conn, req *Command) (*Command, error) {
		return NewResponse(req, CodeSuccess, ""), nil
	})
	addr := s.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()

	resp := invoke(t, c, addr, NewRequest(codeEcho, map[string]string{"k": "v"}, []byte("b")))
	if st := recv(t, got, "sync request"); st != SerializeRocketMQ {
		t.Fatalf("sync request went as %v", st)
	}
	if resp.SerializeType != SerializeRocketMQ || resp.ExtFields["k"] != "v" || string(resp.Body) != "b" {
		t.Fatalf("sync response: %v (%v)", resp, resp.SerializeType)
	}
	done := make(chan *Command, 1)
	if err := c.InvokeAsync(ctx, addr, NewRequest(codeEcho, nil, nil), waitTimeout, func(r *Command, err error) {
		if err != nil {
			t.Error(err)
		}
		done <- r
	}); err != nil {
		t.Fatal(err)
	}
	recv(t, done, "async response")
	if st := recv(t, got, "async request"); st != SerializeRocketMQ {
		t.Fatalf("async request went as %v", st)
	}
	if err := c.InvokeOneway(ctx, addr, NewRequest(codeEcho, nil, nil)); err != nil {
		t.Fatal(err)
	}
	if st := recv(t, got, "oneway request"); st != SerializeRocketMQ {
		t.Fatalf("oneway request went as %v", st)
	}

	sc := recv(t, conns, "server conn")
	r, err := sc.InvokeSync(ctx, NewRequest(codeRunningInfo, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if r.SerializeType != SerializeJSON {
		t.Fatalf("client answered a JSON request with %v", r.SerializeType)
	}
}
