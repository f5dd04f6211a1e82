package protocol

import (
	"errors"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOffsetMsgID(t *testing.T) {
	tests := []struct {
		host   string
		offset int64
		id     string
	}{
		// C0A80001 = 192.168.0.1, 00002A9F = port 10911, then the offset.
		{"192.168.0.1:10911", 0, "C0A8000100002A9F0000000000000000"},
		{"10.0.0.1:10911", 4294967396, "0A00000100002A9F0000000100000064"},
		{"255.255.255.255:65535", -1, "FFFFFFFF0000FFFFFFFFFFFFFFFFFFFF"},
		{"[2001:db8::2]:10911", 4096, "20010DB800000000000000000000000200002A9F0000000000001000"},
	}
	for _, tt := range tests {
		host := netip.MustParseAddrPort(tt.host)
		if got := EncodeOffsetMsgID(host, tt.offset); got != tt.id {
			t.Errorf("EncodeOffsetMsgID(%s, %d) = %s, want %s", tt.host, tt.offset, got, tt.id)
		}
		for _, id := range []string{tt.id, strings.ToLower(tt.id)} {
			h, off, err := DecodeOffsetMsgID(id)
			if err != nil || h != host || off != tt.offset {
				t.Errorf("DecodeOffsetMsgID(%s) = %s, %d, %v", id, h, off, err)
			}
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		AppendOffsetMsgID(make([]byte, 0, 64), netip.MustParseAddrPort("1.2.3.4:5"), 7)
	}); n > 1 {
		t.Errorf("AppendOffsetMsgID allocates %v times", n)
	}
}

func TestDecodeOffsetMsgIDErrors(t *testing.T) {
	for _, id := range []string{
		"",
		"C0A8000100002A9F000000000000000",   // 31 characters
		"C0A8000100002A9F000000000000000G",  // not hex
		"C0A8000100012A9F0000000000000000",  // port 0x12A9F > 65535
		"C0A8000100002A9F00000000000000000", // 33 characters
	} {
		if _, _, err := DecodeOffsetMsgID(id); !errors.Is(err, ErrBadMsgID) {
			t.Errorf("DecodeOffsetMsgID(%q): err = %v", id, err)
		}
	}
}

func fixedGenerator(ip string, pid int, salt int32, now *time.Time) *UniqIDGenerator {
	g := NewUniqIDGenerator(netip.MustParseAddr(ip), pid, salt, time.UTC)
	g.now = func() time.Time { return *now }
	return g
}

func TestUniqIDLayout(t *testing.T) {
	now := time.Date(2024, 3, 5, 10, 0, 0, 250e6, time.UTC)
	g := fixedGenerator("192.168.1.10", 0x12345, -1, &now)
	// 4 days 10 h 250 ms after March 1 = 381600250 ms = 0x16BEC1FA.
	want := []string{
		"C0A8010A" + "2345" + "FFFFFFFF" + "16BEC1FA" + "0000",
		"C0A8010A" + "2345" + "FFFFFFFF" + "16BEC1FA" + "0001",
	}
	for _, w := range want {
		if got := g.Next(); got != w {
			t.Fatalf("Next = %s, want %s", got, w)
		}
	}
	u, err := ParseUniqID(want[1])
	if err != nil {
		t.Fatal(err)
	}
	if u.IP != netip.MustParseAddr("192.168.1.10") || u.PID != 0x2345 || u.Salt != -1 || u.Millis != 381600250 || u.Counter != 1 {
		t.Fatalf("ParseUniqID = %+v", u)
	}
	later := now.Add(time.Hour)
	if got := u.Time(later); !got.Equal(now) {
		t.Errorf("Time = %v, want %v", got, now)
	}
	// Read on the 1st of April, the offset lands in March again.
	if got := u.Time(time.Date(2024, 4, 1, 0, 0, 1, 0, time.UTC)); !got.Equal(time.Date(2024, 3, 5, 10, 0, 0, 250e6, time.UTC)) {
		t.Errorf("Time next month = %v", got)
	}
	// Read before the offset is reached this month: the previous month.
	if got := u.Time(time.Date(2024, 4, 2, 0, 0, 0, 0, time.UTC)); !got.Equal(time.Date(2024, 3, 5, 10, 0, 0, 250e6, time.UTC)) {
		t.Errorf("Time = %v", got)
	}
}

func TestUniqIDMonthRollAndLongMonths(t *testing.T) {
	// 30 days 23 h into January: 2674800000 ms (0x9F6E3580), past 2^31,
	// written as an unsigned 32-bit value.
	now := time.Date(2024, 1, 31, 23, 0, 0, 0, time.UTC)
	g := fixedGenerator("10.0.0.1", 1, 0, &now)
	id := g.Next()
	if !strings.HasSuffix(id, "9F6E35800000") {
		t.Fatalf("id %s", id)
	}
	u, _ := ParseUniqID(id)
	if u.Millis != 2674800000 || !u.Time(now.Add(time.Minute)).Equal(now) {
		t.Fatalf("Millis %d, Time %v", u.Millis, u.Time(now.Add(time.Minute)))
	}
	// Into February: the window moves and the time restarts from 0.
	now = time.Date(2024, 2, 1, 0, 0, 1, 0, time.UTC)
	if id := g.Next(); !strings.HasSuffix(id, "000003E80001") {
		t.Fatalf("after the month roll: %s", id)
	}
	// A clock step back of under 1000 s across the month start pins to 0.
	now = time.Date(2024, 1, 31, 23, 59, 0, 0, time.UTC)
	if id := g.Next(); !strings.HasSuffix(id, "000000000002") {
		t.Fatalf("after a clock step back: %s", id)
	}
}

func TestUniqIDv6AndErrors(t *testing.T) {
	now := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	g := fixedGenerator("2001:db8::7", 2, 3, &now)
	id := g.Next()
	if len(id) != UniqIDLenV6 || !strings.HasPrefix(id, "20010DB8000000000000000000000007"+"0002"+"00000003") {
		t.Fatalf("v6 id %s", id)
	}
	u, err := ParseUniqID(id)
	if err != nil || u.IP != netip.MustParseAddr("2001:db8::7") {
		t.Fatalf("ParseUniqID = %+v, %v", u, err)
	}
	for _, bad := range []string{"", "ABC", strings.Repeat("Z", 32)} {
		if _, err := ParseUniqID(bad); !errors.Is(err, ErrBadMsgID) {
			t.Errorf("ParseUniqID(%q): %v", bad, err)
		}
	}
}

func TestUniqIDGeneratorConcurrent(t *testing.T) {
	g := NewLocalUniqIDGenerator()
	const workers, each = 8, 1000
	ids := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				ids[w] = append(ids[w], g.Next())
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, list := range ids {
		for _, id := range list {
			if seen[id] {
				t.Fatalf("duplicate id %s", id)
			}
			seen[id] = true
		}
	}
	u, err := ParseUniqID(g.Next())
	if err != nil {
		t.Fatal(err)
	}
	if u.PID != uint16(os.Getpid()) || !u.IP.IsValid() || u.IP.IsLoopback() {
		t.Fatalf("local id fields %+v", u)
	}
	if u.Counter != workers*each {
		t.Fatalf("counter %d, want %d", u.Counter, workers*each)
	}
}
