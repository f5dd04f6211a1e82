package broker

import "github.com/rocketgo/rocketgo/protocol"

// end runs endTx and waits for its answer, which a commit under
// SYNC_FLUSH gives from the store's flusher.
func (tx *transactions) end(h *protocol.EndTransactionRequestHeader) (int32, string) {
	type answer struct {
		code   int32
		remark string
	}
	done := make(chan answer, 1)
	tx.endTx(h, func(code int32, remark string) { done <- answer{code, remark} })
	a := <-done
	return a.code, a.remark
}
