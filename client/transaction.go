package client

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// LocalTransactionState is a local transaction's outcome, which decides
// whether the broker delivers the half message (upstream
// LocalTransactionState).
type LocalTransactionState int

const (
	CommitMessage   LocalTransactionState = iota // deliver the message
	RollbackMessage                              // discard it
	UnknownState                                 // undecided: the broker asks CheckLocalTransaction later
)

func (s LocalTransactionState) String() string {
	switch s {
	case CommitMessage:
		return "COMMIT_MESSAGE"
	case RollbackMessage:
		return "ROLLBACK_MESSAGE"
	}
	return "UNKNOW" // sic, upstream's name
}

// commitOrRollback is END_TRANSACTION's code for the state (upstream
// MessageSysFlag transaction types).
func (s LocalTransactionState) commitOrRollback() int32 {
	switch s {
	case CommitMessage:
		return protocol.SysFlagTransactionCommit
	case RollbackMessage:
		return protocol.SysFlagTransactionRollback
	}
	return protocol.SysFlagTransactionNotType
}

// TransactionListener runs a producer's local transactions.
type TransactionListener interface {
	// ExecuteLocalTransaction runs the local transaction of a half
	// message the broker has stored; arg is SendMessageInTransaction's.
	ExecuteLocalTransaction(ctx context.Context, msg *Message, arg any) (LocalTransactionState, error)
	// CheckLocalTransaction answers the broker asking about a half message
	// whose outcome it has not been told (UnknownState, or a lost reply).
	CheckLocalTransaction(ctx context.Context, msg *MessageExt) (LocalTransactionState, error)
}

// TransactionProducer sends transactional messages: a half message the
// consumers do not see, then the local transaction, then commit or
// rollback; the broker asks CheckLocalTransaction about halves left
// undecided. Its group must be used by no other kind of producer.
type TransactionProducer struct {
	*Producer
	listener TransactionListener
	checks   chan struct{} // bounds the checks running at once
}

// TransactionSendResult is a SendResult with the local transaction's outcome.
type TransactionSendResult struct {
	SendResult
	LocalState LocalTransactionState
}

// NewTransactionProducer returns a transactional producer; listener is
// required. checkGoroutines bounds concurrent CheckLocalTransaction calls
// (default 1, as upstream's single check thread).
func NewTransactionProducer(opts ProducerOptions, listener TransactionListener, checkGoroutines int) (*TransactionProducer, error) {
	if listener == nil {
		return nil, errors.New("client: a transaction producer needs a TransactionListener")
	}
	p, err := NewProducer(opts)
	if err != nil {
		return nil, err
	}
	tp := &TransactionProducer{Producer: p, listener: listener, checks: make(chan struct{}, max(checkGoroutines, 1))}
	p.in.rc.Handle(protocol.ReqCheckTransactionState, tp.handleCheck)
	return tp, nil
}

// SendMessageInTransaction sends msg as a half message, runs the local
// transaction when the broker stored it, and tells the broker the outcome
// (upstream sendMessageInTransaction). A delay level is dropped: delayed
// transactional messages are not supported. A local transaction that
// fails or panics counts as UnknownState, so the broker checks later.
func (tp *TransactionProducer) SendMessageInTransaction(ctx context.Context, msg *Message, arg any) (*TransactionSendResult, error) {
	if msg == nil {
		return nil, errors.New("client: message is nil")
	}
	SetDelayLevel(msg, 0)
	msg.SetProperty(protocol.PropertyTransactionPrepared, "true")
	msg.SetProperty(protocol.PropertyProducerGroup, tp.opts.Group)
	res, err := tp.Send(ctx, msg)
	if err != nil {
		return nil, fmt.Errorf("client: send half message: %w", err)
	}
	state := RollbackMessage
	var localErr error
	if res.Status == SendOK {
		if res.TransactionID != "" {
			msg.SetProperty(protocol.PropertyTransactionID, res.TransactionID)
		}
		msg.TransactionID = msg.UniqKey()
		state, localErr = tp.runLocal(func() (LocalTransactionState, error) {
			return tp.listener.ExecuteLocalTransaction(ctx, msg, arg)
		})
		if localErr != nil {
			tp.in.log.Warn("client: local transaction failed; the broker will check it", "msgId", res.MsgID, "err", localErr)
			state = UnknownState
		}
	}
	if err := tp.endTransaction(ctx, res, state); err != nil {
		// The broker checks an undecided half later: report, do not fail.
		tp.in.log.Warn("client: END_TRANSACTION not sent; the broker will check", "msgId", res.MsgID, "state", state, "err", err)
	}
	return &TransactionSendResult{SendResult: *res, LocalState: state}, nil
}

// runLocal calls a listener method, turning a panic into an error.
func (tp *TransactionProducer) runLocal(f func() (LocalTransactionState, error)) (s LocalTransactionState, err error) {
	defer func() {
		if p := recover(); p != nil {
			tp.in.log.Error("client: transaction listener panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			s, err = UnknownState, fmt.Errorf("transaction listener panicked: %v", p)
		}
	}()
	return f()
}

// endTransaction tells the broker that stored the half how it ended
// (END_TRANSACTION, oneway, to the master of its broker).
func (tp *TransactionProducer) endTransaction(ctx context.Context, res *SendResult, state LocalTransactionState) error {
	id := res.OffsetMsgID
	if id == "" {
		id = res.MsgID
	}
	_, commitLogOffset, err := protocol.DecodeOffsetMsgID(id)
	if err != nil {
		return err
	}
	addr, err := tp.brokerAddrFor(ctx, res.Queue)
	if err != nil {
		return err
	}
	h := protocol.EndTransactionRequestHeader{
		ProducerGroup:        tp.opts.Group,
		TranStateTableOffset: res.QueueOffset,
		CommitLogOffset:      commitLogOffset,
		CommitOrRollback:     state.commitOrRollback(),
		MsgID:                res.MsgID,
		TransactionID:        res.TransactionID,
	}
	return tp.in.rc.InvokeOneway(ctx, addr, remoting.NewRequest(protocol.ReqEndTransaction, protocol.EncodeHeader(&h), nil))
}

// handleCheck answers CHECK_TRANSACTION_STATE: the listener's verdict on
// a half message goes back to the asking broker as END_TRANSACTION.
// Checks run in the background, at most checkGoroutines at once; a check
// that finds all of them busy is dropped (the broker asks again).
func (tp *TransactionProducer) handleCheck(conn *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.CheckTransactionStateRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		return nil, fmt.Errorf("check transaction state: %w", err)
	}
	m, _, err := protocol.DecodeMessage(req.Body, protocol.DecodeOptions{})
	if err != nil {
		return nil, fmt.Errorf("check transaction state: decode the half message: %w", err)
	}
	select {
	case tp.checks <- struct{}{}:
	default:
		tp.in.log.Warn("client: transaction checks all busy; the broker will ask again", "msgId", h.MsgID)
		return nil, nil
	}
	if !tp.in.spawn(func(ctx context.Context) {
		defer func() { <-tp.checks }()
		tp.check(ctx, conn, &h, m)
	}) {
		<-tp.checks
	}
	return nil, nil
}

func (tp *TransactionProducer) check(ctx context.Context, conn *remoting.Conn, h *protocol.CheckTransactionStateRequestHeader, m *MessageExt) {
	if id := m.Property(protocol.PropertyUniqClientMessageID); id != "" {
		m.TransactionID = id
	}
	state, err := tp.runLocal(func() (LocalTransactionState, error) { return tp.listener.CheckLocalTransaction(ctx, m) })
	if err != nil {
		tp.in.log.Warn("client: transaction check failed; leaving it undecided", "msgId", h.MsgID, "err", err)
		state = UnknownState
	}
	msgID := m.UniqKey()
	if msgID == "" {
		msgID = h.MsgID
	}
	end := protocol.EndTransactionRequestHeader{
		ProducerGroup:        tp.opts.Group,
		TranStateTableOffset: h.TranStateTableOffset,
		CommitLogOffset:      h.CommitLogOffset,
		CommitOrRollback:     state.commitOrRollback(),
		FromTransactionCheck: true,
		MsgID:                msgID,
		TransactionID:        h.TransactionID,
	}
	// Answer on the connection that asked, as upstream answers the
	// asking broker's address.
	if err := conn.InvokeOneway(remoting.NewRequest(protocol.ReqEndTransaction, protocol.EncodeHeader(&end), nil)); err != nil {
		tp.in.log.Warn("client: answer a transaction check", "broker", conn.RemoteAddr(), "msgId", msgID, "err", err)
	}
}
