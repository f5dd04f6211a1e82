// Command compare benchmarks RocketGo against NATS JetStream on this
// machine, on loopback, and prints one table.
//
// It builds mqnamesrv, mqbroker and mqbench from this checkout, then for
// each flush mode (ASYNC_FLUSH, then SYNC_FLUSH) starts a name server and
// a broker with their stores in a temporary directory and runs the
// workloads through mqbench: synchronous sends (each publisher waits for
// the broker's ack before the next) of 128 B and 1 KiB bodies with 1 and
// 64 publishers for -d each, then consumes what the 64-publisher runs
// stored. It then starts nats-server (from PATH or -nats-server) with
// JetStream file storage in the temporary directory and runs the same
// workloads with the Go NATS client: js.Publish waits for the stream's
// PubAck, a pull consumer fetches the stored messages. Both sides are
// measured by the same code (mqbench's loadgen package). Before all that,
// a raw-disk baseline writes records of the same sizes to a file in the
// same directory, buffered and with an fdatasync after each, so the store's
// efficiency can be read against the disk.
//
// Every process it starts is in its own process group, gets SIGKILL if
// compare dies (Pdeathsig), and is stopped on every way out, SIGINT
// included. Everything listens on 127.0.0.1 only.
//
//	go run ./compare            # the full comparison (make bench-compare)
//	go run ./compare -smoke     # a few seconds of each, for tests
package main
