package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadNamesrv(t *testing.T) {
	path := filepath.Join(t.TempDir(), "namesrv.properties")
	src := "listenPort=19876\nkvConfigPath=/tmp/kv.json\norderMessageEnable=true\nscanNotActiveBrokerInterval = 1000\nserverWorkerThreads: 4\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultNamesrv()
	warns, err := LoadFile(path, &cfg)
	if err != nil || len(warns) != 0 {
		t.Fatalf("LoadFile: warnings %v, err %v", warns, err)
	}
	if cfg.ListenPort != 19876 || cfg.KVConfigPath != "/tmp/kv.json" || !cfg.OrderMessageEnable ||
		cfg.ScanNotActiveBrokerInterval != 1000 || cfg.ServerWorkerThreads != 4 {
		t.Errorf("loaded %+v", cfg)
	}
	if cfg.DefaultThreadPoolNums != 16 {
		t.Errorf("unset key lost its default: defaultThreadPoolNums=%d", cfg.DefaultThreadPoolNums)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestDefaultNamesrv(t *testing.T) {
	cfg := DefaultNamesrv()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if cfg.ListenPort != 9876 || cfg.ScanNotActiveBrokerInterval != 5000 || cfg.ServerWorkerThreads != 8 {
		t.Errorf("defaults %+v", cfg)
	}
	if !strings.HasSuffix(cfg.KVConfigPath, filepath.Join("namesrv", "kvConfig.json")) {
		t.Errorf("kvConfigPath %q", cfg.KVConfigPath)
	}
}

func TestNamesrvValidateAll(t *testing.T) {
	cfg := DefaultNamesrv()
	cfg.ListenPort = 70000
	cfg.KVConfigPath = ""
	cfg.ScanNotActiveBrokerInterval = 0
	cfg.BindAddress = "not-an-ip"
	errs := Errors(cfg.Validate())
	keys := map[string]bool{}
	for _, e := range errs {
		keys[e.Key] = true
	}
	for _, k := range []string{"listenPort", "kvConfigPath", "scanNotActiveBrokerInterval", "bindAddress"} {
		if !keys[k] {
			t.Errorf("no error for %s in %v", k, errs)
		}
	}
	if len(errs) != 4 {
		t.Errorf("got %d errors, want 4: %v", len(errs), errs)
	}
}

func TestPrintNamesrv(t *testing.T) {
	cfg := DefaultNamesrv()
	cfg.RocketmqHome = "/opt/rocketmq"
	var b strings.Builder
	if err := Print(&b, &cfg); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"rocketmqHome=/opt/rocketmq\n", "listenPort=9876\n", "orderMessageEnable=false\n", "scanNotActiveBrokerInterval=5000\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("Print output lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != len(Keys(cfg)) {
		t.Errorf("printed %d lines for %d keys", n, len(Keys(cfg)))
	}
	// What Print writes loads back to the same config.
	back := Namesrv{}
	if _, err := Load([]byte(out), "printed", &back); err != nil {
		t.Fatal(err)
	}
	if back != cfg {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, cfg)
	}
}

func TestSet(t *testing.T) {
	cfg := DefaultNamesrv()
	if err := Set(&cfg, "listenPort", " 9000 "); err != nil || cfg.ListenPort != 9000 {
		t.Errorf("Set listenPort: %v, %d", err, cfg.ListenPort)
	}
	err := Set(&cfg, "listenport", "1")
	if err == nil || !strings.Contains(err.Error(), "did you mean listenPort?") {
		t.Errorf("Set unknown key: %v", err)
	}
	err = Set(&cfg, "clusterTest", "yes")
	if err == nil || !strings.Contains(err.Error(), `clusterTest: "yes" is not a boolean`) {
		t.Errorf("Set bad bool: %v", err)
	}
	if err := Set(cfg, "listenPort", "1"); err == nil {
		t.Error("Set on a non-pointer succeeded")
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	cfg := DefaultNamesrv()
	cfg.RocketmqHome = `C:\rocketmq\home` // backslashes are escapes when read back
	cfg.KVConfigPath = " /odd path/${not a ref}#x=y:z!\ttab\n "
	cfg.ProductEnvName = "中文"
	var b strings.Builder
	if err := Encode(&b, &cfg); err != nil {
		t.Fatal(err)
	}
	back := Namesrv{}
	warns, err := Load([]byte(b.String()), "encoded", &back)
	if err != nil || len(warns) != 0 {
		t.Fatalf("reload: %v %v\n%s", warns, err, b.String())
	}
	if back != cfg {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, cfg)
	}
	// Print writes values as they are, for people.
	var p strings.Builder
	Print(&p, &cfg)
	if !strings.Contains(p.String(), "rocketmqHome=C:\\rocketmq\\home\n") {
		t.Errorf("Print escaped a value:\n%s", p.String())
	}
}
