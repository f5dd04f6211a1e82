package admin

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rocketgo/rocketgo/protocol"
)

func TestDayTotal(t *testing.T) {
	item := func(sum int64) protocol.BrokerStatsItem { return protocol.BrokerStatsItem{Sum: sum} }
	for _, c := range []struct {
		d    protocol.BrokerStatsData
		want int64
	}{
		{protocol.BrokerStatsData{StatsDay: item(9), StatsHour: item(5), StatsMinute: item(1)}, 9},
		{protocol.BrokerStatsData{StatsHour: item(5), StatsMinute: item(1)}, 5},
		{protocol.BrokerStatsData{StatsMinute: item(1)}, 1},
		{protocol.BrokerStatsData{}, 0},
	} {
		if got := dayTotal(&c.d); got != c.want {
			t.Errorf("dayTotal(%+v) = %d, want %d", c.d, got, c.want)
		}
	}
}

func TestFrontAtMost(t *testing.T) {
	long := strings.Repeat("x", 70)
	if got := frontAtMost(long, 64); got != long[:64] {
		t.Errorf("frontAtMost kept %d characters", len(got))
	}
	if got := frontAtMost("short", 64); got != "short" {
		t.Errorf("frontAtMost(short) = %q", got)
	}
}

func TestJSONDouble(t *testing.T) {
	for v, want := range map[float64]string{0: "0.0", 1: "1.0", 0.75: "0.75", 383.10660980810235: "383.10660980810235", 1.5e-5: "1.5E-5", 2e7: "2.0E7", -2: "-2.0"} {
		b, err := json.Marshal(jsonDouble(v))
		if err != nil || string(b) != want {
			t.Errorf("jsonDouble(%v) = %s %v, want %s", v, b, err, want)
		}
	}
}
