// Package loadgen measures a messaging workload the same way whatever the
// messaging system: a fixed number of goroutines each send in a closed loop
// (send, wait for the ack, send again) until a quantity or a duration is
// reached, and every ack's round trip goes into a log-linear histogram.
//
// mqbench drives RocketGo through it, and bench/compare drives NATS
// JetStream through it, so both sides of the comparison are counted by one
// piece of code: same clock, same percentiles, same failure accounting.
package loadgen
