package broker

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// txConfig is a broker whose check service runs every checkEvery and asks
// about halves older than timeout.
func txConfig(dir string, checkEvery, timeout time.Duration) config.Broker {
	cfg := testConfig(dir)
	cfg.TransactionCheckInterval = checkEvery.Milliseconds()
	cfg.TransactionTimeOut = timeout.Milliseconds()
	return cfg
}

// Verdicts a fake producer gives when the broker checks a transaction.
const (
	verdictSilent = -1 // no answer at all
	verdictCommit = protocol.SysFlagTransactionCommit
	verdictBack   = protocol.SysFlagTransactionRollback
	verdictUnsure = protocol.SysFlagTransactionNotType
)

// seenCheck is one CHECK_TRANSACTION_STATE a fake producer received.
type seenCheck struct {
	h   protocol.CheckTransactionStateRequestHeader
	msg *protocol.MessageExt
	at  time.Time
}

// txProducer is a transactional producer built on a remoting.Client, as
// rocketmq clients behave: it heartbeats its group, sends half messages
// and answers CHECK_TRANSACTION_STATE with a oneway END_TRANSACTION.
type txProducer struct {
	t       testing.TB
	c       *remoting.Client
	addr    string
	group   string
	id      string
	verdict func(body string) int32

	mu     sync.Mutex
	checks []seenCheck
}

func newTxProducer(t testing.TB, addr, group, id string, verdict func(body string) int32) *txProducer {
	p := &txProducer{t: t, c: newClient(t), addr: addr, group: group, id: id, verdict: verdict}
	p.c.Handle(protocol.ReqCheckTransactionState, p.onCheck)
	p.heartbeat()
	return p
}

func (p *txProducer) heartbeat() {
	p.t.Helper()
	hb := protocol.HeartbeatData{ClientID: p.id, ProducerDataSet: []protocol.ProducerData{{GroupName: p.group}}}
	mustCode(p.t, call(p.t, p.c, p.addr, remoting.NewRequest(protocol.ReqHeartBeat, nil, hb.Encode())), protocol.RespSuccess)
}

func (p *txProducer) onCheck(conn *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.CheckTransactionStateRequestHeader
	if err := protocol.DecodeHeader(req.ExtFields, &h); err != nil {
		p.t.Errorf("%s: check header: %v", p.id, err)
		return nil, nil
	}
	msg, _, err := protocol.DecodeMessage(req.Body, protocol.DecodeOptions{})
	if err != nil {
		p.t.Errorf("%s: check body: %v", p.id, err)
		return nil, nil
	}
	p.mu.Lock()
	p.checks = append(p.checks, seenCheck{h: h, msg: msg, at: time.Now()})
	p.mu.Unlock()
	v := p.verdict(string(msg.Body))
	if v == verdictSilent {
		return nil, nil
	}
	end := protocol.EndTransactionRequestHeader{
		ProducerGroup: p.group, TranStateTableOffset: h.TranStateTableOffset, CommitLogOffset: h.CommitLogOffset,
		CommitOrRollback: v, FromTransactionCheck: true, MsgID: h.MsgID, TransactionID: h.TransactionID,
	}
	if err := conn.InvokeOneway(remoting.NewRequest(protocol.ReqEndTransaction, protocol.EncodeHeader(&end), nil)); err != nil {
		p.t.Logf("%s: answer check: %v", p.id, err)
	}
	return nil, nil
}

// checked returns the checks received so far.
func (p *txProducer) checked() []seenCheck {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]seenCheck(nil), p.checks...)
}

// checksOf counts the checks about the message with body.
func (p *txProducer) checksOf(body string) int {
	n := 0
	for _, c := range p.checked() {
		if string(c.msg.Body) == body {
			n++
		}
	}
	return n
}

// half is a sent half message as the producer knows it.
type half struct {
	body             string
	queueOffset, phy int64
	uniq             string
}

// sendHalf sends a half message to topic; extra properties are added.
func (p *txProducer) sendHalf(topic string, queueID int32, body string, extra map[string]string) half {
	p.t.Helper()
	props := map[string]string{
		protocol.PropertyTransactionPrepared: "true", protocol.PropertyProducerGroup: p.group,
		protocol.PropertyUniqClientMessageID: "UNIQ-" + body, protocol.PropertyTags: "TagTx",
	}
	for k, v := range extra {
		props[k] = v
	}
	h := protocol.SendMessageRequestHeader{
		ProducerGroup: p.group, Topic: topic, DefaultTopic: protocol.TopicAutoCreate, DefaultTopicQueueNums: 4,
		QueueID: queueID, SysFlag: protocol.SysFlagTransactionPrepared, BornTimestamp: time.Now().UnixMilli(),
		Properties: protocol.EncodeProperties(props),
	}
	resp := call(p.t, p.c, p.addr, remoting.NewRequest(protocol.ReqSendMessageV2, h.EncodeV2(), []byte(body)))
	mustCode(p.t, resp, protocol.RespSuccess)
	_, phy, err := protocol.DecodeOffsetMsgID(resp.ExtFields["msgId"])
	if err != nil {
		p.t.Fatalf("half msgId %q: %v", resp.ExtFields["msgId"], err)
	}
	if got := extInt(p.t, resp, "queueId"); got != int64(queueID) {
		p.t.Fatalf("half reply queueId %d, want the real queue %d", got, queueID)
	}
	if got := resp.ExtFields["transactionId"]; got != "UNIQ-"+body {
		p.t.Fatalf("half reply transactionId %q, want the message id", got)
	}
	return half{body: body, queueOffset: extInt(p.t, resp, "queueOffset"), phy: phy, uniq: "UNIQ-" + body}
}

// endReq builds the END_TRANSACTION a client sends after its local
// transaction.
func (p *txProducer) endReq(h half, state int32) *remoting.Command {
	end := protocol.EndTransactionRequestHeader{
		ProducerGroup: p.group, TranStateTableOffset: h.queueOffset, CommitLogOffset: h.phy,
		CommitOrRollback: state, MsgID: h.uniq, TransactionID: h.uniq,
	}
	return remoting.NewRequest(protocol.ReqEndTransaction, protocol.EncodeHeader(&end), nil)
}

// end ends a transaction and waits for the broker's answer.
func (p *txProducer) end(h half, state int32) *remoting.Command {
	p.t.Helper()
	return call(p.t, p.c, p.addr, p.endReq(h, state))
}

// endOneway ends a transaction as clients do: no answer.
func (p *txProducer) endOneway(h half, state int32) {
	p.t.Helper()
	if err := p.c.InvokeOneway(context.Background(), p.addr, p.endReq(h, state)); err != nil {
		p.t.Fatal(err)
	}
}

// pullAll reads every message of topic's queues from offset 0.
func pullAll(t testing.TB, b *Broker, topic string) []*protocol.MessageExt {
	t.Helper()
	dispatched(t, b)
	tc, ok := b.topics.get(topic)
	if !ok {
		return nil
	}
	var out []*protocol.MessageExt
	for q := range tc.ReadQueueNums {
		out = append(out, readQueue(t, b.store, topic, q)...)
	}
	return out
}

// bodyCounts counts the consumed messages per body.
func bodyCounts(msgs []*protocol.MessageExt) map[string]int {
	m := map[string]int{}
	for _, msg := range msgs {
		m[string(msg.Body)]++
	}
	return m
}

// restartBroker shuts b down and starts a new broker on cfg (same store).
func restartBroker(t testing.TB, b *Broker, cfg config.Broker) *Broker {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	return startBroker(t, cfg)
}
