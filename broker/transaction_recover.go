package broker

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store"
)

// start warns about settings that look like seconds and rebuilds the table
// of undecided transactions from the store; Start calls it before the
// ports open, so no END_TRANSACTION finds the table incomplete.
func (tx *transactions) start() error {
	b := tx.b
	for _, s := range []struct {
		key string
		v   int64
	}{{"transactionTimeOut", b.conf().TransactionTimeOut}, {"transactionCheckInterval", b.conf().TransactionCheckInterval}} {
		if s.v < 1000 {
			b.log.Warn(fmt.Sprintf("%s=%d is in milliseconds, as upstream; if you meant %d seconds, write %d", s.key, s.v, s.v, s.v*1000))
		}
	}
	for _, topic := range []string{protocol.TopicTransHalf, protocol.TopicTransOpHalf} {
		if _, err := b.topics.ensureInternal(topic, 1, protocol.PermRead|protocol.PermWrite, 0); err != nil {
			return fmt.Errorf("create topic %s: %w", topic, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.store.WaitDispatched(ctx); err != nil {
		return fmt.Errorf("transactions: wait for the consume queues: %w", err)
	}
	began := time.Now()
	if err := tx.recover(); err != nil {
		return fmt.Errorf("transactions: %w", err)
	}
	half, op := tx.committedOffsets()
	b.log.Info("transactions recovered", "pending", tx.pendingCount(), "halfOffset", half, "opOffset", op,
		"took", time.Since(began).Round(time.Millisecond))
	return nil
}

// halfCopy is one half record met while recovering.
type halfCopy struct {
	origin, queueOffset, phyOffset, storedAt, born int64
	group                                          string
	immunity                                       time.Duration
	checkTimes                                     int
}

// recover rebuilds the table: the halves from the committed half offset
// on, minus the transactions some op record from the committed op offset
// on has ended. A transaction's latest copy gives its state.
func (tx *transactions) recover() error {
	b := tx.b
	half := tx.committedStart(protocol.TopicTransHalf)
	op := tx.committedStart(protocol.TopicTransOpHalf)

	var copies []halfCopy
	originAt := map[int64]int64{} // half queue offset -> origin, from half on
	err := tx.scan(protocol.TopicTransHalf, half, func(queueOffset int64, rec *protocol.MessageRecord) {
		c := halfCopyOf(queueOffset, rec)
		copies = append(copies, c)
		originAt[queueOffset] = c.origin
	})
	if err != nil {
		return err
	}

	type ended struct{ op, origin int64 }
	var ends []ended
	err = tx.scan(protocol.TopicTransOpHalf, op, func(queueOffset int64, rec *protocol.MessageRecord) {
		if tag, _ := protocol.LookupProperty(rec.Properties, protocol.PropertyTags); string(tag) != opTag {
			ends = append(ends, ended{queueOffset, -1})
			return
		}
		halfOffset, err := strconv.ParseInt(string(rec.Body), 10, 64)
		if err != nil || halfOffset < 0 {
			b.log.Error("op record with a bad body; ignored", "opOffset", queueOffset, "body", fmt.Sprintf("%.40q", rec.Body))
			ends = append(ends, ended{queueOffset, -1})
			return
		}
		origin, ok := originAt[halfOffset]
		if !ok { // a copy below the committed half offset: read it
			origin, ok = tx.originAt(halfOffset)
		}
		if !ok {
			origin = -1
		}
		ends = append(ends, ended{queueOffset, origin})
	})
	if err != nil {
		return err
	}

	decided := make(map[int64]bool, len(ends))
	for _, e := range ends {
		if e.origin >= 0 {
			decided[e.origin] = true
		}
	}
	lastCopy := map[int64]int64{} // origin -> queue offset of its latest copy
	tx.mu.Lock()
	defer tx.mu.Unlock()
	clear(tx.pending)
	for _, c := range copies { // in queue order: later copies win
		lastCopy[c.origin] = c.queueOffset
		if decided[c.origin] {
			continue
		}
		tx.pending[c.origin] = &halfTxn{
			origin: c.origin, group: c.group, born: c.born, immunity: c.immunity, checkTimes: c.checkTimes,
			queueOffset: c.queueOffset, phyOffset: c.phyOffset, storedAt: c.storedAt,
		}
	}
	tx.next = half
	if len(copies) > 0 {
		tx.next = copies[len(copies)-1].queueOffset + 1
	}
	tx.ops.reset(op)
	for _, e := range ends {
		last, ok := lastCopy[e.origin]
		if !ok {
			last = -1 // no copy at or above the committed half offset
		}
		tx.ops.set(e.op, last)
	}
	return nil
}

// committedStart is where recovery reads topic from: CID_RMQ_SYS_TRANS's
// committed offset, kept inside the queue's readable range.
func (tx *transactions) committedStart(topic string) int64 {
	s := tx.b.store
	lo, hi := s.MinOffsetInQueue(topic, 0), s.MaxOffsetInQueue(topic, 0)
	off := tx.b.offsets.query(protocol.GroupTransCheck, topic, 0)
	if off < 0 {
		return lo
	}
	return min(max(off, lo), hi)
}

func halfCopyOf(queueOffset int64, rec *protocol.MessageRecord) halfCopy {
	c := halfCopy{
		origin: originOf(rec), queueOffset: queueOffset, phyOffset: rec.PhysicalOffset,
		storedAt: rec.StoreTimestamp, born: rec.BornTimestamp,
	}
	if v, ok := protocol.LookupProperty(rec.Properties, protocol.PropertyProducerGroup); ok {
		c.group = string(v)
	}
	if v, ok := protocol.LookupProperty(rec.Properties, protocol.PropertyTransactionCheckTimes); ok {
		if n, err := strconv.Atoi(string(v)); err == nil && n > 0 {
			c.checkTimes = n
		}
	}
	c.immunity, _ = immunityOf(rec.Properties) // checked when the half was sent
	return c
}

// originAt reads the origin of the half at a queue offset.
func (tx *transactions) originAt(queueOffset int64) (int64, bool) {
	res, err := tx.b.store.GetMessage(protocol.GroupTransCheck, protocol.TopicTransHalf, 0, queueOffset, 1, 0, nil)
	if err != nil {
		return 0, false
	}
	defer res.Release()
	if res.Status != store.Found || len(res.Messages) == 0 || res.QueueOffsets[0] != queueOffset {
		return 0, false
	}
	rec, err := protocol.ParseMessageRecord(res.Messages[0])
	if err != nil {
		return 0, false
	}
	return originOf(&rec), true
}

// scan calls f for every readable record of topic's queue 0 from offset
// to the end; rec is valid only during the call. Unreadable records are
// logged and skipped.
func (tx *transactions) scan(topic string, from int64, f func(queueOffset int64, rec *protocol.MessageRecord)) error {
	s := tx.b.store
	end := s.MaxOffsetInQueue(topic, 0)
	for off := from; off < end; {
		res, err := s.GetMessage(protocol.GroupTransCheck, topic, 0, off, 32, 0, nil)
		if err != nil {
			return fmt.Errorf("read %s at %d: %w", topic, off, err)
		}
		for i, raw := range res.Messages {
			rec, err := protocol.ParseMessageRecord(raw)
			if err != nil {
				tx.b.log.Error("unreadable record in a transaction topic; skipped", "topic", topic, "queueOffset", res.QueueOffsets[i], "err", err)
				continue
			}
			f(res.QueueOffsets[i], &rec)
		}
		next := res.NextBeginOffset
		res.Release()
		if next <= off {
			return fmt.Errorf("read %s: stuck at offset %d (%s)", topic, off, res.Status)
		}
		off = next
	}
	return nil
}
