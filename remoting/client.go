package remoting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ClientConfig configures a Client. Zero values take the defaults noted.
type ClientConfig struct {
	DialTimeout  time.Duration // default 3 s
	MaxFrameSize int           // default 16 MiB
	WriteTimeout time.Duration // default 30 s, < 0 = never
	Version      int32         // put on requests that carry none; default 409 (V4_9_8)
	// SerializeType encodes the requests this client sends that were left
	// JSON (the zero value), as upstream's rocketmq.serialize.type does for
	// a whole JVM. Responses keep their request's encoding. Default JSON.
	SerializeType SerializeType
	Logger        *slog.Logger // default slog.Default()
	// Dial is the TLS seam (nil = a net.Dialer on TCP).
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// Pool runs handlers for server-initiated requests; default 4 workers,
	// 1024 queued.
	Pool *Pool
}

const defaultClientVersion = 409 // V4_9_8

// Client calls remoting servers: one connection per address, dialled on
// first use and redialled after it dies. Requests the servers send back on
// those connections (broker -> client calls) go to the handlers added with
// Handle.
type Client struct {
	cfg    ClientConfig
	log    *slog.Logger
	router *router
	opaque atomic.Int32 // per client, first opaque 1
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  map[string]*clientConn
	closed bool
}

// clientConn is the slot for one address: ready is closed when the dial
// finished, with conn or err set.
type clientConn struct {
	ready chan struct{}
	conn  *Conn
	err   error
}

// NewClient makes a client. Connections are made on first use.
func NewClient(cfg ClientConfig) *Client {
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 3 * time.Second
	}
	if cfg.MaxFrameSize <= 0 {
		cfg.MaxFrameSize = DefaultMaxFrameSize
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = defaultWriteTimeout
	}
	if cfg.Version == 0 {
		cfg.Version = defaultClientVersion
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Pool == nil {
		cfg.Pool = NewPool("client", 4, 1024)
	}
	if cfg.Dial == nil {
		d := &net.Dialer{}
		cfg.Dial = func(ctx context.Context, addr string) (net.Conn, error) {
			return d.DialContext(ctx, "tcp", addr)
		}
	}
	c := &Client{
		cfg:    cfg,
		log:    cfg.Logger,
		router: newRouter(cfg.Logger, cfg.Pool),
		conns:  map[string]*clientConn{},
	}
	c.router.start()
	return c
}

// Handle runs h for requests with code that a server sends to this client.
// Other codes are answered REQUEST_CODE_NOT_SUPPORTED.
func (c *Client) Handle(code int32, h Handler) { c.router.handle(code, nil, h) }

// InvokeSync sends req to addr and waits for the response, at most timeout
// (<= 0: only ctx bounds the wait), including the time to connect.
func (c *Client) InvokeSync(ctx context.Context, addr string, req *Command, timeout time.Duration) (*Command, error) {
	start := time.Now()
	conn, err := c.conn(ctx, addr, timeout)
	if err != nil {
		req.release()
		return nil, err
	}
	if timeout > 0 {
		timeout -= time.Since(start)
		if timeout <= 0 {
			req.release()
			return nil, fmt.Errorf("remoting: %s code %d: connecting used the whole timeout: %w", addr, req.Code, ErrTimeout)
		}
	}
	return conn.invokeSync(ctx, req, timeout)
}

// InvokeAsync sends req to addr; cb runs exactly once with the response or
// an error (timeout, ctx, connection death). If InvokeAsync returns an error
// cb is never called.
func (c *Client) InvokeAsync(ctx context.Context, addr string, req *Command, timeout time.Duration, cb func(*Command, error)) error {
	start := time.Now()
	conn, err := c.conn(ctx, addr, timeout)
	if err != nil {
		req.release()
		return err
	}
	if timeout > 0 {
		timeout = max(timeout-time.Since(start), time.Nanosecond)
	}
	return conn.invokeAsync(ctx, req, timeout, cb)
}

// InvokeOneway sends req to addr flagged oneway.
func (c *Client) InvokeOneway(ctx context.Context, addr string, req *Command) error {
	conn, err := c.conn(ctx, addr, 0)
	if err != nil {
		req.release()
		return err
	}
	return conn.InvokeOneway(req)
}

// conn returns the live connection to addr, dialling it if there is none.
// Concurrent callers for the same address share one dial.
func (c *Client) conn(ctx context.Context, addr string, timeout time.Duration) (*Conn, error) {
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, fmt.Errorf("remoting: %s: %w", addr, ErrClientClosed)
		}
		slot := c.conns[addr]
		if slot == nil {
			slot = &clientConn{ready: make(chan struct{})}
			c.conns[addr] = slot
			c.mu.Unlock()
			c.dial(ctx, addr, slot, timeout)
		} else {
			c.mu.Unlock()
			select {
			case <-slot.ready:
			case <-ctx.Done():
				return nil, fmt.Errorf("remoting: connect %s: %w", addr, ctx.Err())
			}
		}
		if slot.err != nil {
			// Another caller's context may have cut its dial short; ours
			// is still good, so try again.
			if errors.Is(slot.err, context.Canceled) && ctx.Err() == nil {
				continue
			}
			return nil, slot.err
		}
		select {
		case <-slot.conn.Closed():
			c.drop(addr, slot) // dead but not yet removed: redial
			continue
		default:
			return slot.conn, nil
		}
	}
}

func (c *Client) dial(ctx context.Context, addr string, slot *clientConn, timeout time.Duration) {
	dialTimeout := c.cfg.DialTimeout
	if timeout > 0 {
		dialTimeout = min(dialTimeout, timeout)
	}
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	nc, err := c.cfg.Dial(dctx, addr)
	cancel()

	c.mu.Lock()
	defer c.mu.Unlock()
	defer close(slot.ready)
	if err == nil && c.closed {
		nc.Close()
		err = ErrClientClosed
	}
	if err != nil {
		slot.err = fmt.Errorf("remoting: connect %s: %w", addr, err)
		if errors.Is(err, context.DeadlineExceeded) {
			slot.err = fmt.Errorf("remoting: connect %s: %w (%w)", addr, ErrTimeout, err)
		}
		if c.conns[addr] == slot {
			delete(c.conns, addr)
		}
		return
	}
	conn := newConn(nc, c, addr, connSettings{
		maxFrame:     c.cfg.MaxFrameSize,
		writeTimeout: max(c.cfg.WriteTimeout, 0),
		log:          c.log,
		opaque:       &c.opaque,
		version:      c.cfg.Version,
		serialize:    c.cfg.SerializeType,
	})
	slot.conn = conn
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		conn.run(c.spawn)
	}()
}

func (c *Client) spawn(f func()) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		f()
	}()
}

func (c *Client) drop(addr string, slot *clientConn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conns[addr] == slot {
		delete(c.conns, addr)
	}
}

func (c *Client) handleRequest(conn *Conn, req *Command) { c.router.dispatch(conn, req) }

func (c *Client) connClosed(conn *Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if slot := c.conns[conn.key]; slot != nil && slot.conn == conn {
		delete(c.conns, conn.key)
	}
}

// CloseAddr closes the connection to addr, if any; the next call redials.
func (c *Client) CloseAddr(addr string) {
	c.mu.Lock()
	slot := c.conns[addr]
	if slot != nil {
		delete(c.conns, addr)
	}
	c.mu.Unlock()
	if slot == nil {
		return
	}
	<-slot.ready // a dial in flight is short (DialTimeout)
	if slot.conn != nil {
		slot.conn.Close()
	}
}

// Close closes every connection (pending requests fail with ErrConnClosed)
// and waits for the client's goroutines. Later calls fail with ErrClientClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	slots := make([]*clientConn, 0, len(c.conns))
	for _, s := range c.conns {
		slots = append(slots, s)
	}
	c.conns = map[string]*clientConn{}
	c.mu.Unlock()
	for _, s := range slots {
		<-s.ready
		if s.conn != nil {
			s.conn.Close()
		}
	}
	c.wg.Wait()
	for _, wait := range c.router.stop() {
		if err := wait(context.Background()); err != nil {
			return err
		}
	}
	return nil
}
