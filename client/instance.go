package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// instance is one producer's or consumer's link to a cluster (upstream
// MQClientInstance, but one per client rather than shared): the remoting
// client, the client id, the route cache kept fresh from the name
// servers, heartbeats to every broker, and the goroutines that do it.
//
// Every goroutine the instance or its owner starts goes through spawn, so
// shutdown can stop them all: it cancels the instance context and waits.
type instance struct {
	opts   ClientOptions
	id     string // ClientIP@InstanceName
	log    *slog.Logger
	rc     *remoting.Client
	routes *routeTable

	// Supplied by the owner before start.
	heartbeatData func() *protocol.HeartbeatData // what to announce
	routeTopics   func() []string                // topics whose routes to keep fresh

	nsNext atomic.Uint32 // index of the name server to try first

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	kickSet map[string]bool // topics to refresh soon (after a failure)
	kick    chan struct{}   // wakes the refresh loop
	hbKick  chan struct{}   // wakes the heartbeat loop (a new broker)

	heartbeatMu sync.Mutex // one heartbeat round at a time
}

func newInstance(opts ClientOptions) (*instance, error) {
	opts, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{
		opts:    opts,
		id:      opts.ClientIP + "@" + opts.InstanceName,
		log:     opts.Logger,
		routes:  newRouteTable(),
		ctx:     ctx,
		cancel:  cancel,
		kickSet: map[string]bool{},
		kick:    make(chan struct{}, 1),
		hbKick:  make(chan struct{}, 1),
	}
	in.nsNext.Store(rand.Uint32())
	in.rc = remoting.NewClient(remoting.ClientConfig{
		DialTimeout:   opts.CallTimeout,
		Version:       protocol.CurrentVersion,
		SerializeType: opts.serialize,
		Logger:        opts.Logger,
		Dial:          opts.Dial,
	})
	return in, nil
}

// start launches the route refresh and heartbeat loops.
func (in *instance) start() {
	in.spawn(in.refreshLoop)
	in.spawn(in.heartbeatLoop)
}

// heartbeatLoop sends heartbeats every HeartbeatBrokerInterval, and at
// once when a route names a broker not seen before, so a new broker knows
// the client's groups (and can ask a transactional producer to check)
// without waiting for the next round.
func (in *instance) heartbeatLoop(ctx context.Context) {
	t := time.NewTicker(in.opts.HeartbeatBrokerInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-in.hbKick:
		}
		in.sendHeartbeat(ctx)
	}
}

// spawn runs f in a goroutine that shutdown waits for; f must return once
// its context is done. After shutdown has begun f is not run.
func (in *instance) spawn(f func(ctx context.Context)) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		return false
	}
	in.wg.Add(1)
	go func() {
		defer in.wg.Done()
		f(in.ctx)
	}()
	return true
}

// every runs f every d until shutdown.
func (in *instance) every(d time.Duration, f func(ctx context.Context)) {
	in.spawn(func(ctx context.Context) {
		t := time.NewTicker(d)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				f(ctx)
			}
		}
	})
}

// later runs f after d in a goroutine shutdown waits for; shutdown cancels
// the wait.
func (in *instance) later(d time.Duration, f func(ctx context.Context)) {
	in.spawn(func(ctx context.Context) {
		if sleepCtx(ctx, d) {
			f(ctx)
		}
	})
}

// sleepCtx waits d; false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// stopLoops stops every goroutine started with spawn and waits for them,
// or until ctx ends. The remoting client stays open for final calls
// (offset commits, unregistering).
func (in *instance) stopLoops(ctx context.Context) error {
	in.mu.Lock()
	in.closed = true
	in.mu.Unlock()
	in.cancel()
	if err := waitCtx(ctx, &in.wg); err != nil {
		return fmt.Errorf("client %s: waiting for goroutines: %w", in.id, err)
	}
	return nil
}

// close closes every connection and waits for the remoting goroutines.
func (in *instance) close() error { return in.rc.Close() }

// shutdown ends the client life belongs to, once: a client never started
// only closes; a running one stops its goroutines, runs final (wait for
// async sends, commit offsets, release locks) while the connections are
// still open, unregisters its groups from the brokers and closes.
func (in *instance) shutdown(ctx context.Context, life *lifecycle, producerGroup, consumerGroup string, final func(context.Context) error) error {
	switch life.stop() {
	case stateShutdown:
		return nil
	case stateCreated:
		return in.close()
	}
	var errs []error
	if err := in.stopLoops(ctx); err != nil {
		errs = append(errs, err)
	}
	if final != nil {
		if err := final(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := in.unregister(ctx, producerGroup, consumerGroup); err != nil {
		in.log.Warn("client: unregister", "client", in.id, "err", err)
	}
	if err := in.close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// waitCtx waits for wg or ctx.
func waitCtx(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// invoke sends req to addr and returns the response, whatever its code.
func (in *instance) invoke(ctx context.Context, addr string, req *remoting.Command, timeout time.Duration) (*remoting.Command, error) {
	if timeout <= 0 {
		timeout = in.opts.CallTimeout
	}
	return in.rc.InvokeSync(ctx, addr, req, timeout)
}

// invokeOK is invoke that turns a response other than SUCCESS into a
// *ResponseError.
func (in *instance) invokeOK(ctx context.Context, op, addr string, req *remoting.Command) (*remoting.Command, error) {
	resp, err := in.invoke(ctx, addr, req, 0)
	if err != nil {
		return nil, fmt.Errorf("client: %s at %s: %w", op, addr, err)
	}
	if resp.Code != remoting.CodeSuccess {
		return resp, responseError(op, addr, resp.Code, resp.Remark)
	}
	return resp, nil
}

// invokeNameServer sends the request made by build to the name servers,
// starting with the one that answered last, moving on when one cannot be
// reached. Any response, whatever its code, ends the search.
func (in *instance) invokeNameServer(ctx context.Context, build func() *remoting.Command) (*remoting.Command, string, error) {
	addrs := in.opts.NameServers
	first := in.nsNext.Load()
	var errs []error
	for i := range len(addrs) {
		idx := (first + uint32(i)) % uint32(len(addrs))
		addr := addrs[idx]
		resp, err := in.rc.InvokeSync(ctx, addr, build(), in.opts.CallTimeout)
		if err == nil {
			in.nsNext.Store(idx)
			return resp, addr, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, "", fmt.Errorf("client: no name server answered: %w", errors.Join(errs...))
}

// fetchRoute asks the name servers for topic's route. ErrNoRoute when they
// know none.
func (in *instance) fetchRoute(ctx context.Context, topic string) (*protocol.TopicRouteData, error) {
	resp, addr, err := in.invokeNameServer(ctx, func() *remoting.Command {
		return remoting.NewRequest(protocol.ReqGetRouteInfoByTopic, map[string]string{"topic": topic}, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("route of %s: %w", topic, err)
	}
	switch resp.Code {
	case protocol.RespSuccess:
	case protocol.RespTopicNotExist:
		return nil, fmt.Errorf("%w %s (name server %s: %s)", ErrNoRoute, topic, addr, resp.Remark)
	default:
		return nil, responseError("get route of "+topic, addr, resp.Code, resp.Remark)
	}
	route, err := protocol.DecodeTopicRouteData(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: route of %s from %s: %w", topic, addr, err)
	}
	return route, nil
}

// updateRoute fetches topic's route and stores it; it reports whether the
// route changed.
func (in *instance) updateRoute(ctx context.Context, topic string) (bool, error) {
	route, err := in.fetchRoute(ctx, topic)
	if err != nil {
		return false, err
	}
	return in.setRoute(topic, route, false), nil
}

// setRoute stores a route; a route naming a new broker wakes the
// heartbeat loop.
func (in *instance) setRoute(topic string, route *protocol.TopicRouteData, fromDefault bool) bool {
	changed, newBroker := in.routes.set(topic, route, fromDefault)
	if newBroker {
		select {
		case in.hbKick <- struct{}{}:
		default:
		}
	}
	return changed
}

// refreshSoon asks the refresh loop to fetch topic's route now, without
// waiting for it (after a send or pull failed).
func (in *instance) refreshSoon(topic string) {
	in.mu.Lock()
	in.kickSet[topic] = true
	in.mu.Unlock()
	select {
	case in.kick <- struct{}{}:
	default:
	}
}

// refreshLoop refreshes the routes of the owner's topics every
// PollNameServerInterval, and single topics when refreshSoon asks.
func (in *instance) refreshLoop(ctx context.Context) {
	t := time.NewTicker(in.opts.PollNameServerInterval)
	defer t.Stop()
	for {
		var topics []string
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			topics = in.routeTopics()
		case <-in.kick:
			in.mu.Lock()
			for topic := range in.kickSet {
				topics = append(topics, topic)
			}
			clear(in.kickSet)
			in.mu.Unlock()
		}
		for _, topic := range topics {
			if ctx.Err() != nil {
				return
			}
			if _, err := in.updateRoute(ctx, topic); err != nil {
				// A producer's topic that is not created yet keeps the
				// default route it was given; the broker creates it on
				// the first send.
				if !errors.Is(err, ErrNoRoute) || !in.routes.fromDefault(topic) {
					in.log.Debug("client: route refresh failed", "client", in.id, "topic", topic, "err", err)
				}
			}
		}
	}
}
