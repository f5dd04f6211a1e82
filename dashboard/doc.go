// Package dashboard will serve the web console (cluster, topics, consumers and
// lag, producers, message queries, DLQ resend) through the admin facade, with
// its assets embedded in the binary.
//
// Not built yet: there is no console.
package dashboard
