package protocol

import (
	"bytes"
	"encoding/hex"
	"errors"
	"maps"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// unhex decodes hex written with spaces, newlines and // comments.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	var clean strings.Builder
	for line := range strings.SplitSeq(s, "\n") {
		line, _, _ = strings.Cut(line, "//")
		clean.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(clean.String())
	if err != nil {
		t.Fatalf("bad golden hex: %v", err)
	}
	return b
}

// goldenV4 is a record with IPv4 hosts, written field by field from the
// layout in remoting-protocol.md §5.1 (big-endian), not by the encoder.
const goldenV4 = `
00000072          // TOTALSIZE 114 = 91 + body 5 + topic 9 + properties 9
DAA320A7          // MAGICCODE v1
77D18982          // BODYCRC: crc32("Hello") = F7D18982, masked with 7FFFFFFF
00000003          // QUEUEID 3
00000007          // FLAG 7
000000000000002A  // QUEUEOFFSET 42
0000000100000064  // PHYSICALOFFSET 4294967396
00000000          // SYSFLAG: both hosts IPv4, not compressed
0000018BCFE5687B  // BORNTIMESTAMP 1700000000123
C0A8010A 0000D431 // BORNHOST 192.168.1.10:54321
0000018BCFE569C8  // STORETIMESTAMP 1700000000456
0A000001 00002A9F // STOREHOST 10.0.0.1:10911
00000002          // RECONSUMETIMES 2
0000000000000000  // PREPAREDTRANSACTIONOFFSET 0
00000005          // BODYLEN 5
48656C6C6F        // "Hello"
09                // TOPICLEN 9
546F70696354657374 // "TopicTest"
0009              // PROPERTIESLEN 9
5441475301546167 41 // "TAGS" 01 "TagA"
`

// goldenV6 has IPv6 born and store hosts (SYSFLAG 0x10|0x20) and is a
// committed transaction message (0x8) with an empty body and properties.
const goldenV6 = `
00000074          // TOTALSIZE 116 = 91 + 12 + 12 + body 0 + topic 1 + properties 0
DAA320A7          // MAGICCODE v1
00000000          // BODYCRC of the empty body
00000000          // QUEUEID 0
00000000          // FLAG 0
0000000000000000  // QUEUEOFFSET 0
0000000000001000  // PHYSICALOFFSET 4096
00000038          // SYSFLAG 0x10 | 0x20 | 0x8
0000000000000001  // BORNTIMESTAMP 1
20010DB8000000000000000000000001 00009C40 // BORNHOST [2001:db8::1]:40000
0000000000000002  // STORETIMESTAMP 2
20010DB8000000000000000000000002 00002A9F // STOREHOST [2001:db8::2]:10911
00000000          // RECONSUMETIMES 0
00000000000004D2  // PREPAREDTRANSACTIONOFFSET 1234
00000000          // BODYLEN 0
01 54             // TOPICLEN 1, "T"
0000              // PROPERTIESLEN 0
`

// patched returns a copy of b with the bytes at pos replaced.
func patched(b []byte, pos int, with ...byte) []byte {
	c := append([]byte(nil), b...)
	copy(c[pos:], with)
	return c
}

func TestDecodeGoldenV4(t *testing.T) {
	b := unhex(t, goldenV4)
	m, n, err := DecodeMessage(b, DecodeOptions{VerifyBodyCRC: true})
	if err != nil {
		t.Fatal(err)
	}
	if n != 114 || len(b) != 114 {
		t.Fatalf("size %d, golden %d bytes, want 114", n, len(b))
	}
	want := &MessageExt{
		Message: Message{
			Topic:      "TopicTest",
			Flag:       7,
			Properties: map[string]string{"TAGS": "TagA"},
			Body:       []byte("Hello"),
		},
		QueueID:         3,
		StoreSize:       114,
		QueueOffset:     42,
		CommitLogOffset: 4294967396,
		SysFlag:         0,
		BodyCRC:         0x77D18982,
		ReconsumeTimes:  2,
		BornTimestamp:   1700000000123,
		StoreTimestamp:  1700000000456,
		BornHost:        netip.MustParseAddrPort("192.168.1.10:54321"),
		StoreHost:       netip.MustParseAddrPort("10.0.0.1:10911"),
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", m, want)
	}
	// 0A000001 00002A9F 0000000100000064: store host, port, offset.
	if id := m.OffsetMsgID(); id != "0A00000100002A9F0000000100000064" {
		t.Errorf("OffsetMsgID = %s", id)
	}
	if m.MsgID() != m.OffsetMsgID() {
		t.Errorf("MsgID without UNIQ_KEY should be the offset id")
	}
	if m.Tags() != "TagA" {
		t.Errorf("Tags = %q", m.Tags())
	}
	enc, err := EncodeMessageExt(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc, b) {
		t.Fatalf("EncodeMessageExt differs from golden:\n got %X\nwant %X", enc, b)
	}
}

func TestDecodeGoldenV6(t *testing.T) {
	b := unhex(t, goldenV6)
	m, n, err := DecodeMessage(b, DecodeOptions{VerifyBodyCRC: true})
	if err != nil {
		t.Fatal(err)
	}
	if n != 116 || len(b) != 116 {
		t.Fatalf("size %d, golden %d bytes, want 116", n, len(b))
	}
	want := &MessageExt{
		Message:                   Message{Topic: "T"},
		StoreSize:                 116,
		CommitLogOffset:           4096,
		SysFlag:                   0x38,
		PreparedTransactionOffset: 1234,
		BornTimestamp:             1,
		StoreTimestamp:            2,
		BornHost:                  netip.MustParseAddrPort("[2001:db8::1]:40000"),
		StoreHost:                 netip.MustParseAddrPort("[2001:db8::2]:10911"),
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("decoded\n%+v\nwant\n%+v", m, want)
	}
	if m.TransactionType() != SysFlagTransactionCommit || !Dispatchable(m.SysFlag) {
		t.Errorf("transaction type %#x", m.TransactionType())
	}
	id := m.OffsetMsgID()
	if id != "20010DB800000000000000000000000200002A9F0000000000001000" || len(id) != OffsetMsgIDLenV6 {
		t.Errorf("OffsetMsgID = %s", id)
	}
	enc, err := EncodeMessageExt(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc, b) {
		t.Fatalf("EncodeMessageExt differs from golden:\n got %X\nwant %X", enc, b)
	}
	// Fixed positions the store patches in place, for IPv6 hosts.
	if p := RecordPosStoreTimestamp(m.SysFlag); p != 68 || b[p+7] != 2 {
		t.Errorf("RecordPosStoreTimestamp = %d", p)
	}
	if p := RecordPosBodyLength(m.SysFlag); p != 108 {
		t.Errorf("RecordPosBodyLength = %d, want 108", p)
	}
}

func TestDecodeGoldenMagicV2(t *testing.T) {
	// 5.x v2 magic: the topic length is two bytes, so the record is one
	// byte longer than MessageRecordSize says for v1.
	b := unhex(t, `
		0000005E          // TOTALSIZE 94 = 92 + topic 2
		DAA320AB          // MAGICCODE v2
		00000000 00000001 00000000 // BODYCRC, QUEUEID 1, FLAG
		0000000000000005  // QUEUEOFFSET 5
		0000000000000000  // PHYSICALOFFSET
		00000000          // SYSFLAG
		0000000000000000 7F000001 00000001 // BORNTIMESTAMP, BORNHOST 127.0.0.1:1
		0000000000000000 7F000001 00000002 // STORETIMESTAMP, STOREHOST 127.0.0.1:2
		00000000 0000000000000000 // RECONSUMETIMES, PREPAREDTRANSACTIONOFFSET
		00000000          // BODYLEN 0
		0002 4142         // TOPICLEN 2 (two bytes), "AB"
		0000              // PROPERTIESLEN 0
	`)
	m, n, err := DecodeMessage(b, DecodeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n != 94 || m.Topic != "AB" || m.QueueID != 1 || m.QueueOffset != 5 || m.StoreHost.Port() != 2 {
		t.Fatalf("decoded %+v (size %d)", m, n)
	}
	rec, err := ParseMessageRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	again, err := AppendMessageRecord(nil, &rec)
	if err != nil || !bytes.Equal(again, b) {
		t.Fatalf("AppendMessageRecord v2 = %X, %v", again, err)
	}
}

func testMessageExt() *MessageExt {
	return &MessageExt{
		Message: Message{
			Topic: "TopicTest",
			Flag:  1,
			Properties: map[string]string{
				PropertyTags: "TagA", PropertyKeys: "k1  k2", PropertyUniqClientMessageID: "7F0000010A2C18B4AAC27B1C3B1A0000",
			},
			Body: bytes.Repeat([]byte("x"), 1024),
		},
		QueueID:         1,
		QueueOffset:     9,
		CommitLogOffset: 1 << 40,
		BodyCRC:         BodyCRC(bytes.Repeat([]byte("x"), 1024)),
		BornTimestamp:   1700000000000,
		StoreTimestamp:  1700000000001,
		BornHost:        netip.MustParseAddrPort("127.0.0.1:50000"),
		StoreHost:       netip.MustParseAddrPort("[::1]:10911"),
	}
}

func TestMessageExtRoundTrip(t *testing.T) {
	m := testMessageExt()
	enc, err := EncodeMessageExt(m)
	if err != nil {
		t.Fatal(err)
	}
	wantSize := MessageRecordSize(SysFlagStoreHostV6, len(m.Body), len(m.Topic), PropertiesSize(m.Properties))
	if len(enc) != wantSize {
		t.Fatalf("encoded %d bytes, MessageRecordSize says %d", len(enc), wantSize)
	}
	got, n, err := DecodeMessage(enc, DecodeOptions{VerifyBodyCRC: true})
	if err != nil || n != len(enc) {
		t.Fatalf("decode: %v (n=%d)", err, n)
	}
	m.StoreSize = int32(len(enc))
	m.SysFlag = SysFlagStoreHostV6 // set by the encoder from the store host
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip\n%+v\nwant\n%+v", got, m)
	}
	if keys := got.Keys(); !reflect.DeepEqual(keys, []string{"k1", "k2"}) {
		t.Errorf("Keys = %q", keys)
	}
	if got.MsgID() != "7F0000010A2C18B4AAC27B1C3B1A0000" {
		t.Errorf("MsgID = %s, want UNIQ_KEY", got.MsgID())
	}
}

func TestDecodeCompressedBody(t *testing.T) {
	plain := bytes.Repeat([]byte("compress me "), 500)
	z, err := CompressBody(plain, DefaultCompressLevel)
	if err != nil {
		t.Fatal(err)
	}
	for _, sysFlag := range []int32{SysFlagCompressed, SysFlagCompressed | SysFlagCompressionZlib} {
		m := testMessageExt()
		m.Body, m.BodyCRC, m.SysFlag = z, BodyCRC(z), sysFlag
		enc, err := EncodeMessageExt(m)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := DecodeMessage(enc, DecodeOptions{VerifyBodyCRC: true})
		if err != nil {
			t.Fatalf("sysFlag %#x: %v", sysFlag, err)
		}
		if !bytes.Equal(got.Body, plain) {
			t.Fatalf("sysFlag %#x: body not decompressed", sysFlag)
		}
		kept, _, err := DecodeMessage(enc, DecodeOptions{KeepCompressed: true})
		if err != nil || !bytes.Equal(kept.Body, z) {
			t.Fatalf("KeepCompressed: %v", err)
		}
		again, _ := EncodeMessageExt(kept)
		if !bytes.Equal(again, enc) {
			t.Fatal("re-encoding a KeepCompressed message changed the bytes")
		}
	}
	// ZSTD is named, not silently passed through.
	m := testMessageExt()
	m.SysFlag = SysFlagCompressed | SysFlagCompressionZSTD
	enc, _ := EncodeMessageExt(m)
	if _, _, err := DecodeMessage(enc, DecodeOptions{}); !errors.Is(err, ErrUnsupportedCompression) || !strings.Contains(err.Error(), "ZSTD") {
		t.Fatalf("ZSTD body: err = %v", err)
	}
	if _, _, err := DecodeMessage(enc, DecodeOptions{SkipBody: true}); err != nil {
		t.Fatalf("SkipBody must not decompress: %v", err)
	}
}

func TestDecodeBodyCRCMismatch(t *testing.T) {
	b := unhex(t, goldenV4)
	b[RecordPosBodyCRC+3] ^= 1
	if _, _, err := DecodeMessage(b, DecodeOptions{VerifyBodyCRC: true}); !errors.Is(err, ErrBodyCRC) {
		t.Fatalf("err = %v, want ErrBodyCRC", err)
	}
	if _, _, err := DecodeMessage(b, DecodeOptions{}); err != nil {
		t.Fatalf("without VerifyBodyCRC: %v", err)
	}
}

func TestDecodeMessages(t *testing.T) {
	v4, v6 := unhex(t, goldenV4), unhex(t, goldenV6)
	body := append(append(append([]byte{}, v4...), v6...), v4...)
	msgs, err := DecodeMessages(body)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 3 || msgs[0].Topic != "TopicTest" || msgs[1].Topic != "T" || msgs[2].QueueOffset != 42 {
		t.Fatalf("got %d messages", len(msgs))
	}
	if msgs, err := DecodeMessages(nil); err != nil || msgs != nil {
		t.Fatalf("empty body: %v, %v", msgs, err)
	}
	// A truncated third record: the first two come back with an error
	// naming the index and offset.
	msgs, err = DecodeMessages(body[:len(body)-1])
	if len(msgs) != 2 || !errors.Is(err, ErrMalformedRecord) || !strings.Contains(err.Error(), "message 2 at offset 230") {
		t.Fatalf("truncated: %d messages, err %v", len(msgs), err)
	}
}

func TestDecodeMalformed(t *testing.T) {
	v4 := unhex(t, goldenV4)
	mutate := func(pos int, with ...byte) []byte { return patched(v4, pos, with...) }
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"short", v4[:6], "need 8 bytes"},
		{"bad magic", mutate(RecordPosMagic, 0, 0, 0, 0), "MAGICCODE at +4"},
		{"size too small", mutate(0, 0, 0, 0, 10), "TOTALSIZE at +0: 10"},
		{"size past end", mutate(0, 0, 0, 1, 0), "TOTALSIZE at +0: 256"},
		{"negative body", mutate(84, 0xFF, 0xFF, 0xFF, 0xFF), "BODYLEN at +84: negative"},
		{"body past end", mutate(84, 0, 0, 1, 0), "BODY at +88"},
		{"topic past end", mutate(93, 100), "TOPIC at +94"},
		{"negative topic", mutate(93, 0x80), "TOPICLEN at +93: negative"},
		{"props past end", mutate(103, 0, 10), "PROPERTIES at +105"},
		{"props short", mutate(103, 0, 8), "fields end at 113 but TOTALSIZE is 114"},
		{"bad port", mutate(52, 0, 1, 0, 0), "BORNHOST port at +52: 65536"},
	}
	for _, tt := range tests {
		_, _, err := DecodeMessage(tt.in, DecodeOptions{})
		if !errors.Is(err, ErrMalformedRecord) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	blank := unhex(t, "00000010 CBD43194 0000000000000000")
	if _, err := ParseMessageRecord(blank); !errors.Is(err, ErrBlankRecord) {
		t.Errorf("blank: err = %v", err)
	}
}

func TestEncodeLimits(t *testing.T) {
	m := testMessageExt()
	m.Topic = strings.Repeat("t", 128)
	if _, err := EncodeMessageExt(m); err == nil || !strings.Contains(err.Error(), "128 bytes") {
		t.Errorf("long topic: %v", err)
	}
	m = testMessageExt()
	m.Properties = map[string]string{"BIG": strings.Repeat("v", MaxPropertiesSize)}
	if _, err := EncodeMessageExt(m); err == nil || !strings.Contains(err.Error(), "properties") {
		t.Errorf("long properties: %v", err)
	}
	dst := []byte("keep")
	if out, err := AppendMessageExt(dst, m); err == nil || string(out) != "keep" {
		t.Errorf("a failed append must leave dst alone: %q", out)
	}
}

func TestMessageHelpers(t *testing.T) {
	var m Message
	if m.Keys() != nil || m.Tags() != "" || m.DelayLevel() != 0 || !m.WaitStoreMsgOK() {
		t.Fatal("zero message helpers")
	}
	m.SetProperty(PropertyKeys, "  ")
	m.SetProperty(PropertyDelayTimeLevel, "3")
	m.SetProperty(PropertyWaitStoreMsgOK, "TRUE")
	if m.Keys() != nil || m.DelayLevel() != 3 || !m.WaitStoreMsgOK() {
		t.Fatal("helpers")
	}
	m.SetProperty(PropertyWaitStoreMsgOK, "false")
	m.SetProperty(PropertyDelayTimeLevel, "x")
	if m.WaitStoreMsgOK() || m.DelayLevel() != 0 {
		t.Fatal("WAIT=false / bad DELAY")
	}
	if !maps.Equal(m.Properties, map[string]string{"KEYS": "  ", "DELAY": "x", "WAIT": "false"}) {
		t.Fatal(m.Properties)
	}
	if WithTransactionType(SysFlagTransactionPrepared|SysFlagCompressed, SysFlagTransactionCommit) != SysFlagTransactionCommit|SysFlagCompressed {
		t.Fatal("WithTransactionType")
	}
	if Dispatchable(SysFlagTransactionPrepared) || Dispatchable(SysFlagTransactionRollback) {
		t.Fatal("half and rolled-back records are not dispatched")
	}
}
