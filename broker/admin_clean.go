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
// cleanUnusedTopic): see cleanUnusedTopics.
func (b *Broker) handleCleanUnusedTopic(conn *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	unused, err := b.cleanUnusedTopics()
	if err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, "clean unused topics: "+err.Error()), nil
	}
	b.log.Info("unused topics' consume queues removed by admin", "topics", unused, "from", conn.RemoteAddr())
	return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
}

// cleanUnusedTopics removes the consume queues of topics the broker has no
// config for, except the schedule and transaction-op topics and other
// system topics, as upstream's cleanUnusedTopic (which deleteTopic also
// runs). Their records stay in the commit log until they expire. It
// returns the topics removed.
func (b *Broker) cleanUnusedTopics() ([]string, error) {
	dir := b.store.Paths().ConsumeQueue
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("list consume queues in %s: %w", dir, err)
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
	if len(unused) == 0 {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), consumerRelayTimeout)
	defer cancel()
	return unused, b.store.DeleteTopics(ctx, unused...)
}

// handleCleanExpiredCQ answers CLEAN_EXPIRED_CONSUMEQUEUE (mqadmin
// cleanExpiredCQ): the store removes the consume queues whose messages
// have all expired from the commit log (and the topic directories left
// empty), keeping each queue's offsets; see store.CleanExpiredQueues.
func (b *Broker) handleCleanExpiredCQ(conn *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	ctx, cancel := context.WithTimeout(context.Background(), consumerRelayTimeout)
	defer cancel()
	removed, err := b.store.CleanExpiredQueues(ctx)
	for _, q := range removed {
		b.log.Info("cleanExpiredCQ: consume queue destroyed", "topic", q.Topic, "queue", q.QueueID,
			"nextOffset", q.MaxOffset, "lastPhyOffset", q.LastPhy)
	}
	if err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, "clean expired consume queues: "+err.Error()), nil
	}
	b.log.Info("cleanExpiredCQ done", "queuesRemoved", len(removed), "commitLogMinOffset", b.store.CommitLogMinOffset(),
		"from", conn.RemoteAddr())
	return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
}
