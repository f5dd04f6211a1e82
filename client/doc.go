// Package client is RocketGo's Go client SDK: producers, push, pull and
// lite pull consumers, rebalance strategies, offset stores and the admin
// calls the tools are built on. It speaks RocketMQ 4.x's remoting
// protocol, so it works against RocketGo and against Apache RocketMQ alike.
//
// # Instances
//
// Every Producer and consumer owns one instance (upstream shares an
// MQClientInstance per client id; one per client keeps shutdown simple):
// a remoting.Client with a connection per broker and name server, the
// client id ClientIP@InstanceName the brokers know it by, a route cache,
// and goroutines started by Start and stopped by Shutdown, all spawned
// through the instance so Shutdown can wait for every one. Its requests
// carry JSON headers unless ClientOptions.SerializeType (or upstream's
// ROCKETMQ_SERIALIZE_TYPE) asks for the cheaper ROCKETMQ binary ones:
//
//   - route refresh: every PollNameServerInterval (30 s) the routes of the
//     client's topics are fetched again, from the name server that last
//     answered or the next one; a failed send or pull asks for its topic
//     at once;
//   - heartbeat: every HeartbeatBrokerInterval (30 s) the client's groups
//     and subscriptions go to every broker (masters only for producers);
//   - consumers add offset commits (5 s), rebalancing (20 s and on
//     NOTIFY_CONSUMER_IDS_CHANGED), lock renewal for orderly consumers
//     (20 s), and a pull goroutine per queue they hold.
//
// Shutdown stops them, commits offsets, unregisters the client from every
// broker and closes the connections: a client leaves no goroutine behind.
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
//
// # Consuming
//
// A PushConsumer rebalances: it asks a broker for the group's consumers,
// sorts them and the topic's queues, and takes the share its
// AllocateStrategy gives it (averagely, by circle, by machine room,
// consistent hash). Each queue it holds gets a goroutine that long-polls
// the broker (held up to 15 s) and keeps the pulled messages in a process
// queue; a queue holding too many messages, too many bytes or (for
// concurrent listeners) too wide an offset span is not pulled until it
// drains. Concurrent listeners run on ConsumeGoroutines workers; a batch
// they fail (error, panic or ReconsumeLater) is sent back to the broker,
// which redelivers it through the group's retry topic and, after
// MaxReconsumeTimes, parks it in the dead-letter topic. Orderly listeners
// get one goroutine per queue, consume only while holding the queue's
// broker lock, and retry a batch in place every SuspendCurrentQueueTime.
//
// The offset committed for a queue is the lowest offset still being
// consumed, so nothing is skipped; a crash replays at most what was in
// flight. Clustering groups keep offsets on the brokers, broadcasting
// consumers in a local file.
//
// PullConsumer leaves all of that to the caller: pull a queue at an offset,
// keep the offset where you like. LitePullConsumer rebalances and pulls
// like a push consumer but hands the messages out through Poll.
package client
