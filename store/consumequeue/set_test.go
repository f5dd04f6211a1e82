package consumequeue

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSetLoadGetOrCreateRemove(t *testing.T) {
	root := t.TempDir()
	s, err := Load(root, testUnits)
	if err != nil {
		t.Fatal(err)
	}
	if s.Get("A", 0) != nil {
		t.Fatal("Get on an empty set found a queue")
	}
	for _, tc := range []struct {
		topic string
		id    int32
		n     int64
	}{{"A", 0, 3}, {"A", 1, 5}, {"%RETRY%g", 0, 1}} {
		q, err := s.GetOrCreate(tc.topic, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		putN(t, q, 0, tc.n)
	}
	if again, _ := s.GetOrCreate("A", 1); again.MaxOffset() != 5 {
		t.Fatal("GetOrCreate did not return the existing queue")
	}
	if s.MaxPhyOffset() != 450 {
		t.Fatalf("max phy %d", s.MaxPhyOffset())
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Junk the loader must skip: a file in the root, a non-numeric queue dir.
	os.WriteFile(filepath.Join(root, "stray"), []byte("x"), 0o644)
	os.MkdirAll(filepath.Join(root, "A", "notanid"), 0o755)

	s, err = Load(root, testUnits)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var names []string
	s.Each(func(q *Queue) bool {
		names = append(names, q.Topic())
		return true
	})
	if len(names) != 3 || names[0] != "%RETRY%g" || names[1] != "A" {
		t.Fatalf("loaded %v", names)
	}
	if q := s.Get("A", 1); q == nil || q.MaxOffset() != 5 {
		t.Fatalf("reloaded A-1: %v", q)
	}
	if err := s.Truncate(250); err != nil {
		t.Fatal(err)
	}
	if got := s.Get("A", 1).MaxOffset(); got != 3 {
		t.Fatalf("A-1 after set truncate: %d", got)
	}
	if err := s.Remove("A"); err != nil {
		t.Fatal(err)
	}
	if s.Get("A", 0) != nil {
		t.Fatal("removed topic still in the set")
	}
	if _, err := os.Stat(filepath.Join(root, "A")); !os.IsNotExist(err) {
		t.Fatalf("removed topic dir still there: %v", err)
	}
	if err := s.Remove("../x"); err == nil {
		t.Fatal("Remove accepted a path")
	}
}

func TestSetLoadFailsOnWrongSizedFile(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "A", "0")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "00000000000000000000"), make([]byte, 7), 0o644)
	if _, err := Load(root, testUnits); err == nil {
		t.Fatal("wrong-sized queue file loaded")
	}
}
