// Package client is RocketGo's Go client SDK: producers, push and pull
// consumers, rebalance strategies, offset stores and the admin calls the
// tools are built on. It speaks RocketMQ 4.x's remoting protocol, so it
// works against RocketGo and against Apache RocketMQ alike.
//
// # Instances
//
// Every Producer and consumer owns one instance (upstream shares an
// MQClientInstance per client id; one per client keeps shutdown simple):
// a remoting.Client with a connection per broker and name server, the
// client id ClientIP@InstanceName the brokers know it by, a route cache,
// and a handful of goroutines started by Start and stopped by Shutdown:
//
//   - route refresh: every PollNameServerInterval (30 s) the routes of the
//     client's topics are fetched again from the name servers, trying them
//     in turn; a failed send or pull asks for its topic at once;
//   - heartbeat: every HeartbeatBrokerInterval (30 s) the client's groups
//     and subscriptions go to every broker (masters only for producers);
//   - consumers add offset commits (5 s), rebalancing (20 s and on
//     NOTIFY_CONSUMER_IDS_CHANGED) and their pull and consume goroutines.
//
// Shutdown cancels them, waits for them, commits offsets, unregisters the
// client from every broker and closes the connections: a client leaves no
// goroutine behind.
//
// # Producing
//
// Producer.Send picks a writable queue round-robin over all brokers,
// skipping brokers that failed or answered slowly lately (latency fault
// tolerance), and retries on another broker when a broker cannot be
// reached or refuses in a way worth retrying. A topic the name servers do
// not know is sent with the route of the auto-create template (TBW102) so
// the broker creates it. Each message gets a client id (UNIQ_KEY) laid out
// as upstream's; bodies over 4 KiB are zlib-compressed. SendAsync,
// SendOneway, SendSelect (hash, random or your own selector), SendToQueue
// and SendBatch (with SplitBatch to stay under 4 MiB) complete the set.
package client
