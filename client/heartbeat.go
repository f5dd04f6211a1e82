package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// sendHeartbeat announces the client's groups to every known broker: all
// of them when it runs a consumer, masters only for a producer alone (as
// upstream). Failures are logged; it returns the first one.
func (in *instance) sendHeartbeat(ctx context.Context) error {
	in.heartbeatMu.Lock()
	defer in.heartbeatMu.Unlock()
	hb := in.heartbeatData()
	if len(hb.ProducerDataSet) == 0 && len(hb.ConsumerDataSet) == 0 {
		return nil
	}
	body := hb.Encode()
	var errs []error
	for _, b := range in.routes.brokerAddrs() {
		if len(hb.ConsumerDataSet) == 0 && b.id != protocol.MasterID {
			continue
		}
		req := remoting.NewRequest(protocol.ReqHeartBeat, nil, body)
		if _, err := in.invokeOK(ctx, "heartbeat", b.addr, req); err != nil {
			in.log.Warn("client: heartbeat failed", "client", in.id, "broker", b.name, "addr", b.addr, "err", err)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// unregister tells every known broker that the client's producer or
// consumer group is gone, so consumers rebalance at once rather than when
// the broker's channel expires.
func (in *instance) unregister(ctx context.Context, producerGroup, consumerGroup string) error {
	var errs []error
	for _, b := range in.routes.brokerAddrs() {
		ext := protocol.EncodeHeader(&protocol.UnregisterClientRequestHeader{
			ClientID: in.id, ProducerGroup: producerGroup, ConsumerGroup: consumerGroup,
		})
		req := remoting.NewRequest(protocol.ReqUnregisterClient, ext, nil)
		if _, err := in.invokeOK(ctx, "unregister client", b.addr, req); err != nil {
			errs = append(errs, fmt.Errorf("broker %s: %w", b.name, err))
		}
	}
	return errors.Join(errs...)
}
