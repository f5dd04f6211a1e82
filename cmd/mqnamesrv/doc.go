// Command mqnamesrv runs a RocketMQ name server.
//
//	mqnamesrv [-c FILE] [-p] [-h]
//
// -c (--configFile) loads a .properties file with upstream's NamesrvConfig
// and NettyServerConfig keys; -p (--printConfigItem) prints the effective
// configuration to stdout and exits; -h (--help) prints the usage. -n
// (--namesrvAddr) is accepted because upstream's mqnamesrv accepts it, and
// has no effect. An unknown flag prints the usage and exits with status 2.
//
// Once serving it prints "The Name Server boot success. serializeType=JSON"
// to stdout, the only line a normal run writes there. Logs go to stderr
// and to ~/logs/rocketmqlogs/namesrv.log ($ROCKETMQ_LOG_DIR overrides the
// directory). SIGINT or SIGTERM shuts it down cleanly with status 0.
package main
