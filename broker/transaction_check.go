package broker

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/store"
)

// The check service: every transactionCheckInterval it asks a live
// producer of each undecided transaction's group about the halves older
// than transactionTimeOut (or their CHECK_IMMUNITY_TIME_IN_SECONDS), at
// most transactionCheckMax times per transaction; then the half is
// discarded into TRANS_CHECK_MAX_TIME_TOPIC with an error log.

// checkLoop runs the check rounds until the broker stops; Shutdown
// commits the progress one last time.
func (tx *transactions) checkLoop() {
	b := tx.b
	interval := func() time.Duration { return time.Duration(b.conf().TransactionCheckInterval) * time.Millisecond }
	t := time.NewTicker(interval())
	defer t.Stop()
	changed := b.configChanged()
	for {
		select {
		case <-b.stop:
			return
		case <-changed: // transactionCheckInterval may have changed
			changed = b.configChanged()
			t.Reset(interval())
		case <-t.C:
			tx.checkRound(b.stop)
		}
	}
}

// checkRound looks at every undecided transaction once, oldest first.
func (tx *transactions) checkRound(stop <-chan struct{}) {
	tx.mu.Lock()
	all := slices.SortedFunc(maps.Values(tx.pending), func(a, b *halfTxn) int { return cmp.Compare(a.origin, b.origin) })
	tx.mu.Unlock()
	now := tx.b.now()
	for _, t := range all {
		select {
		case <-stop:
			return
		default:
		}
		tx.checkOne(t, now)
	}
	tx.persistOffsets()
}

// checkOne checks, discards or leaves alone one transaction.
func (tx *transactions) checkOne(t *halfTxn, now time.Time) {
	cfg := tx.b.conf()
	timeout := time.Duration(cfg.TransactionTimeOut) * time.Millisecond
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return
	}
	age := now.Sub(time.UnixMilli(t.born))
	immunity := t.immunity
	if immunity == 0 {
		immunity = timeout
	}
	switch {
	case t.checkTimes >= cfg.TransactionCheckMax || age > time.Duration(cfg.FileReservedTime)*time.Hour:
		tx.discard(t)
		t.mu.Unlock()
		return
	case age >= 0 && age < immunity:
		// Not due. A half immune for longer than the timeout moves to the
		// tail once per interval, as upstream does, so it does not hold
		// the committed half offset back for its whole immunity.
		interval := time.Duration(cfg.TransactionCheckInterval) * time.Millisecond
		if t.immunity > timeout && now.Sub(time.UnixMilli(t.storedAt)) > interval {
			if _, err := tx.renew(t, false); err != nil {
				tx.b.log.Error("move an immune half message to the tail of the half queue", "group", t.group, "halfOffset", t.queueOffset, "err", err)
			}
		}
		t.mu.Unlock()
		return
	}
	// Due (a negative age means the producer's clock is ahead: check now,
	// as upstream does).
	m, err := tx.renew(t, true)
	t.mu.Unlock()
	if err != nil {
		tx.b.log.Error("store a half message again for a transaction check", "group", t.group, "halfOffset", t.queueOffset, "err", err)
		return
	}
	tx.sendCheck(t.group, m)
}

// readHalf decodes the half copy at phy, keeping a compressed body as
// stored.
func (tx *transactions) readHalf(phy int64) (*protocol.MessageExt, error) {
	v, err := tx.b.store.SelectOneMessageByOffset(phy, 0)
	if err != nil {
		return nil, err
	}
	defer v.Release()
	m, _, err := protocol.DecodeMessage(v.Bytes, protocol.DecodeOptions{KeepCompressed: true})
	if err != nil {
		return nil, fmt.Errorf("decode half message at %d: %w", phy, err)
	}
	if m.Properties == nil {
		m.Properties = map[string]string{}
	}
	return m, nil
}

// renew stores a copy of t's latest half at the tail of the half queue,
// with TRAN_PREPARED_QUEUE_OFFSET naming the transaction and, for a check,
// TRANSACTION_CHECK_TIMES incremented; t then points at the copy. t.mu is
// held. It returns the copy as stored.
func (tx *transactions) renew(t *halfTxn, check bool) (*protocol.MessageExt, error) {
	m, err := tx.readHalf(t.phyOffset)
	if err != nil {
		return nil, err
	}
	times := t.checkTimes
	if check {
		times++
		m.Properties[protocol.PropertyTransactionCheckTimes] = strconv.Itoa(times)
	}
	m.Properties[protocol.PropertyTransactionPreparedQueueOffset] = strconv.FormatInt(t.origin, 10)
	res := tx.b.store.PutMessage(&store.MessageInput{
		Topic: protocol.TopicTransHalf, QueueID: 0, Flag: m.Flag,
		SysFlag:       m.SysFlag &^ (protocol.SysFlagBornHostV6 | protocol.SysFlagStoreHostV6),
		BornTimestamp: m.BornTimestamp, BornHost: m.BornHost, StoreHost: m.StoreHost,
		ReconsumeTimes: m.ReconsumeTimes, Body: m.Body, Properties: protocol.EncodeProperties(m.Properties),
	})
	if !res.Status.Stored() {
		return nil, fmt.Errorf("store half copy: %s %s", res.Status, res.Remark)
	}
	tx.mu.Lock() // committedOffsets reads queueOffset under tx.mu
	t.queueOffset, t.phyOffset, t.storedAt, t.checkTimes = res.QueueOffset, res.WroteOffset, res.StoreTimestamp, times
	tx.next = max(tx.next, res.QueueOffset+1)
	tx.mu.Unlock()
	m.QueueOffset, m.CommitLogOffset, m.StoreTimestamp = res.QueueOffset, res.WroteOffset, res.StoreTimestamp
	return m, nil
}

// sendCheck sends CHECK_TRANSACTION_STATE about the half copy m to one
// live producer of group; the body is m as stored but in its real topic
// and queue. With no producer online the check is only logged: the next
// round asks again (and counts it, as upstream does).
func (tx *transactions) sendCheck(group string, m *protocol.MessageExt) {
	log := tx.b.log
	conn := tx.b.clients.producerConn(group, tx.rr.Add(1))
	if conn == nil {
		log.Warn("transaction check skipped: no producer of the group is online", "group", group,
			"msgId", m.UniqKey(), "halfOffset", m.QueueOffset)
		return
	}
	h := protocol.CheckTransactionStateRequestHeader{
		TranStateTableOffset: m.QueueOffset, CommitLogOffset: m.CommitLogOffset,
		MsgID: m.UniqKey(), TransactionID: m.UniqKey(), OffsetMsgID: m.OffsetMsgID(),
	}
	m.Topic = m.Properties[protocol.PropertyRealTopic]
	if qid, err := strconv.ParseInt(m.Properties[protocol.PropertyRealQueueID], 10, 32); err == nil {
		m.QueueID = int32(qid)
	}
	body, err := protocol.EncodeMessageExt(m)
	if err != nil {
		log.Error("encode a half message for a transaction check", "group", group, "halfOffset", m.QueueOffset, "err", err)
		return
	}
	if err := conn.InvokeOneway(remoting.NewRequest(protocol.ReqCheckTransactionState, protocol.EncodeHeader(&h), body)); err != nil {
		log.Warn("send transaction check", "group", group, "peer", conn.RemoteAddr(), "err", err)
		return
	}
	log.Debug("transaction check sent", "group", group, "peer", conn.RemoteAddr(), "msgId", h.MsgID,
		"halfOffset", m.QueueOffset, "checkTimes", m.Properties[protocol.PropertyTransactionCheckTimes])
}

// discard ends a transaction nobody answered for: the half is kept in
// TRANS_CHECK_MAX_TIME_TOPIC and an op record ends it. t.mu is held.
func (tx *transactions) discard(t *halfTxn) {
	b := tx.b
	log := b.log.With("group", t.group, "halfOffset", t.queueOffset, "checkTimes", t.checkTimes)
	m, err := tx.readHalf(t.phyOffset)
	if err == nil {
		_, err = b.topics.ensureInternal(protocol.TopicTransCheckMaxTime, 1, protocol.PermRead|protocol.PermWrite, 0)
	}
	if err == nil {
		res := b.store.PutMessage(&store.MessageInput{
			Topic: protocol.TopicTransCheckMaxTime, QueueID: 0, Flag: m.Flag,
			SysFlag:       m.SysFlag &^ (protocol.SysFlagBornHostV6 | protocol.SysFlagStoreHostV6),
			BornTimestamp: m.BornTimestamp, BornHost: m.BornHost, StoreHost: m.StoreHost,
			ReconsumeTimes: m.ReconsumeTimes, Body: m.Body, Properties: protocol.EncodeProperties(m.Properties),
		})
		if !res.Status.Stored() {
			err = fmt.Errorf("store into %s: %s %s", protocol.TopicTransCheckMaxTime, res.Status, res.Remark)
		}
	}
	if err != nil {
		log.Error("transaction discarded after its last check; the half message could not be kept", "err", err)
	} else {
		log.Error("transaction discarded: checked transactionCheckMax times (or older than fileReservedTime) without an answer; the half message is kept in "+protocol.TopicTransCheckMaxTime,
			"msgId", m.UniqKey(), "topic", m.Properties[protocol.PropertyRealTopic])
	}
	tx.finish(t, t.queueOffset, "discarded")
}

// producerConn returns one live connection of a producer group, the n-th
// (modulo their number) in connection order, or nil.
func (t *clientTable) producerConn(group string, n uint64) *remoting.Conn {
	t.mu.Lock()
	conns := make([]*remoting.Conn, 0, len(t.producers[group]))
	for c := range t.producers[group] {
		select {
		case <-c.Closed():
		default:
			conns = append(conns, c)
		}
	}
	t.mu.Unlock()
	if len(conns) == 0 {
		return nil
	}
	slices.SortFunc(conns, func(a, b *remoting.Conn) int { return cmp.Compare(a.ID(), b.ID()) })
	return conns[n%uint64(len(conns))]
}
