package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// localOffsets stores a broadcasting consumer's offsets in a file of its
// own (upstream LocalFileOffsetStore): every consumer of a broadcasting
// group consumes everything, so its progress is nobody else's business.
//
// The file is <dir>/<instance name>/<group>/offsets.json, written whole
// to a temporary file, synced and renamed over the old one, which is kept
// as offsets.json.bak. Two broadcasting consumers of one group on one
// host need different instance names (or directories).
type localOffsets struct {
	memOffsets
	path string

	fileMu sync.Mutex // one writer at a time
	stored map[MessageQueue]int64
}

func newLocalOffsets(dir, instanceName, group string) *localOffsets {
	return &localOffsets{path: filepath.Join(dir, instanceName, group, "offsets.json")}
}

// defaultOffsetDir is upstream's ~/.rocketmq_offsets.
func defaultOffsetDir() string {
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".rocketmq_offsets")
}

// offsetFile is the file's JSON: a list, since JSON object keys cannot
// hold a queue.
type offsetFile struct {
	OffsetTable []offsetEntry `json:"offsetTable"`
}

type offsetEntry struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int32  `json:"queueId"`
	Offset     int64  `json:"offset"`
}

// decodeOffsetFile reads an offsets file, refusing anything that is not
// a list of queues with non-negative offsets.
func decodeOffsetFile(data []byte) (map[MessageQueue]int64, error) {
	var f offsetFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the JSON object")
	}
	out := make(map[MessageQueue]int64, len(f.OffsetTable))
	for i, e := range f.OffsetTable {
		if e.Topic == "" || e.BrokerName == "" || e.QueueID < 0 || e.Offset < 0 {
			return nil, fmt.Errorf("entry %d: %+v is not a queue with an offset", i, e)
		}
		out[MessageQueue{Topic: e.Topic, BrokerName: e.BrokerName, QueueID: e.QueueID}] = e.Offset
	}
	return out, nil
}

func encodeOffsetFile(m map[MessageQueue]int64) []byte {
	f := offsetFile{OffsetTable: []offsetEntry{}}
	for mq, off := range m {
		f.OffsetTable = append(f.OffsetTable, offsetEntry{Topic: mq.Topic, BrokerName: mq.BrokerName, QueueID: mq.QueueID, Offset: off})
	}
	slices.SortFunc(f.OffsetTable, func(a, b offsetEntry) int {
		return compareQueues(MessageQueue{a.Topic, a.BrokerName, a.QueueID}, MessageQueue{b.Topic, b.BrokerName, b.QueueID})
	})
	b, _ := json.MarshalIndent(&f, "", "  ") // plain strings and numbers cannot fail
	return append(b, '\n')
}

// load reads the file, or its backup when the file is missing or does not
// decode. No file at all is an empty table.
func (s *localOffsets) load() error {
	m, err := s.readFile(s.path)
	if err != nil {
		bak, berr := s.readFile(s.path + ".bak")
		if berr != nil {
			if errors.Is(err, fs.ErrNotExist) && errors.Is(berr, fs.ErrNotExist) {
				m = map[MessageQueue]int64{}
			} else {
				return fmt.Errorf("client: load offsets: %w (backup: %w)", err, berr)
			}
		} else {
			m = bak
		}
	}
	s.fileMu.Lock()
	s.stored = m
	s.fileMu.Unlock()
	for mq, off := range m {
		s.update(mq, off, false)
	}
	return nil
}

func (s *localOffsets) readFile(path string) (map[MessageQueue]int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := decodeOffsetFile(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func (s *localOffsets) readStore(_ context.Context, mq MessageQueue) (int64, error) {
	s.fileMu.Lock()
	off, ok := s.stored[mq]
	s.fileMu.Unlock()
	if !ok {
		return -1, nil
	}
	s.update(mq, off, false)
	return off, nil
}

func (s *localOffsets) persistAll(_ context.Context, mqs []MessageQueue) error {
	keep := make(map[MessageQueue]bool, len(mqs))
	for _, mq := range mqs {
		keep[mq] = true
	}
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	next := make(map[MessageQueue]int64, len(s.stored))
	for mq, off := range s.stored {
		next[mq] = off
	}
	for mq, off := range s.snapshot() {
		if keep[mq] {
			next[mq] = off
		}
	}
	if err := s.writeLocked(next); err != nil {
		return err
	}
	s.stored = next
	return nil
}

func (s *localOffsets) persist(ctx context.Context, mq MessageQueue) error {
	off, ok := s.read(mq)
	if !ok {
		return nil
	}
	s.fileMu.Lock()
	defer s.fileMu.Unlock()
	next := make(map[MessageQueue]int64, len(s.stored)+1)
	for k, v := range s.stored {
		next[k] = v
	}
	next[mq] = off
	if err := s.writeLocked(next); err != nil {
		return err
	}
	s.stored = next
	return nil
}

// writeLocked replaces the file with m: temp file, sync, keep the old one
// as .bak, rename.
func (s *localOffsets) writeLocked(m map[MessageQueue]int64) error {
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("client: persist offsets: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "offsets.json.tmp*")
	if err != nil {
		return fmt.Errorf("client: persist offsets: %w", err)
	}
	_, err = tmp.Write(encodeOffsetFile(m))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		if data, rerr := os.ReadFile(s.path); rerr == nil {
			err = os.WriteFile(s.path+".bak", data, 0o644)
		}
	}
	if err == nil {
		err = os.Rename(tmp.Name(), s.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("client: persist offsets to %s: %w", s.path, err)
	}
	return nil
}
