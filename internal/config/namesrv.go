package config

import "os"

// Namesrv is the name server's configuration: upstream's NamesrvConfig keys
// (4.9, plus the 5.x keys a 4.x user may meet in newer docs) and its
// NettyServerConfig keys, embedded so cfg.ListenPort reads naturally.
type Namesrv struct {
	RocketmqHome       string `key:"rocketmqHome"`
	KVConfigPath       string `key:"kvConfigPath"`
	ConfigStorePath    string `key:"configStorePath"`
	ProductEnvName     string `key:"productEnvName"`
	ClusterTest        bool   `key:"clusterTest"`
	OrderMessageEnable bool   `key:"orderMessageEnable"`
	// ScanNotActiveBrokerInterval is how often (ms) the name server looks for
	// brokers whose last heartbeat is older than BrokerChannelExpiredTime.
	ScanNotActiveBrokerInterval int64 `key:"scanNotActiveBrokerInterval"`
	// BrokerChannelExpiredTime (ms) is a RocketGo key: upstream hard-codes
	// 120 s. Tests shorten it to watch a broker expire.
	BrokerChannelExpiredTime             int64  `key:"brokerChannelExpiredTime"`
	ReturnOrderTopicConfigToBroker       bool   `key:"returnOrderTopicConfigToBroker"`
	ClientRequestThreadPoolNums          int    `key:"clientRequestThreadPoolNums"`
	DefaultThreadPoolNums                int    `key:"defaultThreadPoolNums"`
	ClientRequestThreadPoolQueueCapacity int    `key:"clientRequestThreadPoolQueueCapacity"`
	DefaultThreadPoolQueueCapacity       int    `key:"defaultThreadPoolQueueCapacity"`
	UnRegisterBrokerQueueCapacity        int    `key:"unRegisterBrokerQueueCapacity"`
	EnableAllTopicList                   bool   `key:"enableAllTopicList"`
	EnableTopicList                      bool   `key:"enableTopicList"`
	NotifyMinBrokerIDChanged             bool   `key:"notifyMinBrokerIdChanged"`
	ConfigBlackList                      string `key:"configBlackList"`

	NettyServer
}

// DefaultNamesrv returns the name server defaults: upstream's, with port 9876.
// rocketmqHome comes from $ROCKETMQ_HOME as upstream takes it.
func DefaultNamesrv() Namesrv {
	return Namesrv{
		RocketmqHome:                         os.Getenv("ROCKETMQ_HOME"),
		KVConfigPath:                         inHome("namesrv", "kvConfig.json"),
		ConfigStorePath:                      inHome("namesrv", "namesrv.properties"),
		ProductEnvName:                       "center",
		ScanNotActiveBrokerInterval:          5000,
		BrokerChannelExpiredTime:             120_000,
		ReturnOrderTopicConfigToBroker:       true,
		ClientRequestThreadPoolNums:          8,
		DefaultThreadPoolNums:                16,
		ClientRequestThreadPoolQueueCapacity: 50000,
		DefaultThreadPoolQueueCapacity:       10000,
		UnRegisterBrokerQueueCapacity:        3000,
		EnableAllTopicList:                   true,
		EnableTopicList:                      true,
		ConfigBlackList:                      "configBlackList;configStorePath;kvConfigPath",
		NettyServer:                          defaultNettyServer(9876),
	}
}

// Validate returns every problem with c at once (errors.Join of *Error, each
// naming its key), or nil.
func (c *Namesrv) Validate() error {
	var p problems
	notEmpty(&p, "kvConfigPath", c.KVConfigPath)
	atLeast(&p, "scanNotActiveBrokerInterval", c.ScanNotActiveBrokerInterval, 1)
	atLeast(&p, "brokerChannelExpiredTime", c.BrokerChannelExpiredTime, 1)
	atLeast(&p, "clientRequestThreadPoolNums", c.ClientRequestThreadPoolNums, 1)
	atLeast(&p, "defaultThreadPoolNums", c.DefaultThreadPoolNums, 1)
	atLeast(&p, "clientRequestThreadPoolQueueCapacity", c.ClientRequestThreadPoolQueueCapacity, 1)
	atLeast(&p, "defaultThreadPoolQueueCapacity", c.DefaultThreadPoolQueueCapacity, 1)
	atLeast(&p, "unRegisterBrokerQueueCapacity", c.UnRegisterBrokerQueueCapacity, 1)
	c.NettyServer.validate(&p)
	return p.err()
}
