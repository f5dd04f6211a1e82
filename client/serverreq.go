package client

import (
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// handleServerRequests answers what brokers ask a consumer on its own
// connections.
func (c *PushConsumer) handleServerRequests() {
	c.in.rc.Handle(protocol.ReqNotifyConsumerIDsChanged, func(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
		if req.ExtFields["consumerGroup"] == c.opts.Group {
			c.in.log.Info("client: consumers of the group changed; rebalancing", "group", c.opts.Group)
			c.triggerRebalance()
		}
		return nil, nil
	})
}
