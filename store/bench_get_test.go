package store_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store"
)

// BenchmarkGetMessage pulls 32-message batches from one queue of 64,000
// stored messages: unfiltered, with a tag filter that matches one message
// in ten (decided on the consume queue unit), and with a properties filter
// (SQL92's path) that matches one in ten and has to look at every record.
// Figures are per GetMessage call; compare variants within one run.
func BenchmarkGetMessage(b *testing.B) {
	const total = 64_000
	o := store.DefaultOptions(b.TempDir())
	o.MappedFileSizeCommitLog = 64 << 20
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := store.Open(o)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	body := string(make([]byte, 256))
	for i := range total {
		props := map[string]string{"TAGS": fmt.Sprintf("t%d", i%10), "a": fmt.Sprint(i % 10)}
		if res := s.PutMessage(input("Get", 0, body, props)); res.Status != store.PutOK {
			b.Fatal(res.Status, res.Remark)
		}
	}
	waitDispatched(b, s)

	wantTag := protocol.JavaStringHash("t3")
	// a=3 as the encoded properties hold it: name 0x01 value, pairs
	// separated by 0x02.
	hasA3 := func(p []byte) bool {
		return bytes.HasPrefix(p, []byte("a\x013\x02")) || bytes.Contains(p, []byte("\x02a\x013\x02")) ||
			bytes.HasSuffix(p, []byte("\x02a\x013"))
	}
	for _, bc := range []struct {
		name   string
		filter *store.Filter
	}{
		{"all", nil},
		{"tags", &store.Filter{TagsCode: func(c int64) bool { return c == int64(wantTag) }}},
		{"properties", &store.Filter{Properties: hasA3}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var msgs, offset int64
			for range b.N {
				res, err := s.GetMessage("g", "Get", 0, offset, 32, 0, bc.filter)
				if err != nil || res.Status != store.Found {
					b.Fatalf("at %d: %v %v", offset, err, res.Status)
				}
				msgs += int64(len(res.Messages))
				offset = res.NextBeginOffset
				if offset >= total-1000 {
					offset = 0
				}
				res.Release()
			}
			b.ReportMetric(float64(msgs)/float64(b.N), "msgs/op")
		})
	}
}
