package protocol

import (
	"net/netip"
	"strconv"
	"strings"
)

// Message is what a producer sends: the user-visible part of a message.
// Properties may be nil; SetProperty creates the map.
type Message struct {
	Topic      string
	Flag       int32 // user flag, stored as given
	Properties map[string]string
	Body       []byte
	// TransactionID is the producer's local transaction id. It travels in
	// the end-transaction header, not in the stored record.
	TransactionID string
}

// MessageExt is a stored message as the broker keeps it and consumers
// receive it: the message plus where and when it was stored.
type MessageExt struct {
	Message
	QueueID         int32
	StoreSize       int32 // TOTALSIZE of the record
	QueueOffset     int64 // index in the consume queue
	CommitLogOffset int64 // byte offset of the record in the commit log
	SysFlag         int32 // SysFlag* bits
	BodyCRC         uint32
	ReconsumeTimes  int32
	// PreparedTransactionOffset is the commit-log offset of the half
	// message, on the committed copy of a transaction message.
	PreparedTransactionOffset int64
	BornTimestamp             int64 // producer clock, ms since the epoch
	StoreTimestamp            int64 // broker clock, ms since the epoch
	// BornHost and StoreHost are written as 4 bytes when Addr().Is4() and
	// as 16 otherwise, which sets SysFlagBornHostV6 / SysFlagStoreHostV6.
	// Unmap addresses taken from dual-stack sockets first.
	BornHost  netip.AddrPort
	StoreHost netip.AddrPort
}

// Property returns the named property, or "" when it is not set.
func (m *Message) Property(name string) string { return m.Properties[name] }

// SetProperty sets a property, creating the map if needed.
func (m *Message) SetProperty(name, value string) {
	if m.Properties == nil {
		m.Properties = make(map[string]string)
	}
	m.Properties[name] = value
}

// Tags returns the TAGS property.
func (m *Message) Tags() string { return m.Properties[PropertyTags] }

// Keys returns the KEYS property split on single spaces, with empty
// pieces dropped; nil when there are none.
func (m *Message) Keys() []string {
	s := m.Properties[PropertyKeys]
	if s == "" {
		return nil
	}
	keys := strings.Split(s, KeySeparator)
	n := 0
	for _, k := range keys {
		if k != "" {
			keys[n] = k
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return keys[:n]
}

// UniqKey returns the client-generated message id (UNIQ_KEY), or "".
func (m *Message) UniqKey() string { return m.Properties[PropertyUniqClientMessageID] }

// DelayLevel returns the DELAY property as a number; 0 when it is absent
// or not a number (Java would throw; the broker then treats it as no delay).
func (m *Message) DelayLevel() int {
	s := m.Properties[PropertyDelayTimeLevel]
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

// WaitStoreMsgOK reports whether the producer waits for flush and
// replication: true when WAIT is absent, else only for "true" in any case.
func (m *Message) WaitStoreMsgOK() bool {
	v, ok := m.Properties[PropertyWaitStoreMsgOK]
	return !ok || strings.EqualFold(v, "true")
}

// OffsetMsgID is the broker-made id of the record: store host and
// commit-log offset in hex (see EncodeOffsetMsgID).
func (m *MessageExt) OffsetMsgID() string {
	return EncodeOffsetMsgID(m.StoreHost, m.CommitLogOffset)
}

// MsgID is the id a consumer sees: UNIQ_KEY when the producer set one,
// else the offset id.
func (m *MessageExt) MsgID() string {
	if id := m.UniqKey(); id != "" {
		return id
	}
	return m.OffsetMsgID()
}

// TransactionType returns the SysFlagTransaction* value of the record.
func (m *MessageExt) TransactionType() int32 { return m.SysFlag & SysFlagTransactionMask }
