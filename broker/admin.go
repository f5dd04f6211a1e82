package broker

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
)

// handleAdmin is the default handler (upstream AdminBrokerProcessor): the
// admin requests, the offset lookups and whatever has no handler of its
// own. Unknown codes get REQUEST_CODE_NOT_SUPPORTED.
func (b *Broker) handleAdmin(conn *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	switch req.Code {
	case protocol.ReqGetMaxOffset, protocol.ReqGetMinOffset, protocol.ReqGetEarliestMsgStoretime:
		return b.handleQueueOffset(conn, req)
	case protocol.ReqSearchOffsetByTimestamp:
		return b.handleSearchOffset(conn, req)
	case protocol.ReqLockBatchMQ:
		return b.handleLock(conn, req)
	case protocol.ReqUnlockBatchMQ:
		return b.handleUnlock(conn, req)
	case protocol.ReqGetConsumerConnectionList:
		return b.handleConsumerConnections(conn, req)
	case protocol.ReqGetProducerConnectionList:
		return b.handleProducerConnections(conn, req)
	case protocol.ReqGetConsumerRunningInfo:
		return b.handleConsumerRunningInfo(conn, req)
	case protocol.ReqUpdateAndCreateTopic:
		return b.handleCreateTopic(conn, req)
	case protocol.ReqDeleteTopicInBroker:
		return b.handleDeleteTopic(conn, req)
	case protocol.ReqGetAllTopicConfig:
		w := b.topics.snapshot()
		body, err := w.Encode()
		if err != nil {
			return nil, err
		}
		resp := remoting.NewResponse(req, protocol.RespSuccess, "")
		resp.Body = body
		return resp, nil
	case protocol.ReqGetAllSubscriptionGroupConfig:
		w := b.groups.snapshot()
		return jsonResponse(req, &w)
	case protocol.ReqUpdateAndCreateSubscriptionGroup:
		var c protocol.SubscriptionGroupConfig
		if err := protocol.DecodeJSON(req.Body, &c); err != nil || c.GroupName == "" {
			return remoting.NewResponse(req, protocol.RespSystemError, fmt.Sprintf("bad subscription group body (groupName required): %v", err)), nil
		}
		if err := b.groups.put(c); err != nil {
			return nil, err
		}
		return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
	case protocol.ReqDeleteSubscriptionGroup:
		var h protocol.DeleteSubscriptionGroupRequestHeader
		if resp := decodeOrFail(req, &h); resp != nil {
			return resp, nil
		}
		if _, err := b.groups.remove(h.GroupName); err != nil {
			return nil, err
		}
		if h.RemoveOffset {
			b.offsets.removeGroup(h.GroupName)
		}
		return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
	case protocol.ReqGetAllConsumerOffset:
		t := b.offsets.snapshot()
		return jsonResponse(req, &t)
	case protocol.ReqGetTopicStatsInfo:
		return b.handleTopicStats(conn, req)
	case protocol.ReqGetConsumeStats:
		return b.handleConsumeStats(conn, req)
	case protocol.ReqGetBrokerRuntimeInfo:
		return b.handleRuntimeInfo(conn, req)
	case protocol.ReqGetBrokerConfig:
		var buf bytes.Buffer
		if err := config.Print(&buf, b.conf()); err != nil {
			return nil, err
		}
		resp := remoting.NewResponse(req, protocol.RespSuccess, "")
		v := b.topics.snapshot().DataVersion
		resp.ExtFields = protocol.EncodeHeader(&protocol.GetBrokerConfigResponseHeader{Version: string(v.Encode())})
		resp.Body = buf.Bytes()
		return resp, nil
	case protocol.ReqQueryTopicConsumeByWho:
		var h protocol.TopicRequestHeader
		if resp := decodeOrFail(req, &h); resp != nil {
			return resp, nil
		}
		groups := append(b.clients.consumersOfTopic(h.Topic), b.offsets.groupsOfTopic(h.Topic)...)
		slices.Sort(groups)
		return jsonResponse(req, &struct {
			GroupList []string `json:"groupList"`
		}{GroupList: slices.Compact(groups)})
	case protocol.ReqGetSystemTopicListFromBroker:
		var sys []string
		for _, name := range b.topics.names() {
			if b.topics.isSystem(name) {
				sys = append(sys, name)
			}
		}
		return jsonResponse(req, &protocol.TopicList{TopicList: sys})
	case protocol.ReqCleanExpiredConsumeQueue:
		return b.handleCleanExpiredCQ(conn, req)
	case protocol.ReqViewBrokerStatsData:
		return b.handleViewBrokerStats(conn, req)
	case protocol.ReqDeleteExpiredCommitLog:
		b.store.DeleteExpiredFiles()
		return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
	case protocol.ReqUpdateBrokerConfig:
		return b.handleUpdateBrokerConfig(conn, req)
	case protocol.ReqGetAllDelayOffset:
		resp := remoting.NewResponse(req, protocol.RespSuccess, "")
		resp.Body = b.schedule.encode()
		return resp, nil
	case protocol.ReqConsumeMessageDirectly:
		return b.handleConsumeDirectly(conn, req)
	}
	return remoting.NewResponse(req, protocol.RespRequestCodeNotSupported, " request type "+strconv.Itoa(int(req.Code))+" not supported"), nil
}

// handleCreateTopic answers UPDATE_AND_CREATE_TOPIC: the whole config is
// replaced and the name servers hear of it at once.
func (b *Broker) handleCreateTopic(conn *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.CreateTopicRequestHeader
	if resp := decodeOrFail(req, &h); resp != nil {
		return resp, nil
	}
	if remark := protocol.ValidateTopicName(h.Topic); remark != "" {
		return remoting.NewResponse(req, protocol.RespSystemError, remark+" topic="+quoteTrunc(h.Topic)), nil
	}
	if h.Topic == b.conf().BrokerClusterName || b.topics.isSystem(h.Topic) {
		return remoting.NewResponse(req, protocol.RespSystemError, "The topic["+h.Topic+"] is conflict with system reserved words."), nil
	}
	ft := protocol.TopicFilterType(h.TopicFilterType)
	if h.TopicFilterType == "" {
		ft = protocol.SingleTag
	}
	if !ft.Valid() {
		return remoting.NewResponse(req, protocol.RespSystemError, "topicFilterType "+quoteTrunc(h.TopicFilterType)+" is not SINGLE_TAG or MULTI_TAG"), nil
	}
	if h.ReadQueueNums <= 0 || h.WriteQueueNums <= 0 || h.ReadQueueNums > 1024 || h.WriteQueueNums > 1024 {
		return remoting.NewResponse(req, protocol.RespSystemError,
			fmt.Sprintf("readQueueNums %d and writeQueueNums %d must be in 1..1024", h.ReadQueueNums, h.WriteQueueNums)), nil
	}
	tc := protocol.TopicConfig{
		TopicName: h.Topic, ReadQueueNums: h.ReadQueueNums, WriteQueueNums: h.WriteQueueNums, Perm: h.Perm,
		TopicFilterType: ft, TopicSysFlag: h.TopicSysFlag, Order: h.Order,
	}
	if err := b.topics.put(tc); err != nil {
		return nil, err
	}
	b.log.Info("topic created or updated by admin", "topic", h.Topic, "read", h.ReadQueueNums, "write", h.WriteQueueNums,
		"perm", protocol.PermString(h.Perm), "from", conn.RemoteAddr())
	return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
}

// handleDeleteTopic answers DELETE_TOPIC_IN_BROKER as upstream 4.9: the
// topic's config goes, and with it the consume queues of every topic left
// without a config (cleanUnusedTopics). Its committed offsets go too, as
// 5.x removes them (4.9 kept them, pointing into queues that no longer
// exist). The name servers hear of it at once (mqadmin also deletes it
// there with DELETE_TOPIC_IN_NAMESRV). Its records stay in the commit log
// until they expire; %RETRY% topics of its groups are left alone, as
// upstream leaves them.
func (b *Broker) handleDeleteTopic(conn *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	var h protocol.TopicRequestHeader
	if resp := decodeOrFail(req, &h); resp != nil {
		return resp, nil
	}
	if remark := protocol.ValidateTopicName(h.Topic); remark != "" {
		return remoting.NewResponse(req, protocol.RespSystemError, remark+" topic="+quoteTrunc(h.Topic)), nil
	}
	if b.topics.isSystem(h.Topic) {
		return remoting.NewResponse(req, protocol.RespSystemError, "The topic["+h.Topic+"] is conflict with system reserved words."), nil
	}
	if _, err := b.topics.remove(h.Topic); err != nil {
		return nil, err
	}
	b.offsets.removeTopic(h.Topic)
	cleaned, err := b.cleanUnusedTopics()
	if err != nil {
		return remoting.NewResponse(req, protocol.RespSystemError, "topic config deleted, but removing its consume queues failed: "+err.Error()), nil
	}
	b.log.Info("topic deleted by admin (its stored messages stay until they expire)", "topic", h.Topic,
		"consumeQueuesRemoved", cleaned, "from", conn.RemoteAddr())
	return remoting.NewResponse(req, protocol.RespSuccess, ""), nil
}

// handleRuntimeInfo answers GET_BROKER_RUNTIME_INFO with the store's
// figures and the broker's own, under upstream's key names.
func (b *Broker) handleRuntimeInfo(_ *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	m := b.store.RuntimeInfo()
	m["brokerVersionDesc"] = "V4_9_8"
	m["brokerVersion"] = strconv.Itoa(int(protocol.CurrentVersion))
	m["msgPutTotalTodayNow"] = strconv.FormatInt(b.store.PutMessageTimesTotal(), 10)
	for _, k := range []string{"msgGetTotalTodayNow", "msgPutTotalTodayMorning", "msgGetTotalTodayMorning",
		"msgPutTotalYesterdayMorning", "msgGetTotalYesterdayMorning"} {
		if _, ok := m[k]; !ok {
			m[k] = "0"
		}
	}
	m["sendThreadPoolQueueSize"] = strconv.Itoa(b.pools.send.QueueLen())
	m["sendThreadPoolQueueCapacity"] = strconv.Itoa(b.conf().SendThreadPoolQueueCapacity)
	m["pullThreadPoolQueueSize"] = strconv.Itoa(b.pools.pull.QueueLen())
	m["pullThreadPoolQueueCapacity"] = strconv.Itoa(b.conf().PullThreadPoolQueueCapacity)
	m["queryThreadPoolQueueSize"] = strconv.Itoa(b.pools.query.QueueLen())
	m["queryThreadPoolQueueCapacity"] = strconv.Itoa(b.conf().QueryThreadPoolQueueCapacity)
	m["sendThreadPoolQueueHeadWaitTimeMills"] = strconv.FormatInt(b.pools.send.HeadWait().Milliseconds(), 10)
	m["pullThreadPoolQueueHeadWaitTimeMills"] = strconv.FormatInt(b.pools.pull.HeadWait().Milliseconds(), 10)
	m["heldPullRequests"] = strconv.Itoa(b.holds.heldCount())
	b.schedule.runningStats(m)
	b.timer.runningStats(m)
	b.statsRuntimeInfo(m)
	return jsonResponse(req, &protocol.KVTable{Table: m})
}
