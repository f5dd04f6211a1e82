package remoting

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// connOwner is the Server or Client a connection belongs to.
type connOwner interface {
	// handleRequest takes a request read from c (never a response).
	handleRequest(c *Conn, req *Command)
	// connClosed runs once, after both of c's goroutines have stopped.
	connClosed(c *Conn)
}

// connSettings is what a Server or Client configures on its connections.
type connSettings struct {
	maxFrame     int
	idleTimeout  time.Duration // 0: none
	writeTimeout time.Duration // 0: none
	log          *slog.Logger
	opaque       *atomic.Int32 // shared opaque counter of the owner
	// stamp: overwrite Language and Version of everything sent (a server
	// stamps its own, as the Java server does). Otherwise Version is filled
	// in only when zero.
	stamp    bool
	language LanguageCode
	version  int32
	// serialize replaces SerializeJSON on outgoing requests (not responses).
	serialize SerializeType
}

// Conn is one live connection, server side or client side. Both sides may
// send requests on it; responses are matched to requests by opaque in this
// connection's own table. Safe for concurrent use.
type Conn struct {
	id     uint64
	nc     net.Conn
	remote string
	local  string
	key    string // the address a Client dialled (its pool key)
	owner  connOwner
	set    connSettings

	out      chan outFrame
	sendMu   sync.RWMutex // held shared while enqueueing; exclusively to seal
	sealed   bool         // no more enqueueing; guarded by sendMu
	closing  chan struct{}
	sealedCh chan struct{}
	closed   sync.Once
	writerOK chan struct{} // closed when the writer goroutine has returned
	closeErr error         // why the connection closed; set before closing is closed

	mu      sync.Mutex
	pending map[int32]*call // nil once the connection is dead

	lastRead  atomic.Int64 // unix nanoseconds
	lastWrite atomic.Int64
}

var connIDs atomic.Uint64

// outFrame is one queued frame: its encoded head (pooled) and the command
// that owns the body.
type outFrame struct {
	head *[]byte
	cmd  *Command
}

// writeQueueLen bounds the frames queued for the writer; senders block (or
// time out) beyond it, which pushes back on whoever produces them.
const writeQueueLen = 1024

// maxWriteBatch bounds how many queued frames one writev carries.
const maxWriteBatch = 64

var headPool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

func putHead(b *[]byte) {
	if cap(*b) <= maxScratch {
		*b = (*b)[:0]
		headPool.Put(b)
	}
}

func newConn(nc net.Conn, owner connOwner, key string, set connSettings) *Conn {
	now := time.Now().UnixNano()
	c := &Conn{
		id:       connIDs.Add(1),
		nc:       nc,
		remote:   addrString(nc.RemoteAddr()),
		local:    addrString(nc.LocalAddr()),
		key:      key,
		owner:    owner,
		set:      set,
		out:      make(chan outFrame, writeQueueLen),
		closing:  make(chan struct{}),
		sealedCh: make(chan struct{}),
		writerOK: make(chan struct{}),
		pending:  make(map[int32]*call),
	}
	c.lastRead.Store(now)
	c.lastWrite.Store(now)
	return c
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// RemoteAddr is the peer's "ip:port".
func (c *Conn) RemoteAddr() string { return c.remote }

// LocalAddr is this side's "ip:port".
func (c *Conn) LocalAddr() string { return c.local }

// ID is unique per process.
func (c *Conn) ID() uint64 { return c.id }

// Closed is closed when the connection starts closing.
func (c *Conn) Closed() <-chan struct{} { return c.closing }

// Close closes the connection. Pending requests fail with ErrConnClosed and
// queued frames are dropped (their Release still runs).
func (c *Conn) Close() error {
	c.close(errClosedLocally)
	return nil
}

var errClosedLocally = errors.New("closed locally")

func (c *Conn) String() string { return fmt.Sprintf("conn#%d %s", c.id, c.remote) }

// run is the connection's owning goroutine: it starts the writer, reads
// until the connection fails, then cleans up. spawn starts a goroutine that
// the owner waits for on shutdown.
func (c *Conn) run(spawn func(func())) {
	spawn(c.writeLoop)
	err := c.readLoop()
	c.close(err)
	<-c.writerOK
	c.owner.connClosed(c)
}

// close shuts the connection once: wake everyone, seal the write queue so no
// frame can be enqueued unseen by the writer's final drain, fail pending calls.
func (c *Conn) close(why error) {
	c.closed.Do(func() {
		c.closeErr = why
		close(c.closing)
		c.nc.Close()
		c.sendMu.Lock()
		c.sealed = true
		c.sendMu.Unlock()
		close(c.sealedCh)

		c.mu.Lock()
		pending := c.pending
		c.pending = nil
		c.mu.Unlock()
		for _, cl := range pending {
			cl.finish(nil, c.closedError(), false)
		}
	})
}

// closedError says the connection is gone and why. Callers have seen the
// connection closing, so closeErr is set.
func (c *Conn) closedError() error {
	return fmt.Errorf("%s: %w (%v)", c.remote, ErrConnClosed, c.closeErr)
}

func (c *Conn) readLoop() error {
	if c.set.idleTimeout > 0 {
		c.nc.SetReadDeadline(time.Now().Add(c.set.idleTimeout))
	}
	// 16 KiB holds many small frames per read; bigger bodies bypass it.
	br := bufio.NewReaderSize(idleReader{c}, 16<<10)
	var fr frameReader
	for {
		cmd, err := fr.read(br, c.set.maxFrame)
		if err != nil {
			return c.readFailed(err)
		}
		if cmd.IsResponse() {
			c.deliver(cmd)
		} else {
			c.owner.handleRequest(c, cmd)
		}
	}
}

// readFailed logs why reading stopped. Bad frames get one warning naming the
// peer; ordinary hang-ups are debug noise.
func (c *Conn) readFailed(err error) error {
	select {
	case <-c.closing:
		return errClosedLocally
	default:
	}
	switch {
	case errors.Is(err, ErrFrameTooLarge), errors.Is(err, ErrMalformedFrame):
		c.set.log.Warn("remoting: closing connection after bad frame", "peer", c.remote, "err", err)
	case errors.Is(err, errIdle):
		c.set.log.Info("remoting: closing idle connection", "peer", c.remote, "idle", c.set.idleTimeout)
	case errors.Is(err, io.EOF):
		c.set.log.Debug("remoting: peer closed connection", "peer", c.remote)
	default:
		c.set.log.Debug("remoting: connection read failed", "peer", c.remote, "err", err)
	}
	return err
}

var errIdle = errors.New("idle timeout")

// idleReader sits under the bufio.Reader and turns read deadlines into the
// idle timeout: a deadline that fires while the connection was recently
// active (read or written) is pushed back instead of failing, so a frame is
// never cut by a timeout.
type idleReader struct{ c *Conn }

func (r idleReader) Read(p []byte) (int, error) {
	c := r.c
	for {
		n, err := c.nc.Read(p)
		if n > 0 {
			c.lastRead.Store(time.Now().UnixNano())
		}
		if n > 0 || err == nil || c.set.idleTimeout <= 0 || !isTimeout(err) {
			return n, err
		}
		last := time.Unix(0, max(c.lastRead.Load(), c.lastWrite.Load()))
		deadline := last.Add(c.set.idleTimeout)
		if !time.Now().Before(deadline) {
			return 0, errIdle
		}
		c.nc.SetReadDeadline(deadline)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// deliver hands a response to the call waiting for its opaque.
func (c *Conn) deliver(resp *Command) {
	c.mu.Lock()
	cl := c.pending[resp.Opaque]
	if cl != nil {
		delete(c.pending, resp.Opaque)
	}
	c.mu.Unlock()
	if cl == nil {
		c.set.log.Debug("remoting: response matches no pending request", "peer", c.remote, "opaque", resp.Opaque, "code", resp.Code)
		return
	}
	cl.finish(resp, nil, false)
}

// stamp applies the owner's language, version and request encoding to an
// outgoing command.
func (c *Conn) stamp(cmd *Command) {
	if c.set.stamp {
		cmd.Language = c.set.language
		cmd.Version = c.set.version
	} else if cmd.Version == 0 {
		cmd.Version = c.set.version
	}
	if cmd.SerializeType == SerializeJSON && !cmd.IsResponse() {
		cmd.SerializeType = c.set.serialize
	}
}

// send encodes cmd's head in the caller's goroutine (so encoding errors reach
// the caller) and queues the frame for the writer. done may be nil. On error
// cmd.Release has run.
func (c *Conn) send(done <-chan struct{}, cmd *Command) error {
	c.stamp(cmd)
	bp := headPool.Get().(*[]byte)
	head, err := appendHead((*bp)[:0], cmd, c.set.maxFrame)
	if err != nil {
		putHead(bp)
		cmd.release()
		return fmt.Errorf("remoting: send to %s: %w", c.remote, err)
	}
	*bp = head
	c.sendMu.RLock()
	if c.sealed {
		c.sendMu.RUnlock()
		putHead(bp)
		cmd.release()
		return c.closedError()
	}
	if done == noWait {
		select {
		case c.out <- outFrame{head: bp, cmd: cmd}:
			c.sendMu.RUnlock()
			return nil
		case <-c.closing:
			err = c.closedError()
		default:
			err = fmt.Errorf("remoting: send to %s: %w", c.remote, ErrWriteQueueFull)
		}
	} else {
		select {
		case c.out <- outFrame{head: bp, cmd: cmd}:
			c.sendMu.RUnlock()
			return nil
		case <-c.closing:
			err = c.closedError()
		case <-done:
			err = fmt.Errorf("remoting: send to %s: write queue full: %w", c.remote, ErrTimeout)
		}
	}
	c.sendMu.RUnlock()
	putHead(bp)
	cmd.release()
	return err
}

// writeLoop owns the socket's write side. It takes queued frames in
// batches and writes each batch with one writev: heads, bodies and body parts
// straight from their owners' memory.
func (c *Conn) writeLoop() {
	defer close(c.writerOK)
	batch := make([]outFrame, 0, maxWriteBatch)
	w := &writeBufs{iov: make(net.Buffers, 0, 3*maxWriteBatch)}
	for {
		select {
		case f := <-c.out:
			batch = append(batch[:0], f)
		more:
			for len(batch) < maxWriteBatch {
				select {
				case f := <-c.out:
					batch = append(batch, f)
				default:
					break more
				}
			}
			if err := c.writeBatch(batch, w); err != nil {
				c.set.log.Debug("remoting: write failed", "peer", c.remote, "err", err)
				c.close(err)
			}
			clear(batch)
		case <-c.closing:
			<-c.sealedCh
			for {
				select {
				case f := <-c.out:
					putHead(f.head)
					f.cmd.release()
				default:
					return
				}
			}
		}
	}
}

// writeBufs is the writer's scratch. WriteTo needs a *net.Buffers it can
// consume; keeping both slices in one long-lived struct saves an allocation
// per batch.
type writeBufs struct {
	iov  net.Buffers // what to send, kept for its capacity
	send net.Buffers // consumed by WriteTo
}

func (c *Conn) writeBatch(batch []outFrame, w *writeBufs) error {
	iov := w.iov[:0]
	for _, f := range batch {
		iov = append(iov, *f.head)
		if len(f.cmd.Body) > 0 {
			iov = append(iov, f.cmd.Body)
		}
		for _, p := range f.cmd.BodyParts {
			if len(p) > 0 {
				iov = append(iov, p)
			}
		}
	}
	var err error
	select {
	case <-c.closing:
		err = c.closedError()
	default:
		if c.set.writeTimeout > 0 {
			c.nc.SetWriteDeadline(time.Now().Add(c.set.writeTimeout))
		}
		w.send = iov
		_, err = w.send.WriteTo(c.nc)
		c.lastWrite.Store(time.Now().UnixNano())
	}
	clear(iov)
	w.iov = iov[:0]
	for _, f := range batch {
		putHead(f.head)
		f.cmd.release()
	}
	return err
}

// Respond sends a response later than the handler returned (long polling).
// resp should come from NewResponse(req, ...).
func (c *Conn) Respond(resp *Command) error {
	resp.Flag |= FlagResponse
	return c.send(nil, resp)
}

// noWait, passed as send's done channel, makes send fail at once with
// ErrWriteQueueFull instead of waiting for room in the write queue.
var noWait = make(chan struct{})

// TryRespond is Respond that never waits: when the connection's write queue
// is full (a peer that stopped reading) it fails at once with an error
// wrapping ErrWriteQueueFull and resp is not sent (its Release has run). It
// is for goroutines that serve many connections, such as the store's
// flusher answering SYNC_FLUSH sends, which one slow peer must not stall.
func (c *Conn) TryRespond(resp *Command) error {
	resp.Flag |= FlagResponse
	return c.send(noWait, resp)
}

// InvokeOneway sends req flagged oneway; nothing will answer it.
func (c *Conn) InvokeOneway(req *Command) error {
	req.Flag = (req.Flag | FlagOneway) &^ FlagResponse
	req.Opaque = c.set.opaque.Add(1)
	return c.send(nil, req)
}

// InvokeSync sends req and waits for its response until ctx is done.
func (c *Conn) InvokeSync(ctx context.Context, req *Command) (*Command, error) {
	return c.invokeSync(ctx, req, 0)
}

// InvokeAsync sends req; cb runs exactly once, in its own goroutine or a
// timer's, with the response, or an error when ctx ends first or the
// connection dies. If InvokeAsync returns an error, cb is never called.
func (c *Conn) InvokeAsync(ctx context.Context, req *Command, cb func(*Command, error)) error {
	return c.invokeAsync(ctx, req, 0, cb)
}
