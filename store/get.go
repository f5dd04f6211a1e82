package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store/commitlog"
	"github.com/rocketgo/rocketgo/store/consumequeue"
	"github.com/rocketgo/rocketgo/store/segment"
)

// GetStatus is the outcome of GetMessage, named as upstream's
// GetMessageStatus.
type GetStatus int

// Get statuses.
const (
	Found GetStatus = iota
	NoMatchedMessage
	MessageWasRemoving
	OffsetFoundNull
	OffsetOverflowBadly
	OffsetOverflowOne
	OffsetTooSmall
	NoMatchedLogicQueue
	NoMessageInQueue
)

var getStatusNames = [...]string{
	Found:               "FOUND",
	NoMatchedMessage:    "NO_MATCHED_MESSAGE",
	MessageWasRemoving:  "MESSAGE_WAS_REMOVING",
	OffsetFoundNull:     "OFFSET_FOUND_NULL",
	OffsetOverflowBadly: "OFFSET_OVERFLOW_BADLY",
	OffsetOverflowOne:   "OFFSET_OVERFLOW_ONE",
	OffsetTooSmall:      "OFFSET_TOO_SMALL",
	NoMatchedLogicQueue: "NO_MATCHED_LOGIC_QUEUE",
	NoMessageInQueue:    "NO_MESSAGE_IN_QUEUE",
}

func (g GetStatus) String() string {
	if g >= 0 && int(g) < len(getStatusNames) {
		return getStatusNames[g]
	}
	return "GetStatus(" + strconv.Itoa(int(g)) + ")"
}

// Filter selects messages for a pull. Either function may be nil (match
// all). TagsCode sees the consume queue unit's tags code; Properties sees
// the record's properties (a view valid only during the call), for SQL92.
type Filter struct {
	TagsCode   func(tagsCode int64) bool
	Properties func(properties []byte) bool
}

// GetResult is what GetMessage found. Messages are views into the mapped
// commit log: each is one whole record (the pull response body is their
// concatenation). They stay valid until Release, even if the segment is
// deleted meanwhile; call Release exactly once when done (after writing
// them to the network).
type GetResult struct {
	Status                  GetStatus
	NextBeginOffset         int64
	MinOffset               int64
	MaxOffset               int64
	SuggestPullingFromSlave bool
	Messages                [][]byte
	QueueOffsets            []int64 // queue offset of each message
	BufferTotalSize         int

	held
}

// held is the segments a result's views point into.
type held []*segment.File

// Release lets go of the segments the views point into; the views must not
// be used afterwards.
func (h *held) Release() {
	for _, f := range *h {
		f.Release()
	}
	*h = nil
}

// segmentReader reads the records of one call, holding one segment at a
// time instead of taking and dropping a reference per record (a call's
// records mostly lie in one segment). A segment a kept record points into
// goes to held, where the result's Release drops it; one nothing was kept
// from is released as soon as the reader moves on, or by done.
type segmentReader struct {
	log  *commitlog.Log
	held *held

	cur  *segment.File // held by the reader; nil before the first read
	kept bool          // cur is in held: the result owns its reference
}

// at returns the held segment holding off and off's position in it,
// moving the reader to that segment when it is another one.
func (r *segmentReader) at(off int64) (*segment.File, int, error) {
	f := r.cur
	if f == nil || off < f.Base() || off >= f.Base()+int64(f.Size()) {
		r.done()
		var err error
		if f, err = r.log.Hold(off); err != nil {
			return nil, 0, err
		}
		r.cur, r.kept = f, false
	}
	return f, int(off - f.Base()), nil
}

// slice returns a view of n bytes at off, valid until the segment is
// released: by done unless keep was called for it, else by the result.
func (r *segmentReader) slice(off int64, n int) ([]byte, error) {
	f, pos, err := r.at(off)
	if err != nil {
		return nil, err
	}
	b, err := f.Slice(pos, n)
	if err != nil {
		return nil, fmt.Errorf("read commit log at %d: %w", off, err)
	}
	return b, nil
}

// chunk returns a view from off to the written end of its segment, valid
// like slice's.
func (r *segmentReader) chunk(off int64) ([]byte, error) {
	f, pos, err := r.at(off)
	if err != nil {
		return nil, err
	}
	b, err := f.Slice(pos, f.WrotePosition()-pos)
	if err != nil {
		return nil, fmt.Errorf("read commit log at %d: %w", off, err)
	}
	return b, nil
}

// keep hands the current segment to the result: the last view read stays
// valid until the result is released.
func (r *segmentReader) keep() {
	if !r.kept {
		*r.held = append(*r.held, r.cur)
		r.kept = true
	}
}

// done releases the current segment unless the result owns it.
func (r *segmentReader) done() {
	if r.cur != nil && !r.kept {
		r.cur.Release()
	}
	r.cur, r.kept = nil, false
}

// GetMessage reads up to maxMsgNums messages of a queue from offset,
// applying filter and the transfer limits (maxTransfer{Bytes,Count}OnMessage
// {InMemory,InDisk}); maxTotalBytes > 0 caps the bytes further. group is
// for statistics and logs only.
func (s *Store) GetMessage(group, topic string, queueID int32, offset int64, maxMsgNums, maxTotalBytes int, filter *Filter) (*GetResult, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	begin := time.Now()
	res := s.getMessage(topic, queueID, offset, maxMsgNums, maxTotalBytes, filter)
	s.stats.recordGet(res, time.Since(begin))
	return res, nil
}

func (s *Store) getMessage(topic string, queueID int32, offset int64, maxMsgNums, maxTotalBytes int, filter *Filter) *GetResult {
	res := &GetResult{Status: NoMessageInQueue}
	maxPhy := s.commitLog.MaxOffset()
	q := s.queues.Get(topic, queueID)
	if q != nil {
		res.MinOffset, res.MaxOffset = q.MinOffset(), q.MaxOffset()
	} else if kept, ok := s.expiredOffsets.next(topic, queueID); ok {
		// Removed by CleanExpiredQueues: an empty queue at its kept offset,
		// so a consumer is moved there instead of back to 0.
		res.MinOffset, res.MaxOffset = kept, kept
	} else {
		res.Status = NoMatchedLogicQueue
		res.NextBeginOffset = s.correct(offset, 0)
		return res
	}
	switch {
	case res.MaxOffset == 0:
		res.Status = NoMessageInQueue
		res.NextBeginOffset = s.correct(offset, 0)
	case offset < res.MinOffset:
		res.Status = OffsetTooSmall
		res.NextBeginOffset = s.correct(offset, res.MinOffset)
	case offset == res.MaxOffset:
		res.Status = OffsetOverflowOne
		res.NextBeginOffset = s.correct(offset, offset)
	case offset > res.MaxOffset:
		res.Status = OffsetOverflowBadly
		if res.MinOffset == 0 {
			res.NextBeginOffset = s.correct(offset, res.MinOffset)
		} else {
			res.NextBeginOffset = s.correct(offset, res.MaxOffset)
		}
	default: // min <= offset < max: q exists, a removed queue is empty
		s.readQueue(res, q, offset, maxMsgNums, maxTotalBytes, filter, maxPhy)
	}
	return res
}

// correct is upstream's nextOffsetCorrection: a slave keeps the client's
// offset unless offsetCheckInSlave is set.
func (s *Store) correct(old, corrected int64) int64 {
	if s.Role() != Slave || s.opts.OffsetCheckInSlave {
		return corrected
	}
	return old
}

func (s *Store) readQueue(res *GetResult, q *consumequeue.Queue, offset int64, maxMsgNums, maxTotalBytes int, filter *Filter, maxPhy int64) {
	res.Status = NoMatchedMessage
	rd := segmentReader{log: s.commitLog, held: &res.held}
	defer rd.done()
	units := max(16000, maxMsgNums*consumequeue.UnitSize) / consumequeue.UnitSize
	nextPhyFileStart := int64(0)
	maxPhyPulling := int64(0)
	scanned := 0
	q.Range(offset, units, func(cqOff int64, u consumequeue.Unit) bool {
		if !u.IsMessage() { // blank filler
			scanned++
			return true
		}
		if u.PhyOffset < nextPhyFileStart {
			scanned++
			return true
		}
		inDisk := s.inDisk(u.PhyOffset, maxPhy)
		if s.batchFull(int(u.Size), maxMsgNums, maxTotalBytes, res.BufferTotalSize, len(res.Messages), inDisk) {
			return false
		}
		scanned++
		if filter != nil && filter.TagsCode != nil && !filter.TagsCode(u.TagsCode) {
			if len(res.Messages) == 0 {
				res.Status = NoMatchedMessage
			}
			return true
		}
		b, err := rd.slice(u.PhyOffset, int(u.Size))
		if err != nil {
			// The commit log segment is gone (expired): skip to the units
			// that point into the next segment.
			if len(res.Messages) == 0 {
				res.Status = MessageWasRemoving
			}
			nextPhyFileStart = s.commitLog.NextFileStart(u.PhyOffset)
			return true
		}
		if filter != nil && filter.Properties != nil {
			r, derr := commitlog.Decode(b, false)
			if derr != nil || !filter.Properties(r.Properties) {
				if len(res.Messages) == 0 {
					res.Status = NoMatchedMessage
				}
				return true
			}
		}
		res.Messages = append(res.Messages, b)
		res.QueueOffsets = append(res.QueueOffsets, cqOff)
		rd.keep()
		res.BufferTotalSize += int(u.Size)
		res.Status = Found
		maxPhyPulling = u.PhyOffset
		return true
	})
	if scanned == 0 && len(res.Messages) == 0 && res.Status == NoMatchedMessage {
		// Nothing readable at offset although it is inside [min, max): the
		// consume queue file is missing.
		res.Status = OffsetFoundNull
		per := int64(s.st.unitsPerCQ)
		res.NextBeginOffset = s.correct(offset, (offset/per+1)*per)
		return
	}
	res.NextBeginOffset = offset + int64(scanned)
	memory := s.totalRAM * int64(s.opts.AccessMessageInMemoryMaxRatio) / 100
	res.SuggestPullingFromSlave = maxPhy-maxPhyPulling > memory
}

// inDisk is upstream's checkInDiskByCommitOffset: the record is probably no
// longer in the page cache.
func (s *Store) inDisk(phy, maxPhy int64) bool {
	memory := s.totalRAM * int64(s.opts.AccessMessageInMemoryMaxRatio) / 100
	return maxPhy-phy > memory
}

// batchFull is upstream's isTheBatchFull; the first message always fits.
func (s *Store) batchFull(size, maxMsgNums, maxTotalBytes, total, count int, inDisk bool) bool {
	if total == 0 || count == 0 {
		return false
	}
	if count >= maxMsgNums {
		return true
	}
	if maxTotalBytes > 0 && total+size > maxTotalBytes {
		return true
	}
	o := &s.opts
	if inDisk {
		return total+size > o.MaxTransferBytesOnMessageInDisk || count > o.MaxTransferCountOnMessageInDisk-1
	}
	return total+size > o.MaxTransferBytesOnMessageInMemory || count > o.MaxTransferCountOnMessageInMemory-1
}

// MaxOffsetInQueue is the queue offset after the last message: for a
// queue CleanExpiredQueues removed its kept offset, for a queue that does
// not exist 0.
func (s *Store) MaxOffsetInQueue(topic string, queueID int32) int64 {
	if q := s.queues.Get(topic, queueID); q != nil {
		return q.MaxOffset()
	}
	kept, _ := s.expiredOffsets.next(topic, queueID)
	return kept
}

// MinOffsetInQueue is the first queue offset still readable: for a queue
// CleanExpiredQueues removed its kept offset (it is empty), for a queue
// that does not exist 0.
func (s *Store) MinOffsetInQueue(topic string, queueID int32) int64 {
	if q := s.queues.Get(topic, queueID); q != nil {
		return q.MinOffset()
	}
	kept, _ := s.expiredOffsets.next(topic, queueID)
	return kept
}

// storeTimeAt reads a record's store time from the commit log.
func (s *Store) storeTimeAt(phy int64, _ int32) (int64, bool) {
	b, f, err := s.commitLog.Chunk(phy)
	if err != nil {
		return 0, false
	}
	defer f.Release()
	return commitlog.StoreTimestampOf(b)
}

// OffsetInQueueByTime is the queue offset of the message stored closest to
// ts (ms since the epoch), by binary search.
func (s *Store) OffsetInQueueByTime(topic string, queueID int32, ts int64) int64 {
	q := s.queues.Get(topic, queueID)
	if q == nil {
		kept, _ := s.expiredOffsets.next(topic, queueID) // a removed queue is empty there
		return kept
	}
	return q.OffsetForTime(ts, s.storeTimeAt)
}

// MessageStoreTimeStamp is the store time of the message at a queue offset,
// or -1 when it is not there.
func (s *Store) MessageStoreTimeStamp(topic string, queueID int32, cqOffset int64) int64 {
	q := s.queues.Get(topic, queueID)
	if q == nil {
		return -1
	}
	u, ok := q.Get(cqOffset)
	if !ok {
		return -1
	}
	if ts, ok := s.storeTimeAt(u.PhyOffset, u.Size); ok {
		return ts
	}
	return -1
}

// EarliestMessageTimeInQueue is the store time of the queue's first message,
// or -1.
func (s *Store) EarliestMessageTimeInQueue(topic string, queueID int32) int64 {
	return s.MessageStoreTimeStamp(topic, queueID, s.MinOffsetInQueue(topic, queueID))
}

// EarliestMessageTime is the store time of the first record in the commit
// log, or -1 when it is empty.
func (s *Store) EarliestMessageTime() int64 {
	min := s.commitLog.MinOffset()
	if s.commitLog.MaxOffset() <= min {
		return -1
	}
	if ts, ok := s.storeTimeAt(min, 128); ok {
		return ts
	}
	return -1
}

// RecordView is one record read by physical offset: Bytes is a view into
// the mapped commit log, valid until Release.
type RecordView struct {
	Bytes []byte
	file  *segment.File
}

// Release lets go of the segment the view points into.
func (v *RecordView) Release() {
	if v.file != nil {
		v.file.Release()
		v.file = nil
	}
	v.Bytes = nil
}

// SelectOneMessageByOffset returns the raw record at a physical offset
// (upstream's selectOneMessageByOffset). size <= 0 reads it from the record.
func (s *Store) SelectOneMessageByOffset(phy int64, size int) (*RecordView, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if size <= 0 {
		r, f, err := s.commitLog.Read(phy)
		if err != nil {
			return nil, err
		}
		f.Release()
		size = int(r.Size)
	}
	b, f, err := s.commitLog.Slice(phy, size)
	if err != nil {
		return nil, err
	}
	if _, err := commitlog.Decode(b, false); err != nil {
		f.Release()
		return nil, fmt.Errorf("record at %d: %w", phy, err)
	}
	return &RecordView{Bytes: b, file: f}, nil
}

// LookMessageByOffset decodes the message at a physical offset into a copy
// that outlives the store's mapping.
func (s *Store) LookMessageByOffset(phy int64) (*protocol.MessageExt, error) {
	v, err := s.SelectOneMessageByOffset(phy, 0)
	if err != nil {
		return nil, err
	}
	defer v.Release()
	m, _, err := protocol.DecodeMessage(v.Bytes, protocol.DecodeOptions{})
	if err != nil {
		return nil, fmt.Errorf("decode message at %d: %w", phy, err)
	}
	return m, nil
}

// QueryResult is what QueryMessage found: whole records as views, valid
// until Release.
type QueryResult struct {
	Messages                 [][]byte
	IndexLastUpdateTimestamp int64
	IndexLastUpdatePhyOffset int64

	held
}

// ErrIndexDisabled is returned by QueryMessage when messageIndexEnable is off.
var ErrIndexDisabled = errors.New("store: message index disabled (messageIndexEnable=false)")

// QueryMessage finds up to max messages of topic carrying key (a KEYS entry
// or the UNIQ_KEY) stored within [begin, end] ms. Hash collisions are
// filtered out by checking each record's topic and keys.
func (s *Store) QueryMessage(topic, key string, maxNum int, begin, end int64) (*QueryResult, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if s.index == nil {
		return nil, ErrIndexDisabled
	}
	maxNum = min(maxNum, s.opts.MaxMsgsNumBatch)
	offs, last := s.index.Query(topic+"#"+key, maxNum, begin, end)
	res := &QueryResult{IndexLastUpdateTimestamp: last, IndexLastUpdatePhyOffset: s.index.MaxPhyOffset()}
	slices.Sort(offs)
	offs = slices.Compact(offs)
	rd := segmentReader{log: s.commitLog, held: &res.held}
	defer rd.done()
	for _, off := range offs { // sorted: records of one segment come together
		b, err := rd.chunk(off)
		if err != nil {
			continue // expired, or past a truncation
		}
		r, err := commitlog.Decode(b, false)
		if err != nil || r.IsBlank() || string(r.Topic) != topic || !recordHasKey(&r, key) {
			continue
		}
		res.Messages = append(res.Messages, b[:r.Size:r.Size])
		rd.keep()
	}
	return res, nil
}

// recordHasKey reports whether key is the record's UNIQ_KEY or one of its KEYS.
func recordHasKey(r *commitlog.Record, key string) bool {
	d := r.Dispatch(r.PhysicalOffset)
	if string(d.UniqKey) == key {
		return true
	}
	for k := range bytes.SplitSeq(d.Keys, []byte(protocol.KeySeparator)) {
		if string(k) == key {
			return true
		}
	}
	return false
}
