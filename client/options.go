package client

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rocketgo/rocketgo/remoting"
)

// ClientOptions are the settings every producer and consumer shares
// (upstream ClientConfig). Zero values take the defaults noted.
type ClientOptions struct {
	// NameServers lists name server addresses, host:port. Empty: the
	// NAMESRV_ADDR environment variable, split on ';' as upstream does.
	NameServers []string
	// InstanceName tells clients apart; the client id the brokers see is
	// ClientIP@InstanceName. Empty: "<pid>#<nanotime>", unique per client
	// in the process, as upstream 4.9 makes it.
	InstanceName string
	// ClientIP is the address put in the client id. Empty: the first
	// non-loopback IPv4 address of the host.
	ClientIP string

	PollNameServerInterval        time.Duration // route refresh; default 30 s
	HeartbeatBrokerInterval       time.Duration // default 30 s
	PersistConsumerOffsetInterval time.Duration // consumer offset commits; default 5 s
	// CallTimeout bounds control calls: routes, heartbeats, offsets, locks
	// (upstream mqClientApiTimeout); default 3 s.
	CallTimeout time.Duration

	// SerializeType encodes the headers of the requests the client sends:
	// "JSON" or "ROCKETMQ" (the compact binary layout, cheaper to encode
	// and decode), as upstream's rocketmq.serialize.type names them, in any
	// case. Empty: the ROCKETMQ_SERIALIZE_TYPE environment variable, else
	// JSON, as upstream. Brokers answer in the request's encoding.
	SerializeType string

	Logger *slog.Logger // default slog.Default()
	// Dial is the TLS seam (nil: plain TCP).
	Dial func(ctx context.Context, addr string) (net.Conn, error)

	serialize remoting.SerializeType // SerializeType, resolved
}

// serializeTypeEnv is upstream RemotingCommand.SERIALIZE_TYPE_ENV.
const serializeTypeEnv = "ROCKETMQ_SERIALIZE_TYPE"

const (
	defaultPollNameServerInterval  = 30 * time.Second
	defaultHeartbeatBrokerInterval = 30 * time.Second
	defaultPersistOffsetInterval   = 5 * time.Second
	defaultCallTimeout             = 3 * time.Second
)

// resolve fills in the defaults and checks what must be given.
func (o ClientOptions) resolve() (ClientOptions, error) {
	if len(o.NameServers) == 0 {
		o.NameServers = SplitNameServers(os.Getenv("NAMESRV_ADDR"))
	}
	var addrs []string
	for _, a := range o.NameServers {
		for _, s := range SplitNameServers(a) {
			if _, _, err := net.SplitHostPort(s); err != nil {
				return o, fmt.Errorf("client: name server address %q: %w", s, err)
			}
			addrs = append(addrs, s)
		}
	}
	if len(addrs) == 0 {
		return o, fmt.Errorf("client: no name server address: set NameServers or NAMESRV_ADDR")
	}
	o.NameServers = addrs
	if o.InstanceName == "" {
		o.InstanceName = defaultInstanceName()
	}
	if strings.ContainsAny(o.InstanceName, "@") {
		return o, fmt.Errorf("client: instance name %q must not contain '@' (it separates the parts of the client id)", o.InstanceName)
	}
	if o.ClientIP == "" {
		o.ClientIP = localIPv4()
	}
	if o.PollNameServerInterval <= 0 {
		o.PollNameServerInterval = defaultPollNameServerInterval
	}
	if o.HeartbeatBrokerInterval <= 0 {
		o.HeartbeatBrokerInterval = defaultHeartbeatBrokerInterval
	}
	if o.PersistConsumerOffsetInterval <= 0 {
		o.PersistConsumerOffsetInterval = defaultPersistOffsetInterval
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = defaultCallTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	st, err := resolveSerializeType(o.SerializeType)
	if err != nil {
		return o, err
	}
	o.serialize = st
	return o, nil
}

// resolveSerializeType maps the option, or when it is empty the environment
// variable, to a header encoding; neither set means JSON.
func resolveSerializeType(name string) (remoting.SerializeType, error) {
	from := "SerializeType"
	if strings.TrimSpace(name) == "" {
		name, from = os.Getenv(serializeTypeEnv), serializeTypeEnv
	}
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "", "JSON":
		return remoting.SerializeJSON, nil
	case "ROCKETMQ":
		return remoting.SerializeRocketMQ, nil
	}
	return 0, fmt.Errorf("client: %s %q: want JSON or ROCKETMQ", from, name)
}

// SplitNameServers splits a name server list written as upstream writes it,
// "host:port;host:port", dropping empty pieces and spaces.
func SplitNameServers(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// lastInstanceNano keeps default instance names unique within the process
// even when two clients start in the same nanosecond.
var lastInstanceNano atomic.Int64

func defaultInstanceName() string {
	now := time.Now().UnixNano()
	for {
		last := lastInstanceNano.Load()
		n := max(now, last+1)
		if lastInstanceNano.CompareAndSwap(last, n) {
			return fmt.Sprintf("%d#%d", os.Getpid(), n)
		}
	}
}

// localIPv4 picks the address upstream RemotingUtil.getLocalAddress would:
// a non-loopback IPv4, preferring one outside 192.168/16; 127.0.0.1 when
// the host has none.
func localIPv4() string {
	var fallback netip.Addr
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		pfx, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(pfx.IP)
		if !ok {
			continue
		}
		ip = ip.Unmap()
		if !ip.Is4() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() {
			continue
		}
		if !netip.MustParsePrefix("192.168.0.0/16").Contains(ip) {
			return ip.String()
		}
		if !fallback.IsValid() {
			fallback = ip
		}
	}
	if fallback.IsValid() {
		return fallback.String()
	}
	return "127.0.0.1"
}
