// Package logfile sets up the log of a server process the way upstream
// RocketMQ lays it out: human-readable lines in
// ~/logs/rocketmqlogs/<name>.log (namesrv.log, broker.log, store.log, ...),
// and the same lines on stderr.
//
// The directory is, in order: Options.Dir, the ROCKETMQ_LOG_DIR environment
// variable, then $HOME/logs/rocketmqlogs. It is created when missing. Tests
// pass t.TempDir() as Options.Dir.
//
// A line reads
//
//	2024-05-01 10:00:00.000 INFO  broker registered name=broker-a addr=127.0.0.1:10911
//
// Files are appended to and never rotated or pruned: rotation is not built
// yet, so a long-running process should have its log rotated from outside
// (logrotate with copytruncate works, as the file is opened O_APPEND).
package logfile
