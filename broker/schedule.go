package broker

import (
	"bytes"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store"
	"github.com/rocketgo/rocketgo/store/jsonfile"
)

// scheduleService delivers delayed messages (upstream's
// ScheduleMessageService). The store's put path keeps a message with
// DELAY=n in SCHEDULE_TOPIC_XXXX queue n-1; as store time plus the level's
// delay is the same for every message of a level, each queue is in due
// order, so one goroutine per level delivers its queue from the front,
// sleeping until the head is due or a new message arrives.
//
// Progress is the next queue offset of each level, written to
// delayOffset.json every flushDelayOffsetInterval and at shutdown, and
// only once the copies it counts as delivered are flushed (see
// progressFile): after a crash or a restart delivery resumes there, so
// nothing is lost and at most the last interval is delivered twice.
type scheduleService struct {
	st     *store.Store // set by start
	log    *slog.Logger
	now    func() time.Time
	levels []time.Duration // index level-1
	file   *progressFile

	offsets []atomic.Int64 // next queue offset to deliver, index level-1
	known   []atomic.Bool  // level is in the offset table (loaded or delivered)
	kicks   []chan struct{}

	// retryPause is how long a level waits after a failed put or an
	// unreadable queue before trying again (upstream's 100 ms).
	retryPause time.Duration

	stats *brokerStats // counts deliveries; set by start
}

// delayOffsetFile is the content of delayOffset.json and the body of
// GET_ALL_DELAY_OFFSET: level -> next queue offset to deliver.
type delayOffsetFile struct {
	OffsetTable map[int32]int64 `json:"offsetTable"`
}

func newScheduleService(levels []time.Duration, configDir string, log *slog.Logger, now func() time.Time) *scheduleService {
	s := &scheduleService{
		log:        log.With("component", "schedule"),
		now:        now,
		levels:     levels,
		file:       &progressFile{path: filepath.Join(configDir, "delayOffset.json")},
		offsets:    make([]atomic.Int64, len(levels)),
		known:      make([]atomic.Bool, len(levels)),
		kicks:      make([]chan struct{}, len(levels)),
		retryPause: 100 * time.Millisecond,
	}
	for i := range s.kicks {
		s.kicks[i] = make(chan struct{}, 1)
	}
	return s
}

// load reads delayOffset.json and clamps each level's offset into its
// queue's [min, max], as upstream's correctDelayOffset does.
func (s *scheduleService) load(st *store.Store) error {
	s.st = st
	s.file.st = st
	var f delayOffsetFile
	if _, err := jsonfile.Read(s.file.path, &f); err != nil {
		return fmt.Errorf("load delay offsets: %w", err)
	}
	for level, off := range f.OffsetTable {
		if level < 1 || int(level) > len(s.levels) {
			s.log.Warn("delayOffset.json names a level messageDelayLevel does not have; ignored", "level", level, "levels", len(s.levels))
			continue
		}
		q := level - 1
		lo, hi := st.MinOffsetInQueue(store.ScheduleTopic, q), st.MaxOffsetInQueue(store.ScheduleTopic, q)
		if c := min(max(off, lo), hi); c != off {
			s.log.Error("delay offset outside its queue; corrected", "level", level, "offset", off, "min", lo, "max", hi, "now", c)
			off = c
		}
		s.offsets[q].Store(off)
		s.known[q].Store(true)
	}
	return nil
}

// start runs one delivery goroutine per level and the persist loop, all
// owned by the broker's wait group and stopped by its stop channel.
func (s *scheduleService) start(b *Broker) {
	s.stats = b.stats
	if b.conf().EnableScheduleAsyncDeliver {
		s.log.Info("enableScheduleAsyncDeliver changes nothing in RocketGo: deliveries never wait for a flush, the offset file does")
	}
	for q := range s.levels {
		b.goLoop(func() { s.runLevel(int32(q), b.stop) })
	}
	interval := time.Duration(b.conf().FlushDelayOffsetInterval) * time.Millisecond
	b.goLoop(func() { s.persistLoop(interval, b.stop) })
}

// kick wakes the level of schedule queue q: a message arrived there.
func (s *scheduleService) kick(q int32) {
	if q < 0 || int(q) >= len(s.kicks) {
		return
	}
	select {
	case s.kicks[q] <- struct{}{}:
	default:
	}
}

// runLevel delivers schedule queue q (level q+1) until stop closes.
func (s *scheduleService) runLevel(q int32, stop <-chan struct{}) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		wait, pending := s.deliverDue(q, stop)
		// While the head waits for its time, arrivals (due later) change
		// nothing: only an empty queue listens for them.
		var due <-chan time.Time
		kick := s.kicks[q]
		if pending {
			timer.Reset(wait)
			due, kick = timer.C, nil
		}
		select {
		case <-stop:
			timer.Stop()
			return
		case <-kick:
		case <-due:
		}
		timer.Stop()
	}
}

// deliverDue delivers every due message of queue q from the level's
// offset. It returns how long to wait before looking again, with pending
// false when the queue has nothing left (wait for a kick).
func (s *scheduleService) deliverDue(q int32, stop <-chan struct{}) (wait time.Duration, pending bool) {
	delay := s.levels[q].Milliseconds()
	off := s.offsets[q].Load()
	for {
		select {
		case <-stop:
			return 0, false
		default:
		}
		res, err := s.st.GetMessage("", store.ScheduleTopic, q, off, 64, 0, nil)
		if err != nil {
			return s.retryPause, true // closed: the stop channel ends the loop
		}
		if len(res.Messages) == 0 {
			switch res.Status {
			case store.NoMessageInQueue, store.OffsetOverflowOne, store.NoMatchedLogicQueue:
				return 0, false
			}
			if res.NextBeginOffset == off {
				return s.retryPause, true
			}
			s.log.Warn("delay queue offset moved", "level", q+1, "from", off, "to", res.NextBeginOffset, "status", res.Status.String())
			off = res.NextBeginOffset
			s.setOffset(q, off)
			continue
		}
		for i, raw := range res.Messages {
			qoff := res.QueueOffsets[i]
			rec, err := protocol.ParseMessageRecord(raw)
			if err != nil {
				s.log.Error("unreadable delayed message skipped", "level", q+1, "queueOffset", qoff, "err", err)
				off = qoff + 1
				s.setOffset(q, off)
				continue
			}
			now := s.now().UnixMilli()
			due := rec.StoreTimestamp + delay
			if due > now+delay { // the clock went back: deliver now, as upstream does
				due = now
			}
			if due > now {
				res.Release()
				return time.Duration(due-now) * time.Millisecond, true
			}
			if !s.deliver(&rec, q, qoff) {
				res.Release()
				return s.retryPause, true
			}
			off = qoff + 1
			s.setOffset(q, off)
		}
		res.Release()
		if res.NextBeginOffset > off { // blank units after the last message
			off = res.NextBeginOffset
			s.setOffset(q, off)
		}
	}
}

func (s *scheduleService) setOffset(q int32, off int64) {
	s.offsets[q].Store(off)
	s.known[q].Store(true)
}

// deliver stores a due message in its real topic and queue. It returns
// false when the put failed in a way worth retrying; messages that can
// never be stored are logged and dropped.
func (s *scheduleService) deliver(rec *protocol.MessageRecord, q int32, qoff int64) bool {
	props := protocol.ParseProperties(rec.Properties)
	topic := props[protocol.PropertyRealTopic]
	queueID, err := strconv.ParseInt(props[protocol.PropertyRealQueueID], 10, 32)
	if topic == "" || err != nil {
		s.log.Error("delayed message without a usable REAL_TOPIC/REAL_QID dropped", "level", q+1, "queueOffset", qoff,
			"realTopic", topic, "realQueueId", props[protocol.PropertyRealQueueID])
		return true
	}
	if topic == protocol.TopicTransHalf {
		s.log.Error("delayed message whose real topic is the transaction half topic dropped", "level", q+1, "queueOffset", qoff)
		return true
	}
	// REAL_TOPIC and REAL_QID stay on the record as upstream 4.x leaves
	// them; DELAY goes, or the store would delay the copy again.
	delete(props, protocol.PropertyDelayTimeLevel)
	in := redelivery(rec, topic, int32(queueID), props)
	var stored func(*store.PutResult)
	if s.stats != nil {
		stored = func(res *store.PutResult) { s.stats.recordDelivered(topic, res) }
	}
	return putRedeliveryThen(s.log, s.st, &in, stored, "level", q+1, "queueOffset", qoff)
}

// redelivery is a stored record put again under topic and queue: the same
// body (as stored), flags, born time and hosts and reconsume count, with
// props. WAIT=false: the copy does not wait for a flush (upstream sets it
// too); the progress files wait for the flush instead.
func redelivery(rec *protocol.MessageRecord, topic string, queueID int32, props map[string]string) store.MessageInput {
	props[protocol.PropertyWaitStoreMsgOK] = "false"
	return store.MessageInput{
		Topic: topic, QueueID: queueID, Flag: rec.Flag,
		SysFlag:       rec.SysFlag &^ (protocol.SysFlagBornHostV6 | protocol.SysFlagStoreHostV6),
		BornTimestamp: rec.BornTimestamp, BornHost: rec.BornHost, StoreHost: rec.StoreHost,
		ReconsumeTimes: rec.ReconsumeTimes, Body: rec.Body, Properties: protocol.EncodeProperties(props),
	}
}

// putRedelivery stores in and reports whether the caller may move on:
// true when it is stored or can never be (logged and dropped), false when
// a retry later may succeed.
func putRedelivery(log *slog.Logger, st *store.Store, in *store.MessageInput, logArgs ...any) bool {
	return putRedeliveryThen(log, st, in, nil, logArgs...)
}

// putRedeliveryThen is putRedelivery that also hands a stored result to
// stored (the statistics), when stored is not nil.
func putRedeliveryThen(log *slog.Logger, st *store.Store, in *store.MessageInput, stored func(*store.PutResult), logArgs ...any) bool {
	res := st.PutMessage(in)
	switch {
	case res.Status.Stored():
		if stored != nil {
			stored(&res)
		}
		return true
	case res.Status == store.MessageIllegal || res.Status == store.PropertiesSizeExceeded:
		log.Error("due message cannot be stored; dropped", append(logArgs, "topic", in.Topic, "status", res.Status.String(), "remark", res.Remark)...)
		return true
	}
	log.Warn("due message not stored; will retry", append(logArgs, "topic", in.Topic, "status", res.Status.String(), "remark", res.Remark)...)
	return false
}

// table is the offset table as upstream keeps it: the levels that were
// loaded or have delivered.
func (s *scheduleService) table() map[int32]int64 {
	t := make(map[int32]int64, len(s.offsets))
	for q := range s.offsets {
		if s.known[q].Load() {
			t[int32(q)+1] = s.offsets[q].Load()
		}
	}
	return t
}

// encode writes the offset table as fastjson does: {"offsetTable":{1:12,3:0}}.
func (s *scheduleService) encode() []byte {
	t := s.table()
	levels := make([]int32, 0, len(t))
	for l := range t {
		levels = append(levels, l)
	}
	slices.Sort(levels)
	var b bytes.Buffer
	b.WriteString(`{"offsetTable":{`)
	for i, l := range levels {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d:%d", l, t[l])
	}
	b.WriteString("}}")
	return b.Bytes()
}

// runningStats adds scheduleMessageOffset_<level> = "delivered,max" for
// every level in the table or holding messages (brokerStatus prints them).
func (s *scheduleService) runningStats(m map[string]string) {
	for q := range s.offsets {
		hi := s.st.MaxOffsetInQueue(store.ScheduleTopic, int32(q))
		if !s.known[q].Load() && hi == 0 {
			continue
		}
		m["scheduleMessageOffset_"+strconv.Itoa(q+1)] = strconv.FormatInt(s.offsets[q].Load(), 10) + "," + strconv.FormatInt(hi, 10)
	}
}

// persistLoop writes delayOffset.json every interval.
func (s *scheduleService) persistLoop(interval time.Duration, stop <-chan struct{}) {
	if interval <= 0 {
		interval = 10 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if err := s.file.offer(s.encode()); err != nil {
				s.log.Error("persist delay offsets", "err", err)
			}
		}
	}
}

// persistFinal writes the last progress once the store has been closed
// (and so flushed).
func (s *scheduleService) persistFinal() error {
	return s.file.write(s.encode())
}

// progressFile writes a progress document (delay offsets, the timer
// checkpoint) only once the commit log is flushed past every message the
// document counts as delivered: the copies are stored with WAIT=false, so
// a document written earlier could, after a crash, skip copies that never
// reached the disk.
type progressFile struct {
	path string
	st   *store.Store

	mu      sync.Mutex // the writer loop and Shutdown (if it gave up waiting)
	pending []byte     // offered but not yet durable
	mark    int64      // commit log end when pending was offered
	written []byte     // last content written
}

// offer takes a fresh document: it is written at once when the commit log
// is already flushed to its end, else kept until a later offer finds the
// flush past it (the newer document then waits its turn).
func (p *progressFile) offer(doc []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	flushed := p.st.CommitLogFlushedOffset()
	if p.pending != nil && flushed >= p.mark {
		if err := p.writeLocked(p.pending); err != nil {
			return err
		}
		p.pending = nil
	}
	if bytes.Equal(doc, p.written) {
		return nil
	}
	mark := p.st.CommitLogMaxOffset()
	if p.st.CommitLogFlushedOffset() >= mark {
		p.pending = nil
		return p.writeLocked(doc)
	}
	if p.pending == nil {
		p.pending, p.mark = doc, mark
	}
	return nil
}

// write stores doc now; for the last progress, once the store is closed.
func (p *progressFile) write(doc []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.writeLocked(doc)
}

func (p *progressFile) writeLocked(doc []byte) error {
	if bytes.Equal(doc, p.written) {
		return nil
	}
	if err := jsonfile.WriteBytes(p.path, append(slices.Clone(doc), '\n')); err != nil {
		return err
	}
	p.written = slices.Clone(doc)
	return nil
}

// arrived is the store's dispatch callback: it wakes held pulls, and the
// delay level or the timer a message arrived for.
func (b *Broker) arrived(a store.Arrival) {
	b.holds.arrived(a)
	switch a.Topic {
	case store.ScheduleTopic:
		b.schedule.kick(a.QueueID)
	case timerTopic:
		b.timer.kick()
	}
}
