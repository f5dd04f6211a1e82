package store_test

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/store"
	"github.com/rocketgo/rocketgo/store/storetest"
)

// indexFiles lists the index files of a closed store, oldest first.
func indexFiles(t *testing.T, o store.Options) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(o.Paths().Index, "[0-9]*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("index files: %v %v", files, err)
	}
	slices.Sort(files)
	return files
}

// indexHeader reads an index file's endTimestamp, endPhyOffset and count.
func indexHeader(t *testing.T, path string) (endTS, endPhy int64, count int32) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var h [40]byte
	if _, err := f.ReadAt(h[:], 0); err != nil {
		t.Fatal(err)
	}
	return int64(binary.BigEndian.Uint64(h[8:])), int64(binary.BigEndian.Uint64(h[24:])), int32(binary.BigEndian.Uint32(h[36:]))
}

// setCheckpointIndexTime writes the checkpoint's indexMsgTimestamp, as the
// flush of a full index file does.
func setCheckpointIndexTime(t *testing.T, o store.Options, ts int64) {
	t.Helper()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(ts))
	patchFile(t, o.Paths().Checkpoint, 16, b[:])
}

// cutCommitLog zeroes the commit log from off to the end of its segment:
// the tail a power cut took before it reached the disk.
func cutCommitLog(t *testing.T, o store.Options, off int64) {
	t.Helper()
	seg := int64(o.MappedFileSizeCommitLog)
	patchFile(t, segmentPath(o, off), off%seg, make([]byte, seg-off%seg))
}

// indexedKeyAt reports whether the record at phy carries key: what every
// offset the index gives for a key must satisfy.
func indexedKeyAt(s *store.Store, phy int64, key string) bool {
	m, err := s.LookMessageByOffset(phy)
	return err == nil && m.Properties[protocol.PropertyKeys] == key
}

// checkIndex checks that the keys of res[:alive] are each found exactly once
// and that no key has an index entry pointing anywhere but at its record.
func checkIndex(t *testing.T, s *store.Store, res []store.PutResult, alive int) {
	t.Helper()
	end := time.Now().Add(time.Hour).UnixMilli()
	for i, r := range res {
		key := fmt.Sprintf("key%d", i)
		for _, off := range s.IndexOffsets("Rec", key) {
			if off != r.WroteOffset && !indexedKeyAt(s, off, key) {
				t.Fatalf("%s: index entry points at %d, where no record carries it (its record was at %d, the log ends at %d)",
					key, off, r.WroteOffset, s.CommitLogMaxOffset())
			}
			if i >= alive {
				t.Fatalf("%s: the record was cut off, yet the index points at %d", key, off)
			}
		}
		q, err := s.QueryMessage("Rec", key, 32, 0, end)
		if err != nil {
			t.Fatal(err)
		}
		found := len(q.Messages)
		q.Release()
		if want := min(1, max(alive-i, 0)); found != want {
			t.Fatalf("%s (record %d of %d surviving): found %d messages, want %d", key, i, alive, found, want)
		}
	}
}

// A crash can leave an index file that reached the disk in pieces: here its
// slot table never did, while header and entries did. Upstream drops every
// index file past the checkpoint's indexMsgTimestamp after a crash; the
// store must then rebuild it, or the keys are lost for good.
func TestCrashRebuildsTornIndexFile(t *testing.T) {
	o := storetest.Options(t)
	res := fill(t, o, 50, true)
	files := indexFiles(t, o)
	if len(files) != 1 {
		t.Fatalf("want one index file, have %v", files)
	}
	patchFile(t, files[0], 40, make([]byte, o.MaxHashSlotNum*4)) // the slots
	s := storetest.Open(t, o)
	checkIndex(t, s, res, len(res))
}

// Only a full index file that was flushed survives a crash, and no file
// survives that points past the recovered end of the commit log, even a
// flushed one (with ASYNC_FLUSH the index can reach the disk before the
// records it points at). Every surviving record is still found by key, and
// after new records reuse the cut-off bytes no entry points at them.
func TestRecoveryDropsIndexPastTheLog(t *testing.T) {
	for _, tc := range []struct {
		name      string
		crash     bool
		lagEndPhy bool // the full file's put was stopped before endPhyOffset moved
	}{
		{"crash", true, false},
		{"crash/endPhyOffset lagging", true, true},
		{"clean exit", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := storetest.Options(t)
			o.MaxHashSlotNum = 16
			o.MaxIndexNum = 40 // 39 entries a file; one key a message
			res := fill(t, o, 100, tc.crash)
			files := indexFiles(t, o)
			if len(files) != 3 {
				t.Fatalf("want three index files, have %d", len(files))
			}
			endTS, endPhy, count := indexHeader(t, files[1])
			if count != 40 || endPhy != res[77].WroteOffset {
				t.Fatalf("second file: count %d, endPhyOffset %d", count, endPhy)
			}
			// Both full files were flushed; the checkpoint says so.
			setCheckpointIndexTime(t, o, endTS)
			cut := 77 // the record of the second file's last entry
			if !tc.lagEndPhy {
				cut = 50
			} else {
				var b [8]byte
				binary.BigEndian.PutUint64(b[:], uint64(res[76].WroteOffset))
				patchFile(t, files[1], 24, b[:])
			}
			cutCommitLog(t, o, res[cut].WroteOffset)

			s := storetest.Open(t, o)
			if s.CommitLogMaxOffset() != res[cut].WroteOffset {
				t.Fatalf("log ends at %d, want %d", s.CommitLogMaxOffset(), res[cut].WroteOffset)
			}
			checkIndex(t, s, res, cut)
			// New records take the cut-off bytes; old entries must not
			// lead to them.
			for i := range 60 {
				mustPut(t, s, input("Rec", int32(i%2), fmt.Sprintf("n%d", i), map[string]string{"KEYS": fmt.Sprintf("new%d", i)}))
			}
			waitDispatched(t, s)
			checkIndex(t, s, res, cut)
		})
	}
}
