package remoting

import (
	"errors"
	"testing"
)

// TestTryRespondNeverWaits: against a peer that stopped reading, Respond
// would block once the write queue is full; TryRespond reports
// ErrWriteQueueFull at once instead, so one goroutine answering many
// connections (the store's flusher) is never stalled by one of them.
func TestTryRespondNeverWaits(t *testing.T) {
	holds := make(chan heldRequest, 1)
	s := startServer(t, ServerConfig{}, func(s *Server) { s.Handle(500, nil, holdHandler(holds)) })
	nc := dialRaw(t, s.Addr().String())
	if _, err := nc.Write(mustEncode(t, NewRequest(500, nil, nil))); err != nil {
		t.Fatal(err)
	}
	held := recv(t, holds, "the held request")
	// The raw peer never reads: socket buffers fill, then the write queue.
	body := make([]byte, 1<<20)
	const maxTries = 4 * writeQueueLen
	for i := 0; i < maxTries; i++ {
		resp := NewResponse(held.req, CodeSuccess, "")
		resp.Body = body
		err := held.conn.TryRespond(resp)
		if errors.Is(err, ErrWriteQueueFull) {
			t.Logf("write queue full after %d responses", i)
			return
		}
		if err != nil {
			t.Fatalf("TryRespond #%d: %v", i, err)
		}
	}
	t.Fatalf("TryRespond never reported a full queue in %d tries to a peer that does not read", maxTries)
}
