package config

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Store holds upstream's MessageStoreConfig keys: files, flushing, expiry,
// HA. Sizes are bytes and intervals milliseconds, as upstream writes them.
//
// Upstream only reads storePathRootDir and storePathCommitLog; the consume
// queue, index, checkpoint and abort paths always derive from the root
// there, so the storePathConsumeQueue, storePathIndex, storeCheckpoint and
// abortFile keys that many guides write were silently ignored. RocketGo
// honours them; left empty they derive from storePathRootDir (see Paths).
type Store struct {
	StorePathRootDir            string `key:"storePathRootDir"`
	StorePathCommitLog          string `key:"storePathCommitLog"`
	StorePathConsumeQueue       string `key:"storePathConsumeQueue"`
	StorePathIndex              string `key:"storePathIndex"`
	StoreCheckpoint             string `key:"storeCheckpoint"`
	AbortFile                   string `key:"abortFile"`
	StorePathDLedgerCommitLog   string `key:"storePathDLedgerCommitLog"`
	ReadOnlyCommitLogStorePaths string `key:"readOnlyCommitLogStorePaths"`

	// Upstream spelled these "maped" before 4.6; both spellings work.
	MappedFileSizeCommitLog       int  `key:"mappedFileSizeCommitLog" alias:"mapedFileSizeCommitLog"`
	MappedFileSizeConsumeQueue    int  `key:"mappedFileSizeConsumeQueue" alias:"mapedFileSizeConsumeQueue"`
	EnableConsumeQueueExt         bool `key:"enableConsumeQueueExt"`
	MappedFileSizeConsumeQueueExt int  `key:"mappedFileSizeConsumeQueueExt"`
	BitMapLengthConsumeQueueExt   int  `key:"bitMapLengthConsumeQueueExt"`

	FlushIntervalCommitLog           int  `key:"flushIntervalCommitLog"`
	CommitIntervalCommitLog          int  `key:"commitIntervalCommitLog"`
	UseReentrantLockWhenPutMessage   bool `key:"useReentrantLockWhenPutMessage"`
	FlushCommitLogTimed              bool `key:"flushCommitLogTimed"`
	FlushIntervalConsumeQueue        int  `key:"flushIntervalConsumeQueue"`
	CleanResourceInterval            int  `key:"cleanResourceInterval"`
	DeleteCommitLogFilesInterval     int  `key:"deleteCommitLogFilesInterval"`
	DeleteConsumeQueueFilesInterval  int  `key:"deleteConsumeQueueFilesInterval"`
	DestroyMapedFileIntervalForcibly int  `key:"destroyMapedFileIntervalForcibly"`
	RedeleteHangedFileInterval       int  `key:"redeleteHangedFileInterval"`
	// DeleteWhen is the hour(s) expired files are deleted: "04", or "01;13".
	DeleteWhen            string `key:"deleteWhen"`
	DiskMaxUsedSpaceRatio int    `key:"diskMaxUsedSpaceRatio"` // percent
	FileReservedTime      int    `key:"fileReservedTime"`      // hours
	PutMsgIndexHightWater int    `key:"putMsgIndexHightWater"`
	MaxMessageSize        int    `key:"maxMessageSize"`
	CheckCRCOnRecover     bool   `key:"checkCRCOnRecover"`

	FlushCommitLogLeastPages          int `key:"flushCommitLogLeastPages"`
	CommitCommitLogLeastPages         int `key:"commitCommitLogLeastPages"`
	FlushLeastPagesWhenWarmMapedFile  int `key:"flushLeastPagesWhenWarmMapedFile"`
	FlushConsumeQueueLeastPages       int `key:"flushConsumeQueueLeastPages"`
	FlushCommitLogThoroughInterval    int `key:"flushCommitLogThoroughInterval"`
	CommitCommitLogThoroughInterval   int `key:"commitCommitLogThoroughInterval"`
	FlushConsumeQueueThoroughInterval int `key:"flushConsumeQueueThoroughInterval"`

	MaxTransferBytesOnMessageInMemory int `key:"maxTransferBytesOnMessageInMemory"`
	MaxTransferCountOnMessageInMemory int `key:"maxTransferCountOnMessageInMemory"`
	MaxTransferBytesOnMessageInDisk   int `key:"maxTransferBytesOnMessageInDisk"`
	MaxTransferCountOnMessageInDisk   int `key:"maxTransferCountOnMessageInDisk"`
	AccessMessageInMemoryMaxRatio     int `key:"accessMessageInMemoryMaxRatio"` // percent

	MessageIndexEnable bool `key:"messageIndexEnable"`
	MaxHashSlotNum     int  `key:"maxHashSlotNum"`
	MaxIndexNum        int  `key:"maxIndexNum"`
	MaxMsgsNumBatch    int  `key:"maxMsgsNumBatch"`
	MessageIndexSafe   bool `key:"messageIndexSafe"`

	// HAListenPort is where a master accepts slaves; 0 means listenPort+1
	// (upstream always uses listenPort+1). See Broker.HAPort.
	HAListenPort            int    `key:"haListenPort"`
	HASendHeartbeatInterval int    `key:"haSendHeartbeatInterval"`
	HAHousekeepingInterval  int    `key:"haHousekeepingInterval"`
	HATransferBatchSize     int    `key:"haTransferBatchSize"`
	HAMasterAddress         string `key:"haMasterAddress"` // empty: learned from the name server
	HASlaveFallbehindMax    int    `key:"haSlaveFallbehindMax"`

	BrokerRole       BrokerRole    `key:"brokerRole"`
	FlushDiskType    FlushDiskType `key:"flushDiskType"`
	SyncFlushTimeout int           `key:"syncFlushTimeout"`
	SlaveTimeout     int           `key:"slaveTimeout"`
	// MessageDelayLevel lists the delay of each level, 1-based: "1s 5s ...".
	MessageDelayLevel           string `key:"messageDelayLevel"`
	FlushDelayOffsetInterval    int64  `key:"flushDelayOffsetInterval"`
	CleanFileForciblyEnable     bool   `key:"cleanFileForciblyEnable"`
	WarmMapedFileEnable         bool   `key:"warmMapedFileEnable"`
	OffsetCheckInSlave          bool   `key:"offsetCheckInSlave"`
	DebugLockEnable             bool   `key:"debugLockEnable"`
	DuplicationEnable           bool   `key:"duplicationEnable"`
	DiskFallRecorded            bool   `key:"diskFallRecorded"`
	OSPageCacheBusyTimeOutMills int64  `key:"osPageCacheBusyTimeOutMills"`
	DefaultQueryMaxNum          int    `key:"defaultQueryMaxNum"`

	TransientStorePoolEnable      bool `key:"transientStorePoolEnable"`
	TransientStorePoolSize        int  `key:"transientStorePoolSize"`
	FastFailIfNoBufferInStorePool bool `key:"fastFailIfNoBufferInStorePool"`

	EnableDLegerCommitLog bool   `key:"enableDLegerCommitLog"`
	DLegerGroup           string `key:"dLegerGroup"`
	DLegerPeers           string `key:"dLegerPeers"`
	DLegerSelfID          string `key:"dLegerSelfId"`
	PreferredLeaderID     string `key:"preferredLeaderId"`

	EnableBatchPush                          bool `key:"enableBatchPush"`
	EnableScheduleMessageStats               bool `key:"enableScheduleMessageStats"`
	EnableLmq                                bool `key:"enableLmq"`
	EnableMultiDispatch                      bool `key:"enableMultiDispatch"`
	MaxLmqConsumeQueueNum                    int  `key:"maxLmqConsumeQueueNum"`
	EnableScheduleAsyncDeliver               bool `key:"enableScheduleAsyncDeliver"`
	ScheduleAsyncDeliverMaxPendingLimit      int  `key:"scheduleAsyncDeliverMaxPendingLimit"`
	ScheduleAsyncDeliverMaxResendNum2Blocked int  `key:"scheduleAsyncDeliverMaxResendNum2Blocked"`

	Timer // 5.x's timer* keys (timer.go)
}

// consumeQueueUnit is the size of one consume queue entry.
const consumeQueueUnit = 20

func defaultStore() Store {
	return Store{
		StorePathRootDir:                         inHome("store"),
		MappedFileSizeCommitLog:                  1 << 30,
		MappedFileSizeConsumeQueue:               300000 * consumeQueueUnit,
		MappedFileSizeConsumeQueueExt:            48 << 20,
		BitMapLengthConsumeQueueExt:              64,
		FlushIntervalCommitLog:                   500,
		CommitIntervalCommitLog:                  200,
		UseReentrantLockWhenPutMessage:           true,
		FlushCommitLogTimed:                      true,
		FlushIntervalConsumeQueue:                1000,
		CleanResourceInterval:                    10000,
		DeleteCommitLogFilesInterval:             100,
		DeleteConsumeQueueFilesInterval:          100,
		DestroyMapedFileIntervalForcibly:         120_000,
		RedeleteHangedFileInterval:               120_000,
		DeleteWhen:                               "04",
		DiskMaxUsedSpaceRatio:                    75,
		FileReservedTime:                         72,
		PutMsgIndexHightWater:                    600000,
		MaxMessageSize:                           4 << 20,
		CheckCRCOnRecover:                        true,
		FlushCommitLogLeastPages:                 4,
		CommitCommitLogLeastPages:                4,
		FlushLeastPagesWhenWarmMapedFile:         1024 / 4 * 16,
		FlushConsumeQueueLeastPages:              2,
		FlushCommitLogThoroughInterval:           10_000,
		CommitCommitLogThoroughInterval:          200,
		FlushConsumeQueueThoroughInterval:        60_000,
		MaxTransferBytesOnMessageInMemory:        256 << 10,
		MaxTransferCountOnMessageInMemory:        32,
		MaxTransferBytesOnMessageInDisk:          64 << 10,
		MaxTransferCountOnMessageInDisk:          8,
		AccessMessageInMemoryMaxRatio:            40,
		MessageIndexEnable:                       true,
		MaxHashSlotNum:                           5_000_000,
		MaxIndexNum:                              5_000_000 * 4,
		MaxMsgsNumBatch:                          64,
		HASendHeartbeatInterval:                  5000,
		HAHousekeepingInterval:                   20_000,
		HATransferBatchSize:                      32 << 10,
		HASlaveFallbehindMax:                     256 << 20,
		BrokerRole:                               AsyncMaster,
		FlushDiskType:                            AsyncFlush,
		SyncFlushTimeout:                         5000,
		SlaveTimeout:                             3000,
		MessageDelayLevel:                        "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h",
		FlushDelayOffsetInterval:                 10_000,
		CleanFileForciblyEnable:                  true,
		DiskFallRecorded:                         true,
		OSPageCacheBusyTimeOutMills:              1000,
		DefaultQueryMaxNum:                       32,
		TransientStorePoolSize:                   5,
		EnableScheduleMessageStats:               true,
		MaxLmqConsumeQueueNum:                    20000,
		ScheduleAsyncDeliverMaxPendingLimit:      2000,
		ScheduleAsyncDeliverMaxResendNum2Blocked: 3,
		Timer:                                    DefaultTimer(),
	}
}

// StorePaths are the store's files and directories, resolved.
type StorePaths struct {
	Root         string
	CommitLog    string // directory of commit log segments
	ConsumeQueue string // directory: <topic>/<queueId>/<segments>
	Index        string // directory of index files
	Checkpoint   string // file
	Abort        string // file; present while the store is open
	Lock         string // file locked while a process owns the store
	Config       string // directory of topics.json, consumerOffset.json, ...
}

// Paths resolves the store paths: each one set in the configuration wins,
// the rest derive from storePathRootDir with upstream's names (commitlog,
// consumequeue, index, checkpoint, abort, lock, config).
func (s *Store) Paths() StorePaths {
	root := s.StorePathRootDir
	or := func(set, name string) string {
		if set != "" {
			return set
		}
		return filepath.Join(root, name)
	}
	return StorePaths{
		Root:         root,
		CommitLog:    or(s.StorePathCommitLog, "commitlog"),
		ConsumeQueue: or(s.StorePathConsumeQueue, "consumequeue"),
		Index:        or(s.StorePathIndex, "index"),
		Checkpoint:   or(s.StoreCheckpoint, "checkpoint"),
		Abort:        or(s.AbortFile, "abort"),
		Lock:         filepath.Join(root, "lock"),
		Config:       filepath.Join(root, "config"),
	}
}

// DelayLevels parses messageDelayLevel: space-separated durations with unit
// s, m, h or d; level 1 is the first.
func (s *Store) DelayLevels() ([]time.Duration, error) {
	units := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}
	var out []time.Duration
	for _, f := range strings.Fields(s.MessageDelayLevel) {
		unit, ok := units[f[len(f)-1]]
		n, err := strconv.Atoi(f[:len(f)-1])
		if !ok || err != nil || n <= 0 {
			return nil, fmt.Errorf("level %d %q is not a positive number with unit s, m, h or d", len(out)+1, f)
		}
		out = append(out, time.Duration(n)*unit)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no levels (want e.g. \"1s 5s 10s 30s 1m\")")
	}
	return out, nil
}

// DeleteHours parses deleteWhen: hours of the day separated by ';'.
func (s *Store) DeleteHours() ([]int, error) {
	var out []int
	for _, f := range strings.Split(s.DeleteWhen, ";") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		h, err := strconv.Atoi(f)
		if err != nil || h < 0 || h > 23 {
			return nil, fmt.Errorf("%q is not an hour 0..23 (want e.g. \"04\" or \"01;13\")", f)
		}
		out = append(out, h)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no hours (want e.g. \"04\")")
	}
	return out, nil
}

func (s *Store) validate(p *problems) {
	notEmpty(p, "storePathRootDir", s.StorePathRootDir)
	switch s.BrokerRole {
	case AsyncMaster, SyncMaster, Slave:
	default:
		p.add("brokerRole", "%q is not one of ASYNC_MASTER, SYNC_MASTER, SLAVE%s", s.BrokerRole, inlineCommentHint(string(s.BrokerRole)))
	}
	switch s.FlushDiskType {
	case AsyncFlush, SyncFlush:
	default:
		p.add("flushDiskType", "%q is not one of ASYNC_FLUSH, SYNC_FLUSH%s", s.FlushDiskType, inlineCommentHint(string(s.FlushDiskType)))
	}

	atLeast(p, "mappedFileSizeCommitLog", s.MappedFileSizeCommitLog, 4096)
	atLeast(p, "mappedFileSizeConsumeQueue", s.MappedFileSizeConsumeQueue, consumeQueueUnit)
	if s.MappedFileSizeConsumeQueue%consumeQueueUnit != 0 {
		p.add("mappedFileSizeConsumeQueue", "%d is not a multiple of the %d-byte consume queue entry", s.MappedFileSizeConsumeQueue, consumeQueueUnit)
	}
	atLeast(p, "mappedFileSizeConsumeQueueExt", s.MappedFileSizeConsumeQueueExt, 1)
	atLeast(p, "maxMessageSize", s.MaxMessageSize, 1)
	if s.MaxMessageSize >= s.MappedFileSizeCommitLog {
		p.add("maxMessageSize", "%d does not fit in a commit log file of mappedFileSizeCommitLog %d", s.MaxMessageSize, s.MappedFileSizeCommitLog)
	}

	for _, kv := range []struct {
		key string
		v   int
	}{
		{"flushIntervalCommitLog", s.FlushIntervalCommitLog},
		{"commitIntervalCommitLog", s.CommitIntervalCommitLog},
		{"flushIntervalConsumeQueue", s.FlushIntervalConsumeQueue},
		{"cleanResourceInterval", s.CleanResourceInterval},
		{"flushCommitLogThoroughInterval", s.FlushCommitLogThoroughInterval},
		{"commitCommitLogThoroughInterval", s.CommitCommitLogThoroughInterval},
		{"flushConsumeQueueThoroughInterval", s.FlushConsumeQueueThoroughInterval},
		{"syncFlushTimeout", s.SyncFlushTimeout},
		{"slaveTimeout", s.SlaveTimeout},
		{"maxTransferBytesOnMessageInMemory", s.MaxTransferBytesOnMessageInMemory},
		{"maxTransferCountOnMessageInMemory", s.MaxTransferCountOnMessageInMemory},
		{"maxTransferBytesOnMessageInDisk", s.MaxTransferBytesOnMessageInDisk},
		{"maxTransferCountOnMessageInDisk", s.MaxTransferCountOnMessageInDisk},
		{"maxHashSlotNum", s.MaxHashSlotNum},
		{"maxIndexNum", s.MaxIndexNum},
		{"maxMsgsNumBatch", s.MaxMsgsNumBatch},
		{"defaultQueryMaxNum", s.DefaultQueryMaxNum},
		{"haSendHeartbeatInterval", s.HASendHeartbeatInterval},
		{"haHousekeepingInterval", s.HAHousekeepingInterval},
		{"haTransferBatchSize", s.HATransferBatchSize},
		{"haSlaveFallbehindMax", s.HASlaveFallbehindMax},
		{"transientStorePoolSize", s.TransientStorePoolSize},
	} {
		atLeast(p, kv.key, kv.v, 1)
	}
	for _, kv := range []struct {
		key string
		v   int
	}{
		{"flushCommitLogLeastPages", s.FlushCommitLogLeastPages},
		{"commitCommitLogLeastPages", s.CommitCommitLogLeastPages},
		{"flushConsumeQueueLeastPages", s.FlushConsumeQueueLeastPages},
		{"fileReservedTime", s.FileReservedTime},
		{"destroyMapedFileIntervalForcibly", s.DestroyMapedFileIntervalForcibly},
		{"redeleteHangedFileInterval", s.RedeleteHangedFileInterval},
	} {
		atLeast(p, kv.key, kv.v, 0)
	}
	// Upstream clamps the ratio to 10..95 without a word; we say so.
	inRange(p, "diskMaxUsedSpaceRatio", s.DiskMaxUsedSpaceRatio, 10, 95)
	inRange(p, "accessMessageInMemoryMaxRatio", s.AccessMessageInMemoryMaxRatio, 0, 100)
	checkPort(p, "haListenPort", s.HAListenPort)
	if s.HAMasterAddress != "" {
		if err := checkHostPort(s.HAMasterAddress); err != nil {
			p.add("haMasterAddress", "%q: %v", s.HAMasterAddress, err)
		}
	}
	if _, err := s.DeleteHours(); err != nil {
		p.add("deleteWhen", "%v", err)
	}
	if _, err := s.DelayLevels(); err != nil {
		p.add("messageDelayLevel", "%v", err)
	}
	s.Timer.validate(p)
}

// inlineCommentHint explains a value that failed because the user wrote a
// comment after it on the same line.
func inlineCommentHint(v string) string {
	if strings.Contains(v, "#") {
		return " (a '#' after a value is part of the value: put comments on their own line)"
	}
	return ""
}
