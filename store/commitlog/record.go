package commitlog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/rocketgo/rocketgo/protocol"
	"net/netip"
)

// Magic codes, SYSFLAG bits, field positions and limits are protocol's: the
// broker's wire codec reads the same record layout.
const (
	MagicV1    = protocol.MagicMessageV1 // 0xDAA320A7: 1-byte topic length (4.x)
	MagicV2    = protocol.MagicMessageV2 // 0xDAA320AB: 2-byte topic length (5.x, topics > 127 bytes)
	BlankMagic = protocol.MagicBlank     // 0xCBD43194: end-of-segment filler
)

// BlankMinLength is the room a segment always keeps for the blank record
// that ends it: a TOTALSIZE and a MAGICCODE.
const BlankMinLength = 8

// TransactionType extracts bits 2-3 of a SYSFLAG (protocol.SysFlagTransaction*).
func TransactionType(sysFlag int32) int32 { return sysFlag & protocol.SysFlagTransactionMask }

// IsDispatchedToQueue reports whether a record of this SYSFLAG gets a
// consume queue unit: transaction types NOT and COMMIT do, PREPARED and
// ROLLBACK do not.
func IsDispatchedToQueue(sysFlag int32) bool {
	tt := TransactionType(sysFlag)
	return tt == protocol.SysFlagTransactionNotType || tt == protocol.SysFlagTransactionCommit
}

var (
	// ErrEndOfData: zeros where a record would start, the normal end of a
	// segment that was never written further.
	ErrEndOfData = errors.New("commitlog: no record (zero header)")
	// ErrTruncated: the record claims more bytes than are available.
	ErrTruncated = errors.New("commitlog: record truncated")
	// ErrBadMagic: the magic code is not a record or blank magic.
	ErrBadMagic = errors.New("commitlog: bad magic code")
	// ErrBadCRC: the body does not match its stored CRC.
	ErrBadCRC = errors.New("commitlog: body CRC mismatch")
	// ErrBadLength: the field lengths do not add up to TOTALSIZE. The record's
	// size is still known, so a reader may skip it.
	ErrBadLength = errors.New("commitlog: field lengths disagree with total size")
)

// Message is what Append encodes. QUEUEOFFSET, PHYSICALOFFSET and
// STORETIMESTAMP are given to the encoder separately because they are only
// known under the put lock.
type Message struct {
	Topic                     string
	QueueID                   int32
	Flag                      int32
	SysFlag                   int32 // the IPv6 host bits are set from the hosts by the encoder
	BornTimestamp             int64
	BornHost                  netip.AddrPort
	StoreHost                 netip.AddrPort
	ReconsumeTimes            int32
	PreparedTransactionOffset int64
	Body                      []byte
	BodyCRC                   uint32 // protocol.BodyCRC(Body); computed by the caller outside the lock
	Properties                string
	// ExtraProperties is appended to Properties (a batch's shared
	// properties); a 0x02 separator is inserted between them when needed.
	ExtraProperties string
}

func hostLen(a netip.AddrPort) int {
	if a.Addr().Unmap().Is4() || !a.Addr().IsValid() {
		return 8
	}
	return 20
}

// propsLen is the stored properties length, and whether a separator goes
// between Properties and ExtraProperties.
func (m *Message) propsLen() (int, bool) {
	n := len(m.Properties) + len(m.ExtraProperties)
	sep := len(m.Properties) > 0 && len(m.ExtraProperties) > 0 && m.Properties[len(m.Properties)-1] != 0x02
	if sep {
		n++
	}
	return n, sep
}

// Magic is the magic code the record is written with: v1, or v2 when the
// topic does not fit a one-byte length.
func (m *Message) Magic() int32 {
	if len(m.Topic) > protocol.MaxTopicLengthV1 {
		return MagicV2
	}
	return MagicV1
}

// Size is the encoded record length.
func (m *Message) Size() int {
	p, _ := m.propsLen()
	topicLenField := 1
	if m.Magic() == MagicV2 {
		topicLenField = 2
	}
	return 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + hostLen(m.BornHost) + 8 + hostLen(m.StoreHost) +
		4 + 8 + 4 + len(m.Body) + topicLenField + len(m.Topic) + 2 + p
}

// Validate checks the limits the record format imposes.
func (m *Message) Validate() error {
	if len(m.Topic) == 0 {
		return errors.New("commitlog: empty topic")
	}
	if len(m.Topic) > protocol.MaxTopicLengthV2 {
		return fmt.Errorf("commitlog: topic of %d bytes exceeds %d", len(m.Topic), protocol.MaxTopicLengthV2)
	}
	if p, _ := m.propsLen(); p > protocol.MaxPropertiesSize {
		return fmt.Errorf("commitlog: properties of %d bytes exceed %d: %w", p, protocol.MaxPropertiesSize, ErrPropertiesTooLarge)
	}
	return nil
}

// ErrPropertiesTooLarge is wrapped by Validate when the properties string does
// not fit its 16-bit length field.
var ErrPropertiesTooLarge = errors.New("properties too large")

func putHost(dst []byte, a netip.AddrPort) int {
	addr := a.Addr().Unmap()
	if addr.Is4() || !addr.IsValid() {
		if addr.IsValid() {
			ip := addr.As4()
			copy(dst, ip[:])
		} else {
			clear(dst[:4])
		}
		binary.BigEndian.PutUint32(dst[4:], uint32(a.Port()))
		return 8
	}
	ip := addr.As16()
	copy(dst, ip[:])
	binary.BigEndian.PutUint32(dst[16:], uint32(a.Port()))
	return 20
}

// Encode writes m into dst, which must be exactly m.Size() bytes (a region of
// the mapped segment), with the given queue offset, physical offset and store
// time. It allocates nothing.
func Encode(dst []byte, m *Message, queueOffset, phyOffset, storeTimestamp int64) {
	be := binary.BigEndian
	magic := m.Magic()
	sysFlag := m.SysFlag &^ (protocol.SysFlagBornHostV6 | protocol.SysFlagStoreHostV6)
	if hostLen(m.BornHost) == 20 {
		sysFlag |= protocol.SysFlagBornHostV6
	}
	if hostLen(m.StoreHost) == 20 {
		sysFlag |= protocol.SysFlagStoreHostV6
	}
	be.PutUint32(dst[protocol.RecordPosTotalSize:], uint32(len(dst)))
	be.PutUint32(dst[protocol.RecordPosMagic:], uint32(magic))
	be.PutUint32(dst[protocol.RecordPosBodyCRC:], m.BodyCRC)
	be.PutUint32(dst[protocol.RecordPosQueueID:], uint32(m.QueueID))
	be.PutUint32(dst[protocol.RecordPosFlag:], uint32(m.Flag))
	be.PutUint64(dst[protocol.RecordPosQueueOffset:], uint64(queueOffset))
	be.PutUint64(dst[protocol.RecordPosPhysicalOffset:], uint64(phyOffset))
	be.PutUint32(dst[protocol.RecordPosSysFlag:], uint32(sysFlag))
	be.PutUint64(dst[protocol.RecordPosBornTimestamp:], uint64(m.BornTimestamp))
	p := protocol.RecordPosBornHost
	p += putHost(dst[p:], m.BornHost)
	be.PutUint64(dst[p:], uint64(storeTimestamp))
	p += 8
	p += putHost(dst[p:], m.StoreHost)
	be.PutUint32(dst[p:], uint32(m.ReconsumeTimes))
	p += 4
	be.PutUint64(dst[p:], uint64(m.PreparedTransactionOffset))
	p += 8
	be.PutUint32(dst[p:], uint32(len(m.Body)))
	p += 4
	p += copy(dst[p:], m.Body)
	if magic == MagicV2 {
		be.PutUint16(dst[p:], uint16(len(m.Topic)))
		p += 2
	} else {
		dst[p] = byte(len(m.Topic))
		p++
	}
	p += copy(dst[p:], m.Topic)
	plen, sep := m.propsLen()
	be.PutUint16(dst[p:], uint16(plen))
	p += 2
	p += copy(dst[p:], m.Properties)
	if sep {
		dst[p] = 0x02
		p++
	}
	copy(dst[p:], m.ExtraProperties)
}

// EncodeBlank writes the end-of-file filler header into dst (the whole rest
// of a segment, at least BlankMinLength bytes). The bytes after the header
// are left alone.
func EncodeBlank(dst []byte) {
	binary.BigEndian.PutUint32(dst[protocol.RecordPosTotalSize:], uint32(len(dst)))
	blank := BlankMagic // a variable: the negative constant does not convert to uint32
	binary.BigEndian.PutUint32(dst[protocol.RecordPosMagic:], uint32(blank))
}

// Record is a decoded record. Body, Topic and Properties alias the bytes the
// record was decoded from: they are valid exactly as long as those bytes.
type Record struct {
	Size                      int32
	Magic                     int32
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
	Body                      []byte
	Topic                     []byte
	Properties                []byte
}

// IsBlank reports whether the record is the end-of-file filler.
func (r *Record) IsBlank() bool { return r.Magic == BlankMagic }

// headerMin is the smallest possible message record: both hosts IPv4 and
// all variable parts empty (v1).
const headerMin = protocol.MinRecordSize

func readHost(b []byte, v6 bool) (netip.AddrPort, int) {
	if v6 {
		ip := netip.AddrFrom16([16]byte(b[:16]))
		return netip.AddrPortFrom(ip, uint16(binary.BigEndian.Uint32(b[16:]))), 20
	}
	ip := netip.AddrFrom4([4]byte(b[:4]))
	return netip.AddrPortFrom(ip, uint16(binary.BigEndian.Uint32(b[4:]))), 8
}

// Decode decodes the record at the start of b. It returns a blank record
// (Magic BlankMagic, Size the filler length) without further checks, and for
// a message checks that the field lengths add up to TOTALSIZE and, when
// checkCRC is set, the body CRC.
//
// On ErrBadLength and ErrBadCRC, r.Size holds the record's claimed size; on
// other errors it is not meaningful. Decode never panics on any input.
func Decode(b []byte, checkCRC bool) (r Record, err error) {
	be := binary.BigEndian
	if len(b) < 8 {
		return r, ErrTruncated
	}
	r.Size = int32(be.Uint32(b[protocol.RecordPosTotalSize:]))
	r.Magic = int32(be.Uint32(b[protocol.RecordPosMagic:]))
	switch r.Magic {
	case BlankMagic:
		if r.Size < BlankMinLength {
			return r, fmt.Errorf("%w: blank of %d bytes", ErrBadLength, r.Size)
		}
		return r, nil
	case MagicV1, MagicV2:
	default:
		if r.Size == 0 && r.Magic == 0 {
			return r, ErrEndOfData
		}
		return r, fmt.Errorf("%w %#08x", ErrBadMagic, uint32(r.Magic))
	}
	if r.Size < headerMin {
		return r, fmt.Errorf("%w: total size %d below the minimum %d", ErrBadLength, r.Size, headerMin)
	}
	if int(r.Size) > len(b) {
		return r, fmt.Errorf("%w: %d bytes claimed, %d available", ErrTruncated, r.Size, len(b))
	}
	b = b[:r.Size]
	r.BodyCRC = be.Uint32(b[protocol.RecordPosBodyCRC:])
	r.QueueID = int32(be.Uint32(b[protocol.RecordPosQueueID:]))
	r.Flag = int32(be.Uint32(b[protocol.RecordPosFlag:]))
	r.QueueOffset = int64(be.Uint64(b[protocol.RecordPosQueueOffset:]))
	r.PhysicalOffset = int64(be.Uint64(b[protocol.RecordPosPhysicalOffset:]))
	r.SysFlag = int32(be.Uint32(b[protocol.RecordPosSysFlag:]))
	r.BornTimestamp = int64(be.Uint64(b[protocol.RecordPosBornTimestamp:]))

	// From here on every read is bounds-checked against the claimed size.
	p := protocol.RecordPosBornHost
	need := func(n int) bool { return p+n <= len(b) }
	bornV6 := r.SysFlag&protocol.SysFlagBornHostV6 != 0
	storeV6 := r.SysFlag&protocol.SysFlagStoreHostV6 != 0
	fixed := 8 + 8 + 8 + 4 + 8 + 4 // born host, store time, store host, reconsume times, prepared offset, body length
	if bornV6 {
		fixed += 12
	}
	if storeV6 {
		fixed += 12
	}
	if !need(fixed) {
		return r, fmt.Errorf("%w: header does not fit total size %d", ErrBadLength, r.Size)
	}
	var n int
	r.BornHost, n = readHost(b[p:], bornV6)
	p += n
	r.StoreTimestamp = int64(be.Uint64(b[p:]))
	p += 8
	r.StoreHost, n = readHost(b[p:], storeV6)
	p += n
	r.ReconsumeTimes = int32(be.Uint32(b[p:]))
	p += 4
	r.PreparedTransactionOffset = int64(be.Uint64(b[p:]))
	p += 8
	bodyLen := int(int32(be.Uint32(b[p:])))
	p += 4
	if bodyLen < 0 || !need(bodyLen) {
		return r, fmt.Errorf("%w: body of %d bytes", ErrBadLength, bodyLen)
	}
	r.Body = b[p : p+bodyLen : p+bodyLen]
	p += bodyLen
	var topicLen int
	if r.Magic == MagicV2 {
		if !need(2) {
			return r, fmt.Errorf("%w: no topic length", ErrBadLength)
		}
		topicLen = int(int16(be.Uint16(b[p:])))
		p += 2
	} else {
		if !need(1) {
			return r, fmt.Errorf("%w: no topic length", ErrBadLength)
		}
		topicLen = int(int8(b[p]))
		p++
	}
	if topicLen < 0 || !need(topicLen+2) {
		return r, fmt.Errorf("%w: topic of %d bytes", ErrBadLength, topicLen)
	}
	r.Topic = b[p : p+topicLen : p+topicLen]
	p += topicLen
	propsLen := int(int16(be.Uint16(b[p:])))
	p += 2
	if propsLen < 0 || !need(propsLen) {
		return r, fmt.Errorf("%w: properties of %d bytes", ErrBadLength, propsLen)
	}
	r.Properties = b[p : p+propsLen : p+propsLen]
	p += propsLen
	if p != len(b) {
		return r, fmt.Errorf("%w: fields take %d bytes, total size says %d", ErrBadLength, p, r.Size)
	}
	if checkCRC {
		if crc := protocol.BodyCRC(r.Body); crc != r.BodyCRC {
			return r, fmt.Errorf("%w: stored %d, computed %d", ErrBadCRC, r.BodyCRC, crc)
		}
	}
	return r, nil
}

// StoreTimestampOf reads the store time of the record at the start of b
// without decoding the rest (offset 56, or 68 with an IPv6 born host).
func StoreTimestampOf(b []byte) (int64, bool) {
	if len(b) < protocol.RecordPosBornHost+8 {
		return 0, false
	}
	p := protocol.RecordPosBornHost + 8
	if int32(binary.BigEndian.Uint32(b[protocol.RecordPosSysFlag:]))&protocol.SysFlagBornHostV6 != 0 {
		p = protocol.RecordPosBornHost + 20
	}
	if len(b) < p+8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(b[p:])), true
}
