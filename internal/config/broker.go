package config

import (
	"net"
	"os"
	"runtime"
	"strings"
)

// BrokerRole is brokerRole: how a broker replicates.
type BrokerRole string

const (
	AsyncMaster BrokerRole = "ASYNC_MASTER" // acknowledge before the slave has the message
	SyncMaster  BrokerRole = "SYNC_MASTER"  // acknowledge after a slave has it
	Slave       BrokerRole = "SLAVE"        // replicate from the master; brokerId > 0
)

// IsMaster reports whether r is one of the master roles.
func (r BrokerRole) IsMaster() bool { return r == AsyncMaster || r == SyncMaster }

// FlushDiskType is flushDiskType: when a write reaches the disk.
type FlushDiskType string

const (
	AsyncFlush FlushDiskType = "ASYNC_FLUSH" // flushed in the background
	SyncFlush  FlushDiskType = "SYNC_FLUSH"  // flushed before the send is acknowledged
)

// Permission bits of brokerPermission (upstream PermName).
const (
	PermInherit  = 1 << 0
	PermWrite    = 1 << 1
	PermRead     = 1 << 2
	PermPriority = 1 << 3
)

// Broker is the broker's configuration: upstream's BrokerConfig keys here,
// then NettyServerConfig, NettyClientConfig and MessageStoreConfig (Store),
// in the order upstream's -p prints them,
// embedded so cfg.ListenPort and cfg.StorePathRootDir read naturally. Keys of
// features RocketGo does not have yet are accepted and typed; the broker
// decides what to do with them.
type Broker struct {
	RocketmqHome string `key:"rocketmqHome"`
	// NamesrvAddr is the ';'-separated name server list; see SplitAddrs.
	NamesrvAddr       string `key:"namesrvAddr,addrs"`
	BrokerIP1         string `key:"brokerIP1"` // address advertised to clients
	BrokerIP2         string `key:"brokerIP2"` // address advertised to slaves (HA)
	BrokerName        string `key:"brokerName"`
	BrokerClusterName string `key:"brokerClusterName"`
	// BrokerID is 0 for a master and > 0 for a slave.
	BrokerID                    int64  `key:"brokerId"`
	BrokerPermission            int    `key:"brokerPermission"`
	DefaultTopicQueueNums       int    `key:"defaultTopicQueueNums"`
	AutoCreateTopicEnable       bool   `key:"autoCreateTopicEnable"`
	ClusterTopicEnable          bool   `key:"clusterTopicEnable"`
	BrokerTopicEnable           bool   `key:"brokerTopicEnable"`
	AutoCreateSubscriptionGroup bool   `key:"autoCreateSubscriptionGroup"`
	MessageStorePlugIn          string `key:"messageStorePlugIn"`
	MsgTraceTopicName           string `key:"msgTraceTopicName"`
	TraceTopicEnable            bool   `key:"traceTopicEnable"`

	SendMessageThreadPoolNums          int `key:"sendMessageThreadPoolNums"`
	PutMessageFutureThreadPoolNums     int `key:"putMessageFutureThreadPoolNums"`
	PullMessageThreadPoolNums          int `key:"pullMessageThreadPoolNums"`
	ProcessReplyMessageThreadPoolNums  int `key:"processReplyMessageThreadPoolNums"`
	QueryMessageThreadPoolNums         int `key:"queryMessageThreadPoolNums"`
	AdminBrokerThreadPoolNums          int `key:"adminBrokerThreadPoolNums"`
	ClientManageThreadPoolNums         int `key:"clientManageThreadPoolNums"`
	ConsumerManageThreadPoolNums       int `key:"consumerManageThreadPoolNums"`
	HeartbeatThreadPoolNums            int `key:"heartbeatThreadPoolNums"`
	EndTransactionThreadPoolNums       int `key:"endTransactionThreadPoolNums"`
	FlushConsumerOffsetInterval        int `key:"flushConsumerOffsetInterval"` // ms
	FlushConsumerOffsetHistoryInterval int `key:"flushConsumerOffsetHistoryInterval"`

	RejectTransactionMessage        bool `key:"rejectTransactionMessage"`
	FetchNamesrvAddrByAddressServer bool `key:"fetchNamesrvAddrByAddressServer"`

	SendThreadPoolQueueCapacity            int `key:"sendThreadPoolQueueCapacity"`
	PutThreadPoolQueueCapacity             int `key:"putThreadPoolQueueCapacity"`
	PullThreadPoolQueueCapacity            int `key:"pullThreadPoolQueueCapacity"`
	ReplyThreadPoolQueueCapacity           int `key:"replyThreadPoolQueueCapacity"`
	QueryThreadPoolQueueCapacity           int `key:"queryThreadPoolQueueCapacity"`
	ClientManagerThreadPoolQueueCapacity   int `key:"clientManagerThreadPoolQueueCapacity"`
	ConsumerManagerThreadPoolQueueCapacity int `key:"consumerManagerThreadPoolQueueCapacity"`
	HeartbeatThreadPoolQueueCapacity       int `key:"heartbeatThreadPoolQueueCapacity"`
	EndTransactionPoolQueueCapacity        int `key:"endTransactionPoolQueueCapacity"`

	FilterServerNums               int    `key:"filterServerNums"`
	LongPollingEnable              bool   `key:"longPollingEnable"`
	ShortPollingTimeMills          int64  `key:"shortPollingTimeMills"`
	NotifyConsumerIdsChangedEnable bool   `key:"notifyConsumerIdsChangedEnable"`
	HighSpeedMode                  bool   `key:"highSpeedMode"`
	CommercialEnable               bool   `key:"commercialEnable"`
	CommercialTimerCount           int    `key:"commercialTimerCount"`
	CommercialTransCount           int    `key:"commercialTransCount"`
	CommercialBigCount             int    `key:"commercialBigCount"`
	CommercialBaseCount            int    `key:"commercialBaseCount"`
	TransferMsgByHeap              bool   `key:"transferMsgByHeap"`
	MaxDelayTime                   int    `key:"maxDelayTime"`
	RegionID                       string `key:"regionId"`
	RegisterBrokerTimeoutMills     int    `key:"registerBrokerTimeoutMills"`
	SlaveReadEnable                bool   `key:"slaveReadEnable"`

	DisableConsumeIfConsumerReadSlowly bool  `key:"disableConsumeIfConsumerReadSlowly"`
	ConsumerFallbehindThreshold        int64 `key:"consumerFallbehindThreshold"` // bytes
	BrokerFastFailureEnable            bool  `key:"brokerFastFailureEnable"`
	WaitTimeMillsInSendQueue           int64 `key:"waitTimeMillsInSendQueue"`
	WaitTimeMillsInPullQueue           int64 `key:"waitTimeMillsInPullQueue"`
	WaitTimeMillsInHeartbeatQueue      int64 `key:"waitTimeMillsInHeartbeatQueue"`
	WaitTimeMillsInTransactionQueue    int64 `key:"waitTimeMillsInTransactionQueue"`
	StartAcceptSendRequestTimeStamp    int64 `key:"startAcceptSendRequestTimeStamp"`
	TraceOn                            bool  `key:"traceOn"`

	EnableCalcFilterBitMap     bool  `key:"enableCalcFilterBitMap"`
	ExpectConsumerNumUseFilter int   `key:"expectConsumerNumUseFilter"`
	MaxErrorRateOfBloomFilter  int   `key:"maxErrorRateOfBloomFilter"`
	FilterDataCleanTimeSpan    int64 `key:"filterDataCleanTimeSpan"`
	FilterSupportRetry         bool  `key:"filterSupportRetry"`
	// EnablePropertyFilter allows SQL92 subscriptions. RocketGo turns it on
	// by default (upstream: false) because its filter costs nothing unused.
	EnablePropertyFilter bool `key:"enablePropertyFilter"`

	CompressedRegister       bool `key:"compressedRegister"`
	ForceRegister            bool `key:"forceRegister"`
	RegisterNameServerPeriod int  `key:"registerNameServerPeriod"` // ms

	// TransactionTimeOut (ms) is how old a half message must be before the
	// broker asks the producer about it.
	TransactionTimeOut       int64 `key:"transactionTimeOut"`
	TransactionCheckMax      int   `key:"transactionCheckMax"`
	TransactionCheckInterval int64 `key:"transactionCheckInterval"` // ms

	AclEnable               bool   `key:"aclEnable"`
	StoreReplyMessageEnable bool   `key:"storeReplyMessageEnable"`
	EnableDetailStat        bool   `key:"enableDetailStat"`
	AutoDeleteUnusedStats   bool   `key:"autoDeleteUnusedStats"`
	IsolateLogEnable        bool   `key:"isolateLogEnable"`
	ConfigBlackList         string `key:"configBlackList"`

	NettyServer
	NettyClient
	Store
}

// DefaultBroker returns the broker defaults: upstream 4.9's, with listenPort
// 10911 and enablePropertyFilter on. Like upstream, rocketmqHome and
// namesrvAddr come from $ROCKETMQ_HOME and $NAMESRV_ADDR, brokerIP1/2 from
// the first non-loopback address, brokerName from the host name, and the
// thread pool sizes from the number of CPUs.
func DefaultBroker() Broker {
	cpus := runtime.NumCPU()
	ip := localAddress()
	send := min(cpus, 4)
	return Broker{
		RocketmqHome:                           os.Getenv("ROCKETMQ_HOME"),
		NamesrvAddr:                            os.Getenv("NAMESRV_ADDR"),
		BrokerIP1:                              ip,
		BrokerIP2:                              ip,
		BrokerName:                             localHostName(),
		BrokerClusterName:                      "DefaultCluster",
		BrokerID:                               0,
		BrokerPermission:                       PermRead | PermWrite,
		DefaultTopicQueueNums:                  8,
		AutoCreateTopicEnable:                  true,
		ClusterTopicEnable:                     true,
		BrokerTopicEnable:                      true,
		AutoCreateSubscriptionGroup:            true,
		MsgTraceTopicName:                      "RMQ_SYS_TRACE_TOPIC",
		SendMessageThreadPoolNums:              send,
		PutMessageFutureThreadPoolNums:         min(cpus, 4),
		PullMessageThreadPoolNums:              16 + cpus*2,
		ProcessReplyMessageThreadPoolNums:      16 + cpus*2,
		QueryMessageThreadPoolNums:             8 + cpus,
		AdminBrokerThreadPoolNums:              16,
		ClientManageThreadPoolNums:             32,
		ConsumerManageThreadPoolNums:           32,
		HeartbeatThreadPoolNums:                min(32, cpus),
		EndTransactionThreadPoolNums:           max(8+cpus*2, send*4),
		FlushConsumerOffsetInterval:            5000,
		FlushConsumerOffsetHistoryInterval:     60_000,
		SendThreadPoolQueueCapacity:            10000,
		PutThreadPoolQueueCapacity:             10000,
		PullThreadPoolQueueCapacity:            100000,
		ReplyThreadPoolQueueCapacity:           10000,
		QueryThreadPoolQueueCapacity:           20000,
		ClientManagerThreadPoolQueueCapacity:   1000000,
		ConsumerManagerThreadPoolQueueCapacity: 1000000,
		HeartbeatThreadPoolQueueCapacity:       50000,
		EndTransactionPoolQueueCapacity:        100000,
		LongPollingEnable:                      true,
		ShortPollingTimeMills:                  1000,
		NotifyConsumerIdsChangedEnable:         true,
		CommercialEnable:                       true,
		CommercialTimerCount:                   1,
		CommercialTransCount:                   1,
		CommercialBigCount:                     1,
		CommercialBaseCount:                    1,
		TransferMsgByHeap:                      true,
		MaxDelayTime:                           40,
		RegionID:                               "DefaultRegion",
		RegisterBrokerTimeoutMills:             6000,
		ConsumerFallbehindThreshold:            16 << 30,
		BrokerFastFailureEnable:                true,
		WaitTimeMillsInSendQueue:               200,
		WaitTimeMillsInPullQueue:               5000,
		WaitTimeMillsInHeartbeatQueue:          31_000,
		WaitTimeMillsInTransactionQueue:        3000,
		TraceOn:                                true,
		ExpectConsumerNumUseFilter:             32,
		MaxErrorRateOfBloomFilter:              20,
		FilterDataCleanTimeSpan:                24 * 3600 * 1000,
		EnablePropertyFilter:                   true,
		ForceRegister:                          true,
		RegisterNameServerPeriod:               30_000,
		TransactionTimeOut:                     6000,
		TransactionCheckMax:                    15,
		TransactionCheckInterval:               60_000,
		StoreReplyMessageEnable:                true,
		EnableDetailStat:                       true,
		ConfigBlackList:                        "configBlackList;brokerConfigPath",
		Store:                                  defaultStore(),
		NettyServer:                            defaultNettyServer(10911),
		NettyClient:                            defaultNettyClient(cpus),
	}
}

// HAPort is the port the master listens on for slaves: haListenPort when
// set, else listenPort+1 as upstream always does (0 when listenPort is 0, so
// tests get a free port for both).
func (c *Broker) HAPort() int {
	if c.HAListenPort != 0 {
		return c.HAListenPort
	}
	if c.ListenPort == 0 {
		return 0
	}
	return c.ListenPort + 1
}

// Validate returns every problem with c at once (errors.Join of *Error, each
// naming its key), or nil.
func (c *Broker) Validate() error {
	var p problems
	notEmpty(&p, "brokerName", c.BrokerName)
	notEmpty(&p, "brokerClusterName", c.BrokerClusterName)
	notEmpty(&p, "brokerIP1", c.BrokerIP1)
	for _, kv := range [][2]string{{"brokerIP1", c.BrokerIP1}, {"brokerIP2", c.BrokerIP2}} {
		if strings.ContainsAny(kv[1], " \t#;,/") {
			p.add(kv[0], "%q is not a host name or IP address", kv[1])
		}
	}
	_, _, bad := splitAddrs(c.NamesrvAddr)
	for _, b := range bad {
		p.add("namesrvAddr", "%s", b)
	}
	switch c.BrokerRole {
	case AsyncMaster, SyncMaster:
		if c.BrokerID != 0 {
			p.add("brokerId", "%d: a %s has brokerId 0 (slaves use 1, 2, ...)", c.BrokerID, c.BrokerRole)
		}
	case Slave:
		if c.BrokerID <= 0 {
			p.add("brokerId", "%d: a SLAVE needs brokerId > 0 (0 is the master)", c.BrokerID)
		}
	}
	if c.BrokerPermission&^(PermRead|PermWrite|PermInherit|PermPriority) != 0 || c.BrokerPermission < 0 {
		p.add("brokerPermission", "%d has bits other than read (4), write (2), inherit (1), priority (8)", c.BrokerPermission)
	}
	atLeast(&p, "defaultTopicQueueNums", c.DefaultTopicQueueNums, 1)
	for _, kv := range []struct {
		key string
		v   int
	}{
		{"sendMessageThreadPoolNums", c.SendMessageThreadPoolNums},
		{"putMessageFutureThreadPoolNums", c.PutMessageFutureThreadPoolNums},
		{"pullMessageThreadPoolNums", c.PullMessageThreadPoolNums},
		{"processReplyMessageThreadPoolNums", c.ProcessReplyMessageThreadPoolNums},
		{"queryMessageThreadPoolNums", c.QueryMessageThreadPoolNums},
		{"adminBrokerThreadPoolNums", c.AdminBrokerThreadPoolNums},
		{"clientManageThreadPoolNums", c.ClientManageThreadPoolNums},
		{"consumerManageThreadPoolNums", c.ConsumerManageThreadPoolNums},
		{"heartbeatThreadPoolNums", c.HeartbeatThreadPoolNums},
		{"endTransactionThreadPoolNums", c.EndTransactionThreadPoolNums},
		{"flushConsumerOffsetInterval", c.FlushConsumerOffsetInterval},
		{"registerBrokerTimeoutMills", c.RegisterBrokerTimeoutMills},
		{"registerNameServerPeriod", c.RegisterNameServerPeriod},
		{"transactionCheckMax", c.TransactionCheckMax},
	} {
		atLeast(&p, kv.key, kv.v, 1)
	}
	atLeast(&p, "shortPollingTimeMills", c.ShortPollingTimeMills, 1)
	atLeast(&p, "transactionTimeOut", c.TransactionTimeOut, 1)
	atLeast(&p, "transactionCheckInterval", c.TransactionCheckInterval, 1)
	inRange(&p, "maxErrorRateOfBloomFilter", c.MaxErrorRateOfBloomFilter, 1, 100)

	c.Store.validate(&p)
	c.NettyServer.validate(&p)
	c.NettyClient.validate(&p)
	if c.HAListenPort == 0 && c.ListenPort == 65535 {
		p.add("haListenPort", "listenPort+1 is past 65535; set haListenPort")
	}
	if c.ListenPort != 0 && c.HAPort() == c.ListenPort {
		p.add("haListenPort", "%d is also listenPort", c.HAListenPort)
	}
	return p.err()
}

// localAddress picks the address a broker advertises by default, as upstream
// does: the first IPv4 address that is not loopback or 192.168.*, else the
// last private one, else an IPv6 address, else 127.0.0.1.
func localAddress() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "127.0.0.1"
	}
	var v4, v6 []string
	for _, a := range addrs {
		ipnet, ok := a.(*net.IPNet)
		if !ok || ipnet.IP.IsLoopback() || ipnet.IP.IsLinkLocalUnicast() {
			continue
		}
		if ip4 := ipnet.IP.To4(); ip4 != nil {
			v4 = append(v4, ip4.String())
		} else {
			v6 = append(v6, ipnet.IP.String())
		}
	}
	for _, ip := range v4 {
		if !strings.HasPrefix(ip, "192.168") {
			return ip
		}
	}
	switch {
	case len(v4) > 0:
		return v4[len(v4)-1]
	case len(v6) > 0:
		return v6[0]
	}
	return "127.0.0.1"
}

// localHostName is the default brokerName, as upstream takes it.
func localHostName() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "DEFAULT_BROKER"
}
