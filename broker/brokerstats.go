package broker

import (
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// handleViewBrokerStats answers VIEW_BROKER_STATS_DATA (mqadmin statsAll).
// Per-topic and per-group statistics are not kept yet.
func (b *Broker) handleViewBrokerStats(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	return remoting.NewResponse(req, protocol.RespSystemError, "per-topic and per-group statistics (VIEW_BROKER_STATS_DATA) are not implemented yet in RocketGo"), nil
}

// statsRuntimeInfo adds the broker's message statistics to the runtime
// info table (GET_BROKER_RUNTIME_INFO).
func (b *Broker) statsRuntimeInfo(m map[string]string) {}
