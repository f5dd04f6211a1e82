package store

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store/commitlog"
)

// PutStatus is the outcome of a put, named as upstream's PutMessageStatus.
type PutStatus int

// Put statuses.
const (
	PutOK PutStatus = iota
	FlushDiskTimeout
	FlushSlaveTimeout
	SlaveNotAvailable
	ServiceNotAvailable
	CreateMappedFileFailed
	MessageIllegal
	PropertiesSizeExceeded
	OSPageCacheBusy
	UnknownError
)

var putStatusNames = [...]string{
	PutOK:                  "PUT_OK",
	FlushDiskTimeout:       "FLUSH_DISK_TIMEOUT",
	FlushSlaveTimeout:      "FLUSH_SLAVE_TIMEOUT",
	SlaveNotAvailable:      "SLAVE_NOT_AVAILABLE",
	ServiceNotAvailable:    "SERVICE_NOT_AVAILABLE",
	CreateMappedFileFailed: "CREATE_MAPEDFILE_FAILED",
	MessageIllegal:         "MESSAGE_ILLEGAL",
	PropertiesSizeExceeded: "PROPERTIES_SIZE_EXCEEDED",
	OSPageCacheBusy:        "OS_PAGECACHE_BUSY",
	UnknownError:           "UNKNOWN_ERROR",
}

func (p PutStatus) String() string {
	if p >= 0 && int(p) < len(putStatusNames) {
		return putStatusNames[p]
	}
	return "PutStatus(" + strconv.Itoa(int(p)) + ")"
}

// Stored reports whether the message is in the commit log: PUT_OK and the
// statuses that only say a flush or replica wait fell short.
func (p PutStatus) Stored() bool {
	return p == PutOK || p == FlushDiskTimeout || p == FlushSlaveTimeout || p == SlaveNotAvailable
}

// ScheduleTopic is where delayed messages wait for their delivery time.
const ScheduleTopic = "SCHEDULE_TOPIC_XXXX"

// MessageInput is one message to store. Properties is the encoded
// properties string (protocol.EncodeProperties). The store reads, but
// never keeps, Body after the put returns.
type MessageInput struct {
	Topic                     string
	QueueID                   int32
	Flag                      int32
	SysFlag                   int32
	BornTimestamp             int64
	BornHost                  netip.AddrPort
	StoreHost                 netip.AddrPort
	ReconsumeTimes            int32
	PreparedTransactionOffset int64
	Body                      []byte
	Properties                string
}

// BatchInput is a batch: messages sharing topic, queue and hosts, stored as
// consecutive records with consecutive queue offsets, all in one segment.
type BatchInput struct {
	Topic         string
	QueueID       int32
	SysFlag       int32
	BornTimestamp int64
	BornHost      netip.AddrPort
	StoreHost     netip.AddrPort
	// Properties are appended to every message's own properties (upstream
	// adds the batch's properties, e.g. CLUSTER, to each inner message).
	Properties string
	// WaitStoreMsgOK is the batch's WAIT flag.
	WaitStoreMsgOK bool
	Messages       []BatchMessage
}

// BatchMessage is one message of a batch.
type BatchMessage struct {
	Flag       int32
	Body       []byte
	Properties string
}

// PutResult tells where a put went.
type PutResult struct {
	Status         PutStatus
	Remark         string // why, when Status is not PUT_OK
	WroteOffset    int64  // physical offset of the (first) record
	WroteBytes     int    // bytes of the record(s)
	QueueOffset    int64  // queue offset of the (first) message
	MsgNum         int
	StoreTimestamp int64
	StoreHost      netip.AddrPort
	PageCacheRT    int64 // ms spent holding the put lock

	batchOffsets []int64 // physical offset of each batch message
}

// MsgID is the offset message id of the stored record(s); a batch's ids are
// joined with ','. It is empty when nothing was stored.
func (r *PutResult) MsgID() string {
	if !r.Status.Stored() {
		return ""
	}
	if r.batchOffsets == nil {
		return protocol.EncodeOffsetMsgID(r.StoreHost, r.WroteOffset)
	}
	var b []byte
	for i, off := range r.batchOffsets {
		if i > 0 {
			b = append(b, ',')
		}
		b = protocol.AppendOffsetMsgID(b, r.StoreHost, off)
	}
	return string(b)
}

func refuse(status PutStatus, format string, args ...any) PutResult {
	return PutResult{Status: status, Remark: fmt.Sprintf(format, args...)}
}

// propsView aliases a properties string as bytes for read-only lookups.
func propsView(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// checkWriteable refuses puts the store cannot take now.
func (s *Store) checkWriteable() (PutResult, bool) {
	switch {
	case s.closed.Load():
		return refuse(ServiceNotAvailable, "message store is closed"), false
	case s.Role() == Slave:
		return refuse(ServiceNotAvailable, "message store is a slave and does not accept puts"), false
	case s.diskFull.Load():
		return refuse(ServiceNotAvailable, "message store is not writeable: disk full (usage above %.0f%%)", s.opts.DiskSpaceWarningLevelRatio*100), false
	case s.logicsError.Load():
		return refuse(ServiceNotAvailable, "message store is not writeable: a consume queue could not be written"), false
	case s.IsOSPageCacheBusy():
		return refuse(OSPageCacheBusy, "[PC_SYNCHRONIZED]broker busy, the put lock has been held for %d ms", s.LockTimeMills()), false
	}
	return PutResult{}, true
}

func (s *Store) checkTopic(topic string) (PutResult, bool) {
	if topic == "" {
		return refuse(MessageIllegal, "empty topic"), false
	}
	if len(topic) > protocol.MaxTopicLengthV1 {
		return refuse(MessageIllegal, "topic of %d bytes is longer than %d", len(topic), protocol.MaxTopicLengthV1), false
	}
	// The consume queue directory is named after the topic.
	if topic == "." || topic == ".." || strings.ContainsAny(topic, "/\\\x00") {
		return refuse(MessageIllegal, "topic %q cannot name a consume queue directory", topic), false
	}
	return PutResult{}, true
}

// PutMessage stores one message and, per flushDiskType and the message's
// WAIT property, waits for it to be flushed.
func (s *Store) PutMessage(in *MessageInput) PutResult {
	begin := time.Now()
	res := s.putMessage(in)
	s.stats.recordPut(in.Topic, res, time.Since(begin))
	return res
}

func (s *Store) putMessage(in *MessageInput) PutResult {
	res, wait := s.appendMessage(in)
	if res.Status == PutOK {
		s.finishPut(&res, wait)
	}
	return res
}

// appendMessage validates and appends one message without waiting for its
// flush; wait is the message's WAIT flag. A status other than PUT_OK means
// nothing was stored.
func (s *Store) appendMessage(in *MessageInput) (res PutResult, wait bool) {
	if res, ok := s.checkWriteable(); !ok {
		return res, false
	}
	if res, ok := s.checkTopic(in.Topic); !ok {
		return res, false
	}
	limits := s.limits.Load()
	if len(in.Body) > limits.body {
		return refuse(MessageIllegal, "message body of %d bytes exceeds maxMessageSize %d", len(in.Body), limits.body), false
	}
	if len(in.Properties) > protocol.MaxPropertiesSize {
		return refuse(PropertiesSizeExceeded, "properties of %d bytes exceed %d", len(in.Properties), protocol.MaxPropertiesSize), false
	}
	m := commitlog.Message{
		Topic: in.Topic, QueueID: in.QueueID, Flag: in.Flag, SysFlag: in.SysFlag,
		BornTimestamp: in.BornTimestamp, BornHost: in.BornHost, StoreHost: in.StoreHost,
		ReconsumeTimes: in.ReconsumeTimes, PreparedTransactionOffset: in.PreparedTransactionOffset,
		Body: in.Body, Properties: in.Properties,
	}
	// Prepared and rolled-back transaction records are neither delayed nor
	// given a queue offset (they take 0 and do not advance the queue).
	advance := commitlog.IsDispatchedToQueue(m.SysFlag)
	if advance {
		if err := s.rewriteDelayed(&m); err != nil {
			return refuse(PropertiesSizeExceeded, "%v", err), false
		}
	}
	if size := m.Size(); size > limits.record {
		return refuse(MessageIllegal, "record of %d bytes exceeds the limit of %d", size, limits.record), false
	}
	m.BodyCRC = protocol.BodyCRC(m.Body)

	a, err := s.appendLocked(queueKey{m.Topic, m.QueueID}, 1, advance, func(queueOffset, storeTs int64) (commitlog.Appended, error) {
		return s.commitLog.Append(&m, queueOffset, storeTs)
	})
	if a.held > 500*time.Millisecond {
		s.log.Warn("put lock held too long", "ms", a.held.Milliseconds(), "bytes", m.Size())
	}
	if err != nil {
		return s.appendFailed(err), false
	}
	res = PutResult{
		Status: PutOK, WroteOffset: a.app.Offset, WroteBytes: a.app.Size, QueueOffset: a.queueOffset,
		MsgNum: 1, StoreTimestamp: a.storeTs, StoreHost: in.StoreHost, PageCacheRT: a.held.Milliseconds(),
	}
	wait = true
	if v, ok := protocol.LookupProperty(propsView(in.Properties), protocol.PropertyWaitStoreMsgOK); ok {
		wait = strings.EqualFold(string(v), "true")
	}
	return res, wait
}

// MaxMessageSize is the body limit in effect (maxMessageSize).
func (s *Store) MaxMessageSize() int { return s.limits.Load().body }

// SetMaxMessageSize changes maxMessageSize of a running store (mqadmin
// updateBrokerConfig): puts validated from now on are held to it. A limit
// above what a commit log segment can hold is accepted; records are then
// capped by the segment size, as at Open.
func (s *Store) SetMaxMessageSize(n int) error {
	if n <= 0 {
		return fmt.Errorf("store option maxMessageSize: %d must be positive", n)
	}
	s.limits.Store(newSizeLimits(n, s.opts.MappedFileSizeCommitLog))
	return nil
}

// appendFailed maps a commit log error to a put status.
func (s *Store) appendFailed(err error) PutResult {
	switch {
	case errors.Is(err, ErrClosed):
		return refuse(ServiceNotAvailable, "message store is closed")
	case errors.Is(err, commitlog.ErrCreateFile):
		s.log.Error("create commit log segment", "err", err)
		return refuse(CreateMappedFileFailed, "create commit log segment failed: %v", err)
	case errors.Is(err, commitlog.ErrRecordTooLarge):
		return refuse(MessageIllegal, "%v", err)
	case errors.Is(err, commitlog.ErrPropertiesTooLarge):
		return refuse(PropertiesSizeExceeded, "%v", err)
	}
	s.log.Error("append to commit log", "err", err)
	return refuse(UnknownError, "append to commit log failed: %v", err)
}

// finishPut waits for the flush, and on a SYNC_MASTER for the replica, as
// the configuration and the message's WAIT flag ask; the replica status
// wins when both fall short.
func (s *Store) finishPut(res *PutResult, wait bool) {
	end := res.WroteOffset + int64(res.WroteBytes)
	s.setFlushStatus(res, s.flusher.flushFor(end, wait))
	if h := s.replica.Load(); h != nil && wait && s.Role() == SyncMaster {
		if status := h.wait(end); status != PutOK {
			res.Status = status
			res.Remark = fmt.Sprintf("stored at offset %d but not replicated: %v", res.WroteOffset, status)
		}
	}
}

// setFlushStatus records a flush wait that fell short in res.
func (s *Store) setFlushStatus(res *PutResult, status PutStatus) {
	if status != PutOK {
		res.Status = status
		res.Remark = fmt.Sprintf("stored at offset %d but not flushed within syncFlushTimeout %d ms", res.WroteOffset, s.opts.SyncFlushTimeout)
	}
}

// rewriteDelayed moves a message with DELAY > 0 into the schedule topic:
// REAL_TOPIC/REAL_QID keep where it goes, the queue is the level - 1.
func (s *Store) rewriteDelayed(m *commitlog.Message) error {
	v, ok := protocol.LookupProperty(propsView(m.Properties), protocol.PropertyDelayTimeLevel)
	if !ok {
		return nil
	}
	level, err := strconv.Atoi(string(v))
	if err != nil || level <= 0 {
		return nil // upstream treats an unusable level as no delay
	}
	level = min(level, len(s.st.delayLevels))
	props := protocol.ParsePropertiesString(m.Properties)
	props[protocol.PropertyRealTopic] = m.Topic
	props[protocol.PropertyRealQueueID] = strconv.Itoa(int(m.QueueID))
	props[protocol.PropertyDelayTimeLevel] = strconv.Itoa(level)
	encoded := protocol.EncodeProperties(props)
	if len(encoded) > protocol.MaxPropertiesSize {
		return fmt.Errorf("properties of the delayed message grow to %d bytes, above %d", len(encoded), protocol.MaxPropertiesSize)
	}
	m.Properties = encoded
	m.Topic = ScheduleTopic
	m.QueueID = int32(level - 1)
	return nil
}

// PutMessages stores a batch: every message is its own record, the records
// are consecutive in one segment and take consecutive queue offsets.
func (s *Store) PutMessages(in *BatchInput) PutResult {
	begin := time.Now()
	res := s.putMessages(in)
	s.stats.recordPut(in.Topic, res, time.Since(begin))
	return res
}

func (s *Store) putMessages(in *BatchInput) PutResult {
	res := s.appendMessages(in)
	if res.Status == PutOK {
		s.finishPut(&res, in.WaitStoreMsgOK)
	}
	return res
}

// appendMessages validates and appends a batch without waiting for its
// flush. A status other than PUT_OK means nothing was stored.
func (s *Store) appendMessages(in *BatchInput) PutResult {
	if res, ok := s.checkWriteable(); !ok {
		return res
	}
	if res, ok := s.checkTopic(in.Topic); !ok {
		return res
	}
	if len(in.Messages) == 0 {
		return refuse(MessageIllegal, "empty batch")
	}
	if commitlog.TransactionType(in.SysFlag) != protocol.SysFlagTransactionNotType {
		return refuse(MessageIllegal, "a batch cannot be a transactional message")
	}
	msgs := make([]commitlog.Message, len(in.Messages))
	bodies, total := 0, 0
	for i := range in.Messages {
		bm := &in.Messages[i]
		if _, ok := protocol.LookupProperty(propsView(bm.Properties), protocol.PropertyDelayTimeLevel); ok {
			return refuse(MessageIllegal, "batch message %d: a batch cannot hold delayed messages", i)
		}
		msgs[i] = commitlog.Message{
			Topic: in.Topic, QueueID: in.QueueID, Flag: bm.Flag, SysFlag: in.SysFlag,
			BornTimestamp: in.BornTimestamp, BornHost: in.BornHost, StoreHost: in.StoreHost,
			Body: bm.Body, BodyCRC: protocol.BodyCRC(bm.Body),
			Properties: bm.Properties, ExtraProperties: in.Properties,
		}
		if err := msgs[i].Validate(); err != nil {
			return refuse(PropertiesSizeExceeded, "batch message %d: %v", i, err)
		}
		bodies += len(bm.Body)
		total += msgs[i].Size()
	}
	limits := s.limits.Load()
	if bodies > limits.body {
		return refuse(MessageIllegal, "batch bodies of %d bytes exceed maxMessageSize %d", bodies, limits.body)
	}
	if total > limits.record {
		return refuse(MessageIllegal, "batch of %d bytes exceeds the limit of %d", total, limits.record)
	}

	a, err := s.appendLocked(queueKey{in.Topic, in.QueueID}, len(msgs), true, func(queueOffset, storeTs int64) (commitlog.Appended, error) {
		return s.commitLog.AppendBatch(msgs, queueOffset, storeTs)
	})
	if err != nil {
		return s.appendFailed(err)
	}
	res := PutResult{
		Status: PutOK, WroteOffset: a.app.Offset, WroteBytes: a.app.Size, QueueOffset: a.queueOffset,
		MsgNum: len(msgs), StoreTimestamp: a.storeTs, StoreHost: in.StoreHost, PageCacheRT: a.held.Milliseconds(),
		batchOffsets: make([]int64, len(msgs)),
	}
	off := a.app.Offset
	for i := range msgs {
		res.batchOffsets[i] = off
		off += int64(msgs[i].Size())
	}
	return res
}

// appended is what appendLocked did under the put lock.
type appended struct {
	app         commitlog.Appended
	queueOffset int64
	storeTs     int64
	held        time.Duration // how long the put lock was held
}

// appendLocked takes the put lock, picks the store time (never decreasing)
// and the queue offset of key, runs write and, when it succeeded, advances
// the queue by count (if advance) and wakes the dispatcher.
func (s *Store) appendLocked(key queueKey, count int, advance bool, write func(queueOffset, storeTs int64) (commitlog.Appended, error)) (appended, error) {
	s.putMu.Lock()
	lockedAt := time.Now()
	s.lockBegin.Store(lockedAt.UnixNano())
	if s.closed.Load() {
		s.lockBegin.Store(0)
		s.putMu.Unlock()
		return appended{}, ErrClosed
	}
	a := appended{storeTs: max(s.now().UnixMilli(), s.lastStoreTs.Load())}
	if advance {
		a.queueOffset = s.queueOffsets[key]
	}
	var err error
	a.app, err = write(a.queueOffset, a.storeTs)
	if err == nil {
		if advance {
			s.queueOffsets[key] = a.queueOffset + int64(count)
		}
		s.lastStoreTs.Store(a.storeTs)
		s.lastEnd.Store(a.app.Offset + int64(a.app.Size))
	}
	a.held = time.Since(lockedAt)
	s.lockBegin.Store(0)
	s.putMu.Unlock()
	if err == nil {
		s.dispatcher.wake()
	}
	return a, err
}
