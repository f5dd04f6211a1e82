package admin

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/rocketgo/rocketgo/client"
	"github.com/rocketgo/rocketgo/protocol"
)

// exportMetrics: a cluster's evaluation report (upstream's
// ExportMetricsCommand), written to metrics.json. Per master broker:
// client versions, disk ratios, rates, the day's message counts split into
// normal, transactional (prepares, counted under the half topic) and
// scheduled (counted under the schedule topic), average message size and
// topic and group counts; and the totals over the brokers.

// jsonDouble is a float written as Java writes a double ("0.0", "1.5"),
// so the file reads like upstream's.
type jsonDouble float64

func (d jsonDouble) MarshalJSON() ([]byte, error) {
	v := float64(d)
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if a := max(v, -v); a != 0 && (a < 1e-3 || a >= 1e7) {
		mant, exp, _ := strings.Cut(strconv.FormatFloat(v, 'E', -1, 64), "E") // 1.5E-05
		if !strings.Contains(mant, ".") {
			mant += ".0"
		}
		sign, digits := "", strings.TrimPrefix(exp, "+")
		if strings.HasPrefix(digits, "-") {
			sign, digits = "-", digits[1:]
		}
		s = mant + "E" + sign + strings.TrimLeft(digits, "0")
	} else if !strings.Contains(s, ".") {
		s += ".0"
	}
	return []byte(s), nil
}

type metricsTps struct {
	NormalInTps   jsonDouble `json:"normalInTps"`
	NormalOutTps  jsonDouble `json:"normalOutTps"`
	ScheduleInTps jsonDouble `json:"scheduleInTps"`
	TransInTps    jsonDouble `json:"transInTps"`
}

type metricsTotalTps struct {
	TotalNormalInTps   jsonDouble `json:"totalNormalInTps"`
	TotalNormalOutTps  jsonDouble `json:"totalNormalOutTps"`
	TotalScheduleInTps jsonDouble `json:"totalScheduleInTps"`
	TotalTransInTps    jsonDouble `json:"totalTransInTps"`
}

type metricsOneDayNum struct {
	NormalOneDayInNum   int64 `json:"normalOneDayInNum"`
	NormalOneDayOutNum  int64 `json:"normalOneDayOutNum"`
	ScheduleOneDayInNum int64 `json:"scheduleOneDayInNum"`
	TransOneDayInNum    int64 `json:"transOneDayInNum"`
}

type metricsQuota struct {
	DiskRatio          map[string]string `json:"diskRatio"`
	GroupSize          int               `json:"groupSize"`
	MessageAverageSize string            `json:"messageAverageSize"`
	OneDayNum          metricsOneDayNum  `json:"oneDayNum"`
	TopicSize          int               `json:"topicSize"`
	Tps                metricsTps        `json:"tps"`
}

type metricsBroker struct {
	RuntimeEnv     map[string]string `json:"runtimeEnv"`
	RuntimeQuota   metricsQuota      `json:"runtimeQuota"`
	RuntimeVersion struct {
		ClientInfo      []string `json:"clientInfo"`
		RocketmqVersion string   `json:"rocketmqVersion"`
	} `json:"runtimeVersion"`
}

type metricsReport struct {
	EvaluateReport map[string]*metricsBroker `json:"evaluateReport"`
	TotalData      struct {
		TotalOneDayNum metricsOneDayNum `json:"totalOneDayNum"`
		TotalTps       metricsTotalTps  `json:"totalTps"`
	} `json:"totalData"`
}

func runExportMetrics(ctx context.Context, x *Exec) error {
	a, info, cluster, err := exportedCluster(ctx, x)
	if err != nil {
		return err
	}
	report := metricsReport{EvaluateReport: map[string]*metricsBroker{}}
	tot := &report.TotalData
	for _, b := range allBrokers(info, cluster) {
		if b.ID != protocol.MasterID {
			continue
		}
		m, err := brokerMetrics(ctx, a, b.Addr)
		if err != nil {
			return fmt.Errorf("broker %s at %s: %w", b.Name, b.Addr, err)
		}
		report.EvaluateReport[b.Name] = m
		q := &m.RuntimeQuota
		tot.TotalTps.TotalNormalInTps += q.Tps.NormalInTps
		tot.TotalTps.TotalNormalOutTps += q.Tps.NormalOutTps
		tot.TotalTps.TotalTransInTps += q.Tps.TransInTps
		tot.TotalTps.TotalScheduleInTps += q.Tps.ScheduleInTps
		tot.TotalOneDayNum.NormalOneDayInNum += q.OneDayNum.NormalOneDayInNum
		tot.TotalOneDayNum.NormalOneDayOutNum += q.OneDayNum.NormalOneDayOutNum
		tot.TotalOneDayNum.TransOneDayInNum += q.OneDayNum.TransOneDayInNum
		tot.TotalOneDayNum.ScheduleOneDayInNum += q.OneDayNum.ScheduleOneDayInNum
	}
	path, err := writeJSON(exportDir(x), "metrics.json", &report)
	if err != nil {
		return err
	}
	fmt.Fprintf(x.Out, "export %s success\n", path)
	return nil
}

// brokerMetrics gathers one master's part of the report.
func brokerMetrics(ctx context.Context, a *client.Admin, addr string) (*metricsBroker, error) {
	rt, err := a.BrokerRuntimeInfo(ctx, addr)
	if err != nil {
		return nil, err
	}
	text, err := a.BrokerConfig(ctx, addr)
	if err != nil {
		return nil, err
	}
	topics, err := userTopics(ctx, a, addr, false)
	if err != nil {
		return nil, err
	}
	groups, err := userGroups(ctx, a, addr)
	if err != nil {
		return nil, err
	}
	m := &metricsBroker{RuntimeEnv: map[string]string{}}
	// Upstream reports clientCallbackExecutorThreads as the CPU count: it
	// defaults to the number of processors.
	for _, kv := range parseProperties(text) {
		if kv[0] == "clientCallbackExecutorThreads" {
			m.RuntimeEnv["cpuNum"] = kv[1]
		}
	}
	if v, ok := rt["totalMemKBytes"]; ok {
		m.RuntimeEnv["totalMemKBytes"] = v
	}

	clients := map[string]bool{}
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		cc, err := a.ConsumerConnection(ctx, addr, g)
		if err != nil {
			continue // a group with no live consumer has no client to report
		}
		for _, c := range cc.ConnectionSet {
			clients[c.Language+"%"+versionDesc(c.Version)] = true
		}
	}
	m.RuntimeVersion.ClientInfo = slices.Sorted(maps.Keys(clients))
	if m.RuntimeVersion.ClientInfo == nil {
		m.RuntimeVersion.ClientInfo = []string{}
	}
	m.RuntimeVersion.RocketmqVersion = versionDesc(protocol.CurrentVersion)

	q := &m.RuntimeQuota
	q.DiskRatio = map[string]string{"commitLogDiskRatio": rt["commitLogDiskRatio"], "consumeQueueDiskRatio": rt["consumeQueueDiskRatio"]}
	q.Tps.NormalInTps = jsonDouble(firstFloat(rt["putTps"]))
	q.Tps.NormalOutTps = jsonDouble(firstFloat(rt["getTransferedTps"]))
	if d, err := a.ViewBrokerStats(ctx, addr, protocol.StatsTopicPutNums, protocol.TopicTransHalf); err == nil {
		q.Tps.TransInTps = jsonDouble(d.StatsMinute.Tps)
		q.OneDayNum.TransOneDayInNum = dayTotal(d)
	}
	if d, err := a.ViewBrokerStats(ctx, addr, protocol.StatsTopicPutNums, protocol.TopicSchedule); err == nil {
		q.Tps.ScheduleInTps = jsonDouble(d.StatsMinute.Tps)
		q.OneDayNum.ScheduleOneDayInNum = dayTotal(d)
	}
	// As upstream: the counts between the last two midnights, so 0 on a
	// broker that has not yet seen one.
	q.OneDayNum.NormalOneDayInNum = num(rt, "msgPutTotalTodayMorning") - num(rt, "msgPutTotalYesterdayMorning")
	q.OneDayNum.NormalOneDayOutNum = num(rt, "msgGetTotalTodayMorning") - num(rt, "msgGetTotalYesterdayMorning")
	q.MessageAverageSize = rt["putMessageAverageSize"]
	q.TopicSize = len(topics)
	q.GroupSize = len(groups)
	return m, nil
}
