package remoting

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitTimeout bounds every wait in the tests; reaching it is a failure, never
// the synchronisation itself.
const waitTimeout = 10 * time.Second

// logBuffer collects log lines (slog text handler) for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// lines returns the logged lines that contain every one of words.
func (l *logBuffer) lines(words ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range strings.Split(l.buf.String(), "\n") {
		ok := line != ""
		for _, w := range words {
			ok = ok && strings.Contains(line, w)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

func testLogger(t *testing.T) (*slog.Logger, *logBuffer) {
	t.Helper()
	lb := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", lb.buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug})), lb
}

// startServer starts a server on 127.0.0.1:0 after setup registered its
// handlers; it is shut down when the test ends.
func startServer(t *testing.T, cfg ServerConfig, setup func(*Server)) *Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		cfg.Logger, _ = testLogger(t)
	}
	s := NewServer(cfg)
	if setup != nil {
		setup(s)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return s
}

func newTestClient(t *testing.T, cfg ClientConfig) *Client {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger, _ = testLogger(t)
	}
	c := NewClient(cfg)
	t.Cleanup(func() { c.Close() })
	return c
}

func echoHandler(_ *Conn, req *Command) (*Command, error) {
	resp := NewResponse(req, CodeSuccess, "")
	resp.ExtFields = req.ExtFields
	resp.Body = req.Body
	return resp, nil
}

func invoke(t *testing.T, c *Client, addr string, req *Command) *Command {
	t.Helper()
	resp, err := c.InvokeSync(context.Background(), addr, req, waitTimeout)
	if err != nil {
		t.Fatalf("InvokeSync code %d: %v", req.Code, err)
	}
	return resp
}

// recv waits for a value from ch.
func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// dialRaw opens a plain TCP connection for writing hand-made bytes.
func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return nc
}

// expectClosedByPeer reads until the peer closes the connection: EOF, or a
// reset when the peer closed with our bytes still unread.
func expectClosedByPeer(t *testing.T, nc net.Conn) {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(waitTimeout))
	_, err := io.Copy(io.Discard, nc)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("expected the server to close the connection, got %v", err)
	}
}

func mustEncode(t testing.TB, c *Command) []byte {
	t.Helper()
	b, err := Encode(c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// heldRequest is a request a holdHandler kept unanswered.
type heldRequest struct {
	conn *Conn
	req  *Command
}

// holdHandler answers nothing now (like a suspended pull) and hands each
// request to the test, which may Respond later.
func holdHandler(holds chan<- heldRequest) Handler {
	return func(c *Conn, req *Command) (*Command, error) {
		holds <- heldRequest{c, req}
		return nil, nil
	}
}
