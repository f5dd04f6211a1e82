package remoting

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// A call is one request waiting for its response in a connection's pending
// table. Whoever removes it from the table (the reader with the response, a
// timer, the context, or the connection closing) finishes it, so it is
// finished exactly once.
type call struct {
	ch      chan result           // sync calls: buffered, never blocks
	cb      func(*Command, error) // async calls
	timer   *time.Timer           // async timeout
	stopCtx func() bool           // async: unregisters the context.AfterFunc
	wait    *time.Timer           // sync timeout, kept with the pooled call
}

// syncCalls recycles sync calls with their channel and timer: once
// invokeSync has its result nobody else refers to the call (see finish).
var syncCalls = sync.Pool{New: func() any { return &call{ch: make(chan result, 1)} }}

type result struct {
	resp *Command
	err  error
}

// finish delivers the outcome. inline runs an async callback in the calling
// goroutine (timers, context callbacks); otherwise it gets its own goroutine
// so a slow callback never stalls the connection's reader.
func (cl *call) finish(resp *Command, err error, inline bool) {
	if cl.timer != nil {
		cl.timer.Stop()
	}
	if cl.stopCtx != nil {
		cl.stopCtx()
	}
	switch {
	case cl.cb == nil:
		cl.ch <- result{resp, err}
	case inline:
		cl.cb(resp, err)
	default:
		go cl.cb(resp, err)
	}
}

// register assigns req a fresh opaque and enters cl in the pending table.
// setup runs under the table's lock, so timers it arms are visible to
// whoever finishes the call.
func (c *Conn) register(req *Command, cl *call, setup func(opaque int32)) (int32, error) {
	req.Flag &^= FlagResponse | FlagOneway
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		return 0, c.closedError()
	}
	opaque := c.set.opaque.Add(1)
	for c.pending[opaque] != nil { // only after 2^32 requests with one still pending
		opaque = c.set.opaque.Add(1)
	}
	req.Opaque = opaque
	c.pending[opaque] = cl
	if setup != nil {
		setup(opaque)
	}
	return opaque, nil
}

// unregister removes cl if it is still pending; false means someone else
// already finished it.
func (c *Conn) unregister(opaque int32, cl *call) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending[opaque] != cl {
		return false
	}
	delete(c.pending, opaque)
	return true
}

func (c *Conn) expire(opaque int32, cl *call, err error) {
	if c.unregister(opaque, cl) {
		cl.finish(nil, err, true)
	}
}

// invokeSync sends req and waits for the response, for ctx and (if > 0)
// timeout, whichever ends first.
func (c *Conn) invokeSync(ctx context.Context, req *Command, timeout time.Duration) (*Command, error) {
	code := req.Code
	cl := syncCalls.Get().(*call)
	opaque, err := c.register(req, cl, nil)
	if err != nil {
		syncCalls.Put(cl)
		req.release()
		return nil, err
	}
	if err := c.send(ctx.Done(), req); err != nil {
		if !c.unregister(opaque, cl) {
			<-cl.ch // the connection died meanwhile and finished the call
		}
		syncCalls.Put(cl)
		return nil, err
	}
	var expired <-chan time.Time
	if timeout > 0 {
		if cl.wait == nil {
			cl.wait = time.NewTimer(timeout)
		} else {
			cl.wait.Reset(timeout)
		}
		expired = cl.wait.C
	}
	var r result
	gaveUp := true
	select {
	case r = <-cl.ch:
		gaveUp = false
	case <-ctx.Done():
		r.err = c.ctxError(ctx, code, opaque)
	case <-expired:
		r.err = c.timeoutError(code, opaque, timeout)
	}
	if gaveUp && !c.unregister(opaque, cl) {
		r = <-cl.ch // answered just as we gave up: take the answer
	}
	if cl.wait != nil {
		cl.wait.Stop() // since Go 1.23 no stale tick can be received after Stop
	}
	syncCalls.Put(cl)
	return r.resp, r.err
}

// invokeAsync sends req; cb gets the outcome exactly once. timeout <= 0
// means only ctx and the connection's death end the wait.
func (c *Conn) invokeAsync(ctx context.Context, req *Command, timeout time.Duration, cb func(*Command, error)) error {
	if cb == nil {
		req.release()
		return errors.New("remoting: InvokeAsync needs a callback")
	}
	code := req.Code
	cl := &call{cb: cb}
	opaque, err := c.register(req, cl, func(opaque int32) {
		if timeout > 0 {
			cl.timer = time.AfterFunc(timeout, func() {
				c.expire(opaque, cl, c.timeoutError(code, opaque, timeout))
			})
		}
		if ctx.Done() != nil {
			cl.stopCtx = context.AfterFunc(ctx, func() {
				c.expire(opaque, cl, c.ctxError(ctx, code, opaque))
			})
		}
	})
	if err != nil {
		req.release()
		return err
	}
	if err := c.send(ctx.Done(), req); err != nil {
		if c.unregister(opaque, cl) {
			if cl.timer != nil {
				cl.timer.Stop()
			}
			if cl.stopCtx != nil {
				cl.stopCtx()
			}
			return err
		}
		// Already finished by a timer, the context or the connection's
		// death: cb has the error, so report success here.
	}
	return nil
}

func (c *Conn) timeoutError(code int32, opaque int32, timeout time.Duration) error {
	return fmt.Errorf("remoting: %s code %d opaque %d: no response after %v: %w", c.remote, code, opaque, timeout, ErrTimeout)
}

func (c *Conn) ctxError(ctx context.Context, code int32, opaque int32) error {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("remoting: %s code %d opaque %d: %w (%w)", c.remote, code, opaque, ErrTimeout, err)
	}
	return fmt.Errorf("remoting: %s code %d opaque %d: %w", c.remote, code, opaque, err)
}
