package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/internal/testcluster"
)

// These tests run the real mqadmin binary against a name server and a
// broker started as processes, and check what it prints.

type result struct {
	out, err string
	code     int
}

type harness struct {
	t    *testing.T
	bin  string
	ns   string // name server address
	addr string // broker address
	tmp  string
	dir  string // the broker's home; its store is under store/
}

func mqadmin(t *testing.T) string {
	t.Helper()
	return testcluster.Build(t, "mqadmin")
}

// run runs mqadmin with args and the given extra environment (NAMESRV_ADDR
// is not inherited from the test's environment).
func run(t *testing.T, bin string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir() // consumerStatus writes files under the working directory
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NAMESRV_ADDR=") {
			base = append(base, kv)
		}
	}
	cmd.Env = append(base, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run mqadmin %v: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

func startHarness(t *testing.T) *harness {
	t.Helper()
	bin := mqadmin(t)
	ns := testcluster.StartNamesrv(t, nil)
	b := testcluster.StartBroker(t, []string{ns.Addr}, nil)
	h := &harness{t: t, bin: bin, ns: ns.Addr, addr: b.Addr, tmp: t.TempDir(), dir: b.Dir}
	h.waitOut("the broker registered", func(out string) bool { return strings.Contains(out, b.Addr) }, "clusterList")
	return h
}

// ok runs mqadmin -n ns args and wants exit status 0.
func (h *harness) ok(args ...string) string {
	h.t.Helper()
	r := run(h.t, h.bin, []string{"TMPDIR=" + h.tmp}, append(args, "-n", h.ns)...)
	if r.code != 0 {
		h.t.Fatalf("mqadmin %v: exit %d\nstdout:\n%s\nstderr:\n%s", args, r.code, r.out, r.err)
	}
	return r.out
}

// fail runs mqadmin -n ns args and wants exit status 1; it returns stderr.
func (h *harness) fail(args ...string) string {
	h.t.Helper()
	r := run(h.t, h.bin, []string{"TMPDIR=" + h.tmp}, append(args, "-n", h.ns)...)
	if r.code != 1 {
		h.t.Fatalf("mqadmin %v: exit %d, want 1\nstdout:\n%s\nstderr:\n%s", args, r.code, r.out, r.err)
	}
	return r.err
}

// waitOut runs the command until its output satisfies cond (deadline 20 s).
func (h *harness) waitOut(what string, cond func(string) bool, args ...string) string {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		r := run(h.t, h.bin, []string{"TMPDIR=" + h.tmp}, append(args, "-n", h.ns)...)
		if r.code == 0 && cond(r.out) {
			return r.out
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("waiting for %s: mqadmin %v: exit %d\nstdout:\n%s\nstderr:\n%s", what, args, r.code, r.out, r.err)
		}
		<-tick.C
	}
}

// clusterRTUntilRow runs clusterRT, which probes until interrupted, reads
// its header and first row, then interrupts it and wants exit status 0.
func clusterRTUntilRow(t *testing.T, h *harness) {
	t.Helper()
	cmd := exec.Command(h.bin, "clusterRT", "-a", "2", "-i", "1", "-n", h.ns)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var got []string
	timeout := time.After(20 * time.Second)
	for len(got) < 2 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("clusterRT ended early: %q\n%s", got, stderr.String())
			}
			got = append(got, l)
		case <-timeout:
			cmd.Process.Kill()
			t.Fatalf("clusterRT printed %q in 20 s\n%s", got, stderr.String())
		}
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range lines {
		}
	}()
	if err := cmd.Wait(); err != nil {
		t.Errorf("clusterRT after SIGINT: %v\n%s", err, stderr.String())
	}
	if got[0] != "#Cluster Name             #Broker Name              #RT   #successCount  #failCount" {
		t.Errorf("clusterRT header: %q", got[0])
	}
	mustMatch(t, got[1], `^DefaultCluster {12}broker-a {18}\d+\.\d\d {4,}  2 {17}0 {15}$`)
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
}

func hasLine(out, line string) bool {
	return slices.Contains(strings.Split(out, "\n"), line)
}

func mustMatch(t *testing.T, out, pattern string) []string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output does not match %q:\n%s", pattern, out)
	}
	return m
}

func TestCLIFrame(t *testing.T) {
	bin := mqadmin(t)
	r := run(t, bin, nil)
	if r.code != 0 || !strings.HasPrefix(r.out, "The most commonly used mqadmin commands are:\n") {
		t.Fatalf("no arguments: exit %d\n%s%s", r.code, r.out, r.err)
	}
	for _, name := range []string{"updateTopic", "clusterList", "queryMsgByOffset", "consumerProgress", "updateKvConfig"} {
		mustMatch(t, r.out, `(?m)^   `+name+` +\S.*$`)
	}

	r = run(t, bin, nil, "updateTopic", "-h")
	if r.code != 0 {
		t.Fatalf("-h: exit %d", r.code)
	}
	mustMatch(t, r.out, `(?m)^usage: mqadmin updateTopic .*-t <arg>`)
	mustMatch(t, r.out, `(?m)^ -t,--topic <arg> +topic name$`)
	mustMatch(t, r.out, `(?m)^ -n,--namesrvAddr <arg> +Name server address list`)
	if help := run(t, bin, nil, "help", "updateTopic"); help.out != r.out {
		t.Errorf("help updateTopic differs from updateTopic -h:\n%s", help.out)
	}

	cases := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown command", []string{"nope"}, nil, "The sub command nope not exist."},
		{"bad flag", []string{"topicList", "-z"}, nil, "unrecognized option: -z"},
		{"flag without value", []string{"topicStatus", "-t"}, nil, "missing argument for option: t"},
		{"missing required", []string{"topicStatus"}, nil, "missing required option(s): t"},
		{"stray argument", []string{"topicList", "extra"}, nil, `unexpected argument "extra"`},
		{"no name server", []string{"clusterList"}, nil, "no name server address: give it with -n host:9876 or export NAMESRV_ADDR=host:9876"},
		{"unreachable name server", []string{"clusterList", "-n", "127.0.0.1:1"}, nil, "hint: the name server at 127.0.0.1:1 cannot be reached"},
		{"unreachable from env", []string{"topicList"}, []string{"NAMESRV_ADDR=127.0.0.1:1"}, "export NAMESRV_ADDR=host:9876"},
		{"bad topic name", []string{"updateTopic", "-n", "127.0.0.1:1", "-c", "DefaultCluster", "-t", "a%b"}, nil, `topic name "a%b" is not allowed: use only characters of ^[a-zA-Z0-9_-]+$`},
		{"bad perm", []string{"updateTopic", "-n", "127.0.0.1:1", "-c", "DefaultCluster", "-t", "ok", "-p", "7"}, nil, "-p 7 is not a topic permission"},
		{"no -b or -c", []string{"updateTopic", "-n", "127.0.0.1:1", "-t", "ok"}, nil, "give a broker address with -b ip:port or a cluster name with -c"},
		{"bad number", []string{"queryMsgByOffset", "-n", "127.0.0.1:1", "-t", "x", "-b", "b", "-i", "x", "-o", "0"}, nil, `-i "x" is not a number`},
		{"qid without broker", []string{"sendMessage", "-n", "127.0.0.1:1", "-t", "x", "-p", "b", "-i", "0"}, nil, "-i needs -b"},
	}
	for _, c := range cases {
		r := run(t, bin, c.env, c.args...)
		if r.code != 1 || !strings.Contains(r.err, c.want) {
			t.Errorf("%s: mqadmin %v: exit %d, stderr %q; want exit 1 and %q", c.name, c.args, r.code, r.err, c.want)
		}
		if r.out != "" {
			t.Errorf("%s: printed on stdout: %q", c.name, r.out)
		}
	}
}

func TestTopicAndClusterCommands(t *testing.T) {
	h := startHarness(t)
	addr := regexp.QuoteMeta(h.addr)

	out := h.ok("clusterList")
	if header := "#Cluster Name     #Broker Name            #BID  #Addr                  #Version                #InTPS(LOAD)       #OutTPS(LOAD) #PCWait(ms) #Hour #SPACE\n"; !strings.HasPrefix(out, header) {
		t.Errorf("clusterList header:\n%s", out)
	}
	mustMatch(t, out, `(?m)^DefaultCluster    broker-a                0     `+addr+` +V4_9_8 +\d+\.\d\d\(\d+,\d+ms\) +\d+\.\d\d\(\d+,\d+ms\) +\d* +\d+\.\d\d +\d\.\d{4}$`)
	// -n defaults to NAMESRV_ADDR.
	if r := run(t, h.bin, []string{"NAMESRV_ADDR=" + h.ns}, "clusterList"); r.code != 0 || !strings.Contains(r.out, h.addr) {
		t.Errorf("clusterList with NAMESRV_ADDR: exit %d\n%s%s", r.code, r.out, r.err)
	}
	out = h.ok("clusterList", "-m")
	mustMatch(t, out, `(?m)^DefaultCluster    broker-a +\d+ +\d+ +\d+ +\d+$`)

	out = h.ok("brokerStatus", "-b", h.addr)
	mustMatch(t, out, `(?m)^brokerVersionDesc {15}: V4_9_8$`)
	mustMatch(t, out, `(?m)^putTps {26}: [\d.]+ [\d.]+ [\d.]+$`)
	out = h.ok("brokerStatus", "-c", "DefaultCluster")
	mustMatch(t, out, `(?m)^`+addr+` +bootTimestamp {19}: \d+$`)
	// -b wins over -c: a cluster that does not exist is not looked at.
	out = h.ok("brokerStatus", "-b", h.addr, "-c", "NoSuchCluster")
	mustMatch(t, out, `(?m)^brokerVersionDesc {15}: V4_9_8$`)
	if e := h.fail("brokerStatus", "-c", "NoSuchCluster"); !strings.Contains(e, `cluster "NoSuchCluster" not found`) {
		t.Errorf("unknown cluster: %s", e)
	}

	out = h.ok("getBrokerConfig", "-b", h.addr)
	mustMatch(t, out, `^============`+addr+`============\n`)
	mustMatch(t, out, `(?m)^brokerName {40}=  broker-a$`)
	out = h.ok("getBrokerConfig", "-c", "DefaultCluster")
	mustMatch(t, out, `^============Master: `+addr+`============\n`)

	out = h.ok("updateTopic", "-c", "DefaultCluster", "-t", "AdminTopic", "-r", "4", "-w", "4")
	want := "create topic to " + h.addr + " success.\nTopicConfig [topicName=AdminTopic, readQueueNums=4, writeQueueNums=4, perm=RW-, topicFilterType=SINGLE_TAG, topicSysFlag=0, order=false]\n"
	if out != want {
		t.Fatalf("updateTopic printed\n%q\nwant\n%q", out, want)
	}
	out = h.ok("updateTopic", "-b", h.addr, "-c", "NoSuchCluster", "-t", "AdminTopic2", "-r", "2", "-w", "2")
	mustMatch(t, out, `^create topic to `+addr+` success.\n`)

	h.waitOut("AdminTopic in topicList", func(o string) bool { return hasLine(o, "AdminTopic") }, "topicList")
	out = h.waitOut("AdminTopic in topicList -c", func(o string) bool { return strings.Contains(o, "AdminTopic ") }, "topicList", "-c")
	mustMatch(t, out, `^#Cluster Name {9}#Topic {44}#Consumer Group {33}\n`)
	mustMatch(t, out, `(?m)^DefaultCluster {8}AdminTopic {120}$`)
	if strings.Contains(out, "%RETRY%") {
		t.Errorf("topicList -c lists retry topics:\n%s", out)
	}

	out = h.ok("topicRoute", "-t", "AdminTopic")
	mustMatch(t, out, `"brokerName":"broker-a"|"brokerName": "broker-a"`)
	mustMatch(t, out, `"readQueueNums":\s*4`)
	out = h.ok("topicRoute", "-t", "AdminTopic", "-l")
	mustMatch(t, out, `(?m)^DefaultCluster {32}broker-a {25}\{0=`+addr+`\} +4 +4 +6 *$`)
	mustMatch(t, out, `(?m)^Total: {40}1 +4 +4 *$`)

	out = h.ok("topicStatus", "-t", "AdminTopic")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || lines[0] != "#Broker Name                      #QID  #Min Offset           #Max Offset             #Last Updated" {
		t.Fatalf("topicStatus:\n%s", out)
	}
	mustMatch(t, out, `(?m)^broker-a {26}3 {5}0 {21}0 {23}$`)

	if out := h.ok("topicClusterList", "-t", "AdminTopic"); out != "DefaultCluster\n" {
		t.Errorf("topicClusterList: %q", out)
	}

	out = h.ok("updateTopicPerm", "-b", h.addr, "-t", "AdminTopic", "-p", "4")
	mustMatch(t, out, `^update topic perm from 6 to 4 in `+addr+` success.\nTopicConfig \[topicName=AdminTopic, readQueueNums=4, writeQueueNums=4, perm=R--`)
	h.waitOut("perm 4 in the route", func(o string) bool { return regexp.MustCompile(`"perm":\s*4`).MatchString(o) }, "topicRoute", "-t", "AdminTopic")
	if out := h.ok("updateTopicPerm", "-c", "DefaultCluster", "-t", "AdminTopic", "-p", "4"); out != "new perm equals to the old one!\n" {
		t.Errorf("same perm: %q", out)
	}

	out = h.ok("wipeWritePerm", "-b", "broker-a")
	mustMatch(t, out, `^wipe write perm of broker\[broker-a\] in name server\[`+regexp.QuoteMeta(h.ns)+`\] OK, \d+\n$`)
	out = h.ok("addWritePerm", "-b", "broker-a")
	mustMatch(t, out, `^add write perm of broker\[broker-a\] in name server\[`+regexp.QuoteMeta(h.ns)+`\] OK, \d+\n$`)

	out = h.ok("allocateMQ", "-t", "AdminTopic", "-i", "c1,c2")
	if want := `{"result":{"c1":[{"brokerName":"broker-a","queueId":0,"topic":"AdminTopic"},{"brokerName":"broker-a","queueId":1,"topic":"AdminTopic"}],"c2":[{"brokerName":"broker-a","queueId":2,"topic":"AdminTopic"},{"brokerName":"broker-a","queueId":3,"topic":"AdminTopic"}]}}` + "\n"; out != want {
		t.Errorf("allocateMQ:\n%s\nwant\n%s", out, want)
	}

	h.ok("updateTopic", "-b", h.addr, "-t", "ProbeTopic", "-r", "2", "-w", "2")
	h.waitOut("ProbeTopic routed", func(string) bool { return true }, "topicRoute", "-t", "ProbeTopic")
	out = h.ok("checkMsgSendRT", "-t", "ProbeTopic", "-a", "3", "-s", "10")
	mustMatch(t, out, `^#Broker Name {20}  #QID  #Send Result {8}    #RT\n(broker-a {24}  [01] {3}  true {16}    \d+\n){3}Avg RT: \d+\.\d\d\n$`)
	out = h.ok("sendMsgStatus", "-b", "broker-a", "-c", "2", "-s", "20")
	mustMatch(t, out, `^(rt=\d+ms, SendResult=SendResult \[sendStatus=SEND_OK, msgId=[0-9A-F]{32}, offsetMsgId=[0-9A-F]{32}, messageQueue=MessageQueue \[topic=broker-a, brokerName=broker-a, queueId=\d+\], queueOffset=\d+\]\n){2}$`)
	clusterRTUntilRow(t, h)

	// cleanUnusedTopic drops the consume queues a deleted topic left behind, and only those.
	h.ok("updateTopic", "-b", h.addr, "-t", "CleanTopic", "-r", "1", "-w", "1")
	h.waitOut("CleanTopic routed", func(string) bool { return true }, "topicRoute", "-t", "CleanTopic")
	h.ok("sendMessage", "-t", "CleanTopic", "-p", "x")
	cq := func(topic string) bool {
		_, err := os.Stat(filepath.Join(h.dir, "store", "consumequeue", topic))
		return err == nil
	}
	h.waitOut("CleanTopic dispatched", func(o string) bool { return cq("CleanTopic") && cq("ProbeTopic") }, "topicList")
	h.ok("deleteTopic", "-c", "DefaultCluster", "-t", "CleanTopic")
	if out := h.ok("cleanUnusedTopic", "-c", "DefaultCluster"); out != "success\n" {
		t.Errorf("cleanUnusedTopic: %q", out)
	}
	if cq("CleanTopic") || !cq("ProbeTopic") {
		t.Errorf("after cleanUnusedTopic: CleanTopic queues present %v (want false), ProbeTopic %v (want true)", cq("CleanTopic"), cq("ProbeTopic"))
	}

	h.ok("updateSubGroup", "-b", h.addr, "-g", "ExportGroup")
	dir := t.TempDir()
	if out := h.ok("exportMetadata", "-c", "DefaultCluster", "-f", dir); out != "export "+dir+"/metadata.json success\n" {
		t.Errorf("exportMetadata: %q", out)
	}
	var meta struct {
		ExportTime             int64
		TopicConfigTable       map[string]struct{ ReadQueueNums, WriteQueueNums, Perm int32 }
		SubscriptionGroupTable map[string]struct{ RetryMaxTimes int32 }
	}
	readJSON(t, dir+"/metadata.json", &meta)
	if tc := meta.TopicConfigTable["AdminTopic"]; tc.ReadQueueNums != 4 || tc.WriteQueueNums != 4 || tc.Perm != 4 {
		t.Errorf("exported AdminTopic: %+v", tc)
	}
	for _, sys := range []string{"TBW102", "broker-a", "DefaultCluster", "SCHEDULE_TOPIC_XXXX"} {
		if _, ok := meta.TopicConfigTable[sys]; ok {
			t.Errorf("exportMetadata exported system topic %s", sys)
		}
	}
	if g, ok := meta.SubscriptionGroupTable["ExportGroup"]; !ok || g.RetryMaxTimes != 16 || meta.ExportTime == 0 {
		t.Errorf("exported groups: %+v, time %d", meta.SubscriptionGroupTable, meta.ExportTime)
	}
	if out := h.ok("exportConfigs", "-c", "DefaultCluster", "-f", dir); out != "export "+dir+"/configs.json success\n" {
		t.Errorf("exportConfigs: %q", out)
	}
	var conf struct {
		ClusterScale  map[string]int
		BrokerConfigs map[string]map[string]string
	}
	readJSON(t, dir+"/configs.json", &conf)
	if conf.ClusterScale["namesrvSize"] != 1 || conf.ClusterScale["masterBrokerSize"] != 1 || conf.ClusterScale["slaveBrokerSize"] != 0 {
		t.Errorf("clusterScale: %v", conf.ClusterScale)
	}
	if bc := conf.BrokerConfigs["broker-a"]; bc["brokerClusterName"] != "DefaultCluster" || bc["brokerRole"] != "ASYNC_MASTER" || len(bc) > 16 {
		t.Errorf("brokerConfigs: %v", conf.BrokerConfigs)
	}

	out = h.ok("deleteTopic", "-c", "DefaultCluster", "-t", "AdminTopic2")
	if out != "delete topic [AdminTopic2] from cluster [DefaultCluster] success.\ndelete topic [AdminTopic2] from NameServer success.\n" {
		t.Errorf("deleteTopic: %q", out)
	}
	h.waitOut("AdminTopic2 gone", func(o string) bool { return !hasLine(o, "AdminTopic2") }, "topicList")
	if e := h.fail("topicRoute", "-t", "AdminTopic2"); !strings.Contains(e, "no route") {
		t.Errorf("route of a deleted topic: %s", e)
	}
}

func TestNamesrvCommands(t *testing.T) {
	bin := mqadmin(t)
	ns := testcluster.StartNamesrv(t, nil)
	h := &harness{t: t, bin: bin, ns: ns.Addr, tmp: t.TempDir()}

	if out := h.ok("updateKvConfig", "-s", "TEST_NS", "-k", "k1", "-v", "v1"); out != "create or update kv config to namespace success.\n" {
		t.Errorf("updateKvConfig: %q", out)
	}
	if out := h.ok("deleteKvConfig", "-s", "TEST_NS", "-k", "k1"); out != "delete kv config from namespace success.\n" {
		t.Errorf("deleteKvConfig: %q", out)
	}
	if out := h.ok("updateOrderConf", "-t", "OrderTopic", "-m", "put", "-v", "broker-a:4"); out != "update orderConf success. topic=[OrderTopic], orderConf=[broker-a:4]\n" {
		t.Errorf("updateOrderConf put: %q", out)
	}
	if out := h.ok("updateOrderConf", "-t", "OrderTopic", "-m", "get"); out != "get orderConf success. topic=[OrderTopic], orderConf=[broker-a:4]\n" {
		t.Errorf("updateOrderConf get: %q", out)
	}
	h.ok("updateOrderConf", "-t", "OrderTopic", "-m", "delete")
	if e := h.fail("updateOrderConf", "-t", "OrderTopic", "-m", "get"); !strings.Contains(e, "has no order conf") {
		t.Errorf("get after delete: %s", e)
	}
	if e := h.fail("updateOrderConf", "-t", "OrderTopic", "-m", "drop"); !strings.Contains(e, "one of get, put, delete") {
		t.Errorf("bad method: %s", e)
	}

	out := h.ok("getNamesrvConfig")
	mustMatch(t, out, `^============`+regexp.QuoteMeta(ns.Addr)+`============\n`)
	mustMatch(t, out, `(?m)^orderMessageEnable {32}=  false$`)
	out = h.ok("updateNamesrvConfig", "-k", "orderMessageEnable", "-v", "true")
	if want := "update name server config success![" + ns.Addr + "]\norderMessageEnable : true\n"; out != want {
		t.Errorf("updateNamesrvConfig: %q want %q", out, want)
	}
	mustMatch(t, h.ok("getNamesrvConfig"), `(?m)^orderMessageEnable {32}=  true$`)
	if e := h.fail("updateNamesrvConfig", "-k", "configStorePath", "-v", "/tmp/x"); !strings.Contains(e, "black list") {
		t.Errorf("black-listed key: %s", e)
	}
}

func TestMessageAndConsumerCommands(t *testing.T) {
	h := startHarness(t)
	addr := regexp.QuoteMeta(h.addr)
	h.ok("updateTopic", "-c", "DefaultCluster", "-t", "MsgTopic", "-r", "1", "-w", "1")
	h.waitOut("MsgTopic routed", func(string) bool { return true }, "topicRoute", "-t", "MsgTopic")

	out := h.ok("sendMessage", "-t", "MsgTopic", "-p", "hello mqadmin", "-k", "key-1", "-c", "TagA")
	m := mustMatch(t, out, `^#Broker Name                      #QID  #Send Result            #MsgId\nbroker-a {24}  0     SEND_OK {17}([0-9A-F]{32})\n$`)
	uniq := m[1]

	out = h.ok("queryMsgByOffset", "-t", "MsgTopic", "-b", "broker-a", "-i", "0", "-o", "0")
	offsetID := mustMatch(t, out, `(?m)^OffsetID: {12}([0-9A-F]+)$`)[1]
	for _, p := range []string{`(?m)^Topic: {15}MsgTopic$`, `(?m)^Tags: {16}\[TagA\]$`, `(?m)^Keys: {16}\[key-1\]$`,
		`(?m)^Queue ID: {12}0$`, `(?m)^Queue Offset: {8}0$`, `(?m)^Store Host: {10}` + addr + `$`,
		`(?m)^Born Timestamp: {6}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}$`, `(?m)^Message Body Path: {3}\S+$`} {
		mustMatch(t, out, p)
	}
	bodyPath := mustMatch(t, out, `(?m)^Message Body Path: {3}(\S+)$`)[1]
	if b, err := os.ReadFile(bodyPath); err != nil || string(b) != "hello mqadmin" {
		t.Errorf("body file %s: %q %v", bodyPath, b, err)
	}
	if e := h.fail("queryMsgByOffset", "-t", "MsgTopic", "-b", "broker-a", "-i", "0", "-o", "5"); !strings.Contains(e, "no message at offset 5") {
		t.Errorf("offset past the end: %s", e)
	}

	out = h.ok("queryMsgById", "-i", offsetID)
	mustMatch(t, out, `(?m)^OffsetID: {12}`+offsetID+`$`)
	mustMatch(t, out, `(?m)^Keys: {16}\[key-1\]$`)
	if e := h.fail("queryMsgById", "-i", "XYZ"); !strings.Contains(e, "is not an offset message id") {
		t.Errorf("bad id: %s", e)
	}

	out = h.waitOut("the key indexed", func(o string) bool { return strings.Contains(o, uniq) }, "queryMsgByKey", "-t", "MsgTopic", "-k", "key-1")
	mustMatch(t, out, `^#Message ID {40}#QID {34}#Offset\n`+uniq+` {22}0 {40}0\n$`)
	out = h.waitOut("the unique key indexed", func(o string) bool { return strings.Contains(o, offsetID) }, "queryMsgByUniqueKey", "-t", "MsgTopic", "-i", uniq)
	mustMatch(t, out, `(?m)^Tags: {16}\[TagA\]$`)

	out = h.ok("printMsg", "-t", "MsgTopic")
	mustMatch(t, out, `^minOffset=0, maxOffset=1, MessageQueue \[topic=MsgTopic, brokerName=broker-a, queueId=0\]\n`)
	mustMatch(t, out, `(?m)^MSGID: `+uniq+` MessageExt \[queueId=0, .*\] BODY: hello mqadmin$`)
	out = h.ok("printMsg", "-t", "MsgTopic", "-s", "TagB", "-d", "false")
	if strings.Contains(out, "MSGID:") {
		t.Errorf("printMsg -s TagB printed a TagA message:\n%s", out)
	}

	out = h.ok("printMsgByQueue", "-t", "MsgTopic", "-a", "broker-a", "-i", "0", "-p", "true", "-d", "true", "-f", "true")
	mustMatch(t, out, `^MSGID: `+uniq+` MessageExt \[queueId=0, .*\] BODY: hello mqadmin\nTag: TagA {26} Count: 1\n$`)
	if out := h.ok("printMsgByQueue", "-t", "MsgTopic", "-a", "broker-a", "-i", "0", "-s", "TagB", "-f", "true"); out != "" {
		t.Errorf("printMsgByQueue -s TagB: %q", out)
	}

	out = h.ok("consumeMessage", "-t", "MsgTopic")
	mustMatch(t, out, `^Consume ok\nMSGID: `+uniq+` MessageExt \[queueId=0, .*\] BODY: hello mqadmin\n$`)
	if out := h.ok("consumeMessage", "-t", "MsgTopic", "-b", "broker-a", "-i", "0", "-o", "1"); out != "" {
		t.Errorf("consumeMessage from the end: %q", out)
	}
	if out := h.ok("consumeMessage", "-t", "MsgTopic", "-b", "broker-a", "-i", "0", "-o", "5"); out != "MessageQueue [topic=MsgTopic, brokerName=broker-a, queueId=0] no matched msg, offset=5\n" {
		t.Errorf("consumeMessage past the end: %q", out)
	}
	if e := h.fail("consumeMessage", "-t", "MsgTopic", "-o", "0"); !strings.Contains(e, "-o needs -b and -i") {
		t.Errorf("consumeMessage -o alone: %s", e)
	}

	// A producer and a consumer for the connection and progress commands.
	opts := client.ClientOptions{NameServers: []string{h.ns}, HeartbeatBrokerInterval: 200 * time.Millisecond, PersistConsumerOffsetInterval: 100 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)}
	p, err := client.NewProducer(client.ProducerOptions{ClientOptions: opts, Group: "AdminPG"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := p.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Shutdown(context.Background()) })
	if _, err := p.Send(ctx, client.NewMessage("MsgTopic", "TagA", []byte("second"))); err != nil {
		t.Fatal(err)
	}
	out = h.waitOut("producer connection", func(o string) bool { return strings.HasPrefix(o, "0001  ") }, "producerConnection", "-g", "AdminPG", "-t", "MsgTopic")
	mustMatch(t, out, `^0001  \S+@\S+ +\S+:\d+ +GO +V4_9_8\n$`)

	consumed := make(chan struct{}, 16)
	pc, err := client.NewPushConsumer(client.PushConsumerOptions{ClientOptions: opts, Group: "AdminCG", ConsumeFrom: client.ConsumeFromFirstOffset,
		RebalanceInterval: 200 * time.Millisecond,
		Listener: func(ctx context.Context, msgs []*client.MessageExt) (client.ConsumeResult, error) {
			for range msgs {
				consumed <- struct{}{}
			}
			return client.ConsumeSuccess, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Subscribe("MsgTopic", client.ByTag("*")); err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Shutdown(context.Background()) })
	for range 2 {
		select {
		case <-consumed:
		case <-time.After(20 * time.Second):
			t.Fatal("consumer got no message")
		}
	}
	out = h.waitOut("committed offsets", func(o string) bool { return strings.Contains(o, "Diff Total: 0") }, "consumerProgress", "-g", "AdminCG")
	mustMatch(t, out, `^#Topic {60}#Broker Name {22}#QID  #Broker Offset {8}#Consumer Offset {6}#Diff {17}#LastTime\n`)
	mustMatch(t, out, `(?m)^MsgTopic {58}broker-a {26}0 {5}2 {21}2 {21}0 {21}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)
	mustMatch(t, out, `\nConsume TPS: \d+\.\d\d\nDiff Total: 0\n$`)

	out = h.ok("consumerConnection", "-g", "AdminCG")
	mustMatch(t, out, `^#ClientId                            #ClientAddr            #Language  #Version\n\S+@\S+ +\S+:\d+ +GO +V4_9_8\n`)
	mustMatch(t, out, `(?m)^MsgTopic {13}\*$`)
	mustMatch(t, out, `(?m)^ConsumeType: CONSUME_PASSIVELY\nMessageModel: CLUSTERING\nConsumeFromWhere: CONSUME_FROM_FIRST_OFFSET$`)
	if e := h.fail("consumerConnection", "-g", "NoSuchGroup"); e == "" {
		t.Error("consumerConnection of an unknown group printed no error")
	}

	out = h.ok("consumerStatus", "-g", "AdminCG")
	m = mustMatch(t, out, `^#Index     #ClientId {32}#Version {13}#ConsumerRunningInfoFile\n1 {10}(\S+@\S+) +V4_9_8 +\d+/\S+\n\n\nSame subscription in the same group of consumer\n\nRebalance OK\n$`)
	out = h.ok("consumerStatus", "-g", "AdminCG", "-i", m[1])
	mustMatch(t, out, `^#Consumer Properties#\n`)
	mustMatch(t, out, `(?m)^consumerGroup {27}: AdminCG$`)
	mustMatch(t, out, `(?m)^\d{3} Topic: MsgTopic {33}ClassFilter: false    SubExpression: \*$`)
	mustMatch(t, out, `(?m)^MsgTopic {24}  broker-a {24}  0     2 {19}$`)

	out = h.ok("brokerConsumeStats", "-b", h.addr)
	mustMatch(t, out, `^#Topic {60}#Group {60}#Broker Name {22}#QID  #Broker Offset {8}#Consumer Offset {6}#Diff {17}#LastTime\n`)
	mustMatch(t, out, `(?m)^MsgTopic {58}AdminCG {59}broker-a {26}0 {5}2 {21}2 {21}0 {21}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$`)
	mustMatch(t, out, `\n\nDiff Total: 0\n$`)
	if out := h.ok("brokerConsumeStats", "-b", h.addr, "-l", "1"); strings.Contains(out, "AdminCG") {
		t.Errorf("brokerConsumeStats -l 1 printed a queue without lag:\n%s", out)
	}

	out = h.ok("getConsumerStatus", "-g", "AdminCG", "-t", "MsgTopic")
	mustMatch(t, out, `^get consumer status from client. group=AdminCG, topic=MsgTopic, originClientId=\n#clientId {41}  #brokerName {4}  #queueId {9}#offset {13}\n\S+@\S+ +broker-a {9}0 {16}2 {19}\n$`)
	if out := h.ok("getConsumerStatus", "-g", "AdminCG", "-t", "MsgTopic", "-i", "nobody@0"); strings.Count(out, "\n") != 2 {
		t.Errorf("getConsumerStatus of an unknown client id printed rows:\n%s", out)
	}

	out = h.ok("cloneGroupOffset", "-s", "AdminCG", "-d", "AdminCG2", "-t", "MsgTopic")
	if out != "clone group offset success. srcGroup[AdminCG], destGroup=[AdminCG2], topic[MsgTopic]\n" {
		t.Errorf("cloneGroupOffset: %q", out)
	}
	// Without force, "now" keeps the offsets a group has: the clone's.
	out = h.ok("resetOffsetByTime", "-g", "AdminCG2", "-t", "MsgTopic", "-s", "now", "-f", "false")
	mustMatch(t, out, `^rollback consumer offset by specified group\[AdminCG2\], topic\[MsgTopic\], force\[false\], timestamp\(string\)\[now\], timestamp\(long\)\[-1\]\n#brokerName {29}  #queueId {32}  #offset {33}\nbroker-a {32}  0 {39}  2 {39}\n$`)
	if e := h.fail("resetOffsetByTime", "-g", "NoOffsetsGroup", "-t", "MsgTopic", "-s", "now"); !strings.Contains(e, "THe consumer group <NoOffsetsGroup> not exist") {
		t.Errorf("reset of a group without offsets: %s", e)
	}
	// Back to the start: the live consumer is told and consumes both again.
	out = h.ok("resetOffsetByTime", "-g", "AdminCG", "-t", "MsgTopic", "-s", "0")
	mustMatch(t, out, `(?m)^broker-a {32}  0 {39}  0 {39}$`)
	for range 2 {
		select {
		case <-consumed:
		case <-time.After(20 * time.Second):
			t.Fatal("the consumer did not consume again after resetOffsetByTime")
		}
	}
	h.waitOut("offsets committed again", func(o string) bool { return strings.Contains(o, "Diff Total: 0") }, "consumerProgress", "-g", "AdminCG")

	out = h.ok("updateSubGroup", "-c", "DefaultCluster", "-g", "AdminSG", "-r", "3", "-d", "false")
	want := "create subscription group to " + h.addr + " success.\nSubscriptionGroupConfig [groupName=AdminSG, consumeEnable=true, consumeFromMinEnable=true, consumeBroadcastEnable=false, retryQueueNums=1, retryMaxTimes=3, brokerId=0, whichBrokerWhenConsumeSlowly=1, notifyConsumerIdsChangedEnable=true]\n"
	if out != want {
		t.Errorf("updateSubGroup:\n%q\nwant\n%q", out, want)
	}
	out = h.ok("deleteSubGroup", "-b", h.addr, "-g", "AdminSG")
	if out != "delete subscription group [AdminSG] from broker ["+h.addr+"] success.\n" {
		t.Errorf("deleteSubGroup: %q", out)
	}
}
