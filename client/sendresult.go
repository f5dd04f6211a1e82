package client

import (
	"fmt"
	"strconv"
)

// SendStatus says how far a sent message got (upstream SendStatus). Every
// status but SendOK means the broker stored the message but could not
// flush or replicate it in time.
type SendStatus int

const (
	SendOK                SendStatus = iota // stored (and flushed/replicated as the broker is configured)
	SendFlushDiskTimeout                    // stored, the synchronous flush timed out
	SendFlushSlaveTimeout                   // stored, the synchronous replication timed out
	SendSlaveNotAvailable                   // stored, no slave to replicate to
)

func (s SendStatus) String() string {
	switch s {
	case SendOK:
		return "SEND_OK"
	case SendFlushDiskTimeout:
		return "FLUSH_DISK_TIMEOUT"
	case SendFlushSlaveTimeout:
		return "FLUSH_SLAVE_TIMEOUT"
	case SendSlaveNotAvailable:
		return "SLAVE_NOT_AVAILABLE"
	}
	return "SendStatus(" + strconv.Itoa(int(s)) + ")"
}

// SendResult is what the broker said about a sent message.
type SendResult struct {
	Status SendStatus
	// MsgID is the client-made id (UNIQ_KEY); for a batch, the ids of its
	// messages joined with commas.
	MsgID string
	// OffsetMsgID is the broker-made id: store host and commit-log offset
	// (comma-joined for a batch).
	OffsetMsgID   string
	Queue         MessageQueue
	QueueOffset   int64
	TransactionID string
	RegionID      string // MSG_REGION, "DefaultRegion" when the broker sends none
	TraceOn       bool
}

// String prints the result as upstream's SendResult.toString does.
func (r *SendResult) String() string {
	return fmt.Sprintf("SendResult [sendStatus=%s, msgId=%s, offsetMsgId=%s, messageQueue=%s, queueOffset=%d]",
		r.Status, r.MsgID, r.OffsetMsgID, r.Queue, r.QueueOffset)
}
