// Package client will be RocketGo's Go client SDK: producers (sync, async,
// oneway, selector, batch, transactional), push and pull consumers, rebalance
// strategies, offset stores and the admin calls mqadmin is built on.
//
// Not built yet: nothing here produces or consumes.
package client
