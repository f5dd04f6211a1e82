package broker

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

func TestConfigEffectsCoverEveryKey(t *testing.T) {
	keys := config.Keys(config.Broker{})
	for _, k := range keys {
		if configEffects[k] == 0 {
			t.Errorf("config key %s is not classified in configEffects (effectNow, effectRestart or effectRefused)", k)
		}
	}
	for k := range configEffects {
		if !slices.Contains(keys, k) {
			t.Errorf("configEffects names %s, which is not a key of config.Broker", k)
		}
	}
}

func updateConfig(t *testing.T, c *remoting.Client, addr, body string) *remoting.Command {
	t.Helper()
	return call(t, c, addr, remoting.NewRequest(protocol.ReqUpdateBrokerConfig, nil, []byte(body)))
}

func brokerConfigText(t *testing.T, c *remoting.Client, addr string) string {
	t.Helper()
	resp := call(t, c, addr, remoting.NewRequest(protocol.ReqGetBrokerConfig, nil, nil))
	mustCode(t, resp, protocol.RespSuccess)
	return string(resp.Body)
}

// TestUpdateConfigLive changes keys that take effect at once and checks
// each where it acts: a send to a new topic is refused once
// autoCreateTopicEnable is off, the name server route shows a new
// brokerPermission without waiting for the register period, and the
// store's expiry takes fileReservedTime and deleteWhen.
func TestUpdateConfigLive(t *testing.T) {
	ns := startNamesrv(t)
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.NamesrvAddr = ns
	conf := filepath.Join(dir, "broker.conf")
	if err := os.WriteFile(conf, []byte("# test broker\nbrokerName=broker-test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b := startBroker(t, cfg, WithConfigFile(conf))
	c := newClient(t)
	waitFor(t, 10*time.Second, "the broker to register", func() bool {
		return routeCode(t, c, ns, protocol.TopicAutoCreate) == protocol.RespSuccess
	})
	mustCode(t, call(t, c, b.Addr(), sendReq("AutoBefore", 0, []byte("x"), nil)), protocol.RespSuccess)

	resp := updateConfig(t, c, b.Addr(), "autoCreateTopicEnable=false\nfileReservedTime=7\ndeleteWhen=01;13\n")
	mustCode(t, resp, protocol.RespSuccess)
	if resp.Remark != "" {
		t.Fatalf("live keys only, but the remark says %q", resp.Remark)
	}
	resp = call(t, c, b.Addr(), sendReq("AutoAfter", 0, []byte("x"), nil))
	mustCode(t, resp, protocol.RespTopicNotExist)
	if !strings.Contains(resp.Remark, "autoCreateTopicEnable is off") {
		t.Fatalf("remark %q", resp.Remark)
	}
	if e := b.Store().Expiry(); e.FileReservedTime != 7 || e.DeleteWhen != "01;13" {
		t.Fatalf("store expiry %+v", e)
	}
	text := brokerConfigText(t, c, b.Addr())
	for _, want := range []string{"autoCreateTopicEnable=false\n", "fileReservedTime=7\n", "deleteWhen=01;13\n"} {
		if !strings.Contains(text, want) {
			t.Fatalf("getBrokerConfig lacks %q", want)
		}
	}

	// autoCreateSubscriptionGroup=false: a pull of an unknown group is refused.
	mustCode(t, updateConfig(t, c, b.Addr(), "autoCreateSubscriptionGroup=false"), protocol.RespSuccess)
	resp = call(t, c, b.Addr(), pullReq("NewGroup", "AutoBefore", 0, 0, 0, 0, "*"))
	mustCode(t, resp, protocol.RespSubscriptionGroupNotExist)

	// brokerPermission=4 (read only) reaches the route at once; the register
	// period is 30 s, far beyond the wait.
	mustCode(t, updateConfig(t, c, b.Addr(), "brokerPermission=4"), protocol.RespSuccess)
	waitFor(t, 10*time.Second, "the route to show perm 4", func() bool {
		req := remoting.NewRequest(protocol.ReqGetRouteInfoByTopic, protocol.EncodeHeader(&protocol.GetRouteInfoRequestHeader{Topic: "AutoBefore"}), nil)
		route, err := protocol.DecodeTopicRouteData(call(t, c, ns, req).Body)
		return err == nil && len(route.QueueDatas) == 1 && route.QueueDatas[0].Perm == 4
	})
	mustCode(t, call(t, c, b.Addr(), sendReq("AutoBefore", 0, []byte("x"), nil)), protocol.RespNoPermission)

	got, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	if want := "# test broker\nbrokerName=broker-test\nautoCreateTopicEnable=false\nfileReservedTime=7\ndeleteWhen=01;13\nautoCreateSubscriptionGroup=false\nbrokerPermission=4\n"; string(got) != want {
		t.Fatalf("persisted file:\n%s\nwant:\n%s", got, want)
	}
}

// TestUpdateConfigRestartKeysAndRefusals: a key that needs a restart is
// persisted but not applied and named in the remark; unknown keys, bad
// values, black-listed keys and unsupported settings refuse the whole
// update, in memory and on disk.
func TestUpdateConfigRestartKeysAndRefusals(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir)
	cfg.ConfigBlackList = "configBlackList;brokerConfigPath;regionId"
	b := startBroker(t, cfg)
	c := newClient(t)
	persisted := filepath.Join(dir, "config", DefaultConfigFileName)
	if b.ConfigFile() != persisted {
		t.Fatalf("config file %q, want %q", b.ConfigFile(), persisted)
	}

	resp := updateConfig(t, c, b.Addr(), "sendMessageThreadPoolNums=3\nmapedFileSizeCommitLog=8388608\ntraceOn=false\n")
	mustCode(t, resp, protocol.RespSuccess)
	if !strings.Contains(resp.Remark, "take effect after a restart of the broker: sendMessageThreadPoolNums, mappedFileSizeCommitLog") {
		t.Fatalf("remark %q", resp.Remark)
	}
	text := brokerConfigText(t, c, b.Addr())
	if !strings.Contains(text, "mappedFileSizeCommitLog=4194304\n") || !strings.Contains(text, "traceOn=false\n") {
		t.Fatalf("getBrokerConfig must show the values in effect:\n%s", text)
	}
	want := "sendMessageThreadPoolNums=3\nmappedFileSizeCommitLog=8388608\ntraceOn=false\n"
	if got, _ := os.ReadFile(persisted); string(got) != want {
		t.Fatalf("persisted %q, want %q", got, want)
	}

	for _, tc := range []struct {
		body string
		code int32
		want string
	}{
		{"fileReservedTime=5\nfileReserveTime=6\n", protocol.RespSystemError, "unknown key fileReserveTime: did you mean fileReservedTime?"},
		{"fileReservedTime=5\nlistenPort=abc\n", protocol.RespSystemError, `listenPort: "abc" is not an integer`},
		{"fileReservedTime=5\ndiskMaxUsedSpaceRatio=99\n", protocol.RespSystemError, "diskMaxUsedSpaceRatio: 99 is not in 10..95"},
		{"fileReservedTime=5\nbrokerRole=SLAVE\nbrokerId=1\n", protocol.RespSystemError, "master/slave replication (HA) is not implemented"},
		{"fileReservedTime=5\nrocketmqHome=/tmp\n", protocol.RespNoPermission, "Can not update config in black list: rocketmqHome"},
		{"brokerConfigPath=/etc/x\n", protocol.RespNoPermission, "black list: brokerConfigPath"},
		{"regionId=x\n", protocol.RespNoPermission, "black list: regionId"},
		{"fileReservedTime=5\ndeleteCommitLogFilesInterval=-1\n", protocol.RespSystemError, "deleteCommitLogFilesInterval"},
		{"fileReservedTime=${HOME}\n", protocol.RespSystemError, "HOME"},
	} {
		resp := updateConfig(t, c, b.Addr(), tc.body)
		mustCode(t, resp, tc.code)
		if !strings.Contains(resp.Remark, tc.want) {
			t.Errorf("%q: remark %q lacks %q", tc.body, resp.Remark, tc.want)
		}
	}
	if b.conf().FileReservedTime != cfg.FileReservedTime || b.Store().Expiry().FileReservedTime != cfg.FileReservedTime {
		t.Fatal("a refused update changed fileReservedTime")
	}
	if got, _ := os.ReadFile(persisted); string(got) != want {
		t.Fatalf("a refused update changed the file: %q", got)
	}

	// ${} refers to keys in effect; the value is persisted expanded.
	mustCode(t, updateConfig(t, c, b.Addr(), "transactionTimeOut=${transactionCheckInterval}"), protocol.RespSuccess)
	if b.conf().TransactionTimeOut != cfg.TransactionCheckInterval {
		t.Fatalf("transactionTimeOut %d", b.conf().TransactionTimeOut)
	}
}

// TestUpdateConfigConcurrent sends updates from several goroutines: each
// is applied whole and the file holds every key once.
func TestUpdateConfigConcurrent(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, testConfig(dir))
	keys := []string{"shortPollingTimeMills", "registerBrokerTimeoutMills", "transactionCheckMax", "defaultQueryMaxNum"}
	done := make(chan error, len(keys))
	for i, k := range keys {
		go func() {
			var err error
			for v := range 20 {
				if _, err = b.UpdateConfig([]byte(k + "=" + strconv.Itoa(100+v+i))); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range keys {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(b.ConfigFile())
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if want := k + "=" + strconv.Itoa(119+i) + "\n"; strings.Count(string(got), k+"=") != 1 || !strings.Contains(string(got), want) {
			t.Fatalf("file lacks exactly one %q:\n%s", want, got)
		}
		if v, _ := config.Value(b.conf(), k); v != strconv.Itoa(119+i) {
			t.Fatalf("%s in effect %s", k, v)
		}
	}
}

// FuzzConfigUpdateBody feeds arbitrary UPDATE_BROKER_CONFIG bodies to the
// parser: it must answer an error or entries that each set cleanly, with
// canonical keys none of which is black-listed.
func FuzzConfigUpdateBody(f *testing.F) {
	f.Add([]byte("fileReservedTime=48\ndeleteWhen=04;13\n"))
	f.Add([]byte("mapedFileSizeCommitLog=1024\nmappedFileSizeCommitLog : 2048\n"))
	f.Add([]byte("brokerIP1 ${brokerIP2}\\\n  \nrocketmqHome=/\n"))
	f.Add([]byte("fileReserveTime=1\nlistenPort=\\u0031\n"))
	cur := config.DefaultBroker()
	refused := configRefused(&cur)
	f.Fuzz(func(t *testing.T, body []byte) {
		set, err := parseConfigUpdate(&cur, body)
		if err != nil {
			return
		}
		next := cur
		for _, e := range set {
			if k, ok := config.CanonicalKey(&cur, e.Key); !ok || k != e.Key || refused[k] || configEffects[k] == 0 {
				t.Fatalf("entry %+v: canonical %q %v, refused %v", e, k, ok, refused[k])
			}
			if err := config.Set(&next, e.Key, e.Value); err != nil {
				t.Fatalf("entry %+v does not set: %v", e, err)
			}
		}
	})
}
