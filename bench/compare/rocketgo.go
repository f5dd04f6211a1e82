package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// mqbenchResult is the part of mqbench's -json line compare reads.
type mqbenchResult struct {
	Sent           int64   `json:"sent"`
	SendFailed     int64   `json:"sendFailed"`
	ResponseFailed int64   `json:"responseFailed"`
	SendPerSec     float64 `json:"sendPerSec"`
	SendRT         *struct {
		P50 float64 `json:"p50Us"`
		P99 float64 `json:"p99Us"`
	} `json:"sendRT"`
	Consumed      int64   `json:"consumed"`
	ConsumePerSec float64 `json:"consumePerSec"`
}

// buildRocketGo compiles the three commands of this checkout into dir.
func buildRocketGo(ctx context.Context, dir string) error {
	out, err := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "github.com/rocketgo/rocketgo").Output()
	if err != nil {
		return fmt.Errorf("locate the rocketgo module: %w", err)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+"/", "./cmd/mqnamesrv", "./cmd/mqbroker", "./cmd/mqbench")
	cmd.Dir = strings.TrimSpace(string(out))
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build the servers and mqbench: %v\n%s", err, b)
	}
	return nil
}

// freePort returns a 127.0.0.1 port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func writeProperties(path string, props map[string]string) error {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, props[k])
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// rocketgo is a started name server and broker of one flush mode.
type rocketgo struct {
	bin, namesrv string
	broker       *proc
}

// startRocketGo starts a name server and a broker with flushDiskType
// flush, both with their homes and stores under dir.
func startRocketGo(ctx context.Context, ps *procs, bin, dir, flush string) (*rocketgo, error) {
	nsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	nsDir := filepath.Join(dir, "namesrv")
	if err := os.MkdirAll(nsDir, 0o755); err != nil {
		return nil, err
	}
	nsConf := filepath.Join(nsDir, "namesrv.properties")
	if err := writeProperties(nsConf, map[string]string{
		"bindAddress": "127.0.0.1", "listenPort": strconv.Itoa(nsPort), "rocketmqHome": nsDir,
		"kvConfigPath": filepath.Join(nsDir, "kvConfig.json"), "configStorePath": filepath.Join(nsDir, "namesrv.conf"),
	}); err != nil {
		return nil, err
	}
	if _, err := ps.start(ctx, "mqnamesrv", filepath.Join(bin, "mqnamesrv"), nsDir, "The Name Server boot success.", "-c", nsConf); err != nil {
		return nil, err
	}
	ns := "127.0.0.1:" + strconv.Itoa(nsPort)
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	bDir := filepath.Join(dir, "broker")
	if err := os.MkdirAll(bDir, 0o755); err != nil {
		return nil, err
	}
	bConf := filepath.Join(bDir, "broker.properties")
	if err := writeProperties(bConf, map[string]string{
		"brokerClusterName": "DefaultCluster", "brokerName": "broker-a", "brokerId": "0",
		"brokerIP1": "127.0.0.1", "brokerIP2": "127.0.0.1", "bindAddress": "127.0.0.1",
		"listenPort": strconv.Itoa(port), "namesrvAddr": ns, "rocketmqHome": bDir,
		"storePathRootDir": filepath.Join(bDir, "store"), "flushDiskType": flush,
		"autoCreateTopicEnable": "true", "defaultTopicQueueNums": "8",
	}); err != nil {
		return nil, err
	}
	b, err := ps.start(ctx, "mqbroker "+flush, filepath.Join(bin, "mqbroker"), bDir, "boot success", "-c", bConf)
	if err != nil {
		return nil, err
	}
	return &rocketgo{bin: filepath.Join(bin, "mqbench"), namesrv: ns, broker: b}, nil
}

// mqbench runs one mqbench command against r and returns its -json line.
func (r *rocketgo) mqbench(ctx context.Context, ps *procs, args ...string) (mqbenchResult, error) {
	args = append(args, "-n", r.namesrv, "-json")
	cmd := exec.CommandContext(ctx, r.bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// Cut short, mqbench still prints its summary on SIGINT.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	fmt.Fprintf(ps.logTo, "[mqbench %s]\n%s%s", strings.Join(args, " "), stdout.String(), stderr.String())
	if err != nil {
		return mqbenchResult{}, fmt.Errorf("mqbench %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	var res mqbenchResult
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		return res, fmt.Errorf("mqbench %s: no JSON summary: %v\n%s", strings.Join(args, " "), err, stdout.String())
	}
	return res, nil
}

// runRocketGo runs every workload against one flush mode.
func runRocketGo(ctx context.Context, ps *procs, cfg config, bin, dir, flush string) (map[string]measure, error) {
	r, err := startRocketGo(ctx, ps, bin, dir, flush)
	if err != nil {
		return nil, err
	}
	defer ps.stopAll()
	got := map[string]measure{}
	for _, w := range publishWorkloads(cfg) {
		topic := fmt.Sprintf("Bench_%d_%d", w.size, w.pubs)
		// Warm up: the first send creates the topic and fetches routes.
		if _, err := r.mqbench(ctx, ps, "producer", "-t", topic, "-w", "1", "-s", strconv.Itoa(w.size), "-q", strconv.Itoa(cfg.warmup)); err != nil {
			return got, err
		}
		res, err := r.mqbench(ctx, ps, "producer", "-t", topic, "-w", strconv.Itoa(w.pubs), "-s", strconv.Itoa(w.size), "-d", cfg.duration.String())
		if err != nil {
			return got, err
		}
		m := measure{perSec: res.SendPerSec, count: res.Sent, failed: res.SendFailed + res.ResponseFailed}
		if res.SendRT != nil {
			m.p50, m.p99 = usToDuration(res.SendRT.P50), usToDuration(res.SendRT.P99)
		}
		got[w.key()] = m
		if w.pubs == cfg.consumePubs {
			total := int64(cfg.warmup) + res.Sent
			c, err := r.mqbench(ctx, ps, "consumer", "-t", topic, "-g", "bench_"+topic, "-from", "first",
				"-q", strconv.FormatInt(total, 10), "-d", "5m")
			if err != nil {
				return got, err
			}
			if c.Consumed < total {
				return got, fmt.Errorf("%s: consumed %d of %d stored messages", topic, c.Consumed, total)
			}
			got[consumeKey(w.size)] = measure{perSec: c.ConsumePerSec, count: c.Consumed}
		}
	}
	return got, nil
}

func usToDuration(us float64) time.Duration { return time.Duration(us * float64(time.Microsecond)) }
