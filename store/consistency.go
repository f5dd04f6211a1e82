package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store/commitlog"
	"github.com/rocketgo/rocketgo/store/consumequeue"
)

// CheckConsistency waits for dispatch to catch up and then checks that the
// consume queues and the index agree with the commit log:
//
//   - every record from the commit log head to its end decodes with a good
//     CRC and sits at its own PHYSICALOFFSET;
//   - every record of transaction type NOT or COMMIT has exactly one consume
//     queue unit, at its queue offset, with its offset, size and tags code,
//     and no two records share a queue offset;
//   - every consume queue unit that points into the commit log points at
//     such a record;
//   - the index finds every record under each of its keys.
//
// It reads everything, so it is meant for tests and offline checks. The
// returned error lists up to 20 disagreements.
func (s *Store) CheckConsistency(ctx context.Context) error {
	if err := s.WaitDispatched(ctx); err != nil {
		return err
	}
	c := checker{limit: 20}
	type unitWant struct {
		consumequeue.Unit
		found bool
	}
	want := make(map[queueKey]map[int64]*unitWant)
	type keyAt struct {
		key string
		off int64
	}
	var keys []keyAt

	clMin, clMax := s.commitLog.MinOffset(), s.commitLog.MaxOffset()
	sc := s.commitLog.NewScanner(clMin, true)
	for sc.Next() {
		off := sc.RecordOffset()
		r := sc.Record()
		if r.PhysicalOffset != off {
			c.addf("record at %d says PHYSICALOFFSET %d", off, r.PhysicalOffset)
		}
		d := r.Dispatch(off)
		if end, deleted := s.deletedTopics.Load(string(d.Topic)); deleted && off < end.(int64) {
			continue // written before its topic was deleted
		}
		if commitlog.IsDispatchedToQueue(d.SysFlag) {
			k := queueKey{string(d.Topic), d.QueueID}
			tags := d.TagsCode
			if k.topic == ScheduleTopic {
				tags = s.dispatcher.deliverTime(d.Properties, d.StoreTimestamp)
			}
			byOff := want[k]
			if byOff == nil {
				byOff = make(map[int64]*unitWant)
				want[k] = byOff
			}
			if prev := byOff[d.QueueOffset]; prev != nil {
				c.addf("%s-%d queue offset %d taken by records at %d and %d", k.topic, k.queue, d.QueueOffset, prev.PhyOffset, off)
			}
			byOff[d.QueueOffset] = &unitWant{Unit: consumequeue.Unit{PhyOffset: off, Size: d.Size, TagsCode: tags}}
		}
		if s.index != nil && commitlog.TransactionType(d.SysFlag) != protocol.SysFlagTransactionRollback {
			if len(d.UniqKey) > 0 {
				keys = append(keys, keyAt{string(d.Topic) + "#" + string(d.UniqKey), off})
			}
			for k := range bytes.SplitSeq(d.Keys, []byte(protocol.KeySeparator)) {
				if len(k) > 0 {
					keys = append(keys, keyAt{string(d.Topic) + "#" + string(k), off})
				}
			}
		}
	}
	if err := sc.Err(); err != nil && !errors.Is(err, commitlog.ErrEndOfData) {
		c.addf("commit log invalid at %d: %v", sc.Offset(), err)
	}
	if sc.Offset() != clMax {
		c.addf("commit log scan ended at %d, the log ends at %d", sc.Offset(), clMax)
	}
	sc.Close()

	for _, q := range s.queues.Queues() {
		k := queueKey{q.Topic(), q.QueueID()}
		byOff := want[k]
		minOff, maxOff := q.MinOffset(), q.MaxOffset()
		q.Range(minOff, int(maxOff-minOff), func(cqOff int64, u consumequeue.Unit) bool {
			if !u.IsMessage() || u.PhyOffset < clMin {
				return true // blank filler, or pointing at expired data
			}
			w := byOff[cqOff]
			switch {
			case w == nil:
				c.addf("%s-%d unit %d points at %d (+%d): no record of this queue has that queue offset", k.topic, k.queue, cqOff, u.PhyOffset, u.Size)
			case w.Unit != u:
				c.addf("%s-%d unit %d is %+v, the record says %+v", k.topic, k.queue, cqOff, u, w.Unit)
			default:
				w.found = true
			}
			return true
		})
	}
	for k, byOff := range want {
		for qo, w := range byOff {
			if !w.found {
				c.addf("record at %d (%s-%d queue offset %d) has no consume queue unit", w.PhyOffset, k.topic, k.queue, qo)
			}
		}
	}
	for _, ka := range keys {
		offs, _ := s.index.Query(ka.key, math.MaxInt32, 0, math.MaxInt64)
		found := false
		for _, o := range offs {
			if o == ka.off {
				found = true
				break
			}
		}
		if !found {
			c.addf("index does not find the record at %d under %q", ka.off, ka.key)
		}
	}
	return c.err()
}

type checker struct {
	errs  []error
	more  int
	limit int
}

func (c *checker) addf(format string, args ...any) {
	if len(c.errs) >= c.limit {
		c.more++
		return
	}
	c.errs = append(c.errs, fmt.Errorf(format, args...))
}

func (c *checker) err() error {
	if c.more > 0 {
		c.errs = append(c.errs, fmt.Errorf("... and %d more", c.more))
	}
	if len(c.errs) == 0 {
		return nil
	}
	return fmt.Errorf("store inconsistent: %w", errors.Join(c.errs...))
}
