package commitlog

import (
	"bytes"
	"encoding/binary"
	"errors"
	"github.com/rocketgo/rocketgo/protocol"
	"hash/crc32"
	"net/netip"
	"testing"
)

// golden builds a record field by field from the reference layout (§1.2),
// independently of Encode.
func golden(t *testing.T, fields []any) []byte {
	t.Helper()
	var body bytes.Buffer
	for _, f := range fields {
		switch v := f.(type) {
		case []byte:
			body.Write(v)
		case string:
			body.WriteString(v)
		default:
			if err := binary.Write(&body, binary.BigEndian, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	total := make([]byte, 4)
	binary.BigEndian.PutUint32(total, uint32(4+body.Len()))
	return append(total, body.Bytes()...)
}

func TestEncodeGoldenIPv4(t *testing.T) {
	body := []byte("hello rocketMQ 1")
	props := "TAGS\x01tag1\x02UNIQ_KEY\x01AC1074017D6518B4AAC279D4C7B10000"
	m := &Message{
		Topic: "TopicTest1", QueueID: 1, Flag: 0, SysFlag: 0,
		BornTimestamp: 1748072787889,
		BornHost:      netip.MustParseAddrPort("192.168.0.1:56993"),
		StoreHost:     netip.MustParseAddrPort("192.168.0.3:10911"),
		Body:          body, BodyCRC: protocol.BodyCRC(body), Properties: props,
	}
	want := golden(t, []any{
		uint32(0xDAA320A7), // MAGICCODE
		uint32(crc32.ChecksumIEEE(body) & 0x7FFFFFFF), // BODYCRC
		int32(1),                             // QUEUEID
		int32(0),                             // FLAG
		int64(5),                             // QUEUEOFFSET
		int64(26011),                         // PHYSICALOFFSET
		int32(0),                             // SYSFLAG
		int64(1748072787889),                 // BORNTIMESTAMP
		[]byte{192, 168, 0, 1}, int32(56993), // BORNHOST
		int64(1748072745571),                 // STORETIMESTAMP
		[]byte{192, 168, 0, 3}, int32(10911), // STOREHOST
		int32(0),               // RECONSUMETIMES
		int64(0),               // PREPARED TRANSACTION OFFSET
		int32(len(body)), body, // BODY
		int8(len("TopicTest1")), "TopicTest1", // TOPIC
		int16(len(props)), props, // PROPERTIES
	})
	if len(want) != 91+len(body)+10+len(props) {
		t.Fatalf("golden record is %d bytes, reference formula says %d", len(want), 91+len(body)+10+len(props))
	}
	if m.Size() != len(want) {
		t.Fatalf("Size = %d, want %d", m.Size(), len(want))
	}
	got := make([]byte, m.Size())
	Encode(got, m, 5, 26011, 1748072745571)
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded record differs from the reference layout:\n got %x\nwant %x", got, want)
	}

	r, err := Decode(got, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.QueueOffset != 5 || r.PhysicalOffset != 26011 || r.StoreTimestamp != 1748072745571 ||
		string(r.Topic) != "TopicTest1" || string(r.Body) != string(body) || string(r.Properties) != props ||
		r.BornHost != m.BornHost || r.StoreHost != m.StoreHost || int(r.Size) != len(want) {
		t.Fatalf("decoded %+v", r)
	}
	if ts, ok := StoreTimestampOf(got); !ok || ts != 1748072745571 {
		t.Fatalf("StoreTimestampOf = %d %v", ts, ok)
	}
}

func TestEncodeGoldenIPv6AndExtraProperties(t *testing.T) {
	body := []byte{}
	m := &Message{
		Topic: "T", QueueID: 7, Flag: 3, SysFlag: protocol.SysFlagTransactionCommit | protocol.SysFlagCompressed,
		BornTimestamp: 1, BornHost: netip.MustParseAddrPort("[2001:db8::1]:1234"),
		StoreHost:      netip.MustParseAddrPort("10.0.0.1:10911"),
		ReconsumeTimes: 2, PreparedTransactionOffset: 999,
		Body: body, BodyCRC: protocol.BodyCRC(body),
		Properties: "KEYS\x01a b", ExtraProperties: "CLUSTER\x01c",
	}
	v6 := netip.MustParseAddr("2001:db8::1").As16()
	props := "KEYS\x01a b\x02CLUSTER\x01c"
	want := golden(t, []any{
		uint32(0xDAA320A7), uint32(0), int32(7), int32(3), int64(0), int64(4096),
		int32(protocol.SysFlagTransactionCommit | protocol.SysFlagCompressed | protocol.SysFlagBornHostV6),
		int64(1), v6[:], int32(1234),
		int64(2), []byte{10, 0, 0, 1}, int32(10911),
		int32(2), int64(999), int32(0),
		int8(1), "T", int16(len(props)), props,
	})
	if len(want) != 91+12+1+len(props) {
		t.Fatalf("golden is %d bytes", len(want))
	}
	got := make([]byte, m.Size())
	Encode(got, m, 0, 4096, 2)
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %x\nwant %x", got, want)
	}
	r, err := Decode(got, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.BornHost != m.BornHost || r.StoreHost != m.StoreHost || string(r.Properties) != props || r.StoreTimestamp != 2 {
		t.Fatalf("decoded %+v", r)
	}
	if ts, _ := StoreTimestampOf(got); ts != 2 {
		t.Fatalf("store timestamp with IPv6 born host = %d", ts)
	}
}

func TestEncodeV2LongTopic(t *testing.T) {
	topic := string(bytes.Repeat([]byte("t"), 200))
	m := &Message{Topic: topic, Body: []byte("x"), BodyCRC: protocol.BodyCRC([]byte("x"))}
	if m.Magic() != MagicV2 || m.Size() != 92+1+200 {
		t.Fatalf("magic %x size %d", m.Magic(), m.Size())
	}
	b := make([]byte, m.Size())
	Encode(b, m, 1, 2, 3)
	r, err := Decode(b, true)
	if err != nil || string(r.Topic) != topic {
		t.Fatalf("decode v2: %v %q", err, r.Topic)
	}
}

func TestDecodeRejects(t *testing.T) {
	m := &Message{Topic: "T", Body: []byte("body"), BodyCRC: protocol.BodyCRC([]byte("body")), Properties: "A\x01b"}
	good := make([]byte, m.Size())
	Encode(good, m, 0, 0, 0)

	flip := append([]byte(nil), good...)
	flip[90] ^= 0xFF // inside the body
	if _, err := Decode(flip, true); !errors.Is(err, ErrBadCRC) {
		t.Fatalf("flipped body: %v", err)
	}
	if _, err := Decode(flip, false); err != nil {
		t.Fatalf("flipped body without CRC check: %v", err)
	}
	if _, err := Decode(good[:len(good)-1], true); !errors.Is(err, ErrTruncated) {
		t.Fatalf("short: %v", err)
	}
	if _, err := Decode(make([]byte, 100), true); !errors.Is(err, ErrEndOfData) {
		t.Fatalf("zeros: %v", err)
	}
	bad := append([]byte(nil), good...)
	binary.BigEndian.PutUint32(bad[4:], 0x12345678)
	if _, err := Decode(bad, true); !errors.Is(err, ErrBadMagic) {
		t.Fatalf("magic: %v", err)
	}
	long := append(append([]byte(nil), good...), 0)
	binary.BigEndian.PutUint32(long, uint32(len(long)))
	if r, err := Decode(long, true); !errors.Is(err, ErrBadLength) || int(r.Size) != len(long) {
		t.Fatalf("length mismatch: %v size %d", err, r.Size)
	}
	blank := make([]byte, 50)
	EncodeBlank(blank)
	if r, err := Decode(blank, true); err != nil || !r.IsBlank() || r.Size != 50 {
		t.Fatalf("blank: %+v %v", r, err)
	}
}

func TestValidate(t *testing.T) {
	big := string(bytes.Repeat([]byte("k"), protocol.MaxPropertiesSize))
	m := &Message{Topic: "T", Properties: big, ExtraProperties: "x"}
	if err := m.Validate(); !errors.Is(err, ErrPropertiesTooLarge) {
		t.Fatalf("got %v", err)
	}
	if err := (&Message{}).Validate(); err == nil {
		t.Fatal("empty topic accepted")
	}
}

func TestDispatchFields(t *testing.T) {
	props := "TAGS\x01TagA\x02KEYS\x01k1 k2\x02UNIQ_KEY\x01ID1"
	m := &Message{Topic: "T", QueueID: 3, Body: []byte("b"), BodyCRC: protocol.BodyCRC([]byte("b")), Properties: props}
	b := make([]byte, m.Size())
	Encode(b, m, 9, 100, 77)
	r, err := Decode(b, true)
	if err != nil {
		t.Fatal(err)
	}
	d := r.Dispatch(100)
	// "TagA".hashCode() in Java.
	want := int64(int32('T')*31*31*31 + int32('a')*31*31 + int32('g')*31 + int32('A'))
	if string(d.Tags) != "TagA" || d.TagsCode != want || string(d.Keys) != "k1 k2" || string(d.UniqKey) != "ID1" ||
		d.QueueOffset != 9 || d.StoreTimestamp != 77 || d.PhyOffset != 100 || int(d.Size) != len(b) || d.QueueID != 3 {
		t.Fatalf("dispatch %+v", d)
	}
	allocs := testing.AllocsPerRun(100, func() { _ = r.Dispatch(100) })
	if allocs != 0 {
		t.Fatalf("Dispatch allocates %v times", allocs)
	}
}
