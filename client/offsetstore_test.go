package client

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestLocalOffsets(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	s := newLocalOffsets(dir, "inst", "g")
	if err := s.load(); err != nil {
		t.Fatalf("no file yet: %v", err)
	}
	a, b := MessageQueue{"T", "b", 0}, MessageQueue{"T", "b", 1}
	if off, _ := s.readStore(ctx, a); off != -1 {
		t.Errorf("unknown queue: %d", off)
	}
	s.update(a, 10, false)
	s.update(a, 5, true) // increase only: ignored
	s.update(b, 7, false)
	if err := s.persistAll(ctx, []MessageQueue{a, b}); err != nil {
		t.Fatal(err)
	}
	s.update(a, 12, false)
	if err := s.persist(ctx, a); err != nil {
		t.Fatal(err)
	}

	r := newLocalOffsets(dir, "inst", "g")
	if err := r.load(); err != nil {
		t.Fatal(err)
	}
	if off, _ := r.readStore(ctx, a); off != 12 {
		t.Errorf("reloaded %s: %d, want 12", a, off)
	}
	if off, _ := r.readStore(ctx, b); off != 7 {
		t.Errorf("reloaded %s: %d, want 7", b, off)
	}

	// A torn main file falls back to the backup (the previous write).
	path := filepath.Join(dir, "inst", "g", "offsets.json")
	if err := os.WriteFile(path, []byte(`{"offsetTable":[{"topic":"T"`), 0o644); err != nil {
		t.Fatal(err)
	}
	r = newLocalOffsets(dir, "inst", "g")
	if err := r.load(); err != nil {
		t.Fatal(err)
	}
	if off, _ := r.readStore(ctx, a); off != 10 {
		t.Errorf("from the backup: %d, want 10", off)
	}
	// Both broken: a clear error, not an empty table.
	if err := os.WriteFile(path+".bak", []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := newLocalOffsets(dir, "inst", "g").load(); err == nil {
		t.Error("loading two broken files succeeded")
	}
}

func TestDecodeOffsetFileRejects(t *testing.T) {
	for _, in := range []string{
		``, `[]`, `{"offsetTable":[{"topic":"","brokerName":"b","queueId":0,"offset":1}]}`,
		`{"offsetTable":[{"topic":"T","brokerName":"b","queueId":-1,"offset":1}]}`,
		`{"offsetTable":[{"topic":"T","brokerName":"b","queueId":0,"offset":-5}]}`,
		`{"offsetTable":[],"extra":1}`, `{"offsetTable":[]} {}`,
	} {
		if _, err := decodeOffsetFile([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	m := map[MessageQueue]int64{{"T", "b", 3}: 9, {"A", "c", 0}: 0}
	got, err := decodeOffsetFile(encodeOffsetFile(m))
	if err != nil || len(got) != 2 || got[MessageQueue{"T", "b", 3}] != 9 {
		t.Errorf("round trip: %v %v", got, err)
	}
}

func TestRemoteOffsets(t *testing.T) {
	ns := startFakeNamesrv(t)
	b := startFakeBroker(t, "broker-a", ns)
	ns.addTopic("T", 2, b)
	in, err := newInstance(testOptions(ns))
	if err != nil {
		t.Fatal(err)
	}
	defer in.close()
	ctx := context.Background()
	s := newRemoteOffsets(in, "g")
	mq := MessageQueue{"T", "broker-a", 1}
	if off, err := s.readStore(ctx, mq); err != nil || off != -1 {
		t.Fatalf("nothing committed: %d %v", off, err)
	}
	s.update(mq, 42, false)
	if err := s.persistAll(ctx, []MessageQueue{mq}); err != nil {
		t.Fatal(err)
	}
	if off, ok := b.committed("g", "T", 1); !ok || off != 42 {
		t.Fatalf("broker holds %d %v", off, ok)
	}
	s.remove(mq)
	if off, err := s.readStore(ctx, mq); err != nil || off != 42 {
		t.Errorf("read back %d %v", off, err)
	}
	if off, ok := s.read(mq); !ok || off != 42 {
		t.Errorf("readStore did not fill memory: %d %v", off, ok)
	}
	if _, err := s.readStore(ctx, MessageQueue{"T", "no-such-broker", 0}); err == nil {
		t.Error("unknown broker: no error")
	}
}
