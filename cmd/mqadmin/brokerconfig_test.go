package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestBrokerConfigAndCleanCommands: updateBrokerConfig with -b and -c (a
// live key shows in getBrokerConfig at once, a restart key is noted on
// stderr, both land in the broker's -c file), bad keys and values exit 1
// with the broker's reason, cleanExpiredCQ with -b, -c and neither, and
// deleteTopic taking the topic's consume queues.
func TestBrokerConfigAndCleanCommands(t *testing.T) {
	h := startHarness(t)
	addr := regexp.QuoteMeta(h.addr)

	out := h.ok("updateBrokerConfig", "-b", h.addr, "-k", "fileReservedTime", "-v", "10")
	mustMatch(t, out, `^update broker config success, `+addr+`\n$`)
	out = h.ok("getBrokerConfig", "-b", h.addr)
	mustMatch(t, out, `(?m)^fileReservedTime {34}=  10$`)

	r := run(t, h.bin, []string{"TMPDIR=" + h.tmp}, "updateBrokerConfig", "-c", "DefaultCluster", "-k", "sendMessageThreadPoolNums", "-v", "3", "-n", h.ns)
	if r.code != 0 {
		t.Fatalf("updateBrokerConfig -c: exit %d\n%s%s", r.code, r.out, r.err)
	}
	mustMatch(t, r.out, `^update broker config success, `+addr+`\n$`)
	if want := "note: " + h.addr + ": updated; these keys take effect after a restart of the broker: sendMessageThreadPoolNums\n"; r.err != want {
		t.Fatalf("stderr %q, want %q", r.err, want)
	}
	out = h.ok("getBrokerConfig", "-b", h.addr)
	if regexp.MustCompile(`(?m)^sendMessageThreadPoolNums +=  3$`).MatchString(out) {
		t.Fatal("a restart key is shown as in effect")
	}
	conf, err := os.ReadFile(filepath.Join(h.dir, "broker.properties"))
	if err != nil || !strings.Contains(string(conf), "\nfileReservedTime=10\n") || !strings.Contains(string(conf), "\nsendMessageThreadPoolNums=3\n") {
		t.Fatalf("the broker's -c file: %v\n%s", err, conf)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-b", h.addr, "-k", "fileReserveTime", "-v", "1"}, "unknown key fileReserveTime: did you mean fileReservedTime?"},
		{[]string{"-b", h.addr, "-k", "fileReservedTime", "-v", "abc"}, `fileReservedTime: "abc" is not an integer`},
		{[]string{"-b", h.addr, "-k", "brokerConfigPath", "-v", "/x"}, "Can not update config in black list: brokerConfigPath"},
		{[]string{"-b", h.addr, "-k", "a=b", "-v", "1"}, "a key is a non-empty name"},
		{[]string{"-c", "NoSuchCluster", "-k", "fileReservedTime", "-v", "1"}, `cluster "NoSuchCluster" not found`},
	} {
		if stderr := h.fail(append([]string{"updateBrokerConfig"}, tc.args...)...); !strings.Contains(stderr, tc.want) {
			t.Errorf("updateBrokerConfig %v: stderr %q lacks %q", tc.args, stderr, tc.want)
		}
	}
	if out := h.ok("getBrokerConfig", "-b", h.addr); !regexp.MustCompile(`(?m)^fileReservedTime +=  10$`).MatchString(out) {
		t.Fatal("a refused update changed fileReservedTime")
	}

	for _, args := range [][]string{{"-b", h.addr}, {"-c", "DefaultCluster"}, {}, {"-b", h.addr, "-c", "NoSuchCluster"}} {
		if out := h.ok(append([]string{"cleanExpiredCQ"}, args...)...); out != "success\n" {
			t.Errorf("cleanExpiredCQ %v: %q", args, out)
		}
	}
	if stderr := h.fail("cleanExpiredCQ", "-c", "NoSuchCluster"); !strings.Contains(stderr, `cluster "NoSuchCluster" not found`) {
		t.Errorf("cleanExpiredCQ -c NoSuchCluster: %q", stderr)
	}

	// deleteTopic takes the consume queues with it; no cleanUnusedTopic needed.
	h.ok("updateTopic", "-b", h.addr, "-t", "GoneTopic", "-r", "1", "-w", "1")
	h.waitOut("GoneTopic routed", func(string) bool { return true }, "topicRoute", "-t", "GoneTopic")
	h.ok("sendMessage", "-t", "GoneTopic", "-p", "x")
	cq := filepath.Join(h.dir, "store", "consumequeue", "GoneTopic")
	h.waitOut("GoneTopic dispatched", func(string) bool { _, err := os.Stat(cq); return err == nil }, "topicList")
	h.ok("deleteTopic", "-c", "DefaultCluster", "-t", "GoneTopic")
	if _, err := os.Stat(cq); !os.IsNotExist(err) {
		t.Fatalf("after deleteTopic the consume queue directory is still there: %v", err)
	}
}
