package remoting

import (
	"context"
	"sync"
)

// Pool is a bounded worker pool for a group of request codes (the Java
// server's executor per processor). When its queue is full the request is
// refused with SYSTEM_BUSY at once instead of waiting.
//
// A Pool may serve several servers (a broker's main and fast ports share
// theirs): its workers run while at least one started server uses it, and
// stop, after finishing what is queued, when the last one shuts down.
type Pool struct {
	name    string
	workers int
	queue   chan poolTask

	mu    sync.RWMutex // shared by submit, exclusive to start and stop
	users int
	gen   *poolGen // running workers; nil when stopped
}

// poolGen is one start..stop lifetime of the workers.
type poolGen struct {
	stop chan struct{}
	done sync.WaitGroup
}

type poolTask struct {
	conn *Conn
	req  *Command
	h    Handler
	r    *router
}

// NewPool makes a pool of workers goroutines with queueSize waiting tasks.
func NewPool(name string, workers, queueSize int) *Pool {
	return &Pool{name: name, workers: max(workers, 1), queue: make(chan poolTask, max(queueSize, 0))}
}

// Name is the pool's name, for logs and metrics.
func (p *Pool) Name() string { return p.name }

// QueueLen is the number of tasks waiting for a worker.
func (p *Pool) QueueLen() int { return len(p.queue) }

// acquire starts the workers for one more user.
func (p *Pool) acquire() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users++
	if p.gen != nil {
		return
	}
	g := &poolGen{stop: make(chan struct{})}
	g.done.Add(p.workers)
	for range p.workers {
		go p.work(g)
	}
	p.gen = g
}

// release drops one user; the last one stops the workers. The returned
// function waits until they have finished the queue and returned.
func (p *Pool) release() func(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.users == 0 {
		return func(context.Context) error { return nil }
	}
	p.users--
	g := p.gen
	if p.users > 0 || g == nil {
		return func(context.Context) error { return nil }
	}
	p.gen = nil
	close(g.stop)
	return func(ctx context.Context) error { return waitGroup(ctx, &g.done) }
}

// submit queues a task without blocking; false means busy (or stopped).
func (p *Pool) submit(t poolTask) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.gen == nil {
		return false
	}
	select {
	case p.queue <- t:
		return true
	default:
		return false
	}
}

func (p *Pool) work(g *poolGen) {
	defer g.done.Done()
	for {
		select {
		case t := <-p.queue:
			t.r.run(t)
		case <-g.stop:
			// Stopped under the write lock, so nothing more is submitted:
			// finish what is queued, then leave.
			for {
				select {
				case t := <-p.queue:
					t.r.run(t)
				default:
					return
				}
			}
		}
	}
}

// waitGroup waits for wg or ctx, whichever comes first. If ctx wins, the
// helper goroutine stays until wg is done: the goroutines it waits for are
// still running, and it ends with them.
func waitGroup(ctx context.Context, wg *sync.WaitGroup) error {
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
