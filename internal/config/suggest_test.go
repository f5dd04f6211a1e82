package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestSuggest(t *testing.T) {
	broker := schemaOf(reflect.TypeOf(Broker{}))
	namesrv := schemaOf(reflect.TypeOf(Namesrv{}))
	tests := []struct {
		s    *schema
		key  string
		want string
	}{
		{broker, "nameServerAddr", "namesrvAddr"},                 // seed 002
		{broker, "disMaxUsedSpaceRatio", "diskMaxUsedSpaceRatio"}, // seed 002
		{broker, "storeCheckPoint", "storeCheckpoint"},            // seed 002
		{broker, "transactionTimeout", "transactionTimeOut"},      // seed 003
		{broker, "transactionMsgTimeout", "transactionTimeOut"},   // seed 004's wording
		{broker, "namesrvaddr", "namesrvAddr"},
		{broker, "NAMESRVADDR", "namesrvAddr"},
		{broker, "brokerIp1", "brokerIP1"},
		{broker, "brokerid", "brokerId"},
		{broker, "flushDiskTpye", "flushDiskType"},
		{broker, "listenport", "listenPort"},
		{broker, "mappedFileSizeComitLog", "mappedFileSizeCommitLog"},
		{broker, "mapedFileSizeConsumeQueu", "mappedFileSizeConsumeQueue"},
		{broker, "autoCreateTopic", "autoCreateTopicEnable"},
		{broker, "brokerRoles", "brokerRole"},
		{broker, "somethingElseEntirely", ""},
		{broker, "x", ""},
		{namesrv, "nameServerAddr", ""}, // not a name server key at all
		{namesrv, "listenPrt", "listenPort"},
		{namesrv, "kvconfigpath", "kvConfigPath"},
	}
	for _, tc := range tests {
		if got := suggest(tc.key, tc.s); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}

func TestUnknownKeyWarnings(t *testing.T) {
	src := "brokerName=a\nnameServerAddr=1.1.1.1:9876\n\nbogusKey=1\n=orphan\ncheckTransactionMessageEnable=false\n"
	c := testBroker()
	warns, err := Load([]byte(src), "/etc/rocketgo/broker.properties", &c)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/etc/rocketgo/broker.properties:2: unknown key nameServerAddr is ignored: did you mean namesrvAddr?",
		"/etc/rocketgo/broker.properties:4: unknown key bogusKey is ignored",
		"/etc/rocketgo/broker.properties:5: a line with an empty key is ignored",
		"/etc/rocketgo/broker.properties:6: checkTransactionMessageEnable is a RocketMQ 3.x key",
	}
	if len(warns) != len(want) {
		t.Fatalf("warnings:\n%s", joinWarnings(warns))
	}
	for i, w := range warns {
		if !strings.HasPrefix(w.String(), want[i]) {
			t.Errorf("warning %d\n got %s\nwant %s...", i, w, want[i])
		}
	}
	if warns[0].Key != "nameServerAddr" || warns[0].Line != 2 {
		t.Errorf("warning fields %+v", warns[0])
	}
	if c.NamesrvAddr != "" {
		t.Errorf("an unknown key was applied: namesrvAddr=%q", c.NamesrvAddr)
	}

	// A broker key in the name server's file says whose key it is.
	n := DefaultNamesrv()
	warns, err = Load([]byte("brokerName=broker-a\n"), "namesrv.properties", &n)
	if err != nil || len(warns) != 1 || !strings.Contains(warns[0].Msg, "it is a broker key") {
		t.Errorf("broker key in namesrv file: %v %v", warns, err)
	}
}

func TestAliasKeys(t *testing.T) {
	c := testBroker()
	warns, err := Load([]byte("mapedFileSizeCommitLog=1048576\nmapedFileSizeConsumeQueue=6000\n"), "b", &c)
	if err != nil || len(warns) != 0 {
		t.Fatalf("old spellings: %v %v", warns, err)
	}
	if c.MappedFileSizeCommitLog != 1<<20 || c.MappedFileSizeConsumeQueue != 6000 {
		t.Errorf("old spellings not applied: %d %d", c.MappedFileSizeCommitLog, c.MappedFileSizeConsumeQueue)
	}
	// Both spellings in one file: the later line wins, with a warning.
	warns, err = Load([]byte("mappedFileSizeCommitLog=2097152\nmapedFileSizeCommitLog=4194304\n"), "b", &c)
	if err != nil || len(warns) != 1 || !strings.Contains(warns[0].Msg, "mapedFileSizeCommitLog and mappedFileSizeCommitLog (line 1) are the same key; the value on line 2 wins") {
		t.Errorf("both spellings: %v %v", warns, err)
	}
	if c.MappedFileSizeCommitLog != 4<<20 {
		t.Errorf("mappedFileSizeCommitLog = %d, want the later line", c.MappedFileSizeCommitLog)
	}
}

func TestSplitAddrs(t *testing.T) {
	tests := []struct {
		in    string
		want  []string
		warns []string
	}{
		{"", nil, nil},
		{"127.0.0.1:9876", []string{"127.0.0.1:9876"}, nil},
		{"a:9876;b:9877", []string{"a:9876", "b:9877"}, nil},
		{" a:9876 ; b:9877 ;", []string{"a:9876", "b:9877"}, nil},
		{"rocketmq-nameserver1:9876;rocketmq-nameserver2:9876", []string{"rocketmq-nameserver1:9876", "rocketmq-nameserver2:9876"}, nil},
		{"[::1]:9876", []string{"[::1]:9876"}, nil},
		{"192.168.2.10:9876,192.168.2.20:9876", []string{"192.168.2.10:9876", "192.168.2.20:9876"},
			[]string{"separates addresses with ','; use ';'"}},
		{"a:1,b:2;c:3", []string{"a:1", "b:2", "c:3"}, []string{"use ';'"}},
		{"a:9876;nohost;b:0;c:99999;:9876;d:x", []string{"a:9876"}, []string{
			`"nohost": want host:port`, `"b:0": port "0" is not in 1..65535`, `"c:99999": port`, `":9876": missing host`, `"d:x": port "x"`}},
	}
	for _, tc := range tests {
		got, warns := SplitAddrs(tc.in)
		if !slices.Equal(got, tc.want) {
			t.Errorf("SplitAddrs(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if len(warns) != len(tc.warns) {
			t.Errorf("SplitAddrs(%q) warnings %v, want %d", tc.in, warns, len(tc.warns))
			continue
		}
		for i, w := range warns {
			if !strings.Contains(w.Msg, tc.warns[i]) {
				t.Errorf("SplitAddrs(%q) warning %d = %q, want %q", tc.in, i, w.Msg, tc.warns[i])
			}
		}
	}
}

func TestLoadCommaAddrs(t *testing.T) {
	c := testBroker()
	warns, err := Load([]byte("# x\nnamesrvAddr=192.168.2.10:9876,192.168.2.20:9876\n"), "b.properties", &c)
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 1 || warns[0].Line != 2 || warns[0].Key != "namesrvAddr" ||
		!strings.HasPrefix(warns[0].String(), `b.properties:2: name server list "192.168.2.10:9876,192.168.2.20:9876" separates addresses with ','`) {
		t.Errorf("warnings %v", warns)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("a ',' list is still usable, Validate: %v", err)
	}
	if got, _ := SplitAddrs(c.NamesrvAddr); len(got) != 2 {
		t.Errorf("split %v", got)
	}
}
