package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/internal/testcluster"
)

func TestBadFlagPrintsUsageAndExits2(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-x"}, &out, &errb); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(errb.String(), "usage: mqbroker") {
		t.Fatalf("stderr %q has no usage", errb.String())
	}
	if code := run(context.Background(), []string{"extra"}, &out, &errb); code != 2 {
		t.Fatalf("stray argument: exit %d, want 2", code)
	}
}

func TestPrintConfigWithNamesrvOverride(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "broker.properties")
	if err := os.WriteFile(conf, []byte("brokerName=broker-x\nnamesrvAddr=10.0.0.1:9876\nnameServerAddr=oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-c", conf, "-n", "127.0.0.1:9876;127.0.0.2:9876", "-p"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"brokerName=broker-x\n", "namesrvAddr=127.0.0.1:9876;127.0.0.2:9876\n", "listenPort=10911\n"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("-p output lacks %q", want)
		}
	}
	if !strings.Contains(errb.String(), "did you mean namesrvAddr") {
		t.Fatalf("no warning for the unknown key: %q", errb.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"-c", conf, "-m"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "brokerName=broker-x") || strings.Contains(out.String(), "serverWorkerThreads") {
		t.Fatalf("-m: exit %d, output %q", code, out.String())
	}
}

func TestInvalidConfigExits1NamingTheKey(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "broker.properties")
	if err := os.WriteFile(conf, []byte("brokerRole=MASTER\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-c", conf}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "brokerRole") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

// TestProcess runs the built binary against a real name server: boot line,
// logs, and a clean exit 0 on SIGTERM.
func TestProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs processes")
	}
	ns := testcluster.StartNamesrv(t, nil)
	p := testcluster.StartBroker(t, []string{ns.Addr}, map[string]string{"brokerName": "broker-p"})
	want := regexp.MustCompile(`(?m)^The broker\[broker-p, ` + regexp.QuoteMeta(p.Addr) +
		`\] boot success\. serializeType=JSON and name server is ` + regexp.QuoteMeta(ns.Addr) + `$`)
	if !want.MatchString(p.Output()) {
		t.Fatalf("no exact boot line in:\n%s", p.Output())
	}
	for _, name := range []string{"broker.log", "store.log"} {
		if _, err := os.Stat(filepath.Join(p.Dir, "logs", name)); err != nil {
			t.Fatalf("log file: %v", err)
		}
	}
	if err := p.Stop(30 * time.Second); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, p.Output())
	}
	if code := p.Cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if _, err := os.Stat(filepath.Join(p.Dir, "store", "config", "consumerOffset.json")); err != nil {
		t.Fatalf("offsets not persisted at shutdown: %v", err)
	}
	log, err := os.ReadFile(filepath.Join(p.Dir, "logs", "broker.log"))
	if err != nil || !strings.Contains(string(log), "broker stopped") {
		t.Fatalf("broker.log: %v\n%s", err, log)
	}
}

// TestConfigUpdateSurvivesRestart updates the running broker process, a
// live key and a restart key, restarts it with the same -c file and sees
// both values in effect.
func TestConfigUpdateSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs processes")
	}
	ns := testcluster.StartNamesrv(t, nil)
	p := testcluster.StartBroker(t, []string{ns.Addr}, map[string]string{"brokerName": "broker-r"})
	a, err := client.NewAdmin(client.ClientOptions{NameServers: []string{ns.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	remark, err := a.UpdateBrokerConfig(ctx, p.Addr, []byte("fileReservedTime=5\nsendMessageThreadPoolNums=3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(remark, "take effect after a restart of the broker: sendMessageThreadPoolNums") {
		t.Fatalf("remark %q", remark)
	}
	conf, err := os.ReadFile(filepath.Join(p.Dir, "broker.properties"))
	if err != nil || !strings.Contains(string(conf), "\nfileReservedTime=5\n") || !strings.Contains(string(conf), "brokerName=broker-r\n") {
		t.Fatalf("-c file after the update: %v\n%s", err, conf)
	}
	text, err := a.BrokerConfig(ctx, p.Addr)
	if err != nil || !strings.Contains(text, "fileReservedTime=5\n") || strings.Contains(text, "sendMessageThreadPoolNums=3\n") {
		t.Fatalf("before the restart: %v\n%s", err, text)
	}
	p = testcluster.RestartBroker(t, p)
	text, err = a.BrokerConfig(ctx, p.Addr)
	if err != nil || !strings.Contains(text, "fileReservedTime=5\n") || !strings.Contains(text, "sendMessageThreadPoolNums=3\n") {
		t.Fatalf("after the restart: %v\n%s", err, text)
	}
}

// TestNoConfigFileLoadsPersistedUpdates: without -c, the file runtime
// updates are persisted to under the default store root is loaded.
func TestNoConfigFileLoadsPersistedUpdates(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"-p"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "fileReservedTime=72\n") {
		t.Fatalf("defaults: exit %d: %s", code, errb.String())
	}
	persisted := filepath.Join(home, "store", "config", "broker.properties")
	if err := os.MkdirAll(filepath.Dir(persisted), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(persisted, []byte("fileReservedTime=9\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run(context.Background(), []string{"-p"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "fileReservedTime=9\n") {
		t.Fatalf("persisted file not loaded: exit %d: %s", code, errb.String())
	}
}
