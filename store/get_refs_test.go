package store

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
)

// refsStore opens a store whose 60 messages of about 2 KB span two 64 KiB
// commit log segments, and returns it with the commit log offset of each.
func refsStore(t *testing.T) (*Store, []int64) {
	t.Helper()
	o := DefaultOptions(t.TempDir())
	o.MappedFileSizeCommitLog = 64 << 10
	o.MaxHashSlotNum, o.MaxIndexNum = 64, 256
	o.MaxTransferCountOnMessageInMemory = 64
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var offs []int64
	for i := range 60 {
		res := s.PutMessage(&MessageInput{
			Topic: "Refs", Body: []byte(fmt.Sprintf("m%d-%s", i, strings.Repeat("b", 2000))),
			BornTimestamp: time.Now().UnixMilli(),
			Properties:    protocol.EncodeProperties(map[string]string{"n": strconv.Itoa(i), "KEYS": "k"}),
		})
		if res.Status != PutOK {
			t.Fatal(res.Status, res.Remark)
		}
		offs = append(offs, res.WroteOffset)
	}
	if s.commitLog.Segments().Len() != 2 {
		t.Fatalf("%d segments, want 2", s.commitLog.Segments().Len())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitDispatched(ctx); err != nil {
		t.Fatal(err)
	}
	return s, offs
}

// holders is each segment's reference count, the owner's included.
func holders(s *Store) []int {
	var n []int
	for _, f := range s.commitLog.Segments().Files() {
		n = append(n, f.Holders())
	}
	return n
}

// wantHolders checks the references the reads took on each segment: the
// counts above base (what the store's own services hold).
func wantHolders(t *testing.T, s *Store, base []int, want ...int) {
	t.Helper()
	got := holders(s)
	for i := range got {
		got[i] -= base[i]
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("segment references taken %v, want %v", got, want)
	}
}

// A GetMessage result holds one reference per segment it has records from,
// none for a segment all of whose records were filtered out, and Release
// drops exactly those.
func TestGetMessageHoldsEachSegmentOnce(t *testing.T) {
	s, offs := refsStore(t)
	seg := int64(64 << 10)
	only := func(keep func(n int) bool) *Filter {
		return &Filter{Properties: func(p []byte) bool {
			n, _ := strconv.Atoi(protocol.ParseProperties(p)["n"])
			return keep(n)
		}}
	}
	inSecond := func(n int) bool { return offs[n] >= seg }
	for _, tc := range []struct {
		name   string
		filter *Filter
		want   []int // references taken while the result is held
	}{
		{"all", nil, []int{1, 1}},
		{"second segment only", only(inSecond), []int{0, 1}},
		{"first segment only", only(func(n int) bool { return !inSecond(n) }), []int{1, 0}},
		{"every third", only(func(n int) bool { return n%3 == 0 }), []int{1, 1}},
		{"none", only(func(int) bool { return false }), []int{0, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := holders(s)
			res, err := s.GetMessage("g", "Refs", 0, 0, 64, 0, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			wantHolders(t, s, base, tc.want...)
			for i, b := range res.Messages {
				m, _, err := protocol.DecodeMessage(b, protocol.DecodeOptions{VerifyBodyCRC: true})
				if err != nil || !strings.HasPrefix(string(m.Body), fmt.Sprintf("m%d-", res.QueueOffsets[i])) {
					t.Fatalf("message %d: %v", i, err)
				}
			}
			res.Release()
			wantHolders(t, s, base, 0, 0)
		})
	}
}

func TestQueryMessageHoldsEachSegmentOnce(t *testing.T) {
	s, offs := refsStore(t)
	base := holders(s)
	q, err := s.QueryMessage("Refs", "k", 64, 0, time.Now().Add(time.Hour).UnixMilli())
	if err != nil || len(q.Messages) != len(offs) {
		t.Fatalf("query: %v, %d messages", err, len(q.Messages))
	}
	wantHolders(t, s, base, 1, 1)
	for _, b := range q.Messages {
		if _, _, err := protocol.DecodeMessage(b, protocol.DecodeOptions{VerifyBodyCRC: true}); err != nil {
			t.Fatal(err)
		}
	}
	q.Release()
	wantHolders(t, s, base, 0, 0)
}

// The views stay valid after the store is closed (its segments unmapped
// but for the result's references) until the result is released.
func TestGetMessageViewsOutliveClose(t *testing.T) {
	s, _ := refsStore(t)
	res, err := s.GetMessage("g", "Refs", 0, 0, 64, 0, nil)
	if err != nil || len(res.Messages) != 60 {
		t.Fatalf("get: %v, %d messages", err, len(res.Messages))
	}
	files := s.commitLog.Segments().Files()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for i, b := range res.Messages {
		m, _, err := protocol.DecodeMessage(b, protocol.DecodeOptions{VerifyBodyCRC: true})
		if err != nil || !strings.HasPrefix(string(m.Body), fmt.Sprintf("m%d-", i)) {
			t.Fatalf("message %d after close: %v", i, err)
		}
	}
	res.Release()
	for _, f := range files {
		if f.Mapped() {
			t.Fatalf("%s still mapped after the last release", f.Path())
		}
	}
}
