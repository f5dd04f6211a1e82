package namesrv

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestKVStorePersistsAndReloads(t *testing.T) {
	path := filepath.Join(t.TempDir(), "namesrv", "kvConfig.json")
	s, err := openKVStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.put("ORDER_TOPIC_CONFIG", "T", "broker-a:4;broker-b:4"); err != nil {
		t.Fatal(err)
	}
	if err := s.put("ns", "k", "v"); err != nil {
		t.Fatal(err)
	}
	if err := s.delete("ns", "k"); err != nil {
		t.Fatal(err)
	}
	if err := s.delete("ns", "missing"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"configTable":{"ORDER_TOPIC_CONFIG":{"T":"broker-a:4;broker-b:4"},"ns":{}}}`; string(data) != want {
		t.Fatalf("file %s\nwant %s", data, want)
	}
	again, err := openKVStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := again.get("ORDER_TOPIC_CONFIG", "T"); !ok || v != "broker-a:4;broker-b:4" {
		t.Fatalf("reloaded value %q %v", v, ok)
	}
	if kv, ok := again.list("ns"); !ok || len(kv) != 0 {
		t.Fatalf("emptied namespace: %v %v", kv, ok)
	}
	if _, ok := again.list("other"); ok {
		t.Fatal("unknown namespace listed")
	}
	// No temp files are left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries", len(entries))
	}
}

func TestKVStoreReadsJavaFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kvConfig.json")
	// As a Java name server writes it (fastjson, pretty printed by toJson(true)).
	java := "{\n\t\"configTable\":{\n\t\t\"ORDER_TOPIC_CONFIG\":{\n\t\t\t\"T\":\"broker-a:8\"\n\t\t}\n\t}\n}"
	if err := os.WriteFile(path, []byte(java), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := openKVStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if kv, _ := s.list("ORDER_TOPIC_CONFIG"); !reflect.DeepEqual(kv, map[string]string{"T": "broker-a:8"}) {
		t.Fatalf("loaded %v", kv)
	}
}

func TestKVStoreBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kvConfig.json")
	os.WriteFile(path, []byte(`{"configTable":`), 0o644)
	_, err := openKVStore(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want one naming %s", err, path)
	}
}

func TestKVStoreWriteFailureRollsBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "namesrv")
	s, err := openKVStore(filepath.Join(dir, "kvConfig.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The store's directory becomes a regular file: every write fails.
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.put("ns", "k", "v"); err == nil {
		t.Fatal("put succeeded without a writable directory")
	}
	if _, ok := s.get("ns", "k"); ok {
		t.Fatal("failed put is visible")
	}
	if _, ok := s.list("ns"); ok {
		t.Fatal("failed put created its namespace")
	}
}
