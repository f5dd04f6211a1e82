package namesrv

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// Server is one name server: a route table, a KV store and the remoting
// server that answers requests about them.
type Server struct {
	log    *slog.Logger
	now    func() time.Time
	routes *routeTable
	kv     *kvStore
	remote *remoting.Server

	// cfg is replaced whole by UPDATE_NAMESRV_CONFIG; handlers load it
	// per request. cfgMu serializes updates (and their file writes).
	cfg   atomic.Pointer[config.Namesrv]
	cfgMu sync.Mutex

	started  atomic.Bool
	stopOnce sync.Once
	stop     chan struct{} // closed by Shutdown: the expiry scanner exits
	scanDone chan struct{} // closed by the scanner when it has exited
}

// Option tunes a Server beyond its configuration file.
type Option func(*Server)

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithClock sets the clock the route table stamps heartbeats with
// (default time.Now); tests use it to move time without sleeping.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// New validates cfg, loads the KV store from cfg.KVConfigPath and prepares
// the server. Nothing listens until Start.
func New(cfg config.Namesrv, opts ...Option) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("name server config: %w", err)
	}
	if err := checkSupported(&cfg); err != nil {
		return nil, err
	}
	s := &Server{
		log:      slog.Default(),
		now:      time.Now,
		stop:     make(chan struct{}),
		scanDone: make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	kv, err := openKVStore(cfg.KVConfigPath)
	if err != nil {
		return nil, err
	}
	s.kv = kv
	s.routes = newRouteTable(s.now)
	s.cfg.Store(&cfg)

	idle := time.Duration(cfg.ServerChannelMaxIdleTimeSeconds) * time.Second
	if idle == 0 {
		idle = -1 // Netty's 0 means "never"; remoting's 0 means "default"
	}
	s.remote = remoting.NewServer(remoting.ServerConfig{
		Addr:        net.JoinHostPort(cfg.BindAddress, strconv.Itoa(cfg.ListenPort)),
		IdleTimeout: idle,
		Version:     protocol.CurrentVersion,
		Logger:      s.log,
		DefaultPool: remoting.NewPool("namesrv-default", cfg.DefaultThreadPoolNums, cfg.DefaultThreadPoolQueueCapacity),
	})
	s.registerHandlers(remoting.NewPool("namesrv-client", cfg.ClientRequestThreadPoolNums, cfg.ClientRequestThreadPoolQueueCapacity))
	s.remote.OnConnClose(s.connClosed)
	return s, nil
}

// checkSupported refuses settings that ask for features we do not have,
// rather than silently ignoring them.
func checkSupported(cfg *config.Namesrv) error {
	if cfg.ClusterTest {
		return errors.New("name server config: clusterTest=true is not supported (cluster-test route lookup through productEnvName is not implemented)")
	}
	if cfg.NotifyMinBrokerIDChanged {
		return errors.New("name server config: notifyMinBrokerIdChanged=true is not supported (a 5.x feature not implemented)")
	}
	return nil
}

// Start binds the listener (so Addr is real, also for port 0), then
// serves and starts the expiry scanner.
func (s *Server) Start() error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("name server already started")
	}
	if err := s.remote.Start(); err != nil {
		close(s.scanDone)
		return fmt.Errorf("name server listen: %w", err)
	}
	go s.scanLoop()
	cfg := s.config()
	s.log.Info("name server started", "addr", s.Addr().String(), "kvConfigPath", cfg.KVConfigPath,
		"orderMessageEnable", cfg.OrderMessageEnable)
	return nil
}

// Addr returns the listening address; nil before Start.
func (s *Server) Addr() net.Addr { return s.remote.Addr() }

// Shutdown stops the scanner, closes the listener and every connection,
// and waits for in-flight handlers until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() { close(s.stop) })
	if !s.started.Load() {
		return nil
	}
	err := s.remote.Shutdown(ctx)
	select {
	case <-s.scanDone:
	case <-ctx.Done():
		return errors.Join(err, ctx.Err())
	}
	return err
}

func (s *Server) config() *config.Namesrv { return s.cfg.Load() }

// scanLoop removes brokers that stopped sending heartbeats. The interval
// and the timeout are read on every round, so a config update applies.
func (s *Server) scanLoop() {
	defer close(s.scanDone)
	for {
		interval := time.Duration(s.config().ScanNotActiveBrokerInterval) * time.Millisecond
		t := time.NewTimer(interval)
		select {
		case <-s.stop:
			t.Stop()
			return
		case <-t.C:
		}
		s.expireBrokers()
	}
}

// expireBrokers removes brokers silent for longer than
// brokerChannelExpiredTime and closes their connections.
func (s *Server) expireBrokers() {
	timeout := time.Duration(s.config().BrokerChannelExpiredTime) * time.Millisecond
	for _, e := range s.routes.removeExpired(timeout) {
		s.log.Warn("broker expired: no heartbeat", "broker", e.addr, "timeout", timeout)
		if e.conn != nil {
			e.conn.Close()
		}
	}
}

// connClosed removes, at once, every broker that registered on a closed
// connection.
func (s *Server) connClosed(c *remoting.Conn) {
	for _, addr := range s.routes.removeConn(c.ID()) {
		s.log.Info("broker connection closed; broker removed", "broker", addr, "remote", c.RemoteAddr())
	}
}
