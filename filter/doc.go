// Package filter will hold message filtering: tag expressions ("TagA || TagB",
// "*") and RocketMQ's SQL92 subset over message properties, compiled once per
// subscription and evaluated per message on the broker.
//
// Not built yet: nothing here filters.
package filter
