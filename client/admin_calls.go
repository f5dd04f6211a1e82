package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// The admin calls mqadmin's commands are made of, one request each. Calls
// that name an address go to that server; the others go to whichever name
// server answers.

// NameServers returns the name server addresses the admin talks to.
func (a *Admin) NameServers() []string { return slices.Clone(a.in.opts.NameServers) }

// callNameServer sends code to the first name server that answers and
// wants SUCCESS back.
func (a *Admin) callNameServer(ctx context.Context, op string, code int32, hdr any, body []byte) (*remoting.Command, error) {
	resp, addr, err := a.in.invokeNameServer(ctx, func() *remoting.Command {
		return remoting.NewRequest(code, encodeHeader(hdr), body)
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if resp.Code != protocol.RespSuccess {
		return nil, responseError(op, addr, resp.Code, resp.Remark)
	}
	return resp, nil
}

// call sends code to the server at addr and wants SUCCESS back.
func (a *Admin) call(ctx context.Context, op, addr string, code int32, hdr any, body []byte) (*remoting.Command, error) {
	return a.in.invokeOK(ctx, op, addr, remoting.NewRequest(code, encodeHeader(hdr), body))
}

func encodeHeader(hdr any) map[string]string {
	if hdr == nil {
		return nil
	}
	return protocol.EncodeHeader(hdr)
}

// TopicList returns every topic the name servers know.
func (a *Admin) TopicList(ctx context.Context) ([]string, error) {
	resp, err := a.callNameServer(ctx, "get all topics", protocol.ReqGetAllTopicListFromNameServer, nil, nil)
	if err != nil {
		return nil, err
	}
	l, err := protocol.DecodeTopicList(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: topic list: %w", err)
	}
	return l.TopicList, nil
}

// DeleteTopicOnBroker deletes topic's config and offsets on the broker at addr.
func (a *Admin) DeleteTopicOnBroker(ctx context.Context, addr, topic string) error {
	_, err := a.call(ctx, "delete topic "+topic, addr, protocol.ReqDeleteTopicInBroker, &protocol.TopicRequestHeader{Topic: topic}, nil)
	return err
}

// DeleteTopicOnNameServers removes topic's route from every name server
// (of cluster only, when cluster is not empty).
func (a *Admin) DeleteTopicOnNameServers(ctx context.Context, topic, cluster string) error {
	var errs []error
	for _, ns := range a.in.opts.NameServers {
		_, err := a.call(ctx, "delete topic "+topic, ns, protocol.ReqDeleteTopicInNamesrv,
			&protocol.DeleteTopicFromNamesrvRequestHeader{Topic: topic, ClusterName: cluster}, nil)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// TopicConfigs returns every topic config of the broker at addr.
func (a *Admin) TopicConfigs(ctx context.Context, addr string) (*protocol.TopicConfigSerializeWrapper, error) {
	resp, err := a.call(ctx, "get all topic config", addr, protocol.ReqGetAllTopicConfig, nil, nil)
	if err != nil {
		return nil, err
	}
	w, err := protocol.DecodeTopicConfigSerializeWrapper(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: topic configs from %s: %w", addr, err)
	}
	return w, nil
}

// SubscriptionGroups returns every subscription group config of the broker at addr.
func (a *Admin) SubscriptionGroups(ctx context.Context, addr string) (*protocol.SubscriptionGroupWrapper, error) {
	resp, err := a.call(ctx, "get all subscription group config", addr, protocol.ReqGetAllSubscriptionGroupConfig, nil, nil)
	if err != nil {
		return nil, err
	}
	var w protocol.SubscriptionGroupWrapper
	if err := protocol.DecodeJSON(resp.Body, &w); err != nil {
		return nil, fmt.Errorf("client: subscription groups from %s: %w", addr, err)
	}
	return &w, nil
}

// UpdateSubscriptionGroup creates or replaces a subscription group on the broker at addr.
func (a *Admin) UpdateSubscriptionGroup(ctx context.Context, addr string, c protocol.SubscriptionGroupConfig) error {
	body, err := protocol.EncodeBody(&c)
	if err != nil {
		return err
	}
	_, err = a.call(ctx, "update subscription group "+c.GroupName, addr, protocol.ReqUpdateAndCreateSubscriptionGroup, nil, body)
	return err
}

// DeleteSubscriptionGroup deletes group (and, with removeOffset, its offsets) on the broker at addr.
func (a *Admin) DeleteSubscriptionGroup(ctx context.Context, addr, group string, removeOffset bool) error {
	_, err := a.call(ctx, "delete subscription group "+group, addr, protocol.ReqDeleteSubscriptionGroup,
		&protocol.DeleteSubscriptionGroupRequestHeader{GroupName: group, RemoveOffset: removeOffset}, nil)
	return err
}

// TopicStats returns min, max and last update of topic's queues on the broker at addr.
func (a *Admin) TopicStats(ctx context.Context, addr, topic string) (*protocol.TopicStatsTable, error) {
	resp, err := a.call(ctx, "get topic stats of "+topic, addr, protocol.ReqGetTopicStatsInfo, &protocol.TopicRequestHeader{Topic: topic}, nil)
	if err != nil {
		return nil, err
	}
	t, err := protocol.DecodeTopicStatsTable(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: topic stats from %s: %w", addr, err)
	}
	return t, nil
}

// ConsumeStats returns group's progress on topic ("" for all its topics) on the broker at addr.
func (a *Admin) ConsumeStats(ctx context.Context, addr, group, topic string) (*protocol.ConsumeStats, error) {
	resp, err := a.call(ctx, "get consume stats of "+group, addr, protocol.ReqGetConsumeStats,
		&protocol.GetConsumeStatsRequestHeader{ConsumerGroup: group, Topic: topic}, nil)
	if err != nil {
		return nil, err
	}
	s, err := protocol.DecodeConsumeStats(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: consume stats from %s: %w", addr, err)
	}
	return s, nil
}

// BrokerRuntimeInfo returns the broker's runtime figures (GET_BROKER_RUNTIME_INFO).
func (a *Admin) BrokerRuntimeInfo(ctx context.Context, addr string) (map[string]string, error) {
	resp, err := a.call(ctx, "get broker runtime info", addr, protocol.ReqGetBrokerRuntimeInfo, nil, nil)
	if err != nil {
		return nil, err
	}
	t, err := protocol.DecodeKVTable(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: runtime info from %s: %w", addr, err)
	}
	return t.Table, nil
}

// BrokerConfig returns the broker's configuration as properties text.
func (a *Admin) BrokerConfig(ctx context.Context, addr string) (string, error) {
	resp, err := a.call(ctx, "get broker config", addr, protocol.ReqGetBrokerConfig, nil, nil)
	if err != nil {
		return "", err
	}
	return string(resp.Body), nil
}

// UpdateBrokerConfig sends properties text (key=value lines) to the broker
// at addr. The remark of the success answer is returned: RocketGo brokers
// name there the keys that were persisted but take effect only after a
// restart (upstream brokers answer an empty remark).
func (a *Admin) UpdateBrokerConfig(ctx context.Context, addr string, props []byte) (remark string, err error) {
	resp, err := a.call(ctx, "update broker config", addr, protocol.ReqUpdateBrokerConfig, nil, props)
	if err != nil {
		return "", err
	}
	return resp.Remark, nil
}

// QueryTopicConsumeByWho returns the groups consuming topic on the broker at addr.
func (a *Admin) QueryTopicConsumeByWho(ctx context.Context, addr, topic string) ([]string, error) {
	resp, err := a.call(ctx, "query consumers of "+topic, addr, protocol.ReqQueryTopicConsumeByWho, &protocol.TopicRequestHeader{Topic: topic}, nil)
	if err != nil {
		return nil, err
	}
	var g struct {
		GroupList []string `json:"groupList"`
	}
	if err := protocol.DecodeJSON(resp.Body, &g); err != nil {
		return nil, fmt.Errorf("client: group list from %s: %w", addr, err)
	}
	return g.GroupList, nil
}

// ConsumerConnection returns group's live members as the broker at addr knows them.
func (a *Admin) ConsumerConnection(ctx context.Context, addr, group string) (*protocol.ConsumerConnection, error) {
	resp, err := a.call(ctx, "get consumer connections of "+group, addr, protocol.ReqGetConsumerConnectionList,
		&protocol.ConsumerGroupHeader{ConsumerGroup: group}, nil)
	if err != nil {
		return nil, err
	}
	var c protocol.ConsumerConnection
	if err := protocol.DecodeJSON(resp.Body, &c); err != nil {
		return nil, fmt.Errorf("client: consumer connections from %s: %w", addr, err)
	}
	return &c, nil
}

// ProducerConnection returns group's live producers as the broker at addr knows them.
func (a *Admin) ProducerConnection(ctx context.Context, addr, group string) (*protocol.ProducerConnection, error) {
	resp, err := a.call(ctx, "get producer connections of "+group, addr, protocol.ReqGetProducerConnectionList,
		&protocol.ProducerGroupHeader{ProducerGroup: group}, nil)
	if err != nil {
		return nil, err
	}
	var c protocol.ProducerConnection
	if err := protocol.DecodeJSON(resp.Body, &c); err != nil {
		return nil, fmt.Errorf("client: producer connections from %s: %w", addr, err)
	}
	return &c, nil
}

// ConsumerRunningInfo asks the consumer clientID of group, through the
// broker at addr, for its running info; the JSON body is returned as sent.
func (a *Admin) ConsumerRunningInfo(ctx context.Context, addr, group, clientID string, jstack bool) ([]byte, error) {
	resp, err := a.call(ctx, "get consumer running info of "+clientID, addr, protocol.ReqGetConsumerRunningInfo,
		&protocol.GetConsumerRunningInfoRequestHeader{ConsumerGroup: group, ClientID: clientID, JstackEnable: jstack}, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// WipeWritePerm takes write permission from brokerName's topics on the
// name server at nsAddr and returns how many topics it changed.
func (a *Admin) WipeWritePerm(ctx context.Context, nsAddr, brokerName string) (int32, error) {
	resp, err := a.call(ctx, "wipe write perm of "+brokerName, nsAddr, protocol.ReqWipeWritePermOfBroker,
		&protocol.WipeWritePermOfBrokerRequestHeader{BrokerName: brokerName}, nil)
	if err != nil {
		return 0, err
	}
	var h protocol.WipeWritePermOfBrokerResponseHeader
	if err := protocol.DecodeHeader(resp.ExtFields, &h); err != nil {
		return 0, fmt.Errorf("client: wipe write perm reply from %s: %w", nsAddr, err)
	}
	return h.WipeTopicCount, nil
}

// AddWritePerm gives write permission back to brokerName's topics on the
// name server at nsAddr and returns how many topics it changed.
func (a *Admin) AddWritePerm(ctx context.Context, nsAddr, brokerName string) (int32, error) {
	resp, err := a.call(ctx, "add write perm of "+brokerName, nsAddr, protocol.ReqAddWritePermOfBroker,
		&protocol.AddWritePermOfBrokerRequestHeader{BrokerName: brokerName}, nil)
	if err != nil {
		return 0, err
	}
	var h protocol.AddWritePermOfBrokerResponseHeader
	if err := protocol.DecodeHeader(resp.ExtFields, &h); err != nil {
		return 0, fmt.Errorf("client: add write perm reply from %s: %w", nsAddr, err)
	}
	return h.AddTopicCount, nil
}

// PutKVConfig sets namespace/key to value on every name server.
func (a *Admin) PutKVConfig(ctx context.Context, namespace, key, value string) error {
	var errs []error
	for _, ns := range a.in.opts.NameServers {
		_, err := a.call(ctx, "put kv config", ns, protocol.ReqPutKVConfig,
			&protocol.PutKVConfigRequestHeader{Namespace: namespace, Key: key, Value: value}, nil)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// DeleteKVConfig deletes namespace/key on every name server.
func (a *Admin) DeleteKVConfig(ctx context.Context, namespace, key string) error {
	var errs []error
	for _, ns := range a.in.opts.NameServers {
		_, err := a.call(ctx, "delete kv config", ns, protocol.ReqDeleteKVConfig,
			&protocol.DeleteKVConfigRequestHeader{Namespace: namespace, Key: key}, nil)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// KVConfig returns namespace/key from the name servers; found is false
// when they have none.
func (a *Admin) KVConfig(ctx context.Context, namespace, key string) (value string, found bool, err error) {
	resp, err := a.callNameServer(ctx, "get kv config", protocol.ReqGetKVConfig,
		&protocol.GetKVConfigRequestHeader{Namespace: namespace, Key: key}, nil)
	if code, ok := ResponseCode(err); ok && code == protocol.RespQueryNotFound {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	var h protocol.GetKVConfigResponseHeader
	if err := protocol.DecodeHeader(resp.ExtFields, &h); err != nil {
		return "", false, fmt.Errorf("client: kv config reply: %w", err)
	}
	if h.Value == nil {
		return "", false, nil
	}
	return *h.Value, true, nil
}

// NameServerConfig returns the configuration of the name server at addr as properties text.
func (a *Admin) NameServerConfig(ctx context.Context, addr string) (string, error) {
	resp, err := a.call(ctx, "get name server config", addr, protocol.ReqGetNamesrvConfig, nil, nil)
	if err != nil {
		return "", err
	}
	return string(resp.Body), nil
}

// UpdateNameServerConfig sends properties text to the name server at addr.
func (a *Admin) UpdateNameServerConfig(ctx context.Context, addr string, props []byte) error {
	_, err := a.call(ctx, "update name server config", addr, protocol.ReqUpdateNamesrvConfig, nil, props)
	return err
}

// QueueOffsets returns the min and max offsets of a queue on the broker at addr.
func (a *Admin) QueueOffsets(ctx context.Context, addr, topic string, queueID int32) (minOff, maxOff int64, err error) {
	h := &protocol.QueueRequestHeader{Topic: topic, QueueID: queueID}
	var offs [2]int64
	for i, code := range []int32{protocol.ReqGetMinOffset, protocol.ReqGetMaxOffset} {
		resp, err := a.call(ctx, "get queue offset", addr, code, h, nil)
		if err != nil {
			return 0, 0, err
		}
		var o protocol.OffsetResponseHeader
		if err := protocol.DecodeHeader(resp.ExtFields, &o); err != nil {
			return 0, 0, fmt.Errorf("client: offset reply from %s: %w", addr, err)
		}
		offs[i] = o.Offset
	}
	return offs[0], offs[1], nil
}

// SearchOffset returns the first offset of a queue stored at or after ts (ms).
func (a *Admin) SearchOffset(ctx context.Context, addr, topic string, queueID int32, ts int64) (int64, error) {
	resp, err := a.call(ctx, "search offset by time", addr, protocol.ReqSearchOffsetByTimestamp,
		&protocol.SearchOffsetRequestHeader{Topic: topic, QueueID: queueID, Timestamp: ts}, nil)
	if err != nil {
		return 0, err
	}
	var o protocol.OffsetResponseHeader
	if err := protocol.DecodeHeader(resp.ExtFields, &o); err != nil {
		return 0, fmt.Errorf("client: offset reply from %s: %w", addr, err)
	}
	return o.Offset, nil
}

// ViewMessage returns the message stored at commitLogOffset on the broker at addr.
func (a *Admin) ViewMessage(ctx context.Context, addr string, commitLogOffset int64) (*MessageExt, error) {
	resp, err := a.call(ctx, "view message at "+strconv.FormatInt(commitLogOffset, 10), addr, protocol.ReqViewMessageByID,
		&protocol.ViewMessageRequestHeader{Offset: commitLogOffset}, nil)
	if err != nil {
		return nil, err
	}
	m, _, err := protocol.DecodeMessage(resp.Body, protocol.DecodeOptions{})
	if err != nil {
		return nil, fmt.Errorf("client: message from %s: %w", addr, err)
	}
	return m, nil
}

// QueryMessage returns up to maxNum messages of topic with key (a
// UNIQ_KEY when unique) stored between begin and end (ms) on the broker
// at addr; none found is an empty list, not an error.
func (a *Admin) QueryMessage(ctx context.Context, addr, topic, key string, maxNum int32, begin, end int64, unique bool) ([]*MessageExt, error) {
	resp, err := a.call(ctx, "query message by key "+key, addr, protocol.ReqQueryMessage, &protocol.QueryMessageRequestHeader{
		Topic: topic, Key: key, MaxNum: maxNum, BeginTimestamp: begin, EndTimestamp: end, UniqueKeyQuery: unique,
	}, nil)
	if code, ok := ResponseCode(err); ok && code == protocol.RespQueryNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	msgs, err := protocol.DecodeMessages(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: messages from %s: %w", addr, err)
	}
	return msgs, nil
}

// PullQueue reads up to maxNums messages of mq from offset on the broker
// at addr, as a pull consumer of group with subscription "*".
func (a *Admin) PullQueue(ctx context.Context, addr, group string, mq MessageQueue, offset int64, maxNums int32) (*PullResult, error) {
	h := protocol.PullMessageRequestHeader{
		ConsumerGroup: group, Topic: mq.Topic, QueueID: mq.QueueID, QueueOffset: offset, MaxMsgNums: maxNums,
		SysFlag: protocol.PullFlagSubscription, Subscription: "*", ExpressionType: "TAG", BrokerName: mq.BrokerName,
	}
	resp, err := a.in.invoke(ctx, addr, remoting.NewRequest(protocol.ReqPullMessage, protocol.EncodeHeader(&h), nil), pullTimeout)
	if err != nil {
		return nil, fmt.Errorf("client: pull %s at %s: %w", mq, addr, err)
	}
	res, _, err := pullResponse(resp, addr, mq)
	return res, err
}

// SystemTopicsOfBroker returns the topics the broker at addr counts as its
// own system topics (GET_SYSTEM_TOPIC_LIST_FROM_BROKER).
func (a *Admin) SystemTopicsOfBroker(ctx context.Context, addr string) ([]string, error) {
	resp, err := a.call(ctx, "get system topics", addr, protocol.ReqGetSystemTopicListFromBroker, nil, nil)
	if err != nil {
		return nil, err
	}
	l, err := protocol.DecodeTopicList(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: system topics from %s: %w", addr, err)
	}
	return l.TopicList, nil
}

// CleanUnusedTopic asks the broker at addr to drop the consume queues of
// topics it has no config for.
func (a *Admin) CleanUnusedTopic(ctx context.Context, addr string) error {
	_, err := a.call(ctx, "clean unused topics", addr, protocol.ReqCleanUnusedTopic, nil, nil)
	return err
}

// CleanExpiredConsumeQueue asks the broker at addr to remove the consume
// queues whose messages have all expired (mqadmin cleanExpiredCQ).
func (a *Admin) CleanExpiredConsumeQueue(ctx context.Context, addr string) error {
	_, err := a.call(ctx, "clean expired consume queues", addr, protocol.ReqCleanExpiredConsumeQueue, nil, nil)
	return err
}
