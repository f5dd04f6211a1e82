package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// ProducerOptions configure a Producer (upstream DefaultMQProducer). Zero
// values take the defaults noted.
type ProducerOptions struct {
	ClientOptions

	Group       string        // producer group; default "DEFAULT_PRODUCER"
	SendTimeout time.Duration // for a whole send with its retries; default 3 s
	// Retries is how many more times a failed Send is tried, on another
	// broker when there is one: 0 = the default 2, < 0 = none.
	Retries int
	// AsyncRetries is the same for SendAsync: 0 = the default 2, < 0 = none.
	AsyncRetries int
	// CompressOver compresses bodies longer than this many bytes with
	// zlib (single messages only, as upstream): 0 = 4096, < 0 = never.
	CompressOver int
	// CompressLevel is the zlib level, 1..9; default 5.
	CompressLevel int
	// DefaultTopicQueueNums is how many queues per broker a topic created
	// by its first send gets; default 4.
	DefaultTopicQueueNums int
	// CreateTopicKey is the template topic for topics created on first
	// send; default "TBW102".
	CreateTopicKey string
	// MaxMessageSize bounds a body (a batch's encoded body); default 4 MiB.
	MaxMessageSize int
	// DisableLatencyFault stops avoiding brokers that failed or answered
	// slowly. It is on by default here; upstream's sendLatencyFaultEnable
	// is off by default.
	DisableLatencyFault bool
	// RetryAnotherBrokerWhenNotStoreOK retries a Send whose status is not
	// SendOK (the message was stored; retrying may store it twice).
	RetryAnotherBrokerWhenNotStoreOK bool
	// SendV1 sends SEND_MESSAGE (10) with long header keys, as
	// rocketmq-client-go does, instead of SEND_MESSAGE_V2 (310) with the
	// one-letter keys the Java client uses.
	SendV1 bool
}

// Upstream producer defaults.
const (
	DefaultProducerGroup  = protocol.GroupDefaultProducer
	DefaultSendTimeout    = 3 * time.Second
	DefaultRetries        = 2
	DefaultCompressOver   = protocol.CompressBodyOver
	DefaultTopicQueueNums = 4
	DefaultMaxMessageSize = 4 << 20
)

func (o ProducerOptions) resolve() (ProducerOptions, error) {
	if o.Group == "" {
		o.Group = DefaultProducerGroup
	}
	if strings.ContainsAny(o.Group, "@ ") {
		return o, fmt.Errorf("client: producer group %q must not contain '@' or spaces", o.Group)
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = DefaultSendTimeout
	}
	o.Retries = retriesOrDefault(o.Retries)
	o.AsyncRetries = retriesOrDefault(o.AsyncRetries)
	if o.CompressOver == 0 {
		o.CompressOver = DefaultCompressOver
	}
	if o.CompressLevel == 0 {
		o.CompressLevel = protocol.DefaultCompressLevel
	}
	if o.CompressLevel < 1 || o.CompressLevel > 9 {
		return o, fmt.Errorf("client: CompressLevel %d: want 1..9", o.CompressLevel)
	}
	if o.DefaultTopicQueueNums <= 0 {
		o.DefaultTopicQueueNums = DefaultTopicQueueNums
	}
	if o.CreateTopicKey == "" {
		o.CreateTopicKey = protocol.TopicAutoCreate
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	return o, nil
}

func retriesOrDefault(n int) int {
	switch {
	case n == 0:
		return DefaultRetries
	case n < 0:
		return 0
	}
	return n
}

// Producer sends messages. It is safe for concurrent use; one is enough
// per process and group.
type Producer struct {
	opts  ProducerOptions
	in    *instance
	fault *faultTolerance // nil when DisableLatencyFault

	life lifecycle
	// inflight counts SendAsync calls whose callback has not returned;
	// asyncMu orders their registration before Shutdown's wait.
	inflight sync.WaitGroup
	asyncMu  sync.RWMutex
}

// NewProducer checks opts and returns a producer; Start connects it.
func NewProducer(opts ProducerOptions) (*Producer, error) {
	opts, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	in, err := newInstance(opts.ClientOptions)
	if err != nil {
		return nil, err
	}
	p := &Producer{opts: opts, in: in}
	p.life.what = "producer " + opts.Group
	if !opts.DisableLatencyFault {
		p.fault = newFaultTolerance()
	}
	in.heartbeatData = p.heartbeatData
	in.routeTopics = p.routeTopics
	in.rc.Handle(protocol.ReqCheckTransactionState, func(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
		// Only a transactional producer has local transactions to check;
		// this one sends none, so the broker asked the wrong client.
		in.log.Warn("client: a broker asked for a transaction's state; this producer has no transaction listener",
			"group", opts.Group, "msgId", req.ExtFields["msgId"], "transactionId", req.ExtFields["transactionId"])
		return nil, nil
	})
	return p, nil
}

// ClientID is the id brokers know this producer by (ip@instance).
func (p *Producer) ClientID() string { return p.in.id }

// Start starts the route refresh and heartbeat loops. Routes are fetched
// on first use of a topic.
func (p *Producer) Start(ctx context.Context) error {
	if err := p.life.start(); err != nil {
		return err
	}
	p.in.start()
	return nil
}

// Shutdown waits for SendAsync callbacks, stops every goroutine, tells the
// brokers the producer is gone and closes the connections, or gives up
// when ctx ends.
func (p *Producer) Shutdown(ctx context.Context) error {
	return p.in.shutdown(ctx, &p.life, p.opts.Group, "", func(ctx context.Context) error {
		p.asyncMu.Lock() // no SendAsync is between its check and inflight.Add
		p.asyncMu.Unlock()
		if err := waitCtx(ctx, &p.inflight); err != nil {
			return fmt.Errorf("client: producer %s: waiting for async sends: %w", p.opts.Group, err)
		}
		return nil
	})
}

func (p *Producer) heartbeatData() *protocol.HeartbeatData {
	return &protocol.HeartbeatData{
		ClientID:        p.in.id,
		ProducerDataSet: []protocol.ProducerData{{GroupName: p.opts.Group}},
		ConsumerDataSet: []protocol.ConsumerData{},
	}
}

// routeTopics are the topics this producer has sent to.
func (p *Producer) routeTopics() []string {
	p.in.routes.mu.RLock()
	defer p.in.routes.mu.RUnlock()
	out := make([]string, 0, len(p.in.routes.topics))
	for t := range p.in.routes.topics {
		out = append(out, t)
	}
	return out
}

// publishInfo returns the queues topic's messages may go to, fetching the
// route on first use. A topic the name servers do not know gets the auto-
// create template's route, so the broker creates the topic on first send.
func (p *Producer) publishInfo(ctx context.Context, topic string) (*publishInfo, error) {
	if info := p.in.routes.publish(topic); info != nil {
		return info, nil
	}
	route, err := p.in.fetchRoute(ctx, topic)
	switch {
	case err == nil:
		p.in.setRoute(topic, route, false)
	case errors.Is(err, ErrNoRoute):
		tmpl, terr := p.in.fetchRoute(ctx, p.opts.CreateTopicKey)
		if terr != nil {
			return nil, fmt.Errorf("client: %w; and no auto-create route (%s): %w", err, p.opts.CreateTopicKey, terr)
		}
		p.in.setRoute(topic, defaultRoute(tmpl, int32(p.opts.DefaultTopicQueueNums)), true)
	default:
		return nil, err
	}
	if info := p.in.routes.publish(topic); info != nil {
		return info, nil
	}
	return nil, fmt.Errorf("client: topic %s has no writable queue on any broker with a master", topic)
}

// Queues returns the queues of topic a message may be sent to (upstream
// fetchPublishMessageQueues).
func (p *Producer) Queues(ctx context.Context, topic string) ([]MessageQueue, error) {
	if err := p.life.ready(); err != nil {
		return nil, err
	}
	info, err := p.publishInfo(ctx, topic)
	if err != nil {
		return nil, err
	}
	return append([]MessageQueue(nil), info.queues...), nil
}
