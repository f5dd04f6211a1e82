package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testBroker is DefaultBroker with the machine-dependent defaults pinned.
func testBroker() Broker {
	c := DefaultBroker()
	c.NamesrvAddr = ""
	c.BrokerName = "broker-a"
	c.BrokerIP1, c.BrokerIP2 = "127.0.0.1", "127.0.0.1"
	c.StorePathRootDir = "/var/rocketgo/store"
	return c
}

func TestDefaultBroker(t *testing.T) {
	c := DefaultBroker()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	checks := []struct {
		key       string
		got, want any
	}{
		{"listenPort", c.ListenPort, 10911},
		{"haPort", c.HAPort(), 10912},
		{"brokerClusterName", c.BrokerClusterName, "DefaultCluster"},
		{"brokerRole", c.BrokerRole, AsyncMaster},
		{"flushDiskType", c.FlushDiskType, AsyncFlush},
		{"mappedFileSizeCommitLog", c.MappedFileSizeCommitLog, 1 << 30},
		{"mappedFileSizeConsumeQueue", c.MappedFileSizeConsumeQueue, 6_000_000},
		{"deleteWhen", c.DeleteWhen, "04"},
		{"fileReservedTime", c.FileReservedTime, 72},
		{"diskMaxUsedSpaceRatio", c.DiskMaxUsedSpaceRatio, 75},
		{"maxMessageSize", c.MaxMessageSize, 4 << 20},
		{"defaultTopicQueueNums", c.DefaultTopicQueueNums, 8},
		{"brokerPermission", c.BrokerPermission, 6},
		{"enablePropertyFilter", c.EnablePropertyFilter, true},
		{"transactionTimeOut", c.TransactionTimeOut, int64(6000)},
		{"transactionCheckMax", c.TransactionCheckMax, 15},
		{"accessMessageInMemoryMaxRatio", c.AccessMessageInMemoryMaxRatio, 40},
		{"storePathRootDir", filepath.Base(c.StorePathRootDir), "store"},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.key, ck.got, ck.want)
		}
	}
	levels, err := c.DelayLevels()
	if err != nil || len(levels) != 18 || levels[0] != time.Second || levels[17] != 2*time.Hour {
		t.Errorf("delay levels %v, %v", levels, err)
	}
}

func TestStorePaths(t *testing.T) {
	c := testBroker()
	got := c.Paths()
	root := "/var/rocketgo/store"
	want := StorePaths{Root: root, CommitLog: root + "/commitlog", ConsumeQueue: root + "/consumequeue",
		Index: root + "/index", Checkpoint: root + "/checkpoint", Abort: root + "/abort",
		Lock: root + "/lock", Config: root + "/config"}
	if got != want {
		t.Errorf("derived paths\n got %+v\nwant %+v", got, want)
	}
	c.StorePathCommitLog = "/fast/commitlog"
	c.StoreCheckpoint = "/x/cp"
	got = c.Paths()
	if got.CommitLog != "/fast/commitlog" || got.Checkpoint != "/x/cp" || got.Index != root+"/index" {
		t.Errorf("set paths not honoured: %+v", got)
	}
}

func TestLoadBrokerTypes(t *testing.T) {
	src := `brokerId = 2
brokerRole = SLAVE
autoCreateTopicEnable = FALSE
consumerFallbehindThreshold = 17179869184
mapedFileSizeCommitLog = 8388608
haListenPort = 20000
messageDelayLevel = 1s 1m 1h 1d
`
	c := testBroker()
	warns, err := Load([]byte(src), "b.properties", &c)
	if err != nil || len(warns) != 0 {
		t.Fatalf("warnings %v, err %v", warns, err)
	}
	if c.BrokerID != 2 || c.BrokerRole != Slave || c.AutoCreateTopicEnable || c.ConsumerFallbehindThreshold != 16<<30 ||
		c.MappedFileSizeCommitLog != 8<<20 || c.HAPort() != 20000 {
		t.Errorf("loaded %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
}

func TestLoadBindErrors(t *testing.T) {
	src := `listenPort=ten
brokerId=1.5
autoCreateTopicEnable=yes
mappedFileSizeCommitLog=4294967296
transactionTimeOut=99999999999999999999
brokerName=ok
`
	c := testBroker()
	_, err := Load([]byte(src), "conf/b.properties", &c)
	want := []string{
		`conf/b.properties:1: listenPort: "ten" is not an integer`,
		`conf/b.properties:2: brokerId: "1.5" is not an integer`,
		`conf/b.properties:3: autoCreateTopicEnable: "yes" is not a boolean (want true or false)`,
		`conf/b.properties:4: mappedFileSizeCommitLog: 4294967296 is out of range for a 32-bit integer`,
		`conf/b.properties:5: transactionTimeOut: 99999999999999999999 is out of range for a 64-bit integer`,
	}
	got := Errors(err)
	if len(got) != len(want) {
		t.Fatalf("got %d errors:\n%v\nwant %d", len(got), err, len(want))
	}
	for i := range want {
		if got[i].Error() != want[i] {
			t.Errorf("error %d\n got %s\nwant %s", i, got[i], want[i])
		}
	}
	if c.BrokerName != "ok" {
		t.Error("a good key after bad ones was not applied")
	}
}

func TestBrokerValidateAll(t *testing.T) {
	c := testBroker()
	c.BrokerRole = "MASTER"
	c.FlushDiskType = "ASYNC_FLUSH # comment"
	c.ListenPort = 0x10000
	c.HAListenPort = -1
	c.DiskMaxUsedSpaceRatio = 99
	c.AccessMessageInMemoryMaxRatio = 101
	c.MappedFileSizeConsumeQueue = 300001
	c.DeleteWhen = "25"
	c.MessageDelayLevel = "1s 5x"
	c.NamesrvAddr = "127.0.0.1:9876;nohost;10.0.0.1:0"
	c.BrokerName = ""
	c.DefaultTopicQueueNums = 0
	c.BrokerPermission = 16
	c.MaxMessageSize = 2 << 30
	err := c.Validate()
	byKey := map[string][]string{}
	for _, e := range Errors(err) {
		byKey[e.Key] = append(byKey[e.Key], e.Msg)
	}
	want := map[string]string{
		"brokerRole":                    `"MASTER" is not one of ASYNC_MASTER, SYNC_MASTER, SLAVE`,
		"flushDiskType":                 "put comments on their own line",
		"listenPort":                    "port 65536 is not in 1..65535",
		"haListenPort":                  "port -1 is not in 1..65535",
		"diskMaxUsedSpaceRatio":         "99 is not in 10..95",
		"accessMessageInMemoryMaxRatio": "101 is not in 0..100",
		"mappedFileSizeConsumeQueue":    "not a multiple of the 20-byte",
		"deleteWhen":                    `"25" is not an hour 0..23`,
		"messageDelayLevel":             `level 2 "5x"`,
		"namesrvAddr":                   `"nohost"`,
		"brokerName":                    "must not be empty",
		"defaultTopicQueueNums":         "0 is below the minimum 1",
		"brokerPermission":              "16 has bits other than",
		"maxMessageSize":                "does not fit in a commit log file",
	}
	for key, sub := range want {
		msgs := strings.Join(byKey[key], " | ")
		if !strings.Contains(msgs, sub) {
			t.Errorf("%s: errors %q, want one containing %q", key, msgs, sub)
		}
	}
	if n := len(byKey["namesrvAddr"]); n != 2 {
		t.Errorf("namesrvAddr: %d errors, want 2 (nohost, port 0): %v", n, byKey["namesrvAddr"])
	}
	for key := range byKey {
		if _, ok := want[key]; !ok {
			t.Errorf("unexpected error for %s: %v", key, byKey[key])
		}
	}
}

func TestBrokerRoleAndID(t *testing.T) {
	tests := []struct {
		role BrokerRole
		id   int64
		ok   bool
	}{
		{AsyncMaster, 0, true},
		{SyncMaster, 0, true},
		{SyncMaster, 1, false},
		{Slave, 1, true},
		{Slave, 3, true},
		{Slave, 0, false},
		{Slave, -1, false},
	}
	for _, tc := range tests {
		c := testBroker()
		c.BrokerRole, c.BrokerID = tc.role, tc.id
		err := c.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s brokerId=%d: err %v, want ok=%v", tc.role, tc.id, err, tc.ok)
		}
		if err != nil && Errors(err)[0].Key != "brokerId" {
			t.Errorf("%s brokerId=%d: error %v does not name brokerId", tc.role, tc.id, err)
		}
	}
}

func TestHAPort(t *testing.T) {
	c := testBroker()
	c.ListenPort = 11911
	if c.HAPort() != 11912 {
		t.Errorf("HAPort %d, want listenPort+1", c.HAPort())
	}
	c.ListenPort = 0
	if c.HAPort() != 0 {
		t.Errorf("HAPort %d with listenPort 0, want 0 (free port)", c.HAPort())
	}
	c.ListenPort = 65535
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "haListenPort: listenPort+1 is past 65535") {
		t.Errorf("listenPort 65535: %v", err)
	}
	c.HAListenPort = 65535
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "haListenPort: 65535 is also listenPort") {
		t.Errorf("same ports: %v", err)
	}
}

func TestKeysUnique(t *testing.T) {
	for _, c := range knownConfigs {
		s := schemaOf(c.typ) // panics on a duplicate key
		if len(s.fields) < 10 {
			t.Errorf("%s: only %d keys", c.name, len(s.fields))
		}
	}
	// Every key the task and seeds name is present.
	s := schemaOf(knownConfigs[1].typ)
	for _, k := range strings.Fields(`brokerClusterName brokerName brokerId namesrvAddr brokerIP1 brokerIP2
		listenPort haListenPort brokerRole flushDiskType storePathRootDir storePathCommitLog
		storePathConsumeQueue storePathIndex storeCheckpoint abortFile mapedFileSizeCommitLog
		mapedFileSizeConsumeQueue mappedFileSizeCommitLog deleteWhen fileReservedTime diskMaxUsedSpaceRatio
		maxMessageSize defaultTopicQueueNums autoCreateTopicEnable autoCreateSubscriptionGroup
		flushIntervalCommitLog flushCommitLogLeastPages flushCommitLogThoroughInterval
		flushIntervalConsumeQueue flushConsumeQueueLeastPages flushConsumeQueueThoroughInterval
		syncFlushTimeout sendMessageThreadPoolNums pullMessageThreadPoolNums slaveReadEnable
		accessMessageInMemoryMaxRatio messageDelayLevel transactionTimeOut transactionCheckMax
		transactionCheckInterval enablePropertyFilter aclEnable brokerPermission longPollingEnable
		destroyMapedFileIntervalForcibly redeleteHangedFileInterval useTLS serverWorkerThreads
		rocketmqHome haMasterAddress`) {
		if _, ok := s.byKey[k]; !ok {
			t.Errorf("broker key %s missing", k)
		}
	}
}

func TestPrintBrokerRoundTrip(t *testing.T) {
	c := testBroker()
	c.NamesrvAddr = "127.0.0.1:9876;127.0.0.2:9876"
	c.BrokerRole = SyncMaster
	var b strings.Builder
	if err := Print(&b, c); err != nil {
		t.Fatal(err)
	}
	back := Broker{}
	warns, err := Load([]byte(b.String()), "printed", &back)
	if err != nil || len(warns) != 0 {
		t.Fatalf("reload: %v %v", warns, err)
	}
	if back != c {
		t.Errorf("round trip differs\n got %+v\nwant %+v", back, c)
	}
	if !strings.Contains(b.String(), "\nmappedFileSizeCommitLog=1073741824\n") {
		t.Error("Print does not use the current key name mappedFileSizeCommitLog")
	}
}
