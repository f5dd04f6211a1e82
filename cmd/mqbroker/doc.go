// Command mqbroker runs a RocketMQ broker.
//
//	mqbroker [-n "addr1;addr2"] [-c FILE] [-p] [-m] [-h]
//
// -c (--configFile) loads a .properties file with upstream's BrokerConfig,
// NettyServerConfig, NettyClientConfig and MessageStoreConfig keys (see
// conf/ for samples); unknown keys are reported with the closest known key.
// -n (--namesrvAddr) sets the name server list and overrides namesrvAddr of
// the file. -p (--printConfigItem) prints every effective key and exits; -m
// (--printImportantConfig) prints the important ones. -h prints the usage.
// mqadmin updateBrokerConfig rewrites the -c file in place (comments and
// order kept, the old content in FILE.bak); without -c it writes
// <storePathRootDir>/config/broker.properties under the default store
// root, which mqbroker loads at start when there is no -c.
// A bad flag prints the usage and exits with status 2; a bad configuration
// names every offending key and exits with status 1.
//
// Once serving it prints
//
//	The broker[NAME, IP:PORT] boot success. serializeType=JSON and name server is ADDR
//
// to stdout, the only line a normal run writes there. Logs go to stderr and
// to ~/logs/rocketmqlogs/broker.log and store.log ($ROCKETMQ_LOG_DIR
// overrides the directory). SIGINT or SIGTERM unregisters from the name
// servers, persists consumer offsets, closes the store and exits with
// status 0.
package main
