package broker

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/store"
)

// Transactional messages (upstream's TransactionalMessageService,
// EndTransactionProcessor and TransactionalMessageCheckService).
//
// A prepared ("half") message is stored in RMQ_SYS_TRANS_HALF_TOPIC queue 0
// with REAL_TOPIC/REAL_QID naming where it belongs, so no consumer sees it.
// END_TRANSACTION commit stores the real message (transaction type COMMIT)
// and then an op record; rollback stores only the op record. Op records
// live in RMQ_SYS_TRANS_OP_HALF_TOPIC queue 0, tagged "d", with the half's
// queue offset as decimal text: the 4.x layout.
//
// Each time the check service asks a producer about a half, it stores a
// copy of the half at the tail of the half queue with TRANSACTION_CHECK_TIMES
// incremented and TRAN_PREPARED_QUEUE_OFFSET naming the first half's queue
// offset (upstream sets that property only for immune halves). That first
// offset, the origin, identifies the transaction: whichever copy an
// END_TRANSACTION names, the transaction ends once, and a late or repeated
// END_TRANSACTION is refused rather than storing the message twice.
//
// The table of undecided transactions lives in memory and is rebuilt at
// start from the two topics (transaction_recover.go). Progress is kept as
// the consumer offsets of the system group CID_RMQ_SYS_TRANS on the half
// and op queues in consumerOffset.json, as upstream does: every half below
// the half offset is decided or superseded by a later copy, and every op
// record below the op offset belongs to such a half.

// Remarks that tell a client why a transaction request was refused.
const (
	remarkTxDelay        = "transactional messages cannot be delayed: remove the delay level (DELAY property) or send the message without a transaction"
	remarkTxBatch        = "transactional messages cannot be sent in a batch: send each one with its own transaction"
	remarkTxEnded        = "the transaction was already committed, rolled back or discarded"
	remarkTxNotHalf      = "Find prepared transaction message failed"
	remarkTxGroupWrong   = "The producer group wrong"
	remarkTxOffsetWrong  = "The transaction state table offset wrong"
	remarkTxUnknownState = "transaction state unknown (commitOrRollback 0); the broker will check it later"
)

// opTag marks op records that end a half message ("remove").
const opTag = "d"

// halfTxn is one undecided transaction: where its latest half copy is and
// what the check service needs to know about it.
type halfTxn struct {
	// mu is held while the transaction is ended or its half re-stored for
	// a check, so the two never interleave.
	mu sync.Mutex

	origin     int64 // queue offset of the first half: the transaction's key
	group      string
	born       int64         // producer's born timestamp, ms
	immunity   time.Duration // CHECK_IMMUNITY_TIME_IN_SECONDS; 0: transactionTimeOut
	checkTimes int

	// The latest copy.
	queueOffset int64
	phyOffset   int64
	storedAt    int64 // store timestamp, ms

	done bool // ended or discarded; guarded by mu
}

// transactions is the broker's table of undecided transactions.
type transactions struct {
	b   *Broker
	ids *protocol.UniqIDGenerator
	rr  atomic.Uint64 // round robin over a group's producers

	mu      sync.Mutex
	pending map[int64]*halfTxn // by origin
	// next is one past the highest half queue offset known (recovered,
	// registered or renewed); the consume queue's own max offset can lag
	// behind the puts.
	next int64
	// putting holds, for each prepare between its put and its
	// registration, next before the put: the committed half offset must
	// not pass a half not registered yet.
	putting map[uint64]int64
	seq     uint64
	ops     opWindow
}

func newTransactions(b *Broker) *transactions {
	return &transactions{
		b:       b,
		ids:     protocol.NewLocalUniqIDGenerator(),
		pending: map[int64]*halfTxn{},
		putting: map[uint64]int64{},
	}
}

// pendingCount is the number of undecided transactions.
func (tx *transactions) pendingCount() int {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return len(tx.pending)
}

// isHalf reports whether a send is a prepared transactional message: the
// TRAN_MSG property (what upstream looks at) or the PREPARED sysflag.
func isHalf(props []byte, sysFlag int32) bool {
	if v, ok := protocol.LookupProperty(props, protocol.PropertyTransactionPrepared); ok && strings.EqualFold(string(v), "true") {
		return true
	}
	return sysFlag&protocol.SysFlagTransactionMask == protocol.SysFlagTransactionPrepared
}

// checkHalf applies the rules of half messages to a send; it marks sr as
// a half when they pass.
func (b *Broker) checkHalf(req *remoting.Command, sr *sendRequest, props []byte) *remoting.Command {
	if b.conf().RejectTransactionMessage {
		return remoting.NewResponse(req, protocol.RespNoPermission, "the broker["+b.conf().BrokerName+"] sending transaction message is forbidden")
	}
	if sr.h.Batch {
		return remoting.NewResponse(req, protocol.RespMessageIllegal, remarkTxBatch)
	}
	if v, ok := protocol.LookupProperty(props, protocol.PropertyDelayTimeLevel); ok {
		if n, err := strconv.Atoi(string(v)); err == nil && n > 0 {
			return remoting.NewResponse(req, protocol.RespMessageIllegal, remarkTxDelay)
		}
	}
	sr.half = true
	return nil
}

// prepare stores a half message and answers the send: the ids are the
// half's (the client ends the transaction with them), queueId is the real
// queue and transactionId the client's message id. Under SYNC_FLUSH the
// answer comes from the store's flusher once the half is on disk; the half
// is registered just before, so no END_TRANSACTION can name a half the
// table does not hold, and until then its put token keeps the committed
// half offset below it.
func (tx *transactions) prepare(conn *remoting.Conn, req *remoting.Command, sr *sendRequest, in *store.MessageInput) *remoting.Command {
	props := []byte(in.Properties)
	group := sr.h.ProducerGroup
	if v, ok := protocol.LookupProperty(props, protocol.PropertyProducerGroup); ok && len(v) > 0 {
		group = string(v)
	} else {
		props = protocol.AppendProperty(props, protocol.PropertyProducerGroup, group)
	}
	immunity, err := immunityOf(props)
	if err != nil {
		return remoting.NewResponse(req, protocol.RespMessageIllegal, err.Error())
	}
	props = protocol.AppendProperty(props, protocol.PropertyRealTopic, in.Topic)
	props = protocol.AppendProperty(props, protocol.PropertyRealQueueID, strconv.Itoa(int(in.QueueID)))
	in.Topic, in.QueueID = protocol.TopicTransHalf, 0
	in.SysFlag = protocol.WithTransactionType(in.SysFlag, protocol.SysFlagTransactionNotType)
	in.Properties = string(props)
	born := in.BornTimestamp
	txID, hasTxID := protocol.LookupProperty(props, protocol.PropertyUniqClientMessageID)

	put := func(done store.PutDone) {
		token := tx.beginPut()
		tx.b.store.PutMessageAsync(in, func(res store.PutResult) {
			if res.Status.Stored() {
				tx.register(&halfTxn{
					origin: res.QueueOffset, group: group, born: born, immunity: immunity,
					queueOffset: res.QueueOffset, phyOffset: res.WroteOffset, storedAt: res.StoreTimestamp,
				})
			}
			tx.endPut(token)
			done(res)
		})
	}
	return tx.b.answerWhenStored(conn, req, protocol.TopicTransHalf, put, func(res *store.PutResult) *remoting.Command {
		tx.b.stats.recordPut(protocol.TopicTransHalf, res) // the half topic, as upstream counts prepares
		resp := tx.b.sendResponse(req, sr, res)
		if res.Status.Stored() && hasTxID {
			resp.ExtFields["transactionId"] = string(txID)
		}
		return resp
	})
}

// immunityOf reads CHECK_IMMUNITY_TIME_IN_SECONDS; 0 means "use
// transactionTimeOut" (absent, or upstream's -1).
func immunityOf(props []byte) (time.Duration, error) {
	v, ok := protocol.LookupProperty(props, protocol.PropertyCheckImmunityTimeInSeconds)
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || n < -1 || n > math.MaxInt32 {
		return 0, fmt.Errorf("%s=%q is not a number of seconds (or -1 for the broker's transactionTimeOut)", protocol.PropertyCheckImmunityTimeInSeconds, v)
	}
	if n <= 0 {
		return 0, nil
	}
	return time.Duration(n) * time.Second, nil
}

// beginPut notes that a half is about to be stored; the half offset stays
// below it until endPut.
func (tx *transactions) beginPut() uint64 {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	tx.seq++
	tx.putting[tx.seq] = tx.next
	return tx.seq
}

func (tx *transactions) endPut(token uint64) {
	tx.mu.Lock()
	delete(tx.putting, token)
	tx.mu.Unlock()
}

func (tx *transactions) register(t *halfTxn) {
	tx.mu.Lock()
	tx.pending[t.origin] = t
	tx.next = max(tx.next, t.queueOffset+1)
	tx.mu.Unlock()
}

// handleEndTransaction answers END_TRANSACTION. Clients send it oneway, so
// the answer is mostly for tests and tools; refusals are logged too. A
// commit is answered once the committed message is flushed as the
// configuration asks, by the store's flusher under SYNC_FLUSH: no worker
// waits for the disk.
func (b *Broker) handleEndTransaction(conn *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.EndTransactionRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		b.log.Warn("bad END_TRANSACTION header", "peer", conn.RemoteAddr(), "err", err)
		return remoting.NewResponse(req, protocol.RespSystemError, "bad end transaction header: "+err.Error()), nil
	}
	return b.answerLater(conn, req, protocol.TopicTransHalf, func(answer func(*remoting.Command)) {
		b.trans.endTx(&h, func(code int32, remark string) {
			b.logEnd(conn, req, &h, code, remark)
			answer(remoting.NewResponse(req, code, remark))
		})
	}), nil
}

func (b *Broker) logEnd(conn *remoting.Conn, req *remoting.Command, h *protocol.EndTransactionRequestHeader, code int32, remark string) {
	if code != protocol.RespSuccess {
		level := slog.LevelWarn
		if remark == remarkTxEnded {
			level = slog.LevelInfo // a late answer, say to a check repeated before the first answer came
		}
		b.log.Log(context.Background(), level, "END_TRANSACTION refused", "peer", conn.RemoteAddr(), "group", h.ProducerGroup,
			"commitLogOffset", h.CommitLogOffset, "tranStateTableOffset", h.TranStateTableOffset,
			"commitOrRollback", h.CommitOrRollback, "fromCheck", h.FromTransactionCheck, "msgId", h.MsgID, "why", remark)
	} else if h.FromTransactionCheck || h.CommitOrRollback == protocol.SysFlagTransactionRollback {
		b.log.Debug("transaction ended", "peer", conn.RemoteAddr(), "group", h.ProducerGroup, "msgId", h.MsgID,
			"commitOrRollback", h.CommitOrRollback, "fromCheck", h.FromTransactionCheck, "remark", req.Remark)
	}
}

// endTx commits or rolls back the transaction of the half at h's offsets
// and calls reply exactly once: before it returns, or for a commit
// waiting for its flush, from the store's flusher.
func (tx *transactions) endTx(h *protocol.EndTransactionRequestHeader, reply func(code int32, remark string)) {
	if code, remark, handedOn := tx.decide(h, reply); !handedOn {
		reply(code, remark)
	}
}

// decide is endTx up to the answer, or up to a commit that hands reply
// on (handedOn).
func (tx *transactions) decide(h *protocol.EndTransactionRequestHeader, reply func(code int32, remark string)) (code int32, remark string, handedOn bool) {
	switch h.CommitOrRollback {
	case protocol.SysFlagTransactionCommit, protocol.SysFlagTransactionRollback:
	case protocol.SysFlagTransactionNotType:
		return protocol.RespSuccess, remarkTxUnknownState, false
	default:
		return protocol.RespSystemError, fmt.Sprintf("commitOrRollback %d is neither 0 (unknown), 8 (commit) nor 12 (rollback)", h.CommitOrRollback), false
	}
	view, err := tx.b.store.SelectOneMessageByOffset(h.CommitLogOffset, 0)
	if err != nil {
		return protocol.RespSystemError, fmt.Sprintf("%s: commit log offset %d: %v", remarkTxNotHalf, h.CommitLogOffset, err), false
	}
	defer view.Release()
	rec, err := protocol.ParseMessageRecord(view.Bytes)
	switch {
	case err != nil:
		return protocol.RespSystemError, fmt.Sprintf("%s: commit log offset %d: %v", remarkTxNotHalf, h.CommitLogOffset, err), false
	case string(rec.Topic) != protocol.TopicTransHalf:
		return protocol.RespSystemError, fmt.Sprintf("%s: the message at commit log offset %d is not a half message", remarkTxNotHalf, h.CommitLogOffset), false
	}
	group, _ := protocol.LookupProperty(rec.Properties, protocol.PropertyProducerGroup)
	if string(group) != h.ProducerGroup {
		return protocol.RespSystemError, remarkTxGroupWrong, false
	}
	if rec.QueueOffset != h.TranStateTableOffset {
		return protocol.RespSystemError, remarkTxOffsetWrong, false
	}
	t := tx.lookup(originOf(&rec))
	if t == nil {
		return protocol.RespSystemError, remarkTxEnded, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return protocol.RespSystemError, remarkTxEnded, false
	}
	if h.CommitOrRollback == protocol.SysFlagTransactionCommit {
		return tx.commit(t, &rec, h.CommitLogOffset, reply)
	}
	tx.finish(t, rec.QueueOffset, "ended")
	return protocol.RespSuccess, "", false
}

func (tx *transactions) lookup(origin int64) *halfTxn {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	return tx.pending[origin]
}

// originOf is the transaction key of a half record: the first half's
// queue offset, which copies carry in TRAN_PREPARED_QUEUE_OFFSET.
func originOf(rec *protocol.MessageRecord) int64 {
	if v, ok := protocol.LookupProperty(rec.Properties, protocol.PropertyTransactionPreparedQueueOffset); ok {
		if n, err := strconv.ParseInt(string(v), 10, 64); err == nil && n >= 0 && n <= rec.QueueOffset {
			return n
		}
	}
	return rec.QueueOffset
}

// commit stores the real message of the half rec, as upstream builds it:
// the half's properties string unchanged (consumers see TRAN_MSG, PGROUP,
// REAL_TOPIC and REAL_QID), transaction type COMMIT and the half's commit
// log offset as PREPAREDTRANSACTIONOFFSET; then it ends t like finish.
// t.mu is held.
//
// The worker does not wait for the message's flush. Once the message is
// appended, t is done (a second END_TRANSACTION is refused, the check
// service skips it) and its op record is appended behind the message, so
// a log that keeps the op record keeps the message. Only when the flush is
// done as well does t leave the table (letting the committed half offset
// pass it) and the producer get its answer: a half is never counted
// decided while its committed message could still be lost. A refused put
// (always known before PutMessageAsync returns) leaves t undecided.
func (tx *transactions) commit(t *halfTxn, rec *protocol.MessageRecord, halfPhy int64, reply func(code int32, remark string)) (code int32, remark string, handedOn bool) {
	topic, _ := protocol.LookupProperty(rec.Properties, protocol.PropertyRealTopic)
	qid, _ := protocol.LookupProperty(rec.Properties, protocol.PropertyRealQueueID)
	queueID, err := strconv.ParseInt(string(qid), 10, 32)
	if len(topic) == 0 || err != nil || queueID < 0 {
		return protocol.RespSystemError, fmt.Sprintf("the half message at %d has no usable REAL_TOPIC/REAL_QID (%q, %q)", halfPhy, topic, qid), false
	}
	in := store.MessageInput{
		Topic: string(topic), QueueID: int32(queueID), Flag: rec.Flag,
		SysFlag:       protocol.WithTransactionType(rec.SysFlag&^(protocol.SysFlagBornHostV6|protocol.SysFlagStoreHostV6), protocol.SysFlagTransactionCommit),
		BornTimestamp: rec.BornTimestamp, BornHost: rec.BornHost, StoreHost: rec.StoreHost,
		ReconsumeTimes: rec.ReconsumeTimes, PreparedTransactionOffset: halfPhy,
		Body: rec.Body, Properties: string(rec.Properties),
	}
	j := &commitJoin{tx: tx, t: t, reply: reply}
	j.left.Store(2)
	tx.b.store.PutMessageAsync(&in, j.flushed)
	if j.left.Load() == 1 && !j.res.Status.Stored() {
		// Refused: nothing was stored, the transaction stays open.
		return putFailureCode(j.res.Status), fmt.Sprintf("store the committed message: %s %s", j.res.Status, j.res.Remark), false
	}
	t.done = true
	j.op, j.opErr = tx.putOp(rec.QueueOffset)
	j.arrive()
	return 0, "", true
}

// commitJoin meets the two ends of a commit: the worker that appended the
// committed message and its op record, and the flush of the message
// (reported by the store, from its flusher or before PutMessageAsync
// returned). The second to arrive retires the transaction and answers.
type commitJoin struct {
	tx    *transactions
	t     *halfTxn
	reply func(code int32, remark string)
	left  atomic.Int32 // ends still to arrive

	res   store.PutResult // set by flushed before it arrives
	op    int64           // set by the worker before it arrives
	opErr error
}

func (j *commitJoin) flushed(res store.PutResult) {
	j.res = res
	j.arrive()
}

func (j *commitJoin) arrive() {
	if j.left.Add(-1) != 0 {
		return
	}
	j.tx.retire(j.t, j.op, j.opErr, "committed")
	if !j.res.Status.Stored() { // not expected: refusals stop at the worker
		j.reply(putFailureCode(j.res.Status), fmt.Sprintf("store the committed message: %s %s", j.res.Status, j.res.Remark))
		return
	}
	j.reply(protocol.RespSuccess, "")
}

// putFailureCode is the reply code of a failed put (upstream's
// sendFinalMessage mapping).
func putFailureCode(s store.PutStatus) int32 {
	switch s {
	case store.MessageIllegal, store.PropertiesSizeExceeded:
		return protocol.RespMessageIllegal
	case store.ServiceNotAvailable:
		return protocol.RespServiceNotAvailable
	}
	return protocol.RespSystemError
}

// finish records that t is decided: an op record for the half copy at
// halfOffset, then t leaves the table. t.mu is held.
func (tx *transactions) finish(t *halfTxn, halfOffset int64, why string) {
	t.done = true
	opOffset, err := tx.putOp(halfOffset)
	tx.retire(t, opOffset, err, why)
}

// retire takes the decided t out of the table; its op record is at
// opOffset unless opErr says it could not be stored. That is logged: the
// transaction stays decided while the broker runs, but a restart would
// ask the producer again.
func (tx *transactions) retire(t *halfTxn, opOffset int64, opErr error, why string) {
	if opErr != nil {
		tx.b.log.Error("transaction "+why+" but its op record was not stored; after a restart the broker will check it again",
			"halfOffset", t.queueOffset, "group", t.group, "err", opErr)
	}
	tx.mu.Lock()
	delete(tx.pending, t.origin)
	if opErr == nil {
		tx.ops.set(opOffset, t.queueOffset)
	}
	tx.mu.Unlock()
}

// putOp stores an op record that ends the half at halfOffset and returns
// its op queue offset.
func (tx *transactions) putOp(halfOffset int64) (int64, error) {
	props := protocol.AppendProperty(nil, protocol.PropertyTags, opTag)
	props = protocol.AppendProperty(props, protocol.PropertyWaitStoreMsgOK, "false")
	props = protocol.AppendProperty(props, protocol.PropertyUniqClientMessageID, tx.ids.Next())
	b := tx.b
	in := store.MessageInput{
		Topic: protocol.TopicTransOpHalf, BornTimestamp: b.now().UnixMilli(), BornHost: b.storeHost, StoreHost: b.storeHost,
		Body: strconv.AppendInt(nil, halfOffset, 10), Properties: string(props),
	}
	res := b.store.PutMessage(&in)
	if !res.Status.Stored() {
		return 0, fmt.Errorf("store op record: %s %s", res.Status, res.Remark)
	}
	return res.QueueOffset, nil
}

// opUnknown marks an op queue offset whose record is not known yet (being
// stored by a concurrent end).
const opUnknown = math.MinInt64

// opWindow tracks the op records from the committed op offset on: for each,
// the queue offset of the last half copy of the transaction it ended. An
// op record is no longer needed once the committed half offset has passed
// that copy.
type opWindow struct {
	base  int64   // op queue offset of last[0]
	last  []int64 // last half copy per op record, or opUnknown
	known bool    // base was set (by recover)
}

func (w *opWindow) reset(base int64) {
	w.base, w.last, w.known = base, w.last[:0], true
}

func (w *opWindow) set(opOffset, lastHalf int64) {
	if !w.known || opOffset < w.base {
		return
	}
	i := int(opOffset - w.base)
	for len(w.last) <= i {
		w.last = append(w.last, opUnknown)
	}
	w.last[i] = lastHalf
}

// advance drops the leading op records whose transactions lie wholly below
// halfOffset and returns the new committed op offset.
func (w *opWindow) advance(halfOffset int64) int64 {
	n := 0
	for n < len(w.last) && w.last[n] != opUnknown && w.last[n] < halfOffset {
		n++
	}
	if n > 0 {
		w.last = slices.Delete(w.last, 0, n)
		w.base += int64(n)
	}
	return w.base
}

// committedOffsets computes the progress to persist: the half offset below
// which every half is decided or superseded, and the op offset below which
// every op record is covered by it.
func (tx *transactions) committedOffsets() (half, op int64) {
	tx.mu.Lock()
	defer tx.mu.Unlock()
	half = tx.next
	for _, floor := range tx.putting {
		half = min(half, floor)
	}
	for _, t := range tx.pending {
		half = min(half, t.queueOffset)
	}
	return half, tx.ops.advance(half)
}

// persistOffsets commits the progress as CID_RMQ_SYS_TRANS's consumer
// offsets; consumerOffset.json is written by the broker's flush loop and at
// shutdown. The half offset goes first: a file written between the two
// commits then pairs it with an older, smaller op offset, which is safe.
func (tx *transactions) persistOffsets() {
	half, op := tx.committedOffsets()
	tx.b.offsets.commit(protocol.GroupTransCheck, protocol.TopicTransHalf, 0, half)
	tx.b.offsets.commit(protocol.GroupTransCheck, protocol.TopicTransOpHalf, 0, op)
}
