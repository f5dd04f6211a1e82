package broker

import (
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// handleUpdateBrokerConfig answers UPDATE_BROKER_CONFIG (mqadmin
// updateBrokerConfig).
func (b *Broker) handleUpdateBrokerConfig(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	return remoting.NewResponse(req, protocol.RespSystemError, "updating the broker config at run time is not implemented yet in RocketGo; edit the properties file and restart"), nil
}
