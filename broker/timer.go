package broker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store"
	"github.com/rocketgo/rocketgo/store/jsonfile"
)

// timerTopic is where 5.x keeps timer messages until they are due
// (TimerMessageStore.TIMER_TOPIC).
const timerTopic = protocol.SystemTopicPrefix + "wheel_timer"

// Properties 5.x puts on timer messages (MessageConst).
const (
	propertyTimerOutMS      = "TIMER_OUT_MS"      // the delivery time, set by the broker
	propertyTimerEnqueueMS  = "TIMER_ENQUEUE_MS"  // when the timer took the record
	propertyTimerDequeueMS  = "TIMER_DEQUEUE_MS"  // when the timer let it go
	propertyTimerRollTimes  = "TIMER_ROLL_TIMES"  // how often it was copied forward
	propertyTimerDelUniqKey = "TIMER_DEL_UNIQKEY" // "<topic>+<UNIQ_KEY>": cancels that pending timer message
)

// timerService delivers timer messages: messages with TIMER_DELIVER_MS
// (absolute ms), TIMER_DELAY_SEC or TIMER_DELAY_MS, as RocketMQ 5.x does.
//
// The send path (checkTimer) stores such a message in rmq_sys_wheel_timer
// queue 0 with TIMER_OUT_MS (the start of its tick, as 5.x writes it) and
// REAL_TOPIC/REAL_QID. One goroutine reads that queue in order and keeps,
// per pending message, only its fire time and where its record is (a
// 32-byte entry) in a heap; when an entry fires the record is read back
// and stored in its real topic, or, if its delivery time is further away
// than the roll window (timerRollWindowSlot ticks of timerPrecisionMs),
// copied to the end of the timer topic to wait there again.
//
// A timer record with TIMER_DEL_UNIQKEY "<topic>+<UNIQ_KEY>" is a cancel
// (5.x's recall): while it is pending, the message of that topic and
// UNIQ_KEY due at or before the cancel's own delivery time is dropped
// when it fires, and the cancel is dropped at its delivery time; neither
// is delivered. Cancels wait and roll like other records, so a restart
// reads them again (see cancels).
//
// Progress is a checkpoint (timerCheckpoint.json): every record of the
// timer queue below lowOffset is handled; between lowOffset and
// scanOffset a record is handled exactly when its fire time, computed
// with the tick and roll window the checkpoint names, is at most
// doneUntilMs (less than the earliest pending fire time); records from
// scanOffset on were never read. The rules of earlier runs whose scan
// offset is still above lowOffset are kept too (earlier): a record the
// last run skipped as handled by them stays handled. A restart rescans
// from lowOffset with these rules, so nothing is lost, also when the
// settings changed; duplicates are limited to what was delivered after
// the last checkpoint.
type timerService struct {
	st         *store.Store // set by load
	log        *slog.Logger
	now        func() time.Time
	file       *progressFile
	retryPause time.Duration
	kicks      chan struct{}

	// Set before the run goroutine starts (and before sends are served),
	// then only read: timerPrecisionMs and the roll window.
	precision  time.Duration
	rollWindow time.Duration

	// Owned by the run goroutine.
	q      timerQueue
	scan   int64           // next queue offset to read
	resume timerCheckpoint // what the last run had handled
	rules  []timerRule     // resume's rules, which decide what a rescan skips
	// cancels maps the "<topic>+<UNIQ_KEY>" of every pending cancel to the
	// latest delivery time among them: a message with that key due at or
	// before it is dropped.
	cancels map[string]int64

	final atomic.Pointer[[]byte] // checkpoint at exit, written by persistFinal

	// For runtime info.
	scanned  atomic.Int64 // t.scan
	pending  atomic.Int64 // len(t.q)
	earliest atomic.Int64 // fire time of the heap's top, math.MaxInt64 when empty
}

// timerCheckpoint is the content of timerCheckpoint.json.
type timerCheckpoint struct {
	ScanOffset   int64       `json:"scanOffset"`
	LowOffset    int64       `json:"lowOffset"`
	DoneUntilMs  int64       `json:"doneUntilMs"`
	RollWindowMs int64       `json:"rollWindowMs"`
	PrecisionMs  int64       `json:"precisionMs"` // 0: written before timerPrecisionMs, fire times to the millisecond
	Earlier      []timerRule `json:"earlier,omitempty"`
}

// timerRule says which records below ScanOffset a run had handled: those
// whose fire time, computed with its roll window and tick, is at most
// DoneUntilMs.
type timerRule struct {
	ScanOffset   int64 `json:"scanOffset"`
	DoneUntilMs  int64 `json:"doneUntilMs"`
	RollWindowMs int64 `json:"rollWindowMs"`
	PrecisionMs  int64 `json:"precisionMs"`
}

// maxTimerRules bounds the rules a checkpoint carries; dropping the
// oldest can only repeat deliveries, never lose one.
const maxTimerRules = 8

// handled reports whether the rule covers the record at qoff with
// TIMER_OUT_MS out stored at storeTs.
func (r *timerRule) handled(qoff int64, out []byte, storeTs int64) bool {
	if qoff >= r.ScanOffset || r.RollWindowMs <= 0 || r.PrecisionMs < 0 {
		return false // a rule that cannot be right handles nothing
	}
	deliver := storeTs
	if ms, err := strconv.ParseInt(string(out), 10, 64); err == nil {
		deliver = ms
		if r.PrecisionMs > 0 {
			deliver = tickEnd(ms, r.PrecisionMs)
		}
	}
	return min(deliver, storeTs+r.RollWindowMs) <= r.DoneUntilMs
}

// newTimerService makes a timer with 5.x's default settings; start
// applies the broker's.
func newTimerService(configDir string, log *slog.Logger, now func() time.Time) *timerService {
	d := config.DefaultTimer()
	t := &timerService{
		log:        log.With("component", "timer"),
		now:        now,
		file:       &progressFile{path: filepath.Join(configDir, "timerCheckpoint.json")},
		precision:  d.TimerPrecision(),
		rollWindow: d.TimerRollWindow(),
		retryPause: 100 * time.Millisecond,
		kicks:      make(chan struct{}, 1),
		cancels:    make(map[string]int64),
	}
	t.earliest.Store(math.MaxInt64)
	return t
}

// load reads the checkpoint; the run goroutine rescans from its low offset.
func (t *timerService) load(st *store.Store) error {
	t.st = st
	t.file.st = st
	var c timerCheckpoint
	found, err := jsonfile.Read(t.file.path, &c)
	if err != nil {
		return fmt.Errorf("load timer checkpoint: %w", err)
	}
	if !found {
		return nil
	}
	if c.LowOffset < 0 || c.ScanOffset < c.LowOffset {
		return fmt.Errorf("load timer checkpoint %s: lowOffset %d and scanOffset %d are not 0 <= low <= scan", t.file.path, c.LowOffset, c.ScanOffset)
	}
	lo, hi := st.MinOffsetInQueue(timerTopic, 0), st.MaxOffsetInQueue(timerTopic, 0)
	if c.LowOffset < lo {
		t.log.Error("timer messages expired from the commit log before delivery", "from", c.LowOffset, "to", lo)
	}
	if c.ScanOffset > hi {
		t.log.Error("timer checkpoint is past the end of the timer queue; restarting at the end", "scanOffset", c.ScanOffset, "max", hi)
		c.ScanOffset = hi
		c.LowOffset = min(c.LowOffset, hi)
	}
	t.resume = c
	t.scan = min(max(c.LowOffset, lo), hi)
	t.scanned.Store(t.scan)
	return nil
}

// start applies the broker's timer settings and runs the timer goroutine,
// owned and stopped by the broker.
func (t *timerService) start(b *Broker) {
	cfg := b.conf()
	t.precision, t.rollWindow = cfg.TimerPrecision(), cfg.TimerRollWindow()
	if kept := time.Duration(cfg.FileReservedTime) * time.Hour; t.rollWindow >= kept {
		t.log.Warn("the timer roll window is not shorter than fileReservedTime: timer records may expire before they are copied forward",
			"rollWindow", t.rollWindow, "fileReservedTime", kept)
	}
	interval := time.Duration(cfg.FlushDelayOffsetInterval) * time.Millisecond
	b.goLoop(func() { t.run(interval, b.stop) })
}

// adoptCheckpoint takes the loaded checkpoint's rules for the rescan.
func (t *timerService) adoptCheckpoint() {
	c := &t.resume
	t.rules = append([]timerRule(nil), c.Earlier...)
	if c.ScanOffset > c.LowOffset {
		t.rules = append(t.rules, timerRule{ScanOffset: c.ScanOffset, DoneUntilMs: c.DoneUntilMs, RollWindowMs: c.RollWindowMs, PrecisionMs: c.PrecisionMs})
	}
	if c.ScanOffset > 0 && (c.RollWindowMs != t.rollWindow.Milliseconds() || c.PrecisionMs != t.precision.Milliseconds()) {
		t.log.Info("timer roll window or tick changed since the checkpoint; records read before are judged with the settings they were read with",
			"rollWindowWas", time.Duration(c.RollWindowMs)*time.Millisecond, "rollWindow", t.rollWindow,
			"precisionWas", time.Duration(c.PrecisionMs)*time.Millisecond, "precision", t.precision)
	}
}

// handledBefore reports whether an earlier run had handled a record.
func (t *timerService) handledBefore(qoff int64, out []byte, storeTs int64) bool {
	for i := range t.rules {
		if t.rules[i].handled(qoff, out, storeTs) {
			return true
		}
	}
	return false
}

// kick wakes the timer: a record arrived in the timer topic.
func (t *timerService) kick() {
	select {
	case t.kicks <- struct{}{}:
	default:
	}
}

// scanBatch bounds how many records one scan step reads, so firing due
// entries is not held up by a long backlog.
const scanBatch = 4096

func (t *timerService) run(persistEvery time.Duration, stop <-chan struct{}) {
	if persistEvery <= 0 {
		persistEvery = 10 * time.Second
	}
	persist := time.NewTicker(persistEvery)
	defer persist.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	defer func() {
		c := t.checkpoint()
		t.final.Store(&c)
	}()
	t.adoptCheckpoint()
	// Read everything the last run had read before firing anything: a
	// cancel may sit behind the message it cancels.
	for t.scan < t.resume.ScanOffset && t.scanSome(scanBatch) {
		select {
		case <-stop:
			return
		default:
		}
	}
	for {
		more := t.scanSome(scanBatch)
		wait, pending := t.fireDue(stop)
		t.publish()
		var due <-chan time.Time
		if more {
			wait, pending = 0, true
		}
		if pending {
			timer.Reset(wait)
			due = timer.C
		}
		select {
		case <-stop:
			return
		case <-persist.C:
			if err := t.file.offer(t.checkpoint()); err != nil {
				t.log.Error("persist timer checkpoint", "err", err)
			}
			t.pruneCancels()
		case <-t.kicks:
		case <-due:
		}
		timer.Stop()
	}
}

// scanSome reads up to limit new records of the timer queue into the heap
// and reports whether more are waiting.
func (t *timerService) scanSome(limit int) bool {
	for n := 0; n < limit; {
		res, err := t.st.GetMessage("", timerTopic, 0, t.scan, 256, 0, nil)
		if err != nil {
			return false
		}
		if len(res.Messages) == 0 {
			if res.NextBeginOffset == t.scan {
				return false
			}
			switch res.Status {
			case store.NoMessageInQueue, store.OffsetOverflowOne, store.NoMatchedLogicQueue:
				return false
			}
			t.log.Error("timer queue offset moved; messages in between are lost", "from", t.scan, "to", res.NextBeginOffset, "status", res.Status.String())
			t.scan = res.NextBeginOffset
			continue
		}
		for i, raw := range res.Messages {
			t.enqueue(raw, res.QueueOffsets[i])
		}
		n += len(res.Messages)
		t.scan = max(t.scan, res.NextBeginOffset)
		res.Release()
	}
	return true
}

// enqueue adds one timer record to the heap, unless the last run handled it.
func (t *timerService) enqueue(raw []byte, qoff int64) {
	rec, err := protocol.ParseMessageRecord(raw)
	if err != nil {
		t.log.Error("unreadable timer record skipped", "queueOffset", qoff, "err", err)
		return
	}
	out, cancel := timerProperties(rec.Properties)
	if t.handledBefore(qoff, out, rec.StoreTimestamp) {
		return
	}
	deliver := t.deliverTime(out, rec.StoreTimestamp)
	fire := t.fireAt(deliver, rec.StoreTimestamp)
	e := timerEntry{fireAt: fire, qoff: qoff, phy: rec.PhysicalOffset, size: rec.TotalSize}
	if cancel != nil {
		e.cancel = true
		if until, ok := t.cancels[string(cancel)]; !ok || until < deliver {
			t.cancels[string(cancel)] = deliver
		}
	}
	t.q.push(e)
}

// timerProperties finds TIMER_OUT_MS and TIMER_DEL_UNIQKEY in one pass
// over encoded properties (nil when absent or empty, the last one when
// repeated, as protocol.LookupProperty): the scan runs for every record
// the timer reads.
func timerProperties(props []byte) (out, cancel []byte) {
	for len(props) > 0 {
		piece := props
		if i := bytes.IndexByte(props, protocol.PropertySeparator); i >= 0 {
			piece, props = props[:i], props[i+1:]
		} else {
			props = nil
		}
		if v, ok := propertyValue(piece, propertyTimerOutMS); ok {
			out = v
		} else if v, ok := propertyValue(piece, propertyTimerDelUniqKey); ok {
			cancel = v
		}
	}
	return out, cancel
}

// propertyValue is the value of one name\x01value piece if it has name
// and a value.
func propertyValue(piece []byte, name string) ([]byte, bool) {
	if len(piece) <= len(name)+1 || piece[len(name)] != protocol.NameValueSeparator || string(piece[:len(name)]) != name {
		return nil, false
	}
	return piece[len(name)+1:], true
}

// deliverTime is when a timer record is delivered: the end of the tick
// that starts at its TIMER_OUT_MS, as 5.x's wheel reads a slot once the
// clock has passed it. A record without TIMER_OUT_MS (not written by
// checkTimer) is due at once, at its store time.
func (t *timerService) deliverTime(out []byte, storeTs int64) int64 {
	ms, err := strconv.ParseInt(string(out), 10, 64)
	if err != nil {
		return storeTs
	}
	return tickEnd(ms, t.precision.Milliseconds())
}

// tickEnd is the first multiple of tick after ms.
func tickEnd(ms, tick int64) int64 {
	start := ms - ms%tick
	if ms < 0 && start != ms {
		start -= tick // floor, not toward zero
	}
	if start > math.MaxInt64-tick {
		return math.MaxInt64
	}
	return start + tick
}

// tickStart is the TIMER_OUT_MS 5.x writes for a message asked for at ms:
// the start of the tick whose end is the first tick boundary at or after
// ms.
func tickStart(ms, tick int64) int64 {
	if r := ((ms % tick) + tick) % tick; r != 0 {
		return ms - r
	}
	return ms - tick
}

// fireAt is when an entry is looked at again: its delivery time, or the
// end of the roll window after it was stored, whichever is sooner. It
// depends on the record only, so a restart computes the same.
func (t *timerService) fireAt(deliverAt, storeTs int64) int64 {
	return min(deliverAt, storeTs+t.rollWindow.Milliseconds())
}

// fireDue handles every entry whose fire time has come and returns how
// long until the next one (pending false when none is left).
func (t *timerService) fireDue(stop <-chan struct{}) (wait time.Duration, pending bool) {
	for i := 0; ; i++ {
		e, ok := t.q.peek()
		if !ok {
			return 0, false
		}
		now := t.now().UnixMilli()
		if e.fireAt > now {
			return time.Duration(e.fireAt-now) * time.Millisecond, true
		}
		if i%256 == 255 {
			select {
			case <-stop:
				return 0, false
			default:
			}
		}
		t.q.pop()
		if !t.fire(e, now) {
			t.q.push(e)
			return t.retryPause, true
		}
	}
}

// fire delivers an entry's record to its real topic, or rolls it when its
// delivery time is still ahead. It returns false when the put should be
// retried.
func (t *timerService) fire(e timerEntry, now int64) bool {
	view, err := t.st.SelectOneMessageByOffset(e.phy, int(e.size))
	if err != nil {
		if !t.st.IsOpen() {
			return false
		}
		t.log.Error("timer record gone from the commit log before delivery; dropped", "queueOffset", e.qoff, "phyOffset", e.phy, "err", err)
		return true
	}
	defer view.Release()
	rec, err := protocol.ParseMessageRecord(view.Bytes)
	if err != nil {
		t.log.Error("unreadable timer record dropped", "queueOffset", e.qoff, "err", err)
		return true
	}
	props := protocol.ParseProperties(rec.Properties)
	out, _ := timerProperties(rec.Properties)
	deliver := t.deliverTime(out, rec.StoreTimestamp)
	if e.cancel {
		if deliver <= now {
			// Its time has come: the messages it covers have fired.
			key := props[propertyTimerDelUniqKey]
			if t.cancels[key] <= deliver {
				delete(t.cancels, key)
			}
			return true
		}
	} else if len(t.cancels) > 0 {
		key := cancelKey(props[protocol.PropertyRealTopic], props[protocol.PropertyUniqClientMessageID])
		if until, ok := t.cancels[key]; ok && deliver <= until {
			t.log.Info("timer message cancelled", "key", key, "queueOffset", e.qoff)
			return true
		}
	}
	props[propertyTimerEnqueueMS] = strconv.FormatInt(rec.StoreTimestamp, 10)
	props[propertyTimerDequeueMS] = strconv.FormatInt(now, 10)
	if deliver > now {
		rolls, _ := strconv.Atoi(props[propertyTimerRollTimes])
		props[propertyTimerRollTimes] = strconv.Itoa(rolls + 1)
		in := redelivery(&rec, timerTopic, 0, props)
		return putRedelivery(t.log, t.st, &in, "timer", "roll", "queueOffset", e.qoff)
	}
	topic := props[protocol.PropertyRealTopic]
	queueID, err := strconv.ParseInt(props[protocol.PropertyRealQueueID], 10, 32)
	if topic == "" || err != nil || topic == protocol.TopicTransHalf {
		t.log.Error("timer message without a usable real topic dropped", "queueOffset", e.qoff,
			"realTopic", topic, "realQueueId", props[protocol.PropertyRealQueueID])
		return true
	}
	// 5.x takes REAL_TOPIC and REAL_QID off the delivered copy.
	delete(props, protocol.PropertyRealTopic)
	delete(props, protocol.PropertyRealQueueID)
	in := redelivery(&rec, topic, int32(queueID), props)
	return putRedelivery(t.log, t.st, &in, "timer", "deliver", "queueOffset", e.qoff)
}

// pruneCancels forgets cancels that can no longer match a message read
// into the heap: their time is before every pending fire time. A cancel
// leaves t.cancels when it fires; this catches those whose record could
// not be read back then.
func (t *timerService) pruneCancels() {
	top := int64(math.MaxInt64)
	if e, ok := t.q.peek(); ok {
		top = e.fireAt
	}
	for key, until := range t.cancels {
		if until < top && until < t.now().UnixMilli() {
			delete(t.cancels, key)
		}
	}
}

// checkpoint encodes the progress (see timerService).
func (t *timerService) checkpoint() []byte {
	c := t.resume
	if t.scan >= t.resume.ScanOffset {
		c = timerCheckpoint{ScanOffset: t.scan, RollWindowMs: t.rollWindow.Milliseconds(), PrecisionMs: t.precision.Milliseconds()}
		c.LowOffset = t.q.minQueueOffset(t.scan)
		c.DoneUntilMs = math.MaxInt64
		if e, ok := t.q.peek(); ok {
			c.DoneUntilMs = e.fireAt - 1
		}
		if c.LowOffset == c.ScanOffset {
			c.DoneUntilMs = 0 // nothing between: the rule is void
		}
		for _, r := range t.rules {
			if r.ScanOffset > c.LowOffset {
				c.Earlier = append(c.Earlier, r)
			}
		}
		c.Earlier = c.Earlier[max(len(c.Earlier)-maxTimerRules, 0):]
	} // else stopped while rescanning what the last run had read: nothing fired since
	b, _ := json.Marshal(&c) // plain integers: cannot fail
	return b
}

// publish copies what runtime info shows.
func (t *timerService) publish() {
	t.scanned.Store(t.scan)
	t.pending.Store(int64(len(t.q)))
	if e, ok := t.q.peek(); ok {
		t.earliest.Store(e.fireAt)
	} else {
		t.earliest.Store(math.MaxInt64)
	}
}

// runningStats adds upstream 5.x's timer figures that RocketGo measures:
// timerOffsetBehind (timer records not read yet) and timerReadBehind
// (seconds the earliest pending message is overdue).
func (t *timerService) runningStats(m map[string]string) {
	behind := max(t.st.MaxOffsetInQueue(timerTopic, 0)-t.scanned.Load(), 0)
	m["timerOffsetBehind"] = strconv.FormatInt(behind, 10)
	late := int64(0)
	if e := t.earliest.Load(); e != math.MaxInt64 {
		late = max(t.now().UnixMilli()-e, 0) / 1000
	}
	m["timerReadBehind"] = strconv.FormatInt(late, 10)
}

// persistFinal writes the checkpoint taken when the run goroutine ended,
// once the store has been closed (and so flushed).
func (t *timerService) persistFinal() error {
	c := t.final.Load()
	if c == nil {
		return nil
	}
	return t.file.write(*c)
}
