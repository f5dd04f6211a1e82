// Package interop drives RocketGo's servers with the official RocketMQ Go
// client, github.com/apache/rocketmq-client-go/v2 at v2.1.2, from a module of
// its own so the main module never depends on it. Every test starts real
// RocketGo processes on free 127.0.0.1 ports (internal/testcluster).
//
// The suite runs without -race: rocketmq-client-go v2.1.2 races with itself
// (apache/rocketmq-client-go issues #790 and #961, PR #1115), which would
// fail every test for reasons outside RocketGo. Our servers are processes
// built with -race instead (make test sets ROCKETGO_RACE_SERVERS=1), and a
// race they report fails the test that drove them.
package interop
