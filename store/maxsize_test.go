package store_test

import (
	"strings"
	"testing"

	"github.com/rocketgo/rocketgo/store"
	"github.com/rocketgo/rocketgo/store/storetest"
)

// TestSetMaxMessageSize changes the body limit of a running store: single
// messages and batches are held to the new limit from the next put, a
// raised limit lets through what the old one refused and a lowered one
// refuses what the old one let through.
func TestSetMaxMessageSize(t *testing.T) {
	s := storetest.MustOpen(t, func(o *store.Options) { o.MaxMessageSize = 16 << 10 })
	body := func(n int) string { return strings.Repeat("m", n) }
	batch := func(n int) *store.BatchInput {
		return &store.BatchInput{Topic: "Limit", WaitStoreMsgOK: true, Messages: []store.BatchMessage{
			{Body: []byte(body(n / 2))}, {Body: []byte(body(n - n/2))},
		}}
	}
	if res := s.PutMessage(input("Limit", 0, body(20<<10), nil)); res.Status != store.MessageIllegal || !strings.Contains(res.Remark, "maxMessageSize 16384") {
		t.Fatalf("20 KiB under 16 KiB: %v %q", res.Status, res.Remark)
	}
	if res := s.PutMessages(batch(20 << 10)); res.Status != store.MessageIllegal {
		t.Fatalf("batch of 20 KiB under 16 KiB: %v %q", res.Status, res.Remark)
	}

	if err := s.SetMaxMessageSize(32 << 10); err != nil {
		t.Fatal(err)
	}
	if s.MaxMessageSize() != 32<<10 {
		t.Fatalf("limit %d, want %d", s.MaxMessageSize(), 32<<10)
	}
	mustPut(t, s, input("Limit", 0, body(20<<10), nil))
	if res := s.PutMessages(batch(20 << 10)); res.Status != store.PutOK {
		t.Fatalf("batch of 20 KiB under 32 KiB: %v %q", res.Status, res.Remark)
	}

	if err := s.SetMaxMessageSize(8 << 10); err != nil {
		t.Fatal(err)
	}
	if res := s.PutMessage(input("Limit", 0, body(12<<10), nil)); res.Status != store.MessageIllegal {
		t.Fatalf("12 KiB under a lowered 8 KiB: %v %q", res.Status, res.Remark)
	}
	if res := s.PutMessages(batch(12 << 10)); res.Status != store.MessageIllegal {
		t.Fatalf("batch of 12 KiB under a lowered 8 KiB: %v %q", res.Status, res.Remark)
	}
	mustPut(t, s, input("Limit", 0, body(8<<10), nil))

	// A limit above a segment is capped by the segment, as at Open: the
	// record that cannot fit one is refused, not failed at append.
	if err := s.SetMaxMessageSize(4 << 20); err != nil {
		t.Fatal(err)
	}
	if res := s.PutMessage(input("Limit", 0, body(1<<20), nil)); res.Status != store.MessageIllegal || !strings.Contains(res.Remark, "exceeds the limit") {
		t.Fatalf("a record larger than a segment: %v %q", res.Status, res.Remark)
	}
	for _, bad := range []int{0, -1} {
		if err := s.SetMaxMessageSize(bad); err == nil || s.MaxMessageSize() != 4<<20 {
			t.Fatalf("SetMaxMessageSize(%d): %v, limit now %d", bad, err, s.MaxMessageSize())
		}
	}
}
