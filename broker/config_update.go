package broker

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/rocketgo/rocketgo/internal/config"
	"github.com/rocketgo/rocketgo/protocol"
	"github.com/rocketgo/rocketgo/remoting"
	"github.com/rocketgo/rocketgo/store"
)

// DefaultConfigFileName is the file under the store's config directory
// that runtime config updates go to when the broker was started without
// -c; mqbroker loads it at start in that case.
const DefaultConfigFileName = "broker.properties"

// configEffect says when a key changed by UPDATE_BROKER_CONFIG takes
// effect.
type configEffect uint8

const (
	// effectNow: the new value is swapped in at once; whatever copied the
	// old one at start is told (store expiry, timers, built-in topics,
	// name server registration). Keys RocketGo accepts but does not use
	// are here too: the value shown is the value in effect.
	effectNow configEffect = iota + 1
	// effectRestart: persisted, but the running broker keeps the old
	// value until it restarts (ports, paths, file sizes, pool sizes,
	// identity, replication and flush modes, ...).
	effectRestart
	// effectRefused: never changed remotely (upstream's black list).
	effectRefused
)

// configEffects classifies every key of config.Broker;
// TestConfigEffectsCoverEveryKey keeps it complete.
var configEffects = func() map[string]configEffect {
	m := map[string]configEffect{}
	add := func(e configEffect, keys ...string) {
		for _, k := range keys {
			if _, dup := m[k]; dup {
				panic("broker: config key " + k + " classified twice")
			}
			m[k] = e
		}
	}
	add(effectRefused, "rocketmqHome", "configBlackList")
	add(effectNow,
		// Read at every use.
		"brokerPermission", "rejectTransactionMessage", "longPollingEnable", "shortPollingTimeMills",
		"notifyConsumerIdsChangedEnable", "regionId", "registerBrokerTimeoutMills", "slaveReadEnable",
		"startAcceptSendRequestTimeStamp", "traceOn", "filterSupportRetry", "enablePropertyFilter",
		"compressedRegister", "transactionTimeOut", "transactionCheckMax", "defaultQueryMaxNum",
		// Pushed by applyConfig.
		"autoCreateTopicEnable", "defaultTopicQueueNums", "clusterTopicEnable", "brokerTopicEnable",
		"traceTopicEnable", "autoCreateSubscriptionGroup", "flushConsumerOffsetInterval",
		"registerNameServerPeriod", "transactionCheckInterval",
		"deleteWhen", "fileReservedTime", "diskMaxUsedSpaceRatio", "cleanFileForciblyEnable",
		"cleanResourceInterval", "deleteCommitLogFilesInterval", "maxMessageSize",
		// Accepted, not used by RocketGo.
		"flushConsumerOffsetHistoryInterval", "highSpeedMode", "commercialEnable", "commercialTimerCount",
		"commercialTransCount", "commercialBigCount", "commercialBaseCount", "transferMsgByHeap", "maxDelayTime",
		"disableConsumeIfConsumerReadSlowly", "consumerFallbehindThreshold", "brokerFastFailureEnable",
		"waitTimeMillsInSendQueue", "waitTimeMillsInPullQueue", "waitTimeMillsInHeartbeatQueue",
		"waitTimeMillsInTransactionQueue", "enableCalcFilterBitMap", "expectConsumerNumUseFilter",
		"maxErrorRateOfBloomFilter", "filterDataCleanTimeSpan", "forceRegister", "storeReplyMessageEnable",
		"enableDetailStat", "autoDeleteUnusedStats", "isolateLogEnable", "deleteConsumeQueueFilesInterval",
		"destroyMapedFileIntervalForcibly", "redeleteHangedFileInterval", "enableScheduleAsyncDeliver",
	)
	add(effectRestart,
		// Identity and name servers (registered and advertised at start).
		"namesrvAddr", "brokerIP1", "brokerIP2", "brokerName", "brokerClusterName", "brokerId",
		"msgTraceTopicName", "fetchNamesrvAddrByAddressServer", "messageStorePlugIn", "filterServerNums", "aclEnable",
		// Worker pools, sized at start.
		"sendMessageThreadPoolNums", "putMessageFutureThreadPoolNums", "pullMessageThreadPoolNums",
		"processReplyMessageThreadPoolNums", "queryMessageThreadPoolNums", "adminBrokerThreadPoolNums",
		"clientManageThreadPoolNums", "consumerManageThreadPoolNums", "heartbeatThreadPoolNums",
		"endTransactionThreadPoolNums", "sendThreadPoolQueueCapacity", "putThreadPoolQueueCapacity",
		"pullThreadPoolQueueCapacity", "replyThreadPoolQueueCapacity", "queryThreadPoolQueueCapacity",
		"clientManagerThreadPoolQueueCapacity", "consumerManagerThreadPoolQueueCapacity",
		"heartbeatThreadPoolQueueCapacity", "endTransactionPoolQueueCapacity",
		// Listeners and the name server client.
		"bindAddress", "listenPort", "serverWorkerThreads", "serverCallbackExecutorThreads", "serverSelectorThreads",
		"serverOnewaySemaphoreValue", "serverAsyncSemaphoreValue", "serverChannelMaxIdleTimeSeconds",
		"serverSocketSndBufSize", "serverSocketRcvBufSize", "writeBufferHighWaterMark", "writeBufferLowWaterMark",
		"serverSocketBacklog", "serverPooledByteBufAllocatorEnable", "useEpollNativeSelector",
		"enableShutdownGracefully", "shutdownWaitTimeSeconds",
		"clientWorkerThreads", "clientCallbackExecutorThreads", "clientOnewaySemaphoreValue",
		"clientAsyncSemaphoreValue", "connectTimeoutMillis", "channelNotActiveInterval",
		"clientChannelMaxIdleTimeSeconds", "clientSocketSndBufSize", "clientSocketRcvBufSize",
		"clientPooledByteBufAllocatorEnable", "clientCloseSocketIfTimeout", "useTLS",
		// The store: paths, file sizes, flushing, reads, index, HA, delay levels.
		"storePathRootDir", "storePathCommitLog", "storePathConsumeQueue", "storePathIndex", "storeCheckpoint",
		"abortFile", "storePathDLedgerCommitLog", "readOnlyCommitLogStorePaths",
		"mappedFileSizeCommitLog", "mappedFileSizeConsumeQueue", "enableConsumeQueueExt",
		"mappedFileSizeConsumeQueueExt", "bitMapLengthConsumeQueueExt",
		"flushIntervalCommitLog", "commitIntervalCommitLog", "useReentrantLockWhenPutMessage",
		"flushCommitLogTimed", "flushIntervalConsumeQueue", "putMsgIndexHightWater",
		"checkCRCOnRecover", "flushCommitLogLeastPages", "commitCommitLogLeastPages",
		"flushLeastPagesWhenWarmMapedFile", "flushConsumeQueueLeastPages", "flushCommitLogThoroughInterval",
		"commitCommitLogThoroughInterval", "flushConsumeQueueThoroughInterval",
		"maxTransferBytesOnMessageInMemory", "maxTransferCountOnMessageInMemory",
		"maxTransferBytesOnMessageInDisk", "maxTransferCountOnMessageInDisk", "accessMessageInMemoryMaxRatio",
		"messageIndexEnable", "maxHashSlotNum", "maxIndexNum", "maxMsgsNumBatch", "messageIndexSafe",
		"haListenPort", "haSendHeartbeatInterval", "haHousekeepingInterval", "haTransferBatchSize",
		"haMasterAddress", "haSlaveFallbehindMax", "brokerRole", "flushDiskType", "syncFlushTimeout",
		"slaveTimeout", "messageDelayLevel", "flushDelayOffsetInterval", "warmMapedFileEnable",
		"offsetCheckInSlave", "debugLockEnable", "duplicationEnable", "diskFallRecorded",
		"osPageCacheBusyTimeOutMills", "transientStorePoolEnable", "transientStorePoolSize",
		"fastFailIfNoBufferInStorePool", "enableDLegerCommitLog", "dLegerGroup", "dLegerPeers", "dLegerSelfId",
		"preferredLeaderId", "enableBatchPush", "enableScheduleMessageStats", "enableLmq", "enableMultiDispatch",
		"maxLmqConsumeQueueNum", "scheduleAsyncDeliverMaxPendingLimit", "scheduleAsyncDeliverMaxResendNum2Blocked",
	)
	// The timer: sends read the first two at every use; the tick and the
	// roll window fix the fire times of the pending messages, so they
	// change at a restart (timerCheckpoint.json names the ones it was
	// taken with).
	add(effectNow, "timerWheelEnable", "timerMaxDelaySec")
	add(effectRestart, "timerPrecisionMs", "timerRollWindowSlot")
	return m
}()

// configRefused are the keys no update may set: upstream's fixed black list
// (brokerConfigPath is upstream's -c path, not a key of ours) and the
// configBlackList setting.
func configRefused(cfg *config.Broker) map[string]bool {
	refused := map[string]bool{"brokerConfigPath": true, "rocketmqHome": true, "configBlackList": true}
	for _, k := range strings.Split(cfg.ConfigBlackList, ";") {
		if k = strings.TrimSpace(k); k != "" {
			refused[k] = true
		}
	}
	return refused
}

// configUpdateError is a refused update and the response code that says so.
type configUpdateError struct {
	code int32
	err  error
}

func (e *configUpdateError) Error() string { return e.err.Error() }

func refuse(code int32, format string, args ...any) error {
	return &configUpdateError{code: code, err: fmt.Errorf(format, args...)}
}

// handleUpdateBrokerConfig answers UPDATE_BROKER_CONFIG (mqadmin
// updateBrokerConfig): the body is properties text. Everything is checked
// before anything changes: an unknown key, a value that does not convert
// or validate, a key of the black list or a setting RocketGo cannot run
// with refuses the whole update. Then every key is written to the config
// file; keys that take effect now are swapped in, and the remark of the
// success answer names those that wait for a restart.
func (b *Broker) handleUpdateBrokerConfig(conn *remoting.Conn, req *remoting.Command) (*remoting.Command, error) {
	restart, err := b.UpdateConfig(req.Body)
	if err != nil {
		code := protocol.RespSystemError
		var ue *configUpdateError
		if errors.As(err, &ue) {
			code = ue.code
		}
		b.log.Warn("config update refused", "from", conn.RemoteAddr(), "err", err)
		return remoting.NewResponse(req, code, err.Error()), nil
	}
	remark := ""
	if len(restart) > 0 {
		remark = "updated; these keys take effect after a restart of the broker: " + strings.Join(restart, ", ")
	}
	return remoting.NewResponse(req, protocol.RespSuccess, remark), nil
}

// UpdateConfig applies properties text as UPDATE_BROKER_CONFIG does and
// returns the keys that were persisted but wait for a restart. On error
// nothing changed, neither in memory nor in the file. Updates are
// serialised.
func (b *Broker) UpdateConfig(body []byte) (restart []string, err error) {
	b.confMu.Lock()
	defer b.confMu.Unlock()
	cur := b.conf()
	set, err := parseConfigUpdate(cur, body)
	if err != nil || len(set) == 0 {
		return nil, err
	}
	all, live := *cur, *cur
	var liveKeys []string
	for _, e := range set {
		if err := config.Set(&all, e.Key, e.Value); err != nil {
			return nil, err // parseConfigUpdate set them already
		}
		now, _ := config.Value(cur, e.Key)
		switch {
		case configEffects[e.Key] == effectNow:
			_ = config.Set(&live, e.Key, e.Value)
			liveKeys = append(liveKeys, e.Key)
		case e.Value != now:
			restart = append(restart, e.Key)
		}
	}
	for _, c := range []*config.Broker{&all, &live} {
		if err := c.Validate(); err != nil {
			return nil, refuse(protocol.RespSystemError, "invalid configuration: %v", strings.ReplaceAll(err.Error(), "\n", "; "))
		}
		if err := checkSupported(c); err != nil {
			return nil, refuse(protocol.RespSystemError, "%v", err)
		}
	}
	expiry := storeExpiry(&live)
	if err := expiry.Validate(); err != nil {
		return nil, refuse(protocol.RespSystemError, "invalid configuration: %v", err)
	}
	if err := config.UpdateFile(b.confFile, &config.Broker{}, set); err != nil {
		return nil, fmt.Errorf("persist the config update: %w", err)
	}
	b.config.Store(&live)
	b.applyConfig(cur, &live, expiry)
	b.log.Info("config updated", "keys", set, "applied", liveKeys, "afterRestart", restart, "file", b.confFile)
	return restart, nil
}

// parseConfigUpdate reads the body of an update into entries with
// canonical keys and values as Print shows them, and refuses unknown keys,
// black-listed keys and values that do not convert. ${name} expands to
// other keys of the body and the configuration in effect, never to the
// broker's environment.
func parseConfigUpdate(cur *config.Broker, body []byte) ([]config.Entry, error) {
	props, _, err := config.ParseProperties(body, "update", config.ParseOptions{
		LookupEnv: func(string) (string, bool) { return "", false },
		Defaults:  func(k string) (string, bool) { return config.Value(cur, k) },
	})
	if err != nil {
		return nil, refuse(protocol.RespSystemError, "bad properties text: %v", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	refused := configRefused(cur)
	var black []string
	for _, e := range props.Entries {
		k, _ := config.CanonicalKey(cur, e.Key)
		if refused[e.Key] || refused[k] {
			black = append(black, e.Key)
		}
	}
	if len(black) > 0 {
		return nil, refuse(protocol.RespNoPermission, "Can not update config in black list: %s", strings.Join(black, ", "))
	}
	var (
		set     []config.Entry
		probe   = *cur
		invalid []string
	)
	for _, e := range props.Entries {
		k, ok := config.CanonicalKey(cur, e.Key)
		if !ok {
			msg := "unknown key " + e.Key
			if s := config.SuggestKey(cur, e.Key); s != "" {
				msg += ": did you mean " + s + "?"
			}
			invalid = append(invalid, msg)
			continue
		}
		if err := config.Set(&probe, k, e.Value); err != nil {
			invalid = append(invalid, err.Error())
			continue
		}
		v, _ := config.Value(&probe, k)
		if i := slices.IndexFunc(set, func(x config.Entry) bool { return x.Key == k }); i >= 0 {
			set = slices.Delete(set, i, i+1) // an alias and its key: the last wins
		}
		set = append(set, config.Entry{Key: k, Value: v})
	}
	if len(invalid) > 0 {
		return nil, refuse(protocol.RespSystemError, "nothing updated: %s", strings.Join(invalid, "; "))
	}
	return set, nil
}

// storeExpiry is the part of cfg the store takes at run time.
func storeExpiry(cfg *config.Broker) store.ExpiryOptions {
	return store.ExpiryOptions{
		DeleteWhen:                   cfg.DeleteWhen,
		FileReservedTime:             cfg.FileReservedTime,
		DiskMaxUsedSpaceRatio:        cfg.DiskMaxUsedSpaceRatio,
		CleanFileForciblyEnable:      cfg.CleanFileForciblyEnable,
		CleanResourceInterval:        cfg.CleanResourceInterval,
		DeleteCommitLogFilesInterval: cfg.DeleteCommitLogFilesInterval,
	}
}

// applyConfig tells the parts that copied settings at start about a new
// configuration: the store's expiry, the built-in topics, the group
// table, the name servers (a new brokerPermission is registered at once,
// with a new topic DataVersion, as upstream) and the loops that tick at a
// configured interval.
func (b *Broker) applyConfig(old, cur *config.Broker, expiry store.ExpiryOptions) {
	if b.store != nil && expiry != b.store.Expiry() {
		if err := b.store.SetExpiry(expiry); err != nil {
			b.log.Error("config update: store expiry", "err", err) // checked before; not expected
		}
	}
	if b.store != nil && cur.MaxMessageSize != b.store.MaxMessageSize() {
		// The send check reads the configuration; the store keeps its own
		// copy for the puts that do not come from a send (commits, retries).
		if err := b.store.SetMaxMessageSize(cur.MaxMessageSize); err != nil {
			b.log.Error("config update: store maxMessageSize", "err", err) // validated before; not expected
		}
	}
	if err := b.topics.applyConfig(cur); err != nil {
		b.log.Error("config update: built-in topics", "err", err)
	}
	b.groups.autoCreate.Store(cur.AutoCreateSubscriptionGroup)
	if old.BrokerPermission != cur.BrokerPermission {
		if err := b.topics.touch(); err != nil {
			b.log.Error("config update: persist topics", "err", err)
		}
		b.log.Info("brokerPermission changed; registering with the name servers now",
			"from", protocol.PermString(int32(old.BrokerPermission)), "to", protocol.PermString(int32(cur.BrokerPermission)))
	}
	close(b.confGen)
	b.confGen = make(chan struct{})
}

// configChanged returns a channel closed at the next config update, for
// loops whose interval is configured.
func (b *Broker) configChanged() <-chan struct{} {
	b.confMu.Lock()
	defer b.confMu.Unlock()
	return b.confGen
}

// ConfigFile is where config updates are persisted.
func (b *Broker) ConfigFile() string { return b.confFile }
