// Package broker will wire the message store to the request handlers: send,
// pull with long polling, offsets, heartbeats and client tables, queue locks,
// topic and subscription managers, delay scheduling, retry and dead letters,
// transactions, queries, admin handlers and registration with name servers.
//
// Not built yet: there is no broker; cmd/mqbroker does not exist.
package broker
