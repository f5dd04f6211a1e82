package broker

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// requestRegister asks the register loop for a registration now (after a
// topic change), without waiting for it.
func (b *Broker) requestRegister() {
	select {
	case b.registerNow <- struct{}{}:
	default: // one is already pending
	}
}

// registerPeriod is registerNameServerPeriod clamped to [10 s, 60 s], as
// upstream clamps it.
func (b *Broker) registerPeriod() time.Duration {
	d := time.Duration(b.conf().RegisterNameServerPeriod) * time.Millisecond
	return min(max(d, 10*time.Second), 60*time.Second)
}

// registerLoop registers with every name server at once, then every
// period and whenever a topic changes.
func (b *Broker) registerLoop() {
	b.registerAll()
	t := time.NewTicker(b.registerPeriod())
	defer t.Stop()
	changed := b.configChanged()
	for {
		select {
		case <-b.stop:
			return
		case <-changed: // registerNameServerPeriod may have changed
			changed = b.configChanged()
			t.Reset(b.registerPeriod())
			continue
		case <-t.C:
		case <-b.registerNow:
		}
		b.registerAll()
	}
}

// registerBody is the REGISTER_BROKER body: every topic with the topic
// DataVersion. A broker without read+write permission reports its own
// permission on every topic, as upstream does.
func (b *Broker) registerBody() ([]byte, error) {
	w := b.topics.snapshot()
	perm := int32(b.conf().BrokerPermission)
	if !protocol.PermReadable(perm) || !protocol.PermWritable(perm) {
		for name, tc := range w.TopicConfigTable {
			tc.Perm = perm
			w.TopicConfigTable[name] = tc
		}
	}
	body := protocol.RegisterBrokerBody{FilterServerList: []string{}, TopicConfigSerializeWrapper: w}
	return body.Encode(b.conf().CompressedRegister)
}

// registerAll sends REGISTER_BROKER to every name server concurrently and
// waits for all of them, each bounded by registerBrokerTimeoutMills, so a
// name server that is down delays nobody else.
func (b *Broker) registerAll() {
	if len(b.nsAddrs) == 0 {
		return
	}
	body, err := b.registerBody()
	if err != nil {
		b.log.Error("encode registration", "err", err)
		return
	}
	h := protocol.RegisterBrokerRequestHeader{
		BrokerName: b.conf().BrokerName, BrokerAddr: b.addr, ClusterName: b.conf().BrokerClusterName,
		HAServerAddr: b.haAddr, BrokerID: b.conf().BrokerID, Compressed: b.conf().CompressedRegister,
		BodyCRC32: protocol.RegisterBodyCRC32(body),
	}
	b.eachNameServer(func(ctx context.Context, addr string) error {
		return b.callNameServer(ctx, addr, remoting.NewRequest(protocol.ReqRegisterBroker, protocol.EncodeHeader(&h), body))
	}, "register with name server")
}

// unregisterAll sends UNREGISTER_BROKER to every name server, bounded by
// ctx and the register timeout.
func (b *Broker) unregisterAll(ctx context.Context) {
	if len(b.nsAddrs) == 0 || b.nsClient == nil {
		return
	}
	h := protocol.UnRegisterBrokerRequestHeader{
		BrokerName: b.conf().BrokerName, BrokerAddr: b.addr, ClusterName: b.conf().BrokerClusterName, BrokerID: b.conf().BrokerID,
	}
	b.eachNameServerCtx(ctx, func(ctx context.Context, addr string) error {
		return b.callNameServer(ctx, addr, remoting.NewRequest(protocol.ReqUnregisterBroker, protocol.EncodeHeader(&h), nil))
	}, "unregister from name server")
}

// callNameServer sends req to one name server, bounded by
// registerBrokerTimeoutMills, and turns a non-SUCCESS reply into an error.
func (b *Broker) callNameServer(ctx context.Context, addr string, req *remoting.Command) error {
	resp, err := b.nsClient.InvokeSync(ctx, addr, req, b.registerTimeout())
	if err != nil {
		return err
	}
	if resp.Code != protocol.RespSuccess {
		return fmt.Errorf("%s: code %d: %s", protocol.RequestCodeName(req.Code), resp.Code, resp.Remark)
	}
	return nil
}

func (b *Broker) registerTimeout() time.Duration {
	return time.Duration(b.conf().RegisterBrokerTimeoutMills) * time.Millisecond
}

func (b *Broker) eachNameServer(call func(context.Context, string) error, what string) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-b.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	b.eachNameServerCtx(ctx, call, what)
}

func (b *Broker) eachNameServerCtx(ctx context.Context, call func(context.Context, string) error, what string) {
	var wg sync.WaitGroup
	for _, addr := range b.nsAddrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := call(ctx, addr); err != nil {
				b.log.Warn(what+" failed", "namesrv", addr, "err", err)
				return
			}
			b.log.Debug(what, "namesrv", addr, "broker", b.conf().BrokerName+"@"+b.addr, "id", strconv.FormatInt(b.conf().BrokerID, 10))
		}()
	}
	wg.Wait()
}
