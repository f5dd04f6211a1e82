package client

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// PullStatus says what a pull found (upstream PullStatus).
type PullStatus int

const (
	PullFound         PullStatus = iota // messages came back
	PullNoNewMsg                        // nothing at or after the offset yet
	PullNoMatchedMsg                    // messages there, none matching the subscription
	PullOffsetIllegal                   // the offset is outside the queue; use NextBeginOffset
)

func (s PullStatus) String() string {
	switch s {
	case PullFound:
		return "FOUND"
	case PullNoNewMsg:
		return "NO_NEW_MSG"
	case PullNoMatchedMsg:
		return "NO_MATCHED_MSG"
	case PullOffsetIllegal:
		return "OFFSET_ILLEGAL"
	}
	return "PullStatus(" + strconv.Itoa(int(s)) + ")"
}

// PullResult is the answer to one pull.
type PullResult struct {
	Status PullStatus
	// NextBeginOffset is where the next pull of the queue should start.
	NextBeginOffset int64
	// MinOffset and MaxOffset bound the queue's offsets (MaxOffset is
	// the offset the next stored message will get).
	MinOffset int64
	MaxOffset int64
	// Messages are the matching messages, for PullFound.
	Messages []*MessageExt

	decodeErr error // a record after Messages did not decode
}

// String prints the result as upstream's PullResult.toString does.
func (r *PullResult) String() string {
	return fmt.Sprintf("PullResult [pullStatus=%s, nextBeginOffset=%d, minOffset=%d, maxOffset=%d, msgFoundList=%d]",
		r.Status, r.NextBeginOffset, r.MinOffset, r.MaxOffset, len(r.Messages))
}

// Pull timing, as upstream's consumers use it.
const (
	brokerSuspendMax       = 15 * time.Second // a push consumer's long poll
	pullTimeoutWhenSuspend = 30 * time.Second // how long the client waits for a held pull
	pullTimeout            = 10 * time.Second // consumerPullTimeoutMillis, a pull that is not held
)

// pullArgs describe one PULL_MESSAGE.
type pullArgs struct {
	group   string
	mq      MessageQueue
	sub     *protocol.SubscriptionData
	sendSub bool  // put the subscription in the request (pull consumers)
	offset  int64 // first offset wanted
	maxNums int32
	// commitOffset > 0 asks the broker to store it as the group's
	// consumed offset (clustering push consumers).
	commitOffset int64
	suspend      time.Duration // > 0: the broker may hold the pull this long
	timeout      time.Duration
}

// suggestedBrokers remembers, per queue, which broker id the last pull
// suggested reading from (a slave when the master is behind on memory).
type suggestedBrokers struct {
	mu sync.Mutex
	m  map[MessageQueue]int64
}

func (s *suggestedBrokers) get(mq MessageQueue) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[mq]
}

func (s *suggestedBrokers) set(mq MessageQueue, id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[MessageQueue]int64{}
	}
	s.m[mq] = id
}

// pullAddr returns the broker address to pull mq from, refreshing the
// route once if its broker is unknown.
func (in *instance) pullAddr(ctx context.Context, mq MessageQueue, id int64) (string, error) {
	if addr := in.routes.brokerAddr(mq.BrokerName, id, false); addr != "" {
		return addr, nil
	}
	if _, err := in.updateRoute(ctx, mq.Topic); err != nil {
		return "", err
	}
	if addr := in.routes.brokerAddr(mq.BrokerName, id, false); addr != "" {
		return addr, nil
	}
	return "", fmt.Errorf("client: broker %s of %s not found in the route", mq.BrokerName, mq.Topic)
}

// pull sends one PULL_MESSAGE and decodes the answer.
func (in *instance) pull(ctx context.Context, sb *suggestedBrokers, a *pullArgs) (*PullResult, error) {
	addr, err := in.pullAddr(ctx, a.mq, sb.get(a.mq))
	if err != nil {
		return nil, err
	}
	var sysFlag int32
	if a.commitOffset > 0 {
		sysFlag |= protocol.PullFlagCommitOffset
	}
	if a.suspend > 0 {
		sysFlag |= protocol.PullFlagSuspend
	}
	if a.sendSub {
		sysFlag |= protocol.PullFlagSubscription
	}
	h := protocol.PullMessageRequestHeader{
		ConsumerGroup:        a.group,
		Topic:                a.mq.Topic,
		QueueID:              a.mq.QueueID,
		QueueOffset:          a.offset,
		MaxMsgNums:           a.maxNums,
		SysFlag:              sysFlag,
		CommitOffset:         a.commitOffset,
		SuspendTimeoutMillis: a.suspend.Milliseconds(),
		SubVersion:           a.sub.SubVersion,
		ExpressionType:       a.sub.ExpressionType,
		BrokerName:           a.mq.BrokerName,
	}
	if a.sendSub {
		h.Subscription = a.sub.SubString
	}
	resp, err := in.invoke(ctx, addr, remoting.NewRequest(protocol.ReqPullMessage, protocol.EncodeHeader(&h), nil), a.timeout)
	if err != nil {
		return nil, fmt.Errorf("client: pull %s at %s: %w", a.mq, addr, err)
	}
	res, suggest, err := pullResponse(resp, addr, a.mq)
	if err != nil {
		return nil, err
	}
	sb.set(a.mq, suggest)
	if res.decodeErr != nil {
		in.log.Warn("client: pulled records did not all decode; skipping the rest", "queue", a.mq, "broker", addr, "kept", len(res.Messages), "err", res.decodeErr)
	}
	if res.Status == PullFound {
		res.Messages = filterByTag(res.Messages, a.sub)
		for _, m := range res.Messages {
			if m.Property(protocol.PropertyTransactionPrepared) == "true" {
				m.TransactionID = m.UniqKey()
			}
		}
	}
	return res, nil
}

// pullResponse decodes a PULL_MESSAGE reply (upstream processPullResponse
// and processPullResult) and returns the broker id to pull from next. A
// record that does not decode ends the list: the messages before it are
// returned, as upstream's decoder does, with the error in decodeErr.
func pullResponse(resp *remoting.Command, addr string, mq MessageQueue) (*PullResult, int64, error) {
	res := &PullResult{}
	switch resp.Code {
	case protocol.RespSuccess:
		res.Status = PullFound
	case protocol.RespPullNotFound:
		res.Status = PullNoNewMsg
	case protocol.RespPullRetryImmediately:
		res.Status = PullNoMatchedMsg
	case protocol.RespPullOffsetMoved:
		res.Status = PullOffsetIllegal
	default:
		return nil, 0, responseError("pull "+mq.String(), addr, resp.Code, resp.Remark)
	}
	var h protocol.PullMessageResponseHeader
	if err := protocol.DecodeHeader(resp.ExtFields, &h); err != nil {
		return nil, 0, fmt.Errorf("client: pull reply from %s: %w", addr, err)
	}
	res.NextBeginOffset, res.MinOffset, res.MaxOffset = h.NextBeginOffset, h.MinOffset, h.MaxOffset
	if res.Status == PullFound {
		msgs, err := protocol.DecodeMessages(resp.Body)
		if err != nil {
			if len(msgs) == 0 {
				return nil, 0, fmt.Errorf("client: pull %s from %s: %w", mq, addr, err)
			}
			res.decodeErr = err
		}
		for _, m := range msgs {
			if m.Topic != mq.Topic || m.QueueID != mq.QueueID {
				return nil, 0, fmt.Errorf("client: pull %s from %s: got a message of %s queue %d", mq, addr, m.Topic, m.QueueID)
			}
		}
		res.Messages = msgs
	}
	return res, h.SuggestWhichBrokerID, nil
}
