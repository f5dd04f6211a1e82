// Package broker is the RocketMQ broker: it wires the message store to the
// request handlers that producers, consumers and admin tools talk to.
//
// # Requests
//
// A Broker listens twice, on listenPort and on the "fast" (VIP) port
// listenPort-2 that pre-4.5 Java clients use; both ports serve the same
// handlers except PULL_MESSAGE, which only the main port serves. Handlers
// run on worker pools per request group (send, pull, query, client
// management, heartbeat, consumer management, admin), shared by the two
// ports.
//
//   - send.go: SEND_MESSAGE (long header keys), SEND_MESSAGE_V2 and
//     SEND_BATCH_MESSAGE (keys a..n) with upstream's checks and codes;
//     unknown topics are created from the template topic (TBW102) when
//     autoCreateTopicEnable; %RETRY% sends past their retry budget go to
//     %DLQ%; messages with a 5.x delivery time go to the timer
//     (timersend.go).
//   - retry.go: CONSUMER_SEND_MSG_BACK: a copy goes to %RETRY%<group>
//     through delay level 3 + reconsumeTimes (10 s, 30 s, ... 2 h), or to
//     %DLQ%<group> past maxReconsumeTimes; CONSUME_MESSAGE_DIRECTLY is
//     relayed to a consumer (consoles resend dead letters with it).
//   - pull.go, longpoll.go: PULL_MESSAGE with filtering and long
//     polling: a pull that finds nothing is held until the store's
//     dispatcher reports a matching message for its queue (then it is run
//     again at once) or its suspend time runs out. Found messages are sent
//     as the store's mapped views (Command.BodyParts, written with writev)
//     and released after the write.
//   - filter.go: subscriptions compiled by the filter package (tags, or
//     SQL92 when enablePropertyFilter, RocketGo's default) and cached by
//     group, topic and subVersion; SQL92 is evaluated on each record's
//     raw properties as the store reads it, so rejected messages are
//     skipped without being sent, and on dispatched messages to decide
//     whether a held pull wakes.
//   - clienthandlers.go: heartbeats, client tables, rebalance
//     notifications (NOTIFY_CONSUMER_IDS_CHANGED), queue locks for orderly
//     consumers, connection lists and the GET_CONSUMER_RUNNING_INFO relay.
//   - queries.go: consumer offsets, queue offsets and times, QUERY_MESSAGE
//     and VIEW_MESSAGE_BY_ID.
//   - admin.go: topic and group administration, runtime info, config.
//
// # Delayed delivery
//
// schedule.go delivers messages with a DELAY level, which the store keeps
// in SCHEDULE_TOPIC_XXXX queue level-1: one goroutine per level moves due
// messages to their real topic in order, with progress in
// delayOffset.json. timer.go delivers messages with a delivery time
// (TIMER_DELIVER_MS, TIMER_DELAY_SEC, TIMER_DELAY_MS, as 5.x) at most
// timerMaxDelaySec ahead (3 days), at the end of their timerPrecisionMs
// tick, from rmq_sys_wheel_timer, holding only a 32-byte entry per
// pending message in memory and its progress in timerCheckpoint.json;
// a record waiting longer than timerRollWindowSlot ticks (2 days) is
// copied forward, so it outlives fileReservedTime. A timer message with
// TIMER_DEL_UNIQKEY "<topic>+<UNIQ_KEY>" (what 5.x's recall stores) cancels
// that pending message if it is due in the cancel's tick or before;
// neither is delivered, and the cancel waits in the timer topic like any
// timer message, so a restart keeps it. timerWheelEnable=false refuses
// new timer messages; those pending are still delivered. Both write their
// progress only once the copies it counts are flushed, and resume from it
// after a restart: nothing is lost, and only what was delivered since the
// last write can come twice.
//
// # Transactions
//
// transaction.go stores a send with TRAN_MSG=true (a half message)
// invisibly in RMQ_SYS_TRANS_HALF_TOPIC; END_TRANSACTION (its own worker
// pool) commits it into its real topic or rolls it back, once, and records
// either with an op record in RMQ_SYS_TRANS_OP_HALF_TOPIC. The check loop
// (transaction_check.go) sends CHECK_TRANSACTION_STATE to a live producer
// of the half's group every transactionCheckInterval for halves older than
// transactionTimeOut, re-storing the half each time with
// TRANSACTION_CHECK_TIMES incremented, and after transactionCheckMax
// checks moves it to TRANS_CHECK_MAX_TIME_TOPIC. Undecided transactions
// are held in memory and rebuilt at start from both topics, from the
// CID_RMQ_SYS_TRANS offsets in consumerOffset.json
// (transaction_recover.go). Under SYNC_FLUSH neither a prepare nor a
// commit holds a worker until fsync: as plain sends (answerLater in
// send.go), they are answered by the flusher once their records are
// durable, and a commit leaves the table only when both its message and
// its op record are.
//
// # Statistics
//
// brokerstats.go keeps upstream's BrokerStatsManager figures: puts per
// topic (TOPIC_PUT_NUMS/SIZE), gets per topic@group (GROUP_GET_NUMS/SIZE/
// LATENCY), send-backs, and broker totals, each with minute, hour and day
// windows sampled every 10 s, 10 min and 1 h (VIEW_BROKER_STATS_DATA, for
// mqadmin statsAll and exportMetrics), and the daily put/get totals taken
// at local midnight for the runtime info (clusterList -m). Recording is an
// atomic add on an existing key, without allocating.
//
// # State
//
// topics.go, groups.go and offsets.go hold topics.json,
// subscriptionGroup.json and consumerOffset.json under the store's config
// directory, written atomically through store/jsonfile. Topic changes are
// persisted at once and trigger a registration with every name server
// (register.go); offsets are written every flushConsumerOffsetInterval and
// at shutdown. clients.go and locks.go live in memory only.
//
// # Configuration at run time
//
// config_update.go answers UPDATE_BROKER_CONFIG: the whole update is
// checked first (unknown keys with a did-you-mean, values, Validate,
// upstream's black list and configBlackList, settings RocketGo cannot run
// with) and refused as a whole. configEffects classifies every key: those
// that can change now are swapped in (the config is an atomic pointer) and
// pushed to what copied them at start (store expiry, built-in topics,
// autoCreateSubscriptionGroup, the register, offset flush and transaction
// check timers; a new brokerPermission is registered at once); the rest
// are persisted and named in the answer's remark as waiting for a restart.
// Every key is written to the -c file in place (WithConfigFile), or to
// <store>/config/broker.properties. admin_clean.go sweeps expired consume
// queues (CLEAN_EXPIRED_CONSUMEQUEUE) and those of topics without a config
// (CLEAN_UNUSED_TOPIC, and after DELETE_TOPIC_IN_BROKER).
//
// # Not built yet
//
// Master/slave replication (brokerRole SLAVE and SYNC_MASTER), DLedger
// and ACL. Configuring them
// makes New fail with an error naming the feature; requests that need them
// are answered with an error remark that says so, never silently accepted.
//
// # Goroutines
//
// Start begins the register loop, the offset flush loop, the client expiry
// scan, the notification sender, the long-polling workers, one delivery
// goroutine per delay level, the delay offset writer, the timer and the
// transaction check loop; each exits
// when Shutdown closes the stop channel, and Shutdown waits for them.
// Held pulls have a timer each. Shutdown unregisters from the name
// servers, closes both listeners (and so every connection), persists the
// offsets and closes the store, and then writes the delay offsets and the
// timer checkpoint.
package broker
