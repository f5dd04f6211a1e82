package remoting

import (
	"context"
	"sync"
	"time"
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

	// queued holds the enqueue times of the tasks in queue, oldest first,
	// for HeadWait: submit appends under qmu as it sends (so the order is
	// the channel's) and each task a worker takes removes the oldest.
	qmu    sync.Mutex
	queued []time.Time
	qhead  int
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

// HeadWait is how long the oldest waiting task has been queued, 0 when
// none waits (upstream's ...ThreadPoolQueueHeadWaitTimeMills).
func (p *Pool) HeadWait() time.Duration {
	p.qmu.Lock()
	defer p.qmu.Unlock()
	if p.qhead == len(p.queued) {
		return 0
	}
	return time.Since(p.queued[p.qhead])
}

// dequeued forgets the oldest enqueue time: a worker took a task.
func (p *Pool) dequeued() {
	p.qmu.Lock()
	if p.qhead < len(p.queued) {
		p.queued[p.qhead] = time.Time{}
		p.qhead++
	}
	if p.qhead == len(p.queued) || p.qhead > 1024 && p.qhead*2 > len(p.queued) {
		n := copy(p.queued, p.queued[p.qhead:])
		p.queued, p.qhead = p.queued[:n], 0
	}
	p.qmu.Unlock()
}

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
	p.qmu.Lock()
	defer p.qmu.Unlock()
	select {
	case p.queue <- t:
		p.queued = append(p.queued, time.Now())
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
			p.dequeued()
			t.r.run(t)
		case <-g.stop:
			// Stopped under the write lock, so nothing more is submitted:
			// finish what is queued, then leave.
			for {
				select {
				case t := <-p.queue:
					p.dequeued()
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
