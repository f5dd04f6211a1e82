package client

import (
	"fmt"
	"sync/atomic"
)

// Client states: created by New*, running after Start, shut down after
// Shutdown (or a failed Start).
const (
	stateCreated int32 = iota
	stateRunning
	stateShutdown
)

// lifecycle is the state every producer and consumer goes through once.
type lifecycle struct {
	what  string // "producer pg", for errors
	state atomic.Int32
}

// start moves from created to running.
func (l *lifecycle) start() error {
	if !l.state.CompareAndSwap(stateCreated, stateRunning) {
		return fmt.Errorf("client: %s: Start called twice or after Shutdown", l.what)
	}
	return nil
}

// ready says why the client cannot be used, or nil when it is running.
func (l *lifecycle) ready() error {
	switch l.state.Load() {
	case stateRunning:
		return nil
	case stateCreated:
		return fmt.Errorf("client: %s: %w", l.what, ErrNotStarted)
	}
	return fmt.Errorf("client: %s: %w", l.what, ErrShutdown)
}

func (l *lifecycle) running() bool { return l.state.Load() == stateRunning }

// stop marks the client shut down and returns the state it was in.
func (l *lifecycle) stop() int32 {
	for {
		s := l.state.Load()
		if s == stateShutdown || l.state.CompareAndSwap(s, stateShutdown) {
			return s
		}
	}
}
