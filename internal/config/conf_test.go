package config

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestSampleConf loads every sample under conf/ (what users start from): no
// errors, no warnings, valid. The brokers of each deployment directory must
// also fit together: distinct ports and stores, so the whole cluster runs on
// one machine, and a master for every slave.
func TestSampleConf(t *testing.T) {
	t.Setenv("HOME", "/home/rocketgo")
	root := filepath.Join("..", "..", "conf")
	type loaded struct {
		path string
		cfg  Broker
	}
	byDir := map[string][]loaded{}
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n++
		if !strings.HasSuffix(path, ".properties") {
			t.Errorf("%s: samples end in .properties", path)
			return nil
		}
		var cfg interface{ Validate() error }
		var b Broker
		if filepath.Base(path) == "namesrv.properties" {
			ns := DefaultNamesrv()
			cfg = &ns
		} else {
			b = DefaultBroker()
			b.NamesrvAddr = "" // the environment's NAMESRV_ADDR must not matter
			cfg = &b
		}
		warns, err := LoadFile(path, cfg)
		if err != nil {
			t.Errorf("%s: %v", path, err)
		}
		if len(warns) > 0 {
			t.Errorf("%s: warnings:\n%s", path, joinWarnings(warns))
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: Validate: %v", path, err)
		}
		if _, ok := cfg.(*Broker); ok {
			if b.NamesrvAddr == "" || !strings.HasPrefix(b.StorePathRootDir, "/home/rocketgo/store") {
				t.Errorf("%s: namesrvAddr %q, storePathRootDir %q", path, b.NamesrvAddr, b.StorePathRootDir)
			}
			dir := filepath.Dir(path)
			byDir[dir] = append(byDir[dir], loaded{path, b})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 12 {
		t.Errorf("found %d sample files, want at least 12", n)
	}
	for dir, brokers := range byDir {
		ports := map[int]string{}
		stores := map[string]string{}
		ids := map[string]string{}
		masters := map[string]BrokerRole{}
		for _, l := range brokers {
			for _, port := range []int{l.cfg.ListenPort, l.cfg.HAPort()} {
				if other, dup := ports[port]; dup {
					t.Errorf("%s and %s both use port %d", other, l.path, port)
				}
				ports[port] = l.path
			}
			if other, dup := stores[l.cfg.StorePathRootDir]; dup {
				t.Errorf("%s and %s share a store", other, l.path)
			}
			stores[l.cfg.StorePathRootDir] = l.path
			id := fmt.Sprintf("%s/%d", l.cfg.BrokerName, l.cfg.BrokerID)
			if other, dup := ids[id]; dup {
				t.Errorf("%s and %s are both %s", other, l.path, id)
			}
			ids[id] = l.path
			if l.cfg.BrokerRole.IsMaster() {
				masters[l.cfg.BrokerName] = l.cfg.BrokerRole
			}
		}
		for _, l := range brokers {
			if l.cfg.BrokerRole == Slave && masters[l.cfg.BrokerName] == "" {
				t.Errorf("%s: slave of %s, which has no master in %s", l.path, l.cfg.BrokerName, dir)
			}
		}
		wantRole := map[string]BrokerRole{"2m-2s-sync": SyncMaster, "2m-2s-async": AsyncMaster, "2m-noslave": AsyncMaster}[filepath.Base(dir)]
		for name, role := range masters {
			if wantRole != "" && role != wantRole {
				t.Errorf("%s: master %s is %s, want %s", dir, name, role, wantRole)
			}
		}
	}
}
