package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"net/netip"
)

// Magic codes at RecordPosMagic.
const (
	MagicMessageV1 int32 = -626843481 // 0xDAA320A7: 1-byte topic length; the only form 4.x clients read
	MagicMessageV2 int32 = -626843477 // 0xDAA320AB: 5.x, 2-byte topic length for topics over 127 bytes
	MagicBlank     int32 = -875286124 // 0xCBD43194: end-of-segment filler in the commit log
)

// Positions of the fixed fields of a stored record. Everything after the
// born host moves by 12 bytes for each IPv6 host; see the RecordPos funcs.
const (
	RecordPosTotalSize      = 0
	RecordPosMagic          = 4
	RecordPosBodyCRC        = 8
	RecordPosQueueID        = 12
	RecordPosFlag           = 16
	RecordPosQueueOffset    = 20
	RecordPosPhysicalOffset = 28
	RecordPosSysFlag        = 36
	RecordPosBornTimestamp  = 40
	RecordPosBornHost       = 48
)

// Limits of the v1 layout: the topic length is a signed byte, the
// properties length a signed 16-bit integer.
const (
	MaxTopicLengthV1 = TopicMaxLength
	MaxTopicLengthV2 = 32767
	// MinRecordSize is the size of a v1 record with IPv4 hosts and an empty
	// body, topic and properties: the fixed overhead.
	MinRecordSize = 91
)

// ErrMalformedRecord is wrapped by every error about a record's bytes.
var ErrMalformedRecord = errors.New("malformed message record")

// ErrBlankRecord is returned when a record is the commit log's end-of-segment
// filler (MagicBlank) rather than a message.
var ErrBlankRecord = errors.New("end-of-segment blank record")

func hostFieldSize(v6 bool) int {
	if v6 {
		return 20
	}
	return 8
}

// RecordPosStoreTimestamp is where STORETIMESTAMP sits: 56, or 68 when
// the born host is IPv6.
func RecordPosStoreTimestamp(sysFlag int32) int {
	return RecordPosBornHost + hostFieldSize(sysFlag&SysFlagBornHostV6 != 0)
}

// RecordPosStoreHost is where STOREHOST sits.
func RecordPosStoreHost(sysFlag int32) int { return RecordPosStoreTimestamp(sysFlag) + 8 }

// RecordPosReconsumeTimes is where RECONSUMETIMES sits.
func RecordPosReconsumeTimes(sysFlag int32) int {
	return RecordPosStoreHost(sysFlag) + hostFieldSize(sysFlag&SysFlagStoreHostV6 != 0)
}

// RecordPosPreparedTransactionOffset is where the half-message offset sits.
func RecordPosPreparedTransactionOffset(sysFlag int32) int {
	return RecordPosReconsumeTimes(sysFlag) + 4
}

// RecordPosBodyLength is where BODYLEN sits (84 with IPv4 hosts); the body
// follows it.
func RecordPosBodyLength(sysFlag int32) int { return RecordPosPreparedTransactionOffset(sysFlag) + 8 }

// MessageRecordSize is the TOTALSIZE of a v1 record (upstream calMsgLength):
// 91 bytes of fixed fields plus 12 per IPv6 host, then body, topic and
// properties.
func MessageRecordSize(sysFlag int32, bodyLen, topicLen, propertiesLen int) int {
	return RecordPosBodyLength(sysFlag) + 4 + bodyLen + 1 + topicLen + 2 + propertiesLen
}

// BodyCRC is the BODYCRC of a stored body: IEEE CRC32 masked to 31 bits.
func BodyCRC(body []byte) uint32 { return crc32.ChecksumIEEE(body) & 0x7FFFFFFF }

// HostSysFlags returns the SysFlagBornHostV6 / SysFlagStoreHostV6 bits
// for the given hosts: a host is written as IPv4 when Addr().Is4().
func HostSysFlags(born, store netip.AddrPort) int32 {
	var f int32
	if !isHostV4(born) {
		f |= SysFlagBornHostV6
	}
	if !isHostV4(store) {
		f |= SysFlagStoreHostV6
	}
	return f
}

// isHostV4 treats the zero AddrPort as IPv4 (written as 0.0.0.0:0).
func isHostV4(h netip.AddrPort) bool { return !h.Addr().IsValid() || h.Addr().Is4() }

// AppendHost appends a host field: 4 or 16 address bytes, then the port as
// a 4-byte integer. The zero AddrPort is written as 0.0.0.0:0.
func AppendHost(dst []byte, h netip.AddrPort) []byte {
	a := h.Addr()
	switch {
	case !a.IsValid():
		dst = append(dst, 0, 0, 0, 0)
	case a.Is4():
		b := a.As4()
		dst = append(dst, b[:]...)
	default:
		b := a.As16()
		dst = append(dst, b[:]...)
	}
	return binary.BigEndian.AppendUint32(dst, uint32(h.Port()))
}

// MessageRecord is a zero-copy view of one stored record. Body, Topic and
// Properties alias the parsed bytes (or are what AppendMessageRecord
// writes), so the store can read and build records without allocating.
type MessageRecord struct {
	TotalSize                 int32
	Magic                     int32 // MagicMessageV1 or MagicMessageV2
	BodyCRC                   uint32
	QueueID                   int32
	Flag                      int32
	QueueOffset               int64
	PhysicalOffset            int64
	SysFlag                   int32
	BornTimestamp             int64
	BornHost                  netip.AddrPort
	StoreTimestamp            int64
	StoreHost                 netip.AddrPort
	ReconsumeTimes            int32
	PreparedTransactionOffset int64
	Body                      []byte // as stored: compressed when SysFlag says so
	Topic                     []byte
	Properties                []byte // encoded properties string
}

// recordReader reads big-endian fields of one record and remembers the
// first error, naming the field and its position in the record.
type recordReader struct {
	b   []byte
	pos int
	err error
}

func (r *recordReader) fail(field string, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s at +%d: %s", ErrMalformedRecord, field, r.pos, fmt.Sprintf(format, args...))
	}
}

func (r *recordReader) take(field string, n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.pos {
		r.fail(field, "needs %d bytes but the record has %d left (TOTALSIZE %d)", n, len(r.b)-r.pos, len(r.b))
		return nil
	}
	s := r.b[r.pos : r.pos+n : r.pos+n]
	r.pos += n
	return s
}

func (r *recordReader) int32(field string) int32 {
	if s := r.take(field, 4); s != nil {
		return int32(binary.BigEndian.Uint32(s))
	}
	return 0
}

func (r *recordReader) int64(field string) int64 {
	if s := r.take(field, 8); s != nil {
		return int64(binary.BigEndian.Uint64(s))
	}
	return 0
}

func (r *recordReader) host(field, portField string, v6 bool) netip.AddrPort {
	n := 4
	if v6 {
		n = 16
	}
	ip := r.take(field, n)
	pos := r.pos
	port := r.int32(portField)
	if r.err != nil {
		return netip.AddrPort{}
	}
	if port < 0 || port > math.MaxUint16 {
		r.pos = pos
		r.fail(portField, "%d is not a port number", port)
		return netip.AddrPort{}
	}
	var a netip.Addr
	if v6 {
		a = netip.AddrFrom16([16]byte(ip))
	} else {
		a = netip.AddrFrom4([4]byte(ip))
	}
	return netip.AddrPortFrom(a, uint16(port))
}

// ParseMessageRecord parses the record at the start of b without copying.
// It checks the magic, that every length stays inside TOTALSIZE and that
// the fields end exactly at TOTALSIZE; it does not check the body CRC.
// Bytes after the record are ignored; rec.TotalSize says where the next
// one starts. A blank (end-of-segment) record gives ErrBlankRecord with
// rec.TotalSize set.
func ParseMessageRecord(b []byte) (rec MessageRecord, err error) {
	if len(b) < 8 {
		return rec, fmt.Errorf("%w: TOTALSIZE and MAGICCODE need 8 bytes, only %d left", ErrMalformedRecord, len(b))
	}
	rec.TotalSize = int32(binary.BigEndian.Uint32(b))
	rec.Magic = int32(binary.BigEndian.Uint32(b[RecordPosMagic:]))
	switch rec.Magic {
	case MagicMessageV1, MagicMessageV2:
	case MagicBlank:
		return rec, fmt.Errorf("%w (%d bytes)", ErrBlankRecord, rec.TotalSize)
	default:
		return rec, fmt.Errorf("%w: MAGICCODE at +4: %#08x is not a message magic", ErrMalformedRecord, uint32(rec.Magic))
	}
	if rec.TotalSize < MinRecordSize || int64(rec.TotalSize) > int64(len(b)) {
		return rec, fmt.Errorf("%w: TOTALSIZE at +0: %d, but the record needs at least %d bytes and %d are left",
			ErrMalformedRecord, rec.TotalSize, MinRecordSize, len(b))
	}
	r := recordReader{b: b[:rec.TotalSize], pos: RecordPosBodyCRC}
	rec.BodyCRC = uint32(r.int32("BODYCRC"))
	rec.QueueID = r.int32("QUEUEID")
	rec.Flag = r.int32("FLAG")
	rec.QueueOffset = r.int64("QUEUEOFFSET")
	rec.PhysicalOffset = r.int64("PHYSICALOFFSET")
	rec.SysFlag = r.int32("SYSFLAG")
	rec.BornTimestamp = r.int64("BORNTIMESTAMP")
	rec.BornHost = r.host("BORNHOST", "BORNHOST port", rec.SysFlag&SysFlagBornHostV6 != 0)
	rec.StoreTimestamp = r.int64("STORETIMESTAMP")
	rec.StoreHost = r.host("STOREHOST", "STOREHOST port", rec.SysFlag&SysFlagStoreHostV6 != 0)
	rec.ReconsumeTimes = r.int32("RECONSUMETIMES")
	rec.PreparedTransactionOffset = r.int64("PREPAREDTRANSACTIONOFFSET")
	bodyLen := r.int32("BODYLEN")
	if bodyLen < 0 {
		r.pos -= 4
		r.fail("BODYLEN", "negative length %d", bodyLen)
	}
	rec.Body = r.take("BODY", int(bodyLen))
	topicLen := 0
	if rec.Magic == MagicMessageV1 {
		if s := r.take("TOPICLEN", 1); s != nil {
			topicLen = int(int8(s[0]))
		}
	} else if s := r.take("TOPICLEN", 2); s != nil {
		topicLen = int(int16(binary.BigEndian.Uint16(s)))
	}
	if topicLen < 0 {
		r.pos--
		r.fail("TOPICLEN", "negative length %d", topicLen)
	}
	rec.Topic = r.take("TOPIC", topicLen)
	var propsLen int
	if s := r.take("PROPERTIESLEN", 2); s != nil {
		propsLen = int(int16(binary.BigEndian.Uint16(s)))
		if propsLen < 0 {
			r.pos -= 2
			r.fail("PROPERTIESLEN", "negative length %d", propsLen)
		}
	}
	rec.Properties = r.take("PROPERTIES", propsLen)
	if r.err == nil && r.pos != len(r.b) {
		r.fail("end", "fields end at %d but TOTALSIZE is %d", r.pos, len(r.b))
	}
	return rec, r.err
}

// AppendMessageRecord appends rec in the stored layout. TOTALSIZE is
// computed (rec.TotalSize is ignored), the host bits of SYSFLAG are set
// from the host addresses, and BODYCRC is written as given (see BodyCRC).
// The topic length is one byte unless rec.Magic is MagicMessageV2.
func AppendMessageRecord(dst []byte, rec *MessageRecord) ([]byte, error) {
	dst, err := appendRecordHead(dst, rec, rec.Topic, len(rec.Properties))
	if err != nil {
		return dst, err
	}
	return append(dst, rec.Properties...), nil
}

// appendRecordHead appends every field up to PROPERTIESLEN; the caller
// appends propsLen bytes of properties.
func appendRecordHead[T string | []byte](dst []byte, rec *MessageRecord, topic T, propsLen int) ([]byte, error) {
	v2 := rec.Magic == MagicMessageV2
	maxTopic := MaxTopicLengthV1
	if v2 {
		maxTopic = MaxTopicLengthV2
	}
	if len(topic) > maxTopic {
		return dst, fmt.Errorf("encode message: topic is %d bytes, the record allows %d", len(topic), maxTopic)
	}
	if propsLen > MaxPropertiesSize {
		return dst, fmt.Errorf("encode message: properties are %d bytes, the record allows %d", propsLen, MaxPropertiesSize)
	}
	sysFlag := rec.SysFlag&^(SysFlagBornHostV6|SysFlagStoreHostV6) | HostSysFlags(rec.BornHost, rec.StoreHost)
	size := MessageRecordSize(sysFlag, len(rec.Body), len(topic), propsLen)
	magic := MagicMessageV1
	if v2 {
		size++
		magic = MagicMessageV2
	}
	if size > math.MaxInt32 {
		return dst, fmt.Errorf("encode message: record would be %d bytes, more than TOTALSIZE can hold", size)
	}
	be := binary.BigEndian
	dst = be.AppendUint32(dst, uint32(size))
	dst = be.AppendUint32(dst, uint32(magic))
	dst = be.AppendUint32(dst, rec.BodyCRC)
	dst = be.AppendUint32(dst, uint32(rec.QueueID))
	dst = be.AppendUint32(dst, uint32(rec.Flag))
	dst = be.AppendUint64(dst, uint64(rec.QueueOffset))
	dst = be.AppendUint64(dst, uint64(rec.PhysicalOffset))
	dst = be.AppendUint32(dst, uint32(sysFlag))
	dst = be.AppendUint64(dst, uint64(rec.BornTimestamp))
	dst = AppendHost(dst, rec.BornHost)
	dst = be.AppendUint64(dst, uint64(rec.StoreTimestamp))
	dst = AppendHost(dst, rec.StoreHost)
	dst = be.AppendUint32(dst, uint32(rec.ReconsumeTimes))
	dst = be.AppendUint64(dst, uint64(rec.PreparedTransactionOffset))
	dst = be.AppendUint32(dst, uint32(len(rec.Body)))
	dst = append(dst, rec.Body...)
	if v2 {
		dst = be.AppendUint16(dst, uint16(len(topic)))
	} else {
		dst = append(dst, byte(len(topic)))
	}
	dst = append(dst, topic...)
	return be.AppendUint16(dst, uint16(propsLen)), nil
}
