package broker

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// TestDeleteTopicRemovesQueuesAndOffsets: DELETE_TOPIC_IN_BROKER takes the
// topic's consume queues and committed offsets with its config; other
// topics keep theirs. CLEAN_EXPIRED_CONSUMEQUEUE leaves queues whose
// messages are still in the commit log.
func TestDeleteTopicRemovesQueuesAndOffsets(t *testing.T) {
	b := startBroker(t, testConfig(t.TempDir()))
	c := newClient(t)
	for _, topic := range []string{"Doomed", "Kept"} {
		mustCode(t, call(t, c, b.Addr(), sendReq(topic, 0, []byte("x"), nil)), protocol.RespSuccess)
		commit := protocol.UpdateConsumerOffsetRequestHeader{ConsumerGroup: "g", Topic: topic, QueueID: 0, CommitOffset: 1}
		mustCode(t, call(t, c, b.Addr(), remoting.NewRequest(protocol.ReqUpdateConsumerOffset, protocol.EncodeHeader(&commit), nil)), protocol.RespSuccess)
	}
	dispatched(t, b)
	cq := func(topic string) bool {
		_, err := os.Stat(filepath.Join(b.Store().Paths().ConsumeQueue, topic))
		return err == nil
	}
	if !cq("Doomed") || !cq("Kept") {
		t.Fatal("consume queues not created")
	}
	mustCode(t, call(t, c, b.Addr(), remoting.NewRequest(protocol.ReqCleanExpiredConsumeQueue, nil, nil)), protocol.RespSuccess)
	if !cq("Doomed") || !cq("Kept") {
		t.Fatal("cleanExpiredCQ removed queues whose messages are readable")
	}

	del := protocol.TopicRequestHeader{Topic: "Doomed"}
	mustCode(t, call(t, c, b.Addr(), remoting.NewRequest(protocol.ReqDeleteTopicInBroker, protocol.EncodeHeader(&del), nil)), protocol.RespSuccess)
	if cq("Doomed") || !cq("Kept") {
		t.Fatalf("after deleteTopic: Doomed queues present %v (want false), Kept %v (want true)", cq("Doomed"), cq("Kept"))
	}
	if got := b.offsets.groupsOfTopic("Doomed"); len(got) != 0 {
		t.Fatalf("offsets of the deleted topic kept for %v", got)
	}
	if got := b.offsets.groupsOfTopic("Kept"); len(got) != 1 {
		t.Fatalf("offsets of another topic lost: %v", got)
	}
	bad := protocol.TopicRequestHeader{Topic: "bad/topic"}
	mustCode(t, call(t, c, b.Addr(), remoting.NewRequest(protocol.ReqDeleteTopicInBroker, protocol.EncodeHeader(&bad), nil)), protocol.RespSystemError)
}
