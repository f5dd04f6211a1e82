package broker

import (
	"log/slog"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/store"
)

// storeOptions maps the broker configuration onto the store's options.
func storeOptions(cfg *config.Broker, log *slog.Logger, arrived func(store.Arrival)) store.Options {
	s := &cfg.Store
	o := store.DefaultOptions(s.StorePathRootDir)
	o.StorePathCommitLog = s.StorePathCommitLog
	o.StorePathConsumeQueue = s.StorePathConsumeQueue
	o.StorePathIndex = s.StorePathIndex
	o.StoreCheckpoint = s.StoreCheckpoint
	o.AbortFile = s.AbortFile
	o.MappedFileSizeCommitLog = s.MappedFileSizeCommitLog
	o.MappedFileSizeConsumeQueue = s.MappedFileSizeConsumeQueue
	o.FlushDiskType = store.FlushDiskType(s.FlushDiskType)
	o.BrokerRole = store.BrokerRole(s.BrokerRole)
	o.SyncFlushTimeout = s.SyncFlushTimeout
	o.FlushIntervalCommitLog = s.FlushIntervalCommitLog
	o.FlushCommitLogLeastPages = s.FlushCommitLogLeastPages
	o.FlushCommitLogThoroughInterval = s.FlushCommitLogThoroughInterval
	o.FlushCommitLogTimed = s.FlushCommitLogTimed
	o.FlushIntervalConsumeQueue = s.FlushIntervalConsumeQueue
	o.FlushConsumeQueueLeastPages = s.FlushConsumeQueueLeastPages
	o.FlushConsumeQueueThoroughInterval = s.FlushConsumeQueueThoroughInterval
	o.MaxMessageSize = s.MaxMessageSize
	o.CheckCRCOnRecover = s.CheckCRCOnRecover
	o.OSPageCacheBusyTimeOutMills = s.OSPageCacheBusyTimeOutMills
	o.DeleteWhen = s.DeleteWhen
	o.FileReservedTime = s.FileReservedTime
	o.DiskMaxUsedSpaceRatio = s.DiskMaxUsedSpaceRatio
	o.CleanFileForciblyEnable = s.CleanFileForciblyEnable
	o.CleanResourceInterval = s.CleanResourceInterval
	o.DeleteCommitLogFilesInterval = s.DeleteCommitLogFilesInterval
	o.DeleteConsumeQueueFilesInterval = s.DeleteConsumeQueueFilesInterval
	o.DestroyMapedFileIntervalForcibly = s.DestroyMapedFileIntervalForcibly
	o.RedeleteHangedFileInterval = s.RedeleteHangedFileInterval
	o.MessageIndexEnable = s.MessageIndexEnable
	o.MessageIndexSafe = s.MessageIndexSafe
	o.MaxHashSlotNum = s.MaxHashSlotNum
	o.MaxIndexNum = s.MaxIndexNum
	o.MaxMsgsNumBatch = s.MaxMsgsNumBatch
	o.MaxTransferBytesOnMessageInMemory = s.MaxTransferBytesOnMessageInMemory
	o.MaxTransferCountOnMessageInMemory = s.MaxTransferCountOnMessageInMemory
	o.MaxTransferBytesOnMessageInDisk = s.MaxTransferBytesOnMessageInDisk
	o.MaxTransferCountOnMessageInDisk = s.MaxTransferCountOnMessageInDisk
	o.AccessMessageInMemoryMaxRatio = s.AccessMessageInMemoryMaxRatio
	o.OffsetCheckInSlave = s.OffsetCheckInSlave
	o.MessageDelayLevel = s.MessageDelayLevel
	o.Logger = log
	o.MessageArrived = arrived
	return o
}

// pools are the worker pools of the request groups, shared by the main and
// the fast port as upstream shares its executors.
type pools struct {
	send, pull, query, admin, client, heartbeat, consumer *remoting.Pool
	endTx                                                 *remoting.Pool // END_TRANSACTION, apart from sends as upstream
}

func newPools(cfg *config.Broker) pools {
	return pools{
		send:      remoting.NewPool("broker-send", cfg.SendMessageThreadPoolNums, cfg.SendThreadPoolQueueCapacity),
		pull:      remoting.NewPool("broker-pull", cfg.PullMessageThreadPoolNums, cfg.PullThreadPoolQueueCapacity),
		query:     remoting.NewPool("broker-query", cfg.QueryMessageThreadPoolNums, cfg.QueryThreadPoolQueueCapacity),
		admin:     remoting.NewPool("broker-admin", cfg.AdminBrokerThreadPoolNums, 10000),
		client:    remoting.NewPool("broker-client", cfg.ClientManageThreadPoolNums, cfg.ClientManagerThreadPoolQueueCapacity),
		heartbeat: remoting.NewPool("broker-heartbeat", cfg.HeartbeatThreadPoolNums, cfg.HeartbeatThreadPoolQueueCapacity),
		consumer:  remoting.NewPool("broker-consumer", cfg.ConsumerManageThreadPoolNums, cfg.ConsumerManagerThreadPoolQueueCapacity),
		endTx:     remoting.NewPool("broker-end-transaction", cfg.EndTransactionThreadPoolNums, cfg.EndTransactionPoolQueueCapacity),
	}
}

// registerHandlers wires every request code to its handler on s. The fast
// (VIP) port gets everything but PULL_MESSAGE, which there falls to the
// default handler and is answered REQUEST_CODE_NOT_SUPPORTED, as upstream.
func (b *Broker) registerHandlers(s *remoting.Server, mainPort bool) {
	p := &b.pools
	for _, code := range []int32{protocol.ReqSendMessage, protocol.ReqSendMessageV2, protocol.ReqSendBatchMessage} {
		s.Handle(code, p.send, b.handleSend)
	}
	s.Handle(protocol.ReqConsumerSendMsgBack, p.send, b.handleSendBack)
	if mainPort {
		s.Handle(protocol.ReqPullMessage, p.pull, b.handlePull)
	}
	s.Handle(protocol.ReqQueryMessage, p.query, b.handleQueryMessage)
	s.Handle(protocol.ReqViewMessageByID, p.query, b.handleViewMessage)

	s.Handle(protocol.ReqHeartBeat, p.heartbeat, b.handleHeartbeat)
	s.Handle(protocol.ReqUnregisterClient, p.client, b.handleUnregisterClient)
	s.Handle(protocol.ReqCheckClientConfig, p.client, b.handleCheckClientConfig)

	s.Handle(protocol.ReqGetConsumerListByGroup, p.consumer, b.handleConsumerList)
	s.Handle(protocol.ReqUpdateConsumerOffset, p.consumer, b.handleUpdateOffset)
	s.Handle(protocol.ReqQueryConsumerOffset, p.consumer, b.handleQueryOffset)

	s.Handle(protocol.ReqEndTransaction, p.endTx, b.handleEndTransaction)

	s.Handle(protocol.ReqInvokeBrokerToResetOffset, p.admin, b.handleResetOffset)
	s.Handle(protocol.ReqCloneGroupOffset, p.admin, b.handleCloneGroupOffset)
	s.Handle(protocol.ReqGetBrokerConsumeStats, p.admin, b.handleBrokerConsumeStats)
	s.Handle(protocol.ReqInvokeBrokerToGetConsumerStatus, p.admin, b.handleGetConsumerStatus)
	s.Handle(protocol.ReqCleanUnusedTopic, p.admin, b.handleCleanUnusedTopic)

	s.HandleDefault(p.admin, b.handleAdmin)
	s.OnConnClose(b.connClosed)
}

// connClosed forgets a client connection: its group memberships (the
// groups it left are told to rebalance) and its held pulls.
func (b *Broker) connClosed(c *remoting.Conn) {
	b.holds.dropConn(c)
	for _, group := range b.clients.connClosed(c) {
		b.log.Info("consumer connection closed; group members notified", "group", group, "peer", c.RemoteAddr())
		b.notifyGroup(group)
	}
}

// notifyGroup queues NOTIFY_CONSUMER_IDS_CHANGED for group's members.
func (b *Broker) notifyGroup(group string) {
	if !b.conf().NotifyConsumerIdsChangedEnable {
		return
	}
	select {
	case b.notify <- group:
	default:
		b.log.Warn("rebalance notification queue full; members will rebalance on their 20 s timer", "group", group)
	}
}

// notifyLoop sends the queued notifications. Sending can block on a slow
// client (up to the write timeout), so it runs here, not in a handler.
func (b *Broker) notifyLoop() {
	for {
		select {
		case <-b.stop:
			return
		case group := <-b.notify:
			if g, ok := b.groups.get(group); ok && !g.NotifyConsumerIdsChangedEnable {
				continue
			}
			ext := protocol.EncodeHeader(&protocol.ConsumerGroupHeader{ConsumerGroup: group})
			for _, c := range b.clients.consumerConns(group) {
				req := remoting.NewRequest(protocol.ReqNotifyConsumerIDsChanged, ext, nil)
				if err := c.InvokeOneway(req); err != nil {
					b.log.Debug("notify consumer ids changed", "group", group, "peer", c.RemoteAddr(), "err", err)
				}
			}
		}
	}
}
