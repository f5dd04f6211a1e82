package store

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rocketgo/rocketgo/store/commitlog"
	"github.com/rocketgo/rocketgo/store/consumequeue"
	"github.com/rocketgo/rocketgo/store/segment"
)

// FlushDiskType is upstream's flushDiskType.
type FlushDiskType string

// Flush disk types.
const (
	AsyncFlush FlushDiskType = "ASYNC_FLUSH"
	SyncFlush  FlushDiskType = "SYNC_FLUSH"
)

// BrokerRole is upstream's brokerRole; a SLAVE store refuses puts.
type BrokerRole string

// Broker roles.
const (
	AsyncMaster BrokerRole = "ASYNC_MASTER"
	SyncMaster  BrokerRole = "SYNC_MASTER"
	Slave       BrokerRole = "SLAVE"
)

// Options configure a Store. Field names are upstream's MessageStoreConfig
// keys; sizes are bytes, intervals milliseconds and fileReservedTime hours,
// as upstream writes them. DefaultOptions holds upstream's defaults.
type Options struct {
	StorePathRootDir string
	// The paths below derive from StorePathRootDir when empty (see Paths).
	StorePathCommitLog    string
	StorePathConsumeQueue string
	StorePathIndex        string
	StoreCheckpoint       string
	AbortFile             string

	MappedFileSizeCommitLog    int // bytes per commit log segment
	MappedFileSizeConsumeQueue int // bytes per consume queue file, a multiple of 20

	FlushDiskType                     FlushDiskType
	BrokerRole                        BrokerRole
	SyncFlushTimeout                  int // ms a SYNC_FLUSH put waits for its fsync
	FlushIntervalCommitLog            int // ms between ASYNC_FLUSH passes
	FlushCommitLogLeastPages          int // dirty 4 KiB pages before an ASYNC_FLUSH pass syncs
	FlushCommitLogThoroughInterval    int // ms after which a pass syncs regardless of pages
	FlushCommitLogTimed               bool
	FlushIntervalConsumeQueue         int
	FlushConsumeQueueLeastPages       int
	FlushConsumeQueueThoroughInterval int

	MaxMessageSize              int // body limit; the record may add 64 KiB
	CheckCRCOnRecover           bool
	OSPageCacheBusyTimeOutMills int64

	DeleteWhen                   string // hours of the day, "04" or "04;10"
	FileReservedTime             int    // hours
	DiskMaxUsedSpaceRatio        int    // percent, clamped to [10, 95]
	DiskSpaceWarningLevelRatio   float64
	DiskSpaceCleanForciblyRatio  float64
	CleanFileForciblyEnable      bool
	CleanResourceInterval        int // ms between cleanup passes
	DeleteCommitLogFilesInterval int // ms between two segment deletions
	// DeleteConsumeQueueFilesInterval, DestroyMapedFileIntervalForcibly and
	// RedeleteHangedFileInterval are accepted so upstream configurations
	// load, but change nothing: consume queue files of all queues go in one
	// pass, and a deleted segment is unlinked at once and unmapped when its
	// last reader releases it, so no file ever hangs waiting for readers.
	DeleteConsumeQueueFilesInterval  int
	DestroyMapedFileIntervalForcibly int
	RedeleteHangedFileInterval       int

	MessageIndexEnable bool
	MessageIndexSafe   bool
	MaxHashSlotNum     int
	MaxIndexNum        int
	MaxMsgsNumBatch    int // cap on QueryMessage results

	MaxTransferBytesOnMessageInMemory int
	MaxTransferCountOnMessageInMemory int
	MaxTransferBytesOnMessageInDisk   int
	MaxTransferCountOnMessageInDisk   int
	AccessMessageInMemoryMaxRatio     int // percent of RAM
	OffsetCheckInSlave                bool

	// MessageDelayLevel lists the delay levels, 1-based: "1s 5s 10s 30s 1m".
	MessageDelayLevel string

	// Logger receives operational messages; nil means slog.Default().
	Logger *slog.Logger

	// MessageArrived, when set, is called by the dispatcher for every message
	// it adds to a consume queue, so the broker can wake held pulls. It runs
	// on the dispatcher goroutine and must not block; properties is a view
	// valid only during the call.
	MessageArrived func(a Arrival)

	// Seams for tests; nil means the real thing.
	Now       func() time.Time                   // wall clock (store times, expiry hours)
	DiskUsage func(path string) (float64, error) // used fraction of path's file system, 0..1
	Syncer    segment.Syncer                     // how segments are forced to disk
	// TotalPhysicalMemory is the RAM size the in-memory/on-disk read rules
	// use; 0 means ask the OS.
	TotalPhysicalMemory int64
}

// Arrival describes one dispatched message, for long polling.
type Arrival struct {
	Topic          string
	QueueID        int32
	NextOffset     int64 // queue offset after this message
	TagsCode       int64
	StoreTimestamp int64
	Properties     []byte // view: valid only during the callback
}

// DefaultOptions returns upstream's 4.9.8 defaults rooted at root.
func DefaultOptions(root string) Options {
	return Options{
		StorePathRootDir:                  root,
		MappedFileSizeCommitLog:           1 << 30,
		MappedFileSizeConsumeQueue:        consumequeue.DefaultUnitsPerFile * consumequeue.UnitSize,
		FlushDiskType:                     AsyncFlush,
		BrokerRole:                        AsyncMaster,
		SyncFlushTimeout:                  5000,
		FlushIntervalCommitLog:            500,
		FlushCommitLogLeastPages:          4,
		FlushCommitLogThoroughInterval:    10_000,
		FlushCommitLogTimed:               true,
		FlushIntervalConsumeQueue:         1000,
		FlushConsumeQueueLeastPages:       2,
		FlushConsumeQueueThoroughInterval: 60_000,
		MaxMessageSize:                    4 << 20,
		CheckCRCOnRecover:                 true,
		OSPageCacheBusyTimeOutMills:       1000,
		DeleteWhen:                        "04",
		FileReservedTime:                  72,
		DiskMaxUsedSpaceRatio:             75,
		DiskSpaceWarningLevelRatio:        0.90,
		DiskSpaceCleanForciblyRatio:       0.85,
		CleanFileForciblyEnable:           true,
		CleanResourceInterval:             10_000,
		DeleteCommitLogFilesInterval:      100,
		DeleteConsumeQueueFilesInterval:   100,
		DestroyMapedFileIntervalForcibly:  120_000,
		RedeleteHangedFileInterval:        120_000,
		MessageIndexEnable:                true,
		MaxHashSlotNum:                    5_000_000,
		MaxIndexNum:                       5_000_000 * 4,
		MaxMsgsNumBatch:                   64,
		MaxTransferBytesOnMessageInMemory: 256 << 10,
		MaxTransferCountOnMessageInMemory: 32,
		MaxTransferBytesOnMessageInDisk:   64 << 10,
		MaxTransferCountOnMessageInDisk:   8,
		AccessMessageInMemoryMaxRatio:     40,
		MessageDelayLevel:                 "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h",
	}
}

// Paths are the store's files and directories.
type Paths struct {
	Root         string
	CommitLog    string
	ConsumeQueue string
	Index        string
	Checkpoint   string
	Abort        string
	Lock         string
	Config       string // topics.json, consumerOffset.json, ... (written by store/jsonfile users)
}

// Paths resolves the store paths: each one set in the options wins, the rest
// derive from StorePathRootDir with upstream's names.
func (o *Options) Paths() Paths {
	or := func(set, name string) string {
		if set != "" {
			return set
		}
		return filepath.Join(o.StorePathRootDir, name)
	}
	return Paths{
		Root:         o.StorePathRootDir,
		CommitLog:    or(o.StorePathCommitLog, "commitlog"),
		ConsumeQueue: or(o.StorePathConsumeQueue, "consumequeue"),
		Index:        or(o.StorePathIndex, "index"),
		Checkpoint:   or(o.StoreCheckpoint, "checkpoint"),
		Abort:        or(o.AbortFile, "abort"),
		Lock:         filepath.Join(o.StorePathRootDir, "lock"),
		Config:       filepath.Join(o.StorePathRootDir, "config"),
	}
}

// settings are the options turned into the types the store works with.
type settings struct {
	delayLevels []time.Duration // index level-1
	deleteHours map[int]bool
	unitsPerCQ  int
}

// sizeLimits bound what a put may store; SetMaxMessageSize swaps them
// whole, so a put checks a body and its record against the same setting.
type sizeLimits struct {
	body   int // maxMessageSize: a message's body, a batch's bodies together
	record int // maxMessageSize + 64 KiB for the rest of the record
}

// newSizeLimits derives the limits from maxMessageSize. A record that
// cannot fit an empty segment could never be stored: the record limit is
// capped there instead of failing every such put at append time.
func newSizeLimits(maxMessageSize, segmentSize int) *sizeLimits {
	return &sizeLimits{
		body:   maxMessageSize,
		record: min(maxMessageSize+64<<10, segmentSize-commitlog.BlankMinLength),
	}
}

// check validates the options, naming the key of the first bad value.
func (o *Options) check() (settings, error) {
	var st settings
	bad := func(key string, format string, args ...any) (settings, error) {
		return st, fmt.Errorf("store option %s: %s", key, fmt.Sprintf(format, args...))
	}
	if o.StorePathRootDir == "" {
		return bad("storePathRootDir", "empty")
	}
	if o.MappedFileSizeCommitLog < 64<<10 {
		return bad("mappedFileSizeCommitLog", "%d is below 64 KiB", o.MappedFileSizeCommitLog)
	}
	if o.MappedFileSizeConsumeQueue < consumequeue.UnitSize {
		return bad("mappedFileSizeConsumeQueue", "%d is below one unit", o.MappedFileSizeConsumeQueue)
	}
	// Upstream rounds a size that is not a multiple of 20 up to one.
	st.unitsPerCQ = (o.MappedFileSizeConsumeQueue + consumequeue.UnitSize - 1) / consumequeue.UnitSize
	switch o.FlushDiskType {
	case AsyncFlush, SyncFlush:
	default:
		return bad("flushDiskType", "%q is not ASYNC_FLUSH or SYNC_FLUSH", o.FlushDiskType)
	}
	switch o.BrokerRole {
	case AsyncMaster, SyncMaster, Slave:
	default:
		return bad("brokerRole", "%q is not ASYNC_MASTER, SYNC_MASTER or SLAVE", o.BrokerRole)
	}
	positive := []struct {
		key string
		v   int
	}{
		{"syncFlushTimeout", o.SyncFlushTimeout},
		{"flushIntervalCommitLog", o.FlushIntervalCommitLog},
		{"flushIntervalConsumeQueue", o.FlushIntervalConsumeQueue},
		{"maxMessageSize", o.MaxMessageSize},
		{"cleanResourceInterval", o.CleanResourceInterval},
		{"maxTransferBytesOnMessageInMemory", o.MaxTransferBytesOnMessageInMemory},
		{"maxTransferCountOnMessageInMemory", o.MaxTransferCountOnMessageInMemory},
		{"maxTransferBytesOnMessageInDisk", o.MaxTransferBytesOnMessageInDisk},
		{"maxTransferCountOnMessageInDisk", o.MaxTransferCountOnMessageInDisk},
		{"maxMsgsNumBatch", o.MaxMsgsNumBatch},
	}
	for _, p := range positive {
		if p.v <= 0 {
			return bad(p.key, "%d must be positive", p.v)
		}
	}
	if o.FlushCommitLogLeastPages < 0 || o.FlushConsumeQueueLeastPages < 0 {
		return bad("flushCommitLogLeastPages", "negative page count")
	}
	if o.FileReservedTime < 0 {
		return bad("fileReservedTime", "%d hours is negative", o.FileReservedTime)
	}
	if o.AccessMessageInMemoryMaxRatio < 0 || o.AccessMessageInMemoryMaxRatio > 100 {
		return bad("accessMessageInMemoryMaxRatio", "%d is not a percentage", o.AccessMessageInMemoryMaxRatio)
	}
	if o.MessageIndexEnable && (o.MaxHashSlotNum <= 0 || o.MaxIndexNum <= 0) {
		return bad("maxHashSlotNum", "slots %d and entries %d must be positive", o.MaxHashSlotNum, o.MaxIndexNum)
	}
	for _, r := range []struct {
		key string
		v   float64
	}{{"diskSpaceWarningLevelRatio", o.DiskSpaceWarningLevelRatio}, {"diskSpaceCleanForciblyRatio", o.DiskSpaceCleanForciblyRatio}} {
		if r.v <= 0 || r.v > 1 {
			return bad(r.key, "%v is not a fraction in (0, 1]", r.v)
		}
	}
	var err error
	if st.delayLevels, err = parseDelayLevels(o.MessageDelayLevel); err != nil {
		return bad("messageDelayLevel", "%v", err)
	}
	if st.deleteHours, err = parseHours(o.DeleteWhen); err != nil {
		return bad("deleteWhen", "%v", err)
	}
	return st, nil
}

func parseDelayLevels(s string) ([]time.Duration, error) {
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour}
	var levels []time.Duration
	for _, f := range strings.Fields(s) {
		u, ok := unit[f[len(f)-1]]
		n, err := strconv.Atoi(f[:len(f)-1])
		if !ok || err != nil || n <= 0 {
			return nil, fmt.Errorf("level %d %q: want a positive number and a unit s, m, h or d", len(levels)+1, f)
		}
		levels = append(levels, time.Duration(n)*u)
	}
	if len(levels) == 0 {
		return nil, fmt.Errorf("no delay levels")
	}
	return levels, nil
}

func parseHours(s string) (map[int]bool, error) {
	hours := map[int]bool{}
	for _, f := range strings.Split(s, ";") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		h, err := strconv.Atoi(f)
		if err != nil || h < 0 || h > 23 {
			return nil, fmt.Errorf("%q is not an hour 0-23", f)
		}
		hours[h] = true
	}
	if len(hours) == 0 {
		return nil, fmt.Errorf("no hours in %q", s)
	}
	return hours, nil
}

// totalMemory reads MemTotal from /proc/meminfo.
func totalMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 8 << 30
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			if kb, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				return kb << 10
			}
		}
	}
	return 8 << 30
}
