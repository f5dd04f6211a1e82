package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Offset message ids are the broker's ids for a stored record: the store
// host's IP (4 or 16 bytes), its port as a 4-byte integer and the record's
// commit-log offset (8 bytes), in uppercase hex. 32 characters for IPv4,
// 56 for IPv6.
const (
	OffsetMsgIDLenV4 = 2 * (4 + 4 + 8)
	OffsetMsgIDLenV6 = 2 * (16 + 4 + 8)
)

// ErrBadMsgID is wrapped by every message-id parsing error.
var ErrBadMsgID = errors.New("bad message id")

const hexDigits = "0123456789ABCDEF"

// appendHex appends b as uppercase hex, as upstream UtilAll.bytes2string.
func appendHex(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xF])
	}
	return dst
}

// decodeHex decodes s (either case) into dst, which must be len(s)/2 long.
func decodeHex(dst []byte, s string) error {
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return fmt.Errorf("%w: %q is not hex at position %d", ErrBadMsgID, s[2*i:2*i+2], 2*i)
		}
		dst[i] = hi<<4 | lo
	}
	return nil
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// AppendOffsetMsgID appends the offset message id of the record at
// commitLogOffset on storeHost. An IPv4 host (Addr().Is4(), or the zero
// AddrPort) gives 32 characters, anything else 56.
func AppendOffsetMsgID(dst []byte, storeHost netip.AddrPort, commitLogOffset int64) []byte {
	var raw [28]byte
	b := AppendHost(raw[:0], storeHost)
	b = binary.BigEndian.AppendUint64(b, uint64(commitLogOffset))
	return appendHex(dst, b)
}

// EncodeOffsetMsgID returns the offset message id as a string.
func EncodeOffsetMsgID(storeHost netip.AddrPort, commitLogOffset int64) string {
	var buf [OffsetMsgIDLenV6]byte
	return string(AppendOffsetMsgID(buf[:0], storeHost, commitLogOffset))
}

// DecodeOffsetMsgID splits an offset message id into the store host and
// commit-log offset. Like upstream, the length decides the IP width:
// 32 characters is IPv4, 56 is IPv6; hex of either case is accepted.
func DecodeOffsetMsgID(id string) (storeHost netip.AddrPort, commitLogOffset int64, err error) {
	var raw [28]byte
	var ipLen int
	switch len(id) {
	case OffsetMsgIDLenV4:
		ipLen = 4
	case OffsetMsgIDLenV6:
		ipLen = 16
	default:
		return storeHost, 0, fmt.Errorf("%w: offset message id %q has %d characters, want %d (IPv4) or %d (IPv6)",
			ErrBadMsgID, id, len(id), OffsetMsgIDLenV4, OffsetMsgIDLenV6)
	}
	b := raw[:len(id)/2]
	if err := decodeHex(b, id); err != nil {
		return storeHost, 0, fmt.Errorf("offset message id %q: %w", id, err)
	}
	port := binary.BigEndian.Uint32(b[ipLen:])
	if port > 0xFFFF {
		return storeHost, 0, fmt.Errorf("%w: offset message id %q holds port %d", ErrBadMsgID, id, int32(port))
	}
	var ip netip.Addr
	if ipLen == 4 {
		ip = netip.AddrFrom4([4]byte(b[:4]))
	} else {
		ip = netip.AddrFrom16([16]byte(b[:16]))
	}
	return netip.AddrPortFrom(ip, uint16(port)), int64(binary.BigEndian.Uint64(b[ipLen+4:])), nil
}
