package client

import (
	"context"
	"fmt"

	"github.com/rocketgo/rocketgo/protocol"
)

// ViewBrokerStats returns the minute, hour and day windows of one of the
// broker's statistics (VIEW_BROKER_STATS_DATA): statsName is one of the
// protocol.Stats* names, statsKey a topic, "topic@group" or the cluster
// name. A key the broker has not counted anything for is an error, as
// upstream answers it.
func (a *Admin) ViewBrokerStats(ctx context.Context, addr, statsName, statsKey string) (*protocol.BrokerStatsData, error) {
	resp, err := a.call(ctx, "view broker stats "+statsName+" "+statsKey, addr, protocol.ReqViewBrokerStatsData,
		&protocol.ViewBrokerStatsDataRequestHeader{StatsName: statsName, StatsKey: statsKey}, nil)
	if err != nil {
		return nil, err
	}
	d, err := protocol.DecodeBrokerStatsData(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: broker stats from %s: %w", addr, err)
	}
	return d, nil
}
