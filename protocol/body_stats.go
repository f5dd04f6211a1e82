package protocol

import (
	"encoding/json"
	"fmt"
	"math"
)

// Broker statistics names (upstream's Stats constants) that
// VIEW_BROKER_STATS_DATA answers for. Keys are a topic (TOPIC_*), a
// "topic@group" pair (GROUP_*, SNDBCK_PUT_NUMS) or the cluster name
// (BROKER_*).
const (
	StatsTopicPutNums    = "TOPIC_PUT_NUMS"
	StatsTopicPutSize    = "TOPIC_PUT_SIZE"
	StatsGroupGetNums    = "GROUP_GET_NUMS"
	StatsGroupGetSize    = "GROUP_GET_SIZE"
	StatsGroupGetLatency = "GROUP_GET_LATENCY"
	StatsSendBackNums    = "SNDBCK_PUT_NUMS"
	StatsBrokerPutNums   = "BROKER_PUT_NUMS"
	StatsBrokerGetNums   = "BROKER_GET_NUMS"
)

// ViewBrokerStatsDataRequestHeader is the header of VIEW_BROKER_STATS_DATA (315).
type ViewBrokerStatsDataRequestHeader struct {
	StatsName string `ext:"statsName,required"`
	StatsKey  string `ext:"statsKey,required"`
}

// BrokerStatsItem is one window of a statistic: the sum of the values
// added in it, their rate per second and the average value per add.
type BrokerStatsItem struct {
	Avgpt float64 `json:"avgpt"`
	Sum   int64   `json:"sum"`
	Tps   float64 `json:"tps"`
}

// BrokerStatsData is the VIEW_BROKER_STATS_DATA reply body: the last
// minute, hour and day of one statistic.
type BrokerStatsData struct {
	StatsDay    BrokerStatsItem `json:"statsDay"`
	StatsHour   BrokerStatsItem `json:"statsHour"`
	StatsMinute BrokerStatsItem `json:"statsMinute"`
}

// Encode writes the body as fastjson does (fields in alphabetical order).
func (d *BrokerStatsData) Encode() ([]byte, error) {
	for _, it := range []*BrokerStatsItem{&d.StatsDay, &d.StatsHour, &d.StatsMinute} {
		if !finite(it.Avgpt) || !finite(it.Tps) {
			return nil, fmt.Errorf("encode BrokerStatsData: a figure is not a finite number (tps %v, avgpt %v)", it.Tps, it.Avgpt)
		}
	}
	return json.Marshal(d)
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// DecodeBrokerStatsData decodes a VIEW_BROKER_STATS_DATA body. Missing
// windows read as zero, as the Java tools treat them.
func DecodeBrokerStatsData(data []byte) (*BrokerStatsData, error) {
	var d BrokerStatsData
	if err := DecodeJSON(data, &d); err != nil {
		return nil, fmt.Errorf("decode BrokerStatsData: %w", err)
	}
	return &d, nil
}
