// Package ha will replicate the commit log from a master broker to its slaves
// with RocketMQ 4.x's classic HA protocol (slave reports its max offset, the
// master streams commit log bytes), and hold the waiters of SYNC_MASTER sends.
//
// Not built yet: no code here replicates anything. A broker configured as
// SLAVE or SYNC_MASTER must fail to start with an error naming this missing
// feature until it lands.
package ha
