package segment

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

type populated struct {
	f        *File
	from, to int
}

// populateLog receives what populate covered, in order.
type populateLog struct {
	ch      chan populated
	first   map[*File]int // where warming of each file started
	covered map[*File]int // how far each file is known to be warmed
}

// recordPopulate makes populate report every range it covers (after doing
// the real thing), or fail with fail, until the test ends.
func recordPopulate(t *testing.T, fail error) *populateLog {
	t.Helper()
	log := &populateLog{ch: make(chan populated, 1024), first: map[*File]int{}, covered: map[*File]int{}}
	real := populate
	populate = func(f *File, from, to int) error {
		if fail != nil {
			return fail
		}
		err := real(f, from, to)
		log.ch <- populated{f, from, to}
		return err
	}
	t.Cleanup(func() { populate = real })
	return log
}

// waitWarmed waits until populate has covered f up to want.
func (log *populateLog) waitWarmed(t *testing.T, f *File, want int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for log.covered[f] < want {
		select {
		case p := <-log.ch:
			if _, ok := log.first[p.f]; !ok {
				log.first[p.f] = p.from
			}
			log.covered[p.f] = max(log.covered[p.f], p.to)
		case <-deadline:
			t.Fatalf("warmed to %d, want %d", log.covered[f], want)
		}
	}
}

func TestWarmerStaysAheadOfTheWriter(t *testing.T) {
	log := recordPopulate(t, nil)
	const size, ahead = 4 * warmChunk, 2 * warmChunk
	l, err := OpenList(t.TempDir(), size)
	if err != nil {
		t.Fatal(err)
	}
	f, err := l.LastOrCreate(0)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("0123456789abcdef"), 100_000/16) // not page-aligned
	if _, err := f.Append(data); err != nil {
		t.Fatal(err)
	}
	l.StartWarming(ahead)
	l.StartWarming(ahead) // no second goroutine
	log.waitWarmed(t, f, len(data)+ahead)
	if start := len(data) - len(data)%pageSize; log.first[f] != start {
		t.Fatalf("warming started at %d, want the page of the write position, %d", log.first[f], start)
	}
	if b, _ := f.Slice(0, len(data)); !bytes.Equal(b, data) {
		t.Fatal("warming changed written bytes")
	}

	// Appending keeps the warmer at least ahead/2 in front, up to the end
	// of the file; a new file is warmed from its start.
	for f.Remaining() > 0 {
		if _, err := f.AppendWith(min(f.Remaining(), warmChunk), func(dst []byte) { clear(dst) }); err != nil {
			t.Fatal(err)
		}
		log.waitWarmed(t, f, min(f.WrotePosition()+ahead/2, size))
	}
	next, err := l.LastOrCreate(l.MaxOffset())
	if err != nil {
		t.Fatal(err)
	}
	log.waitWarmed(t, next, ahead)
	if log.first[next] != 0 {
		t.Fatalf("a new file warmed from %d", log.first[next])
	}

	w := l.warm
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.done:
	default:
		t.Fatal("Close returned before the warmer stopped")
	}
	if l.WarmError() != nil {
		t.Fatalf("warm error %v", l.WarmError())
	}
}

func TestWarmerGivesUpWhenUnsupported(t *testing.T) {
	recordPopulate(t, errWarmUnsupported)
	l, err := OpenList(t.TempDir(), 4*warmChunk)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.StartWarming(warmChunk)
	f, err := l.LastOrCreate(0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Append([]byte("x")); err != nil {
		t.Fatal(err)
	}
	<-l.warm.done // the warmer ends on the error
	if !errors.Is(l.WarmError(), errWarmUnsupported) {
		t.Fatalf("warm error %v", l.WarmError())
	}
	if _, err := f.Append([]byte("y")); err != nil { // the writer faults pages itself
		t.Fatal(err)
	}
}

// TestWarmerWithConcurrentWriter appends numbered records through several
// files while the warmer populates for real, then checks every record.
func TestWarmerWithConcurrentWriter(t *testing.T) {
	l, err := OpenList(t.TempDir(), warmChunk)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	l.StartWarming(warmChunk / 4)
	const recSize, n = 1024, 4 * warmChunk / 1024
	for seq := uint64(0); seq < n; seq++ {
		f, err := l.LastOrCreate(0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.AppendWith(recSize, func(dst []byte) {
			for p := 0; p < recSize; p += 8 {
				binary.BigEndian.PutUint64(dst[p:], seq)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.WarmError(); err != nil {
		t.Logf("warmer stopped: %v", err) // an old kernel: nothing to check but the data
	}
	for seq := uint64(0); seq < n; seq++ {
		off := int64(seq * recSize)
		f := l.FindByOffset(off)
		b, err := f.Slice(int(off-f.Base()), recSize)
		if err != nil {
			t.Fatal(err)
		}
		for p := 0; p < recSize; p += 8 {
			if binary.BigEndian.Uint64(b[p:]) != seq {
				t.Fatalf("record %d: %x", seq, b[p:p+8])
			}
		}
	}
}
