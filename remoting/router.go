package remoting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
)

// Handler answers one request. Return the response, or nil for no response
// now: oneway requests, or a request answered later with conn.Respond (long
// polling). A returned error becomes a SYSTEM_ERROR response with the error
// text as remark (never for oneway requests). A panic is treated like an
// error; the server keeps serving.
type Handler func(conn *Conn, req *Command) (*Command, error)

// Remarks the Java server sends; clients match on their prefixes.
const (
	remarkOverload = "[OVERLOAD]system busy, start flow control for a while"
)

// router maps request codes to handlers and their pools. Server and Client
// (for server-initiated requests) each have one. Lookups are lock-free: the
// table is replaced, never changed, when a handler is added.
type router struct {
	log         *slog.Logger
	defaultPool *Pool

	mu       sync.Mutex // serialises writers of routes/fallback and pool tracking
	routes   atomic.Pointer[map[int32]route]
	fallback atomic.Pointer[route]

	// pools in use, and whether the owner is running (then new pools are
	// acquired as they are added).
	pools   map[*Pool]bool
	running bool
}

type route struct {
	pool *Pool
	h    Handler
}

func newRouter(log *slog.Logger, defaultPool *Pool) *router {
	r := &router{log: log, defaultPool: defaultPool, pools: map[*Pool]bool{}}
	r.routes.Store(&map[int32]route{})
	return r
}

func (r *router) handle(code int32, pool *Pool, h Handler) {
	rt := r.route(pool, h)
	r.mu.Lock()
	defer r.mu.Unlock()
	old := *r.routes.Load()
	m := make(map[int32]route, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[code] = rt
	r.routes.Store(&m)
	r.usePoolLocked(rt.pool)
}

func (r *router) handleDefault(pool *Pool, h Handler) {
	rt := r.route(pool, h)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fallback.Store(&rt)
	r.usePoolLocked(rt.pool)
}

func (r *router) route(pool *Pool, h Handler) route {
	if pool == nil {
		pool = r.defaultPool
	}
	return route{pool: pool, h: h}
}

func (r *router) usePoolLocked(p *Pool) {
	if r.pools[p] {
		return
	}
	r.pools[p] = true
	if r.running {
		p.acquire()
	}
}

// start acquires every pool in use; stop releases them and returns waiters.
func (r *router) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running = true
	for p := range r.pools {
		p.acquire()
	}
}

func (r *router) stop() []func(context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.running {
		return nil
	}
	r.running = false
	var waits []func(context.Context) error
	for p := range r.pools {
		waits = append(waits, p.release())
	}
	return waits
}

// dispatch runs in the connection's reader: pick the handler and queue the
// request on its pool, or answer at once when there is none or it is full.
func (r *router) dispatch(c *Conn, req *Command) {
	rt, ok := (*r.routes.Load())[req.Code]
	if !ok {
		fb := r.fallback.Load()
		if fb == nil {
			r.reply(c, req, NewResponse(req, CodeRequestCodeNotSupported, " request type "+strconv.Itoa(int(req.Code))+" not supported"))
			return
		}
		rt = *fb
	}
	if !rt.pool.submit(poolTask{conn: c, req: req, h: rt.h, r: r}) {
		r.reply(c, req, NewResponse(req, CodeSystemBusy, remarkOverload))
	}
}

// run executes one task in a pool worker.
func (r *router) run(t poolTask) {
	req := t.req
	resp, err := r.callHandler(t.h, t.conn, req)
	if err != nil {
		if resp != nil {
			resp.release()
		}
		if req.IsOneway() {
			r.log.Warn("remoting: oneway request failed", "peer", t.conn.remote, "code", req.Code, "err", err)
			return
		}
		resp = NewResponse(req, CodeSystemError, err.Error())
	}
	if resp != nil {
		r.reply(t.conn, req, resp)
	}
}

// reply answers req with resp, unless req is oneway. A response that cannot
// be encoded (say a code too big for a binary header) is replaced by a
// SYSTEM_ERROR saying so, so the requester does not wait for its timeout.
func (r *router) reply(c *Conn, req *Command, resp *Command) {
	if req.IsOneway() {
		resp.release()
		return
	}
	resp.Opaque = req.Opaque
	resp.Flag |= FlagResponse
	resp.SerializeType = req.SerializeType
	err := c.Respond(resp)
	if err == nil || errors.Is(err, ErrConnClosed) {
		return
	}
	r.log.Warn("remoting: cannot send response", "peer", c.remote, "code", req.Code, "err", err)
	if resp.Code != CodeSystemError {
		fallback := NewResponse(req, CodeSystemError, "encode response: "+err.Error())
		if err := c.Respond(fallback); err != nil && !errors.Is(err, ErrConnClosed) {
			r.log.Warn("remoting: cannot send error response", "peer", c.remote, "err", err)
		}
	}
}

// callHandler runs h, turning a panic into an error (and one log line with
// the stack) so a bad request cannot take the process down.
func (r *router) callHandler(h Handler, c *Conn, req *Command) (resp *Command, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("remoting: handler panicked", "peer", c.remote, "code", req.Code,
				"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			resp, err = nil, fmt.Errorf("panic: %v", p)
		}
	}()
	return h(c, req)
}
