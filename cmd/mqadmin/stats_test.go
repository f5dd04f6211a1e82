package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/client"
)

// statsAll, exportMetrics and clusterList -m read the broker's statistics:
// after known traffic their figures must be those of the traffic.
func TestStatsCommands(t *testing.T) {
	h := startHarness(t)
	h.ok("updateTopic", "-c", "DefaultCluster", "-t", "StatsTopic", "-r", "2", "-w", "2")
	h.ok("updateTopic", "-c", "DefaultCluster", "-t", "IdleTopic", "-r", "1", "-w", "1")
	h.waitOut("topics routed", func(o string) bool { return strings.Contains(o, "StatsTopic") && strings.Contains(o, "IdleTopic") }, "topicList")

	ctx := context.Background()
	p := startProducer(t, h, "StatsPG")
	send := func(n int, delayed bool) {
		t.Helper()
		for i := range n {
			m := client.NewMessage("StatsTopic", "TagA", []byte(fmt.Sprintf("stats body %d", i)))
			if delayed {
				client.SetDelayLevel(m, 1) // 1 s
			}
			if _, err := p.Send(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	const normal, delayed, later = 10, 2, 3
	send(normal, false)
	send(delayed, true)

	pc, consumed := startPushConsumer(t, h, "StatsCG", "StatsTopic")
	timeout := time.After(30 * time.Second)
	for range normal + delayed {
		select {
		case <-consumed:
		case <-timeout:
			t.Fatal("the consumer did not get every message")
		}
	}

	// exportMetrics while the consumer is connected, for its client version.
	dir := filepath.Join(t.TempDir(), "export")
	out := h.ok("exportMetrics", "-c", "DefaultCluster", "-f", dir)
	path := filepath.Join(dir, "metrics.json")
	if out != "export "+path+" success\n" {
		t.Fatalf("exportMetrics printed %q", out)
	}
	var report struct {
		EvaluateReport map[string]struct {
			RuntimeEnv     map[string]string `json:"runtimeEnv"`
			RuntimeVersion struct {
				ClientInfo      []string `json:"clientInfo"`
				RocketmqVersion string   `json:"rocketmqVersion"`
			} `json:"runtimeVersion"`
			RuntimeQuota struct {
				DiskRatio          map[string]string  `json:"diskRatio"`
				TopicSize          int                `json:"topicSize"`
				GroupSize          int                `json:"groupSize"`
				MessageAverageSize string             `json:"messageAverageSize"`
				OneDayNum          map[string]int64   `json:"oneDayNum"`
				Tps                map[string]float64 `json:"tps"`
			} `json:"runtimeQuota"`
		} `json:"evaluateReport"`
		TotalData struct {
			TotalOneDayNum map[string]int64   `json:"totalOneDayNum"`
			TotalTps       map[string]float64 `json:"totalTps"`
		} `json:"totalData"`
	}
	readJSON(t, path, &report)
	br, ok := report.EvaluateReport["broker-a"]
	if !ok || len(report.EvaluateReport) != 1 {
		t.Fatalf("evaluateReport: %+v", report.EvaluateReport)
	}
	q := br.RuntimeQuota
	if q.TopicSize != 2 || q.GroupSize != 1 {
		t.Errorf("topicSize %d groupSize %d, want 2 user topics and 1 user group", q.TopicSize, q.GroupSize)
	}
	// Delayed sends count under the schedule topic; normal*InNum are the
	// counts between the last two midnights, as upstream: none yet.
	wantDay := map[string]int64{"scheduleOneDayInNum": delayed, "transOneDayInNum": 0, "normalOneDayInNum": 0, "normalOneDayOutNum": 0}
	for k, v := range wantDay {
		if q.OneDayNum[k] != v || report.TotalData.TotalOneDayNum[k] != v {
			t.Errorf("oneDayNum %s = %d (total %d), want %d", k, q.OneDayNum[k], report.TotalData.TotalOneDayNum[k], v)
		}
	}
	for _, k := range []string{"normalInTps", "normalOutTps", "transInTps", "scheduleInTps"} {
		if _, ok := q.Tps[k]; !ok {
			t.Errorf("tps has no %s: %v", k, q.Tps)
		}
	}
	if avg, err := strconv.ParseFloat(q.MessageAverageSize, 64); err != nil || avg <= float64(len("stats body 0")) {
		t.Errorf("messageAverageSize %q", q.MessageAverageSize)
	}
	if q.DiskRatio["commitLogDiskRatio"] == "" || br.RuntimeEnv["cpuNum"] == "" {
		t.Errorf("diskRatio %v runtimeEnv %v", q.DiskRatio, br.RuntimeEnv)
	}
	if !slices.Contains(br.RuntimeVersion.ClientInfo, "GO%V4_9_8") || br.RuntimeVersion.RocketmqVersion != "V4_9_8" {
		t.Errorf("runtimeVersion %+v", br.RuntimeVersion)
	}
	if e := h.fail("exportMetrics", "-f", dir); !strings.Contains(e, "missing required option(s): c") {
		t.Errorf("exportMetrics without -c: %s", e)
	}

	// Stop consuming (its offsets are committed at shutdown) and send more:
	// they are the accumulation.
	if err := pc.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	send(later, false)

	in, out24 := normal+delayed+later, normal+delayed
	row := regexp.QuoteMeta(fmt.Sprintf("%-64s  %-64s %12d", "StatsTopic", "StatsCG", later)) +
		` +\d+\.\d\d +\d+\.\d\d ` + regexp.QuoteMeta(fmt.Sprintf("%14d %14d", in, out24))
	statsRow := regexp.MustCompile(`(?m)^` + row + `$`)
	header := fmt.Sprintf("%-64s  %-64s %12s %11s %11s %14s %14s", "#Topic", "#Consumer Group", "#Accumulation", "#InTPS", "#OutTPS", "#InMsg24Hour", "#OutMsg24Hour")
	idle := fmt.Sprintf("%-64s  %-64s %12d %11.2f %11s %14d %14s", "IdleTopic", "", 0, 0.0, "", 0, "NO_CONSUMER")

	all := h.waitOut("statsAll shows the traffic", statsRow.MatchString, "statsAll")
	if !strings.HasPrefix(all, header+"\n") || !hasLine(all, idle) {
		t.Errorf("statsAll:\n%s", all)
	}
	for _, l := range strings.Split(all, "\n") {
		if strings.HasPrefix(l, "%RETRY%") || strings.HasPrefix(l, "%DLQ%") {
			t.Errorf("statsAll lists a retry or dead letter topic: %q", l)
		}
	}
	only := h.ok("statsAll", "-t", "StatsTopic")
	if lines := strings.Split(strings.TrimSuffix(only, "\n"), "\n"); len(lines) != 2 || lines[0] != header || !statsRow.MatchString(lines[1]) {
		t.Errorf("statsAll -t StatsTopic:\n%s", only)
	}
	active := h.ok("statsAll", "-a")
	if !statsRow.MatchString(active) || strings.Contains(active, "IdleTopic") {
		t.Errorf("statsAll -a:\n%s", active)
	}

	// clusterList -m: nothing yesterday, today's puts and gets so far.
	more := h.ok("clusterList", "-m")
	m := regexp.MustCompile(`(?m)^DefaultCluster +broker-a +0 +0 +(\d+) +(\d+)$`).FindStringSubmatch(more)
	if m == nil {
		t.Fatalf("clusterList -m:\n%s", more)
	}
	if putToday, _ := strconv.Atoi(m[1]); putToday < in {
		t.Errorf("InTotalToday %d, want at least %d:\n%s", putToday, in, more)
	}
	if getToday, _ := strconv.Atoi(m[2]); getToday != out24 {
		t.Errorf("OutTotalToday %d, want %d:\n%s", getToday, out24, more)
	}
}
