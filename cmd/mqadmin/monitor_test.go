package main

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/client"
)

// lineReader hands out the lines a running mqadmin prints.
type lineReader struct {
	t      *testing.T
	lines  chan string
	stderr *bytes.Buffer
	seen   []string
}

// startMqadmin starts a long-running mqadmin command (it runs until
// interrupted) and reads its stdout line by line.
func startMqadmin(t *testing.T, h *harness, args ...string) (*exec.Cmd, *lineReader) {
	t.Helper()
	cmd := exec.Command(h.bin, append(args, "-n", h.ns)...)
	cmd.Dir = t.TempDir()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r := &lineReader{t: t, lines: make(chan string, 64), stderr: &bytes.Buffer{}}
	cmd.Stderr = r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
		close(r.lines)
	}()
	return cmd, r
}

// waitLine reads lines until one matches pattern and returns it; every
// tick (if not nil) runs while it waits. stop, if not empty, is a pattern
// that ends the wait with a failure (the line came too late).
func (r *lineReader) waitLine(what, pattern, stop string, tick func()) string {
	r.t.Helper()
	re, stopRe := regexp.MustCompile(pattern), regexp.MustCompile("^$")
	if stop != "" {
		stopRe = regexp.MustCompile(stop)
	}
	deadline := time.After(30 * time.Second)
	ticker := time.NewTicker(200 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				r.t.Fatalf("waiting for %s: mqadmin ended; it printed\n%s\nstderr:\n%s", what, strings.Join(r.seen, "\n"), r.stderr)
			}
			r.seen = append(r.seen, l)
			if re.MatchString(l) {
				return l
			}
			if stop != "" && stopRe.MatchString(l) {
				r.t.Fatalf("waiting for %s: %q came first; printed so far\n%s", what, l, strings.Join(r.seen, "\n"))
			}
		case <-ticker.C:
			if tick != nil {
				tick()
			}
		case <-deadline:
			r.t.Fatalf("waiting for %s: not printed in 30 s; printed\n%s\nstderr:\n%s", what, strings.Join(r.seen, "\n"), r.stderr)
		}
	}
}

// interrupt sends SIGINT and wants exit status 0.
func interrupt(t *testing.T, cmd *exec.Cmd, r *lineReader) {
	t.Helper()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range r.lines {
		}
	}()
	if err := cmd.Wait(); err != nil {
		t.Errorf("%s after SIGINT: %v\nstderr:\n%s", cmd.Args[1], err, r.stderr)
	}
}

func clientOptions(h *harness) client.ClientOptions {
	return client.ClientOptions{NameServers: []string{h.ns}, HeartbeatBrokerInterval: 200 * time.Millisecond,
		PersistConsumerOffsetInterval: 100 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
}

// startProducer starts a producer of group that stops when the test ends.
func startProducer(t *testing.T, h *harness, group string) *client.Producer {
	t.Helper()
	p, err := client.NewProducer(client.ProducerOptions{ClientOptions: clientOptions(h), Group: group})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Shutdown(context.Background()) })
	return p
}

// startPushConsumer starts a consumer of group reading topic from its
// first message; each message it consumes is a value on the channel.
func startPushConsumer(t *testing.T, h *harness, group, topic string) (*client.PushConsumer, <-chan struct{}) {
	t.Helper()
	consumed := make(chan struct{}, 64)
	pc, err := client.NewPushConsumer(client.PushConsumerOptions{ClientOptions: clientOptions(h), Group: group, ConsumeFrom: client.ConsumeFromFirstOffset,
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
	if err := pc.Subscribe(topic, client.ByTag("*")); err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Shutdown(context.Background()) })
	return pc, consumed
}

// TestStartMonitoring: a group with live members and a backlog gets its
// undone line in the first round; a pull past the end of a queue gets its
// offset-moved event reported; SIGINT ends the monitor with status 0.
func TestStartMonitoring(t *testing.T) {
	h := startHarness(t)
	ctx := context.Background()
	// A name server that cannot be reached ends it at once, with the hint.
	if r := run(t, h.bin, nil, "startMonitoring", "-n", "127.0.0.1:1"); r.code != 1 || !strings.Contains(r.err, "hint: the name server at 127.0.0.1:1 cannot be reached") {
		t.Errorf("startMonitoring without a name server: exit %d\n%s%s", r.code, r.out, r.err)
	}
	h.ok("updateTopic", "-c", "DefaultCluster", "-t", "MonTopic", "-r", "1", "-w", "1")
	h.waitOut("MonTopic routed", func(string) bool { return true }, "topicRoute", "-t", "MonTopic")

	p := startProducer(t, h, "MonPG")
	// Two messages, then three stored at least 50 ms later: the group
	// below consumes the first two, so its oldest unconsumed message is
	// that much newer than its last consumed one.
	var secondSent time.Time
	for i := range 5 {
		if i == 2 {
			for time.Since(secondSent) < 50*time.Millisecond {
				runtime.Gosched() // the broker stamps store times with the same clock
			}
		}
		if _, err := p.Send(ctx, client.NewMessage("MonTopic", "", []byte("backlog"))); err != nil {
			t.Fatal(err)
		}
		secondSent = time.Now()
	}

	// A live pull consumer that read 2 of the 5 messages: a backlog of 3.
	pc, err := client.NewPullConsumer(client.PullConsumerOptions{ClientOptions: clientOptions(h), Group: "MonCG"})
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Shutdown(context.Background()) })
	mqs, err := pc.Queues(ctx, "MonTopic")
	if err != nil || len(mqs) != 1 {
		t.Fatalf("queues of MonTopic: %v %v", mqs, err)
	}
	pc.UpdateOffset(mqs[0], 2)
	h.waitOut("the backlog of MonCG", func(o string) bool { return strings.Contains(o, "Diff Total: 3") }, "consumerProgress", "-g", "MonCG")
	h.waitOut("MonCG online", func(string) bool { return true }, "consumerConnection", "-g", "MonCG")

	cmd, r := startMqadmin(t, h, "startMonitoring")
	r.waitLine("the first round", `^\[MONITOR\] =+beginRound$`, "", nil)
	line := r.waitLine("MonCG's undone line in the first round",
		`^\[MONITOR\] reportUndoneMsgs: UndoneMsgs \[consumerGroup=MonCG, topic=MonTopic, undoneMsgsTotal=3, undoneMsgsSingleMQ=3, undoneMsgsDelayTimeMills=\d+\]$`,
		`endRound`, nil)
	delay, _ := strconv.Atoi(mustMatch(t, line, `undoneMsgsDelayTimeMills=(\d+)`)[1])
	if delay < 50 || delay > 60_000 {
		t.Errorf("undoneMsgsDelayTimeMills %d: the newest message was stored 50 ms or more after the last consumed one", delay)
	}
	r.waitLine("the end of the first round", `^\[MONITOR\] =+endRound$`, "", nil)
	for _, l := range r.seen {
		if strings.Contains(l, "WARNING") {
			t.Errorf("the monitor warned although the broker writes OFFSET_MOVED_EVENT: %s", l)
		}
	}

	// A pull far past the end moves the offset; the broker records it in
	// OFFSET_MOVED_EVENT and the monitor's consumer reports it. Pull again
	// until it does: the monitor's consumer starts at the end of that topic.
	a, err := client.NewAdmin(clientOptions(h))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	mq := client.MessageQueue{Topic: "MonTopic", BrokerName: "broker-a", QueueID: 0}
	r.waitLine("the offset-moved event",
		`^\[MONITOR\] reportDeleteMsgsEvent: DeleteMsgsEvent \[offsetMovedEvent=OffsetMovedEvent \[consumerGroup=MovedCG, messageQueue=MessageQueue \[topic=MonTopic, brokerName=broker-a, queueId=0\], offsetRequest=99, offsetNew=\d+\], eventTimestamp=\d{13}\]$`,
		"", func() {
			if _, err := a.PullQueue(ctx, h.addr, "MovedCG", mq, 99, 1); err != nil {
				t.Errorf("pull past the end: %v", err)
			}
		})
	t.Logf("startMonitoring printed:\n%s", strings.Join(r.seen, "\n"))
	interrupt(t, cmd, r)
}

// TestConsumerProgressClientIP: consumerProgress -s true adds the IP of
// the client holding each queue, from the members' running info.
func TestConsumerProgressClientIP(t *testing.T) {
	h := startHarness(t)
	h.ok("updateTopic", "-c", "DefaultCluster", "-t", "IPTopic", "-r", "2", "-w", "2")
	h.waitOut("IPTopic routed", func(string) bool { return true }, "topicRoute", "-t", "IPTopic")
	h.ok("sendMessage", "-t", "IPTopic", "-p", "one")

	pc, consumed := startPushConsumer(t, h, "IPCG", "IPTopic")
	select {
	case <-consumed:
	case <-time.After(20 * time.Second):
		t.Fatal("consumer got no message")
	}
	ip, _, _ := strings.Cut(pc.ClientID(), "@")
	qip := regexp.QuoteMeta(ip)
	out := h.waitOut("both queues held and committed", func(o string) bool {
		return strings.Contains(o, "Diff Total: 0") && strings.Count(o, " "+ip+" ") >= 2
	}, "consumerProgress", "-g", "IPCG", "-s", "true")
	mustMatch(t, out, `^#Topic {60}#Broker Name {22}#QID  #Broker Offset {8}#Consumer Offset {6}#Client IP {11}#Diff {17}#LastTime\n`)
	mustMatch(t, out, `(?m)^IPTopic {59}broker-a {26}[01] {5}[01] {21}[01] {21}`+qip+` +0 {21}(N/A|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)$`)
	mustMatch(t, out, `\nConsume TPS: \d+\.\d\d\nDiff Total: 0\n$`)
	if out := h.ok("consumerProgress", "-g", "IPCG"); strings.Contains(out, "#Client IP") {
		t.Errorf("consumerProgress without -s shows client IPs:\n%s", out)
	}
	if e := h.fail("consumerProgress", "-g", "IPCG", "-s", "maybe"); !strings.Contains(e, "not true or false") {
		t.Errorf("consumerProgress -s maybe: %s", e)
	}
}

// TestCharsetAndUnitFlags: printMsg and printMsgByQueue -c GBK print a GBK
// body as text; updateTopic -u/-s set topicSysFlag on the broker.
func TestCharsetAndUnitFlags(t *testing.T) {
	h := startHarness(t)
	ctx := context.Background()
	h.ok("updateTopic", "-c", "DefaultCluster", "-t", "GbkTopic", "-r", "1", "-w", "1")
	h.waitOut("GbkTopic routed", func(string) bool { return true }, "topicRoute", "-t", "GbkTopic")
	p := startProducer(t, h, "GbkPG")
	gbk := []byte{0xd6, 0xd0, 0xce, 0xc4, '-', 'o', 'k'} // "中文-ok" in GBK
	if _, err := p.Send(ctx, client.NewMessage("GbkTopic", "TagG", gbk)); err != nil {
		t.Fatal(err)
	}

	out := h.ok("printMsg", "-t", "GbkTopic", "-c", "GBK")
	mustMatch(t, out, `(?m)^MSGID: [0-9A-F]{32} MessageExt \[queueId=0, .*\] BODY: 中文-ok$`)
	out = h.ok("printMsgByQueue", "-t", "GbkTopic", "-a", "broker-a", "-i", "0", "-p", "true", "-d", "true", "-c", "gb18030")
	mustMatch(t, out, `^MSGID: [0-9A-F]{32} MessageExt \[queueId=0, .*\] BODY: 中文-ok\n$`)
	if out := h.ok("printMsg", "-t", "GbkTopic"); strings.Contains(out, "中文") {
		t.Errorf("printMsg without -c decoded GBK:\n%s", out)
	}
	for _, cmd := range [][]string{
		{"printMsg", "-t", "GbkTopic", "-c", "KLINGON-8"},
		{"printMsgByQueue", "-t", "GbkTopic", "-a", "broker-a", "-i", "0", "-c", "KLINGON-8"},
	} {
		if e := h.fail(cmd...); !strings.Contains(e, "KLINGON-8") || !strings.Contains(e, "unknown or unsupported charset") {
			t.Errorf("%s -c KLINGON-8: %s", cmd[0], e)
		}
	}

	out = h.ok("updateTopic", "-b", h.addr, "-t", "UnitTopic", "-u", "true")
	if !strings.Contains(out, "topicSysFlag=1,") {
		t.Errorf("updateTopic -u true:\n%s", out)
	}
	out = h.ok("updateTopic", "-b", h.addr, "-t", "UnitSubTopic", "-u", "true", "-s", "true")
	if !strings.Contains(out, "topicSysFlag=3,") {
		t.Errorf("updateTopic -u true -s true:\n%s", out)
	}
	var topics struct {
		TopicConfigTable map[string]struct {
			TopicSysFlag int32 `json:"topicSysFlag"`
		} `json:"topicConfigTable"`
	}
	readJSON(t, filepath.Join(h.dir, "store", "config", "topics.json"), &topics)
	if got := topics.TopicConfigTable["UnitTopic"].TopicSysFlag; got != 1 {
		t.Errorf("UnitTopic's topicSysFlag on the broker: %d, want 1", got)
	}
	if got := topics.TopicConfigTable["UnitSubTopic"].TopicSysFlag; got != 3 {
		t.Errorf("UnitSubTopic's topicSysFlag on the broker: %d, want 3", got)
	}
	// Changing the perm keeps the flag.
	h.ok("updateTopicPerm", "-b", h.addr, "-t", "UnitTopic", "-p", "4")
	readJSON(t, filepath.Join(h.dir, "store", "config", "topics.json"), &topics)
	if got := topics.TopicConfigTable["UnitTopic"].TopicSysFlag; got != 1 {
		t.Errorf("UnitTopic's topicSysFlag after updateTopicPerm: %d, want 1", got)
	}
}
