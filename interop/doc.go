// Package interop drives RocketGo's servers with the official RocketMQ Go
// client, github.com/apache/rocketmq-client-go/v2 at v2.1.2, from a module of
// its own so the main module never depends on it. Every test starts real
// RocketGo processes on free 127.0.0.1 ports (internal/testcluster).
package interop
