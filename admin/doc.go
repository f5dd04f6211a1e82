// Package admin holds the mqadmin commands: one file per command group
// (topic.go, cluster.go, message.go and queue.go with charset.go for
// printMsg -c, consumer.go and consumerstatus.go, offset.go, namesrv.go,
// export.go and export_metrics.go, sendrt.go, stats.go for statsAll,
// monitor.go for startMonitoring), each command a Command with upstream's
// flags, printing what upstream's mqadmin prints (the printf layouts of
// rocketmq-tools 4.9). Every command of the seeds is here. Main parses
// a command line, resolves the name servers from -n or NAMESRV_ADDR and
// runs the command; the calls go through client.Admin, so the dashboard
// can share them. Unlike upstream, a failed command exits with status 1
// and says on stderr what failed, with a hint when an address is wrong.
//
// Flags: -n defaults to NAMESRV_ADDR; where a command takes both -b (one
// broker) and -c (a cluster), -b wins. Topics a command creates, changes
// or sends to must match ^[a-zA-Z0-9_-]+$, checked before anything is
// sent; read commands also accept %RETRY% and %DLQ% topics.
package admin
