package protocol

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// A client message id (the UNIQ_KEY property) is made by the producer
// before sending, laid out as upstream 4.x MessageClientIDSetter does:
//
//	client IP   4 bytes (16 on an IPv6-only host)
//	pid         2 bytes, low 16 bits
//	salt        4 bytes, Java's class-loader hash
//	time        4 bytes, ms since the start of the current month (local
//	            time), unsigned: it passes 2^31 late in long months
//	counter     2 bytes, incrementing
//
// in uppercase hex: 32 characters, or 56 with an IPv6 address.
const (
	UniqIDLenV4 = 2 * (4 + 2 + 4 + 4 + 2)
	UniqIDLenV6 = 2 * (16 + 2 + 4 + 4 + 2)
)

// UniqID is a parsed client message id.
type UniqID struct {
	IP      netip.Addr
	PID     uint16
	Salt    int32  // the Java client's class-loader hash
	Millis  uint32 // ms since the start of the month it was made in
	Counter uint16
}

// ParseUniqID splits a client message id into its fields.
func ParseUniqID(id string) (UniqID, error) {
	var raw [UniqIDLenV6 / 2]byte
	ipLen := 4
	switch len(id) {
	case UniqIDLenV4:
	case UniqIDLenV6:
		ipLen = 16
	default:
		return UniqID{}, fmt.Errorf("%w: client message id %q has %d characters, want %d or %d",
			ErrBadMsgID, id, len(id), UniqIDLenV4, UniqIDLenV6)
	}
	b := raw[:len(id)/2]
	if err := decodeHex(b, id); err != nil {
		return UniqID{}, fmt.Errorf("client message id %q: %w", id, err)
	}
	var u UniqID
	if ipLen == 4 {
		u.IP = netip.AddrFrom4([4]byte(b[:4]))
	} else {
		u.IP = netip.AddrFrom16([16]byte(b[:16]))
	}
	rest := b[ipLen:]
	u.PID = binary.BigEndian.Uint16(rest)
	u.Salt = int32(binary.BigEndian.Uint32(rest[2:]))
	u.Millis = binary.BigEndian.Uint32(rest[6:])
	u.Counter = binary.BigEndian.Uint16(rest[10:])
	return u, nil
}

// Time returns when the id was made, as upstream getNearlyTimeFromID
// works it out: Millis after the start of now's month, or of the month
// before when that would not be before now. The month is taken in
// now's location, which should be the producer's.
func (u UniqID) Time(now time.Time) time.Time {
	start := monthStart(now)
	t := start.Add(time.Duration(u.Millis) * time.Millisecond)
	if !t.Before(now) {
		t = start.AddDate(0, -1, 0).Add(time.Duration(u.Millis) * time.Millisecond)
	}
	return t
}

func monthStart(t time.Time) time.Time {
	y, m, _ := t.Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, t.Location())
}

// UniqIDGenerator makes client message ids. It is safe for concurrent use.
type UniqIDGenerator struct {
	prefix    [UniqIDLenV6 - 12]byte // hex of IP, pid and salt
	prefixLen int
	counter   atomic.Uint32
	now       func() time.Time // time.Now unless a test sets it

	mu     sync.Mutex
	window atomic.Pointer[monthWindow]
}

// monthWindow is the current month in ms since the epoch: ids made at
// or after next start a new window.
type monthWindow struct{ start, next int64 }

// NewUniqIDGenerator returns a generator for ids naming the given client
// address (IPv4 gives 32-character ids, anything else 56), process id and
// salt. Times are taken in loc's months (time.Local when nil).
func NewUniqIDGenerator(ip netip.Addr, pid int, salt int32, loc *time.Location) *UniqIDGenerator {
	if loc == nil {
		loc = time.Local
	}
	g := &UniqIDGenerator{now: func() time.Time { return time.Now().In(loc) }}
	var raw [22]byte
	b := raw[:0]
	if ip.Is4() {
		a := ip.As4()
		b = append(b, a[:]...)
	} else {
		a := ip.As16()
		b = append(b, a[:]...)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(pid))
	b = binary.BigEndian.AppendUint32(b, uint32(salt))
	g.prefixLen = len(appendHex(g.prefix[:0], b))
	return g
}

// NewLocalUniqIDGenerator is NewUniqIDGenerator with this host's address
// (the first public IPv4, else a private IPv4, else a global IPv6, else a
// made-up IPv4 from the clock, as upstream does), this process's pid and a
// random salt standing in for Java's class-loader hash, so that processes
// with equal pids in different containers still differ.
func NewLocalUniqIDGenerator() *UniqIDGenerator {
	return NewUniqIDGenerator(localIP(), os.Getpid(), rand.Int32(), nil)
}

func localIP() netip.Addr {
	var private, v6 netip.Addr
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		pfx, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(pfx.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast() {
			continue
		}
		switch {
		case ip.Is4() && !ip.IsPrivate():
			return ip
		case ip.Is4() && !private.IsValid():
			private = ip
		case ip.Is6() && ip.IsGlobalUnicast() && !ip.IsPrivate() && !v6.IsValid():
			v6 = ip
		}
	}
	if private.IsValid() {
		return private
	}
	if v6.IsValid() {
		return v6
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(time.Now().UnixMilli()))
	return netip.AddrFrom4([4]byte(b[4:]))
}

// Next returns a new id.
func (g *UniqIDGenerator) Next() string {
	var buf [UniqIDLenV6]byte
	return string(g.AppendNext(buf[:0]))
}

// AppendNext appends a new id to dst.
func (g *UniqIDGenerator) AppendNext(dst []byte) []byte {
	now := g.now()
	ms := now.UnixMilli()
	w := g.window.Load()
	if w == nil || ms >= w.next {
		w = g.advance(now)
	}
	diff := ms - w.start
	if diff < 0 && diff > -1_000_000 {
		diff = 0 // the clock stepped back (NTP); upstream pins to the month start
	}
	var tail [6]byte
	binary.BigEndian.PutUint32(tail[:], uint32(diff))
	binary.BigEndian.PutUint16(tail[4:], uint16(g.counter.Add(1)-1))
	dst = append(dst, g.prefix[:g.prefixLen]...)
	return appendHex(dst, tail[:])
}

// advance moves the window to now's month (once, however many callers
// race here).
func (g *UniqIDGenerator) advance(now time.Time) *monthWindow {
	g.mu.Lock()
	defer g.mu.Unlock()
	ms := now.UnixMilli()
	if w := g.window.Load(); w != nil && ms < w.next {
		return w
	}
	start := monthStart(now)
	w := &monthWindow{start: start.UnixMilli(), next: start.AddDate(0, 1, 0).UnixMilli()}
	g.window.Store(w)
	return w
}
