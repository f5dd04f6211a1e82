package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/store"
)

// Broker is one RocketMQ broker: the message store, the request handlers
// on the main and the fast (VIP) port, the client tables and the
// registration with the name servers.
type Broker struct {
	// config is the configuration in effect; read it with conf(). A runtime
	// update (UPDATE_BROKER_CONFIG) swaps in a new copy, so readers never
	// see a half-written one and must not modify what they get.
	config   atomic.Pointer[config.Broker]
	confMu   sync.Mutex    // serialises config updates (config_update.go)
	confFile string        // where updates are persisted: -c, or <store>/config/broker.properties
	confGen  chan struct{} // closed and replaced by each config update; under confMu
	log      *slog.Logger
	storeLog *slog.Logger
	now      func() time.Time
	nsAddrs  []string

	store   *store.Store
	topics  *topicTable
	groups  *groupTable
	offsets *offsetTable
	clients *clientTable
	locks   *queueLocks
	holds   *pullHolds
	trans   *transactions // transactional messages (transaction*.go)
	stats   *brokerStats  // per-topic and per-group statistics (brokerstats.go)

	// schedule and timer deliver delayed messages (schedule.go, timer.go).
	schedule *scheduleService
	timer    *timerService

	main     *remoting.Server
	fast     *remoting.Server
	nsClient *remoting.Client
	pools    pools

	// Set by Start once the main port is bound.
	addr      string         // brokerIP1:port, advertised to clients and name servers
	storeHost netip.AddrPort // written into every stored record
	haAddr    string         // brokerIP2:haPort, advertised to name servers

	registerNow chan struct{} // topic changes ask for an immediate registration
	notify      chan string   // consumer groups whose members must rebalance

	started  atomic.Bool
	stopOnce sync.Once
	stop     chan struct{} // closed by Shutdown: background loops exit
	wg       sync.WaitGroup
}

// conf is the broker configuration in effect. Do not modify it.
func (b *Broker) conf() *config.Broker { return b.config.Load() }

// Option tunes a Broker beyond its configuration.
type Option func(*Broker)

// WithLogger sets the broker's logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(b *Broker) { b.log = l } }

// WithClock sets the clock of the client and lock tables (default
// time.Now); tests use it to expire things without waiting.
func WithClock(now func() time.Time) Option { return func(b *Broker) { b.now = now } }

// WithConfigFile names the properties file the broker was started with
// (mqbroker -c); UPDATE_BROKER_CONFIG rewrites it in place. Without it,
// updates go to <storePathRootDir>/config/broker.properties, which mqbroker
// loads when started without -c.
func WithConfigFile(path string) Option { return func(b *Broker) { b.confFile = path } }

// WithStoreLogger sets the store's logger (default: the broker's).
func WithStoreLogger(l *slog.Logger) Option { return func(b *Broker) { b.storeLog = l } }

// New validates cfg and prepares a broker; nothing is opened or bound
// until Start. Settings that ask for features RocketGo does not have yet
// are refused with an error naming the feature.
func New(cfg config.Broker, opts ...Option) (*Broker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("broker config: %w", err)
	}
	if err := checkSupported(&cfg); err != nil {
		return nil, err
	}
	addrs, _ := config.SplitAddrs(cfg.NamesrvAddr)
	b := &Broker{
		log:         slog.Default(),
		now:         time.Now,
		nsAddrs:     addrs,
		registerNow: make(chan struct{}, 1),
		notify:      make(chan string, 1024),
		stop:        make(chan struct{}),
		confGen:     make(chan struct{}),
	}
	b.config.Store(&cfg)
	for _, o := range opts {
		o(b)
	}
	if b.storeLog == nil {
		b.storeLog = b.log
	}
	dir := cfg.Store.Paths().Config
	if b.confFile == "" {
		b.confFile = filepath.Join(dir, DefaultConfigFileName)
	}
	b.topics = newTopicTable(dir, b.now)
	b.topics.onChange = b.requestRegister
	b.groups = newGroupTable(dir, cfg.AutoCreateSubscriptionGroup, b.now)
	b.offsets = newOffsetTable(dir)
	b.clients = newClientTable()
	b.locks = newQueueLocks(b.now)
	b.holds = newPullHolds(b)
	levels, err := cfg.DelayLevels()
	if err != nil {
		return nil, fmt.Errorf("broker config: messageDelayLevel: %w", err)
	}
	b.schedule = newScheduleService(levels, dir, b.log, b.now)
	b.timer = newTimerService(dir, b.log, b.now)
	b.trans = newTransactions(b)
	b.stats = newBrokerStats(cfg.BrokerClusterName, func() int64 { return b.store.PutMessageTimesTotal() })
	b.pools = newPools(&cfg)
	return b, nil
}

// checkSupported refuses settings whose feature is not built yet, rather
// than running without it.
func checkSupported(cfg *config.Broker) error {
	missing := func(setting, feature string) error {
		return fmt.Errorf("broker config: %s: %s is not implemented yet in RocketGo", setting, feature)
	}
	switch {
	case cfg.BrokerRole == config.Slave:
		return missing("brokerRole=SLAVE", "master/slave replication (HA)")
	case cfg.BrokerRole == config.SyncMaster:
		return missing("brokerRole=SYNC_MASTER", "synchronous replication to slaves (HA)")
	case cfg.EnableDLegerCommitLog:
		return missing("enableDLegerCommitLog=true", "the DLedger commit log")
	case cfg.AclEnable:
		return missing("aclEnable=true", "access control (ACL)")
	case cfg.UseTLS:
		return missing("useTLS=true", "TLS")
	case cfg.MessageStorePlugIn != "":
		return missing("messageStorePlugIn", "message store plug-ins")
	case cfg.TransientStorePoolEnable:
		return missing("transientStorePoolEnable=true", "the transient store pool")
	case cfg.EnableConsumeQueueExt:
		return missing("enableConsumeQueueExt=true", "the consume queue extension (SQL92 bitmaps)")
	case cfg.EnableLmq || cfg.EnableMultiDispatch:
		return missing("enableLmq/enableMultiDispatch", "light message queues")
	case cfg.FetchNamesrvAddrByAddressServer:
		return missing("fetchNamesrvAddrByAddressServer=true", "fetching name server addresses from an address server")
	case cfg.FilterServerNums > 0:
		return missing("filterServerNums", "filter servers")
	case cfg.ListenPort == 1 || cfg.ListenPort == 2:
		return fmt.Errorf("broker config: listenPort=%d leaves no room for the fast port listenPort-2", cfg.ListenPort)
	}
	return nil
}

// Start opens the store, loads the config files, binds the main and fast
// ports (so Addr is real when it returns, also for port 0), registers with
// the name servers in the background and starts the housekeeping loops.
func (b *Broker) Start() (err error) {
	if !b.started.CompareAndSwap(false, true) {
		return errors.New("broker already started")
	}
	defer func() {
		if err != nil {
			b.abortStart()
		}
	}()
	if err := b.topics.load(b.conf()); err != nil {
		return err
	}
	if err := b.groups.load(); err != nil {
		return err
	}
	if err := b.offsets.load(); err != nil {
		return err
	}
	st, err := store.Open(storeOptions(b.conf(), b.storeLog, b.arrived))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	b.store = st
	if err := b.schedule.load(st); err != nil {
		return err
	}
	if err := b.timer.load(st); err != nil {
		return err
	}
	if err := b.trans.start(); err != nil {
		return err
	}

	b.main = b.newServer(b.conf().ListenPort)
	fastPort := 0
	if b.conf().ListenPort != 0 {
		fastPort = b.conf().ListenPort - 2
	}
	b.fast = b.newServer(fastPort)
	if err := b.main.Start(); err != nil {
		return fmt.Errorf("broker listen: %w", err)
	}
	if err := b.fast.Start(); err != nil {
		return fmt.Errorf("broker listen on the fast port (listenPort-2): %w", err)
	}
	port := b.main.Addr().(*net.TCPAddr).Port
	ip, err := resolveIP(b.conf().BrokerIP1)
	if err != nil {
		return fmt.Errorf("brokerIP1: %w", err)
	}
	b.storeHost = netip.AddrPortFrom(ip, uint16(port))
	b.addr = net.JoinHostPort(b.conf().BrokerIP1, strconv.Itoa(port))
	haPort := b.conf().HAPort()
	if haPort == 0 {
		haPort = port + 1
	}
	b.haAddr = net.JoinHostPort(b.conf().BrokerIP2, strconv.Itoa(haPort))
	if b.conf().BrokerIP2 == "" {
		b.haAddr = net.JoinHostPort(b.conf().BrokerIP1, strconv.Itoa(haPort))
	}

	b.nsClient = remoting.NewClient(remoting.ClientConfig{
		DialTimeout: time.Duration(b.conf().ConnectTimeoutMillis) * time.Millisecond,
		Version:     protocol.CurrentVersion,
		Logger:      b.log,
	})
	b.holds.start()
	b.goLoop(b.registerLoop)
	b.goLoop(b.offsetFlushLoop)
	b.goLoop(b.clientScanLoop)
	b.goLoop(b.notifyLoop)
	b.schedule.start(b)
	b.timer.start(b)
	b.goLoop(b.trans.checkLoop)
	b.goLoop(func() { b.stats.run(b.now, b.stop) })
	// Handlers go in last: they read what Start set above (storeHost, addr,
	// nsClient, the services), and installing them publishes those writes
	// to the connections already accepted. A request that beats them gets
	// REQUEST_CODE_NOT_SUPPORTED; nobody knows a port-0 address yet.
	b.registerHandlers(b.main, true)
	b.registerHandlers(b.fast, false)
	b.log.Info("broker started", "name", b.conf().BrokerName, "cluster", b.conf().BrokerClusterName, "addr", b.addr,
		"fastAddr", b.fast.Addr().String(), "store", b.conf().StorePathRootDir, "namesrv", b.nsAddrs)
	return nil
}

// abortStart undoes a Start that failed half way.
func (b *Broker) abortStart() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b.stopOnce.Do(func() { close(b.stop) })
	b.holds.shutdown()
	for _, s := range []*remoting.Server{b.main, b.fast} {
		if s != nil {
			_ = s.Shutdown(ctx)
		}
	}
	b.wg.Wait()
	if b.nsClient != nil {
		b.nsClient.Close()
	}
	if b.store != nil {
		if err := b.store.Close(); err != nil {
			b.log.Error("close store", "err", err)
		}
	}
}

func (b *Broker) newServer(port int) *remoting.Server {
	idle := time.Duration(b.conf().ServerChannelMaxIdleTimeSeconds) * time.Second
	if idle == 0 {
		idle = -1 // Netty's 0 means never
	}
	return remoting.NewServer(remoting.ServerConfig{
		Addr:        net.JoinHostPort(b.conf().BindAddress, strconv.Itoa(port)),
		IdleTimeout: idle,
		Version:     protocol.CurrentVersion,
		Logger:      b.log,
		DefaultPool: b.pools.admin,
	})
}

func resolveIP(host string) (netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return ip.Unmap(), nil
	}
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return netip.Addr{}, fmt.Errorf("%q is neither an IP address nor a resolvable host name: %v", host, err)
	}
	ip, _ := netip.AddrFromSlice(ips[0])
	return ip.Unmap(), nil
}

// goLoop runs f in a goroutine the broker waits for at Shutdown.
func (b *Broker) goLoop(f func()) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		f()
	}()
}

// Addr is the advertised "brokerIP1:port" of the main listener; empty
// before Start.
func (b *Broker) Addr() string { return b.addr }

// ListenAddr is the bound main listener (port 0 resolved); nil before Start.
func (b *Broker) ListenAddr() net.Addr {
	if b.main == nil {
		return nil
	}
	return b.main.Addr()
}

// FastListenAddr is the bound fast (VIP) listener; nil before Start.
func (b *Broker) FastListenAddr() net.Addr {
	if b.fast == nil {
		return nil
	}
	return b.fast.Addr()
}

// Store is the broker's message store (for tests and tools).
func (b *Broker) Store() *store.Store { return b.store }

// BootLine is what upstream prints once the broker serves; scripts wait
// for it.
func (b *Broker) BootLine() string {
	line := "The broker[" + b.conf().BrokerName + ", " + b.addr + "] boot success. serializeType=JSON"
	if b.conf().NamesrvAddr != "" {
		line += " and name server is " + b.conf().NamesrvAddr
	}
	return line
}

// Shutdown unregisters from the name servers, stops the listeners and the
// background loops, persists the offsets and closes the store. ctx bounds
// the whole.
func (b *Broker) Shutdown(ctx context.Context) error {
	if !b.started.Load() {
		return nil
	}
	var errs []error
	b.stopOnce.Do(func() {
		close(b.stop)
		b.unregisterAll(ctx)
		b.holds.shutdown()
		for _, s := range []*remoting.Server{b.main, b.fast} {
			if err := s.Shutdown(ctx); err != nil {
				errs = append(errs, err)
			}
		}
		done := make(chan struct{})
		go func() { b.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			errs = append(errs, fmt.Errorf("broker loops still running: %w", ctx.Err()))
		}
		b.nsClient.Close()
		b.trans.persistOffsets() // after the handlers and the check loop stopped
		if err := b.offsets.persist(true); err != nil {
			errs = append(errs, err)
		}
		if err := b.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		} else {
			// Only now is every delivered copy on disk.
			errs = append(errs, b.schedule.persistFinal(), b.timer.persistFinal())
		}
		b.log.Info("broker stopped", "name", b.conf().BrokerName, "addr", b.addr)
	})
	return errors.Join(errs...)
}

// offsetFlushLoop writes consumerOffset.json every flushConsumerOffsetInterval.
func (b *Broker) offsetFlushLoop() {
	interval := func() time.Duration { return time.Duration(b.conf().FlushConsumerOffsetInterval) * time.Millisecond }
	t := time.NewTicker(interval())
	defer t.Stop()
	changed := b.configChanged()
	for {
		select {
		case <-b.stop:
			return
		case <-changed:
			changed = b.configChanged()
			t.Reset(interval())
		case <-t.C:
			if err := b.offsets.persist(false); err != nil {
				b.log.Error("persist consumer offsets", "err", err)
			}
		}
	}
}

// channelExpiry is how long a client may stay silent before the broker
// drops its connection (upstream's 120 s).
const channelExpiry = 120 * time.Second

// clientScanLoop closes client connections that stopped heartbeating;
// their close hook removes them from every group.
func (b *Broker) clientScanLoop() {
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			b.expireClients()
		}
	}
}

// expireClients closes the connections of clients silent for channelExpiry.
func (b *Broker) expireClients() {
	for _, c := range b.clients.expired(b.now().Add(-channelExpiry)) {
		b.log.Info("client silent for 120 s; closing its connection", "peer", c.RemoteAddr())
		c.Close()
	}
}
