package broker

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// handleCleanUnusedTopic answers CLEAN_UNUSED_TOPIC (mqadmin
// cleanUnusedTopic): the consume queues of topics the broker no longer has
// a config for (a topic deleted by admin keeps them) are removed, except
// the schedule and transaction-op topics and other system topics, as
// upstream's cleanUnusedTopic. Their records stay in the commit log until
// they expire.
func (b *Broker) handleCleanUnusedTopic(conn *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	dir := b.store.Paths().ConsumeQueue
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return remoting.NewResponse(req, protocol.RespSystemError, fmt.Sprintf("list consume queues in %s: %v", dir, err)), nil
	}
	var unused []string
	for _, e := range entries {
		topic := e.Name()
		if !e.IsDir() || strings.HasPrefix(topic, ".") {
			continue
		}
		if _, ok := b.topics.get(topic); ok || protocol.IsSystemTopic(topic) || b.topics.isSystem(topic) {
			continue
		}
		unused = append(unused, topic)
	}
	if len(unused) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), consumerRelayTimeout)
		defer cancel()
		if err := b.store.DeleteTopics(ctx, unused...); err != nil {
			return remoting.NewResponse(req, protocol.RespSystemError, "clean unused topics: "+err.Error()), nil
		}
	}
	b.log.Info("unused topics' consume queues removed by admin", "topics", unused, "from", conn.RemoteAddr())
	return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
}

// handleCleanExpiredCQ answers CLEAN_EXPIRED_CONSUMEQUEUE (mqadmin
// cleanExpiredCQ).
func (b *Broker) handleCleanExpiredCQ(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	// Upstream destroys the consume queues whose every unit points below
	// the commit log's first offset. The store's cleaner trims queue
	// files as the commit log expires, but a whole-queue sweep on demand
	// does not exist yet: say so rather than answer success for nothing.
	return remoting.NewResponse(req, protocol.RespSystemError, "cleanExpiredCQ is not implemented yet in RocketGo (the store trims expired consume queue files on its own as the commit log expires)"), nil
}
