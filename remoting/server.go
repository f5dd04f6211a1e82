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

// ServerConfig configures a Server. Zero values take the defaults noted.
type ServerConfig struct {
	Addr         string        // listen address: "127.0.0.1:0" in tests, ":9876" etc.
	MaxFrameSize int           // default 16 MiB (16777216), as the Java decoder
	IdleTimeout  time.Duration // close connections idle (no read, no write) this long; default 120 s, < 0 = never
	WriteTimeout time.Duration // give up on a peer that does not read; default 30 s, < 0 = never
	Version      int32         // stamped on everything sent (409 = V4_9_8)
	Logger       *slog.Logger  // default slog.Default()
	// WrapConn is the TLS seam: called on each accepted connection, in that
	// connection's goroutine, before use (nil = plain TCP).
	WrapConn func(net.Conn) (net.Conn, error)

	// DefaultPool runs handlers registered without a pool; default 16 workers
	// with 10000 queued requests.
	DefaultPool *Pool
}

const (
	defaultIdleTimeout  = 120 * time.Second
	defaultWriteTimeout = 30 * time.Second
)

// Server accepts RocketMQ remoting connections and runs a Handler per
// request code. See the package documentation for its goroutines.
type Server struct {
	cfg    ServerConfig
	log    *slog.Logger
	router *router
	opaque atomic.Int32
	wg     sync.WaitGroup // accept loop and every connection goroutine

	mu       sync.Mutex
	ln       net.Listener
	conns    map[*Conn]struct{}
	hooks    []func(*Conn)
	started  bool
	shutdown bool
	quit     chan struct{} // closed by Shutdown; wakes the accept back-off
}

// NewServer makes a server; Start binds it.
func NewServer(cfg ServerConfig) *Server {
	if cfg.MaxFrameSize <= 0 {
		cfg.MaxFrameSize = DefaultMaxFrameSize
	}
	if cfg.IdleTimeout == 0 {
		cfg.IdleTimeout = defaultIdleTimeout
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = defaultWriteTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.DefaultPool == nil {
		cfg.DefaultPool = NewPool("default", 16, 10000)
	}
	return &Server{
		cfg:    cfg,
		log:    cfg.Logger,
		router: newRouter(cfg.Logger, cfg.DefaultPool),
		conns:  map[*Conn]struct{}{},
		quit:   make(chan struct{}),
	}
}

// Handle runs h for requests with code, on pool (nil = the default pool).
// It may be called before or after Start.
func (s *Server) Handle(code int32, pool *Pool, h Handler) { s.router.handle(code, pool, h) }

// HandleDefault runs h for codes without a handler. Without it they are
// answered REQUEST_CODE_NOT_SUPPORTED, remark " request type <code> not supported".
func (s *Server) HandleDefault(pool *Pool, h Handler) { s.router.handleDefault(pool, h) }

// OnConnClose adds a hook that runs once per closed connection, after its
// goroutines have stopped. Hooks run in the connection's goroutine.
func (s *Server) OnConnClose(f func(*Conn)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = append(s.hooks, f)
}

// Start binds the listener (so Addr is known when it returns) and starts
// accepting.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("remoting: server already started")
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("remoting: listen %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	s.started = true
	s.router.start()
	s.wg.Add(1)
	go s.acceptLoop(ln)
	return nil
}

// Addr is the bound address (port 0 resolved); nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

func (s *Server) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: back off and retry, as
			// net/http does, instead of spinning or giving up.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("remoting: accept failed; retrying", "addr", ln.Addr(), "err", err, "delay", delay)
			select {
			case <-time.After(delay):
			case <-s.quit:
				return
			}
			continue
		}
		delay = 0
		s.wg.Add(1)
		go s.serve(nc)
	}
}

func (s *Server) serve(nc net.Conn) {
	defer s.wg.Done()
	if s.cfg.WrapConn != nil {
		wrapped, err := s.cfg.WrapConn(nc)
		if err != nil {
			s.log.Warn("remoting: connection setup failed", "peer", nc.RemoteAddr(), "err", err)
			nc.Close()
			return
		}
		nc = wrapped
	}
	c := newConn(nc, s, "", connSettings{
		maxFrame:     s.cfg.MaxFrameSize,
		idleTimeout:  max(s.cfg.IdleTimeout, 0),
		writeTimeout: max(s.cfg.WriteTimeout, 0),
		log:          s.log,
		opaque:       &s.opaque,
		stamp:        true,
		language:     LanguageJava,
		version:      s.cfg.Version,
	})
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		nc.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	c.run(s.spawn)
}

func (s *Server) spawn(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

func (s *Server) handleRequest(c *Conn, req *Command) { s.router.dispatch(c, req) }

func (s *Server) connClosed(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	hooks := s.hooks
	s.mu.Unlock()
	for _, f := range hooks {
		f(c)
	}
}

// Conns returns the live connections.
func (s *Server) Conns() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

// Shutdown stops accepting, closes every connection (their pending requests
// fail with ErrConnClosed), lets the pools finish queued requests, and waits
// for all goroutines, or until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.shutdown || !s.started {
		s.mu.Unlock()
		return nil
	}
	s.shutdown = true
	ln := s.ln
	conns := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()

	close(s.quit)
	ln.Close()
	for _, c := range conns {
		c.close(errShutdown)
	}
	var errs []error
	if err := waitGroup(ctx, &s.wg); err != nil {
		errs = append(errs, fmt.Errorf("remoting: shutdown %s: waiting for connections: %w", ln.Addr(), err))
	}
	// Pools are released even when ctx ran out, so their workers stop once
	// the handlers return.
	for _, wait := range s.router.stop() {
		if err := wait(ctx); err != nil {
			errs = append(errs, fmt.Errorf("remoting: shutdown %s: waiting for handlers: %w", ln.Addr(), err))
			break
		}
	}
	return errors.Join(errs...)
}

var errShutdown = errors.New("server shutting down")
