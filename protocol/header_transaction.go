package protocol

// EndTransactionRequestHeader is END_TRANSACTION's header (upstream
// EndTransactionRequestHeader): a producer's verdict on a half message,
// sent oneway after the local transaction or in answer to a check.
// CommitOrRollback holds a TransactionType value of the sysflag bits
// (commit 8, rollback 12, not-yet 0).
type EndTransactionRequestHeader struct {
	ProducerGroup        string `ext:"producerGroup,required"`
	TranStateTableOffset int64  `ext:"tranStateTableOffset,required"`
	CommitLogOffset      int64  `ext:"commitLogOffset,required"`
	CommitOrRollback     int32  `ext:"commitOrRollback,required"`
	FromTransactionCheck bool   `ext:"fromTransactionCheck"`
	MsgID                string `ext:"msgId,omitempty"`
	TransactionID        string `ext:"transactionId,omitempty"`
}

// CheckTransactionStateRequestHeader is CHECK_TRANSACTION_STATE's header
// (upstream CheckTransactionStateRequestHeader), sent oneway by a broker to
// a producer of a half message's group; the body is the message.
type CheckTransactionStateRequestHeader struct {
	TranStateTableOffset int64  `ext:"tranStateTableOffset,required"`
	CommitLogOffset      int64  `ext:"commitLogOffset,required"`
	MsgID                string `ext:"msgId,omitempty"`
	TransactionID        string `ext:"transactionId,omitempty"`
	OffsetMsgID          string `ext:"offsetMsgId,omitempty"`
}
