package quickstart

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/internal/testcluster"
)

// build compiles an example main into the test's temporary directory.
func build(t *testing.T, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(filepath.Dir(pkg))+"-"+filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = "../.." // the module root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// The quickstart pair against a real name server and broker: the producer
// prints ten SendResults, the consumer prints the ten messages and exits.
func TestQuickstartPair(t *testing.T) {
	producer := build(t, "./examples/quickstart/producer")
	consumer := build(t, "./examples/quickstart/consumer")
	ns := testcluster.StartNamesrv(t, nil)
	testcluster.StartBroker(t, []string{ns.Addr}, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// -n comes from NAMESRV_ADDR when not given.
	cmd := exec.CommandContext(ctx, producer, "-t", "QuickstartTopic", "-c", "10")
	cmd.Env = append(os.Environ(), "NAMESRV_ADDR="+ns.Addr)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("producer: %v\n%s", err, out)
	}
	result := regexp.MustCompile(`^SendResult \[sendStatus=SEND_OK, msgId=[0-9A-F]{32}, offsetMsgId=[0-9A-F]{32}, messageQueue=MessageQueue \[topic=QuickstartTopic, brokerName=broker-a, queueId=\d+\], queueOffset=\d+\]$`)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 10 {
		t.Fatalf("producer printed %d lines:\n%s", len(lines), out)
	}
	for _, l := range lines {
		if !result.MatchString(l) {
			t.Fatalf("producer printed %q", l)
		}
	}

	cmd = exec.CommandContext(ctx, consumer, "-n", ns.Addr, "-t", "QuickstartTopic", "-g", "QuickstartGroup", "-c", "10")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("consumer: %v\n%s\n%s", err, out, stderr.String())
	}
	seen := map[string]bool{}
	started := false
	sc := bufio.NewScanner(bytes.NewReader(out))
	body := regexp.MustCompile(`^Receive New Message: topic=QuickstartTopic .* tags=TagA .*body=(Hello RocketMQ \d+)$`)
	for sc.Scan() {
		line := sc.Text()
		if line == "Consumer Started." {
			started = true
			continue
		}
		m := body.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("consumer printed %q", line)
		}
		seen[m[1]] = true
	}
	if !started || len(seen) != 10 {
		t.Fatalf("consumer started=%v and printed %d distinct messages:\n%s", started, len(seen), out)
	}
}
