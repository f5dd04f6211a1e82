package namesrv

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/rocketgo/rocketgo/protocol"
)

// kvStore is the name server's small namespaced key/value store (PUT/GET/
// DELETE_KV_CONFIG). Its only namespace with meaning in 4.x is
// ORDER_TOPIC_CONFIG. Every change is written to path before it is
// acknowledged, as {"configTable":{namespace:{key:value}}}, the file a Java
// name server keeps in ~/namesrv/kvConfig.json.
type kvStore struct {
	path string
	mu   sync.RWMutex
	// table: namespace -> key -> value.
	table map[string]map[string]string
}

// kvFile is the on-disk form.
type kvFile struct {
	ConfigTable map[string]map[string]string `json:"configTable"`
}

// openKVStore loads path; a missing file is an empty store.
func openKVStore(path string) (*kvStore, error) {
	s := &kvStore{path: path, table: make(map[string]map[string]string)}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load kv config: %w", err)
	}
	var f kvFile
	if err := protocol.DecodeJSON(data, &f); err != nil {
		return nil, fmt.Errorf("load kv config %s: %w", path, err)
	}
	for ns, kv := range f.ConfigTable {
		if kv == nil {
			continue
		}
		s.table[ns] = kv
	}
	return s, nil
}

// get returns the value of key in namespace.
func (s *kvStore) get(namespace, key string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.table[namespace][key]
	return v, ok
}

// list returns a copy of a namespace; ok is false when it does not exist.
func (s *kvStore) list(namespace string) (kv map[string]string, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ns, ok := s.table[namespace]
	if !ok {
		return nil, false
	}
	kv = make(map[string]string, len(ns))
	for k, v := range ns {
		kv[k] = v
	}
	return kv, true
}

// put sets key in namespace and persists the store. On a write error the
// change is undone, so memory never holds what the disk does not.
func (s *kvStore) put(namespace, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ns, existed := s.table[namespace]
	if !existed {
		ns = make(map[string]string)
		s.table[namespace] = ns
	}
	old, had := ns[key]
	ns[key] = value
	if err := s.persistLocked(); err != nil {
		if had {
			ns[key] = old
		} else {
			delete(ns, key)
		}
		if !existed {
			delete(s.table, namespace)
		}
		return err
	}
	return nil
}

// delete removes key from namespace (a missing key is not an error) and
// persists the store. Like upstream, an emptied namespace stays, listing
// as an empty table.
func (s *kvStore) delete(namespace, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ns := s.table[namespace]
	old, had := ns[key]
	if !had {
		return nil
	}
	delete(ns, key)
	if err := s.persistLocked(); err != nil {
		ns[key] = old
		return err
	}
	return nil
}

func (s *kvStore) persistLocked() error {
	data, err := json.Marshal(kvFile{ConfigTable: s.table})
	if err != nil {
		return fmt.Errorf("persist kv config: %w", err)
	}
	if err := writeFileAtomic(s.path, data); err != nil {
		return fmt.Errorf("persist kv config: %w", err)
	}
	return nil
}

// writeFileAtomic replaces path with data so that a crash leaves either the
// old or the new file, never a torn one: write a temp file in the same
// directory, fsync it, rename it over path, fsync the directory.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	cleanup := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		return cleanup(err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return cleanup(err)
	}
	if err := tmp.Sync(); err != nil {
		return cleanup(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
