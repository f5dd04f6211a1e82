// Package remoting speaks the RocketMQ 4.x remoting protocol: the frame
// codec, a TCP server that runs a handler per request code, and a client
// that keeps one connection per address. Java clients, the Go client
// (rocketmq-client-go/v2) and mqadmin talk to our name server and broker
// through it; our own client talks to servers through it.
//
// # Frames
//
// Every message, request or response, is one frame; integers are big-endian:
//
//	+----------+----------+-------------+----------------+-------------+
//	| length   | type     | headerLen   | header         | body        |
//	| int32    | 1 byte   | 3 bytes     | headerLen      | the rest    |
//	+----------+----------+-------------+----------------+-------------+
//	           |<------------------ length bytes ------------------->|
//
// type 0 is a JSON header (what fastjson writes: alphabetical keys, absent
// fields left out, language as the enum name), type 1 the ROCKETMQ binary
// header (code int16, language byte, version int16, opaque int32, flag
// int32, remark with int32 length, ext map with int32 length holding int16
// key lengths and int32 value lengths). Both are decoded; a response is
// encoded the way its request was, and a Client sends its requests in
// ClientConfig.SerializeType (JSON unless set). Codes that do not fit int16 cannot be
// binary-encoded and give an error. A frame above MaxFrameSize (16 MiB,
// counting the length prefix, as the Java decoder does) or one that does not
// decode closes its connection after one log line naming the peer.
//
// The opaque matches a response to its request on one connection: each side
// of a connection keeps its own table of outstanding requests, because the
// broker also sends requests to clients (NOTIFY_CONSUMER_IDS_CHANGED,
// CHECK_TRANSACTION_STATE, GET_CONSUMER_RUNNING_INFO...) on the clients' own
// connections. A Server's Conn therefore has InvokeSync too, and a Client
// answers such requests with the handlers given to Client.Handle.
//
// # Goroutines
//
// Each connection has two goroutines. The reader owns the read side: it
// decodes frames, hands responses to their waiting calls and requests to the
// router, and when reading fails it closes the connection, waits for the
// writer and runs the close hooks. The writer owns the write side: senders
// encode the frame head in their own goroutine (so encoding errors reach
// them), queue it with the Command on a channel, and the writer sends
// batches of queued frames with one writev each (net.Buffers: head, Body,
// BodyParts), then calls each Command's Release.
//
// The router looks the request code up in a copy-on-write table and queues
// the request on the handler's Pool, a fixed set of worker goroutines with a
// bounded queue. A full queue is answered SYSTEM_BUSY ("[OVERLOAD]..."), an
// unknown code REQUEST_CODE_NOT_SUPPORTED, a handler error or panic
// SYSTEM_ERROR; oneway requests are never answered. A handler that returns
// no response may answer later with Conn.Respond (long polling).
//
// Sync calls wait on a channel with a per-call timer; async calls arm a
// time.AfterFunc and a context.AfterFunc, so no goroutine waits for them.
// Whoever takes the call out of the pending table (the reader with the
// response, the timer, the context, or the connection closing) finishes it,
// so each callback runs exactly once. Callbacks for responses run in a
// goroutine of their own, never in the reader.
//
// # Shutdown
//
// Server.Shutdown closes the listener, closes every connection (pending calls
// on them fail at once with ErrConnClosed; queued frames are dropped and
// released), waits for the accept loop and the connection goroutines, then
// stops the pools, which finish the requests already queued and return. A
// handler blocked on something should watch conn.Closed(). Client.Close does
// the same for its connections. Shutdown gives up when its context ends,
// reporting which stage was still running.
//
// # Memory
//
// Decoded header strings share one copy of the header; Body aliases the
// frame buffer (Decode) or is its own allocation (ReadCommand, connections).
// Body and BodyParts of a Command being sent must stay valid and unchanged
// until its Release runs, which happens once the frame is written or
// dropped; this is what lets the broker send mapped store memory without
// copying it.
package remoting
