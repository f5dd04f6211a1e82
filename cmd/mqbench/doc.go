// Command mqbench is RocketGo's benchmark tool, after upstream's
// benchmark/producer.sh and consumer.sh, written against our own client
// SDK so it measures what a Go user of RocketGo would see.
//
//	mqbench producer [-n ns] [-t topic] [-w 64] [-s 128] [-q N | -d 30s] ...
//	mqbench consumer [-n ns] [-t topic] [-g group] [-w 20] [-q N | -d 30s] ...
//	mqbench e2e      [producer flags] [-g group] [-cw 20]
//
// The producer runs -w goroutines, each sending synchronously (send, wait
// for the broker's answer, send again), and prints every -ri (1 s) a line
// as upstream's Producer does: send TPS, max RT, average RT, send failed
// (the request never got an answer) and response failed (the broker
// refused). It ends after -q messages, after -d, or on SIGINT/SIGTERM, and
// then prints the totals and the p50/p90/p99/p99.9 round trips. Keys,
// tags, user properties, batches, delay levels, transactional sends,
// asynchronous sends (-y: one goroutine, -window sends in flight, round
// trips taken in the callbacks) and compression are flags, named as upstream's where upstream has one, with
// one exception: upstream's -d turns delays on and -e picks the level;
// here -e N alone sets the level and -d is the run's duration.
//
// The consumer subscribes a push consumer and prints consume TPS and the
// born-to-consume (B2C) and store-to-consume (S2C) latencies every
// interval, and percentiles at the end. Bodies written by mqbench start
// with a nanosecond send stamp, so a consumer of mqbench's messages also
// reports end-to-end latency with sub-millisecond precision; e2e mode runs
// a producer and a consumer in one process and reports exactly that.
//
// -serializeType ROCKETMQ sends request headers in the binary layout, as
// upstream's benchmark always does; the default is the client's
// (ROCKETMQ_SERIALIZE_TYPE, else JSON). -json adds one JSON line with the
// final figures, which bench/compare reads. -cpuprofile writes this
// process's CPU profile.
package main
