package client

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// Admin makes the administrative calls mqadmin and the dashboard are built
// on. It keeps no background goroutines; Close closes its connections.
type Admin struct {
	in *instance
}

// NewAdmin returns an Admin talking to the name servers of opts.
func NewAdmin(opts ClientOptions) (*Admin, error) {
	in, err := newInstance(opts)
	if err != nil {
		return nil, err
	}
	return &Admin{in: in}, nil
}

// Close closes the connections.
func (a *Admin) Close() error { return a.in.close() }

// ClusterInfo returns every broker and cluster the name servers know
// (GET_BROKER_CLUSTER_INFO).
func (a *Admin) ClusterInfo(ctx context.Context) (*protocol.ClusterInfo, error) {
	resp, addr, err := a.in.invokeNameServer(ctx, func() *remoting.Command {
		return remoting.NewRequest(protocol.ReqGetBrokerClusterInfo, nil, nil)
	})
	if err != nil {
		return nil, err
	}
	if resp.Code != protocol.RespSuccess {
		return nil, responseError("get cluster info", addr, resp.Code, resp.Remark)
	}
	info, err := protocol.DecodeClusterInfo(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: cluster info from %s: %w", addr, err)
	}
	return info, nil
}

// TopicRoute returns topic's route; ErrNoRoute when the name servers have none.
func (a *Admin) TopicRoute(ctx context.Context, topic string) (*protocol.TopicRouteData, error) {
	return a.in.fetchRoute(ctx, topic)
}

// TopicOptions describe a topic to create or update.
type TopicOptions struct {
	Name        string
	ReadQueues  int32 // default 8, as mqadmin updateTopic
	WriteQueues int32 // default 8
	Perm        int32 // protocol.Perm* bits; default read|write
	Order       bool
	SysFlag     int32 // protocol.TopicSysFlag* bits (unit topic, has unit subscriptions)
}

// CreateTopic creates or updates a topic on every master of cluster
// (UPDATE_AND_CREATE_TOPIC); the brokers then register it with the name
// servers.
func (a *Admin) CreateTopic(ctx context.Context, cluster string, t TopicOptions) error {
	info, err := a.ClusterInfo(ctx)
	if err != nil {
		return err
	}
	names, ok := info.ClusterAddrTable[cluster]
	if !ok {
		return fmt.Errorf("client: cluster %q not found (known: %v)", cluster, slices.Sorted(maps.Keys(info.ClusterAddrTable)))
	}
	var errs []error
	masters := 0
	for _, name := range names {
		bd := info.BrokerAddrTable[name]
		addr := bd.MasterAddr()
		if addr == "" {
			continue
		}
		masters++
		if err := a.CreateTopicOnBroker(ctx, addr, t); err != nil {
			errs = append(errs, fmt.Errorf("broker %s: %w", name, err))
		}
	}
	if masters == 0 {
		return fmt.Errorf("client: cluster %q has no master broker", cluster)
	}
	return errors.Join(errs...)
}

// CreateTopicOnBroker creates or updates a topic on the broker at addr.
func (a *Admin) CreateTopicOnBroker(ctx context.Context, addr string, t TopicOptions) error {
	if err := checkTopic(t.Name); err != nil {
		return err
	}
	if t.ReadQueues <= 0 {
		t.ReadQueues = 8
	}
	if t.WriteQueues <= 0 {
		t.WriteQueues = 8
	}
	if t.Perm == 0 {
		t.Perm = protocol.PermRead | protocol.PermWrite
	}
	ext := protocol.EncodeHeader(&protocol.CreateTopicRequestHeader{
		Topic:           t.Name,
		DefaultTopic:    protocol.TopicAutoCreate,
		ReadQueueNums:   t.ReadQueues,
		WriteQueueNums:  t.WriteQueues,
		Perm:            t.Perm,
		TopicFilterType: string(protocol.SingleTag),
		TopicSysFlag:    t.SysFlag,
		Order:           t.Order,
	})
	_, err := a.in.invokeOK(ctx, "create topic "+t.Name, addr, remoting.NewRequest(protocol.ReqUpdateAndCreateTopic, ext, nil))
	return err
}
