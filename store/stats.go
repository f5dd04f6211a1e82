package store

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// distributionLabels are upstream's putMessageDistributeTime buckets.
var distributionLabels = [13]string{
	"[<=0ms]", "[0~10ms]", "[10~50ms]", "[50~100ms]", "[100~200ms]", "[200~500ms]",
	"[500ms~1s]", "[1~2s]", "[2~3s]", "[3~4s]", "[4~5s]", "[5~10s]", "[10s~]",
}

var distributionBounds = [12]int64{1, 10, 50, 100, 200, 500, 1000, 2000, 3000, 4000, 5000, 10000}

// bucketOf maps a put time in ms to its distribution bucket.
func bucketOf(ms int64) int {
	for i, b := range distributionBounds {
		if ms < b {
			return i
		}
	}
	return len(distributionBounds)
}

// latencyWindow counts put times of one minute: upstream's 13 buckets, and
// 1 ms buckets below 10 s for the 99th/99.9th percentiles.
type latencyWindow struct {
	dist [13]atomic.Int64
	fine [10001]atomic.Int64 // [10000] holds everything from 10 s up
}

func (w *latencyWindow) add(ms int64) {
	w.dist[bucketOf(ms)].Add(1)
	w.fine[min(max(ms, 0), 10000)].Add(1)
}

func (w *latencyWindow) percentile(p float64) float64 {
	var total int64
	for i := range w.fine {
		total += w.fine[i].Load()
	}
	if total == 0 {
		return 0
	}
	want := int64(math.Ceil(p * float64(total)))
	var seen int64
	for i := range w.fine {
		if seen += w.fine[i].Load(); seen >= want {
			return float64(i)
		}
	}
	return 10000
}

type topicStat struct {
	times atomic.Int64
	size  atomic.Int64
}

// sample is one per-second snapshot of the counters, for the TPS figures.
type sample struct {
	at                           time.Time
	put, found, miss, transfered int64
}

// stats are the store's counters (upstream's StoreStatsService).
type stats struct {
	boot time.Time

	putTimes  atomic.Int64 // messages stored
	putSize   atomic.Int64 // bytes stored
	putFailed atomic.Int64
	putMaxMs  atomic.Int64
	getMaxMs  atomic.Int64

	getFound, getMiss, getTransfered atomic.Int64

	window atomic.Pointer[latencyWindow] // the current minute
	last   atomic.Pointer[latencyWindow] // the previous minute (what is reported)

	mu      sync.RWMutex
	topics  map[string]*topicStat
	samples []sample // last 601 seconds
}

func newStats(now time.Time) *stats {
	st := &stats{boot: now, topics: make(map[string]*topicStat)}
	st.window.Store(new(latencyWindow))
	st.last.Store(new(latencyWindow))
	st.samples = []sample{{at: time.Now()}}
	return st
}

func storeMax(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

func (st *stats) recordPut(topic string, res PutResult, took time.Duration) {
	ms := took.Milliseconds()
	st.window.Load().add(ms)
	storeMax(&st.putMaxMs, ms)
	if !res.Status.Stored() {
		st.putFailed.Add(1)
		return
	}
	st.putTimes.Add(int64(res.MsgNum))
	st.putSize.Add(int64(res.WroteBytes))
	st.mu.RLock()
	ts := st.topics[topic]
	st.mu.RUnlock()
	if ts == nil {
		st.mu.Lock()
		if ts = st.topics[topic]; ts == nil {
			ts = new(topicStat)
			st.topics[topic] = ts
		}
		st.mu.Unlock()
	}
	ts.times.Add(int64(res.MsgNum))
	ts.size.Add(int64(res.WroteBytes))
}

func (st *stats) recordGet(res *GetResult, took time.Duration) {
	storeMax(&st.getMaxMs, took.Milliseconds())
	if res.Status == Found {
		st.getFound.Add(1)
		st.getTransfered.Add(int64(len(res.Messages)))
	} else {
		st.getMiss.Add(1)
	}
}

// run samples the counters every second and rotates the latency window
// every minute.
func (st *stats) run(stop <-chan struct{}) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastRotate := time.Now()
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			st.sampleNow(now)
			if now.Sub(lastRotate) >= time.Minute {
				st.last.Store(st.window.Swap(new(latencyWindow)))
				lastRotate = now
			}
		}
	}
}

func (st *stats) sampleNow(now time.Time) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.samples = append(st.samples, sample{now, st.putTimes.Load(), st.getFound.Load(), st.getMiss.Load(), st.getTransfered.Load()})
	if len(st.samples) > 601 {
		st.samples = append(st.samples[:0], st.samples[len(st.samples)-601:]...)
	}
}

// tps is the rate of one counter over the last secs seconds.
func (st *stats) tps(secs int, value func(sample) int64) float64 {
	st.mu.RLock()
	defer st.mu.RUnlock()
	n := len(st.samples)
	if n < 2 {
		return 0
	}
	last := st.samples[n-1]
	first := st.samples[max(n-1-secs, 0)]
	d := last.at.Sub(first.at).Seconds()
	if d <= 0 {
		return 0
	}
	return float64(value(last)-value(first)) / d
}

func (st *stats) tpsTriple(value func(sample) int64) string {
	return javaDouble(st.tps(10, value)) + " " + javaDouble(st.tps(60, value)) + " " + javaDouble(st.tps(600, value))
}

// TopicPutStats is the number of messages and bytes stored for topic.
func (s *Store) TopicPutStats(topic string) (times, size int64) {
	s.stats.mu.RLock()
	ts := s.stats.topics[topic]
	s.stats.mu.RUnlock()
	if ts == nil {
		return 0, 0
	}
	return ts.times.Load(), ts.size.Load()
}

// PutMessageTimesTotal is the number of messages stored since Open.
func (s *Store) PutMessageTimesTotal() int64 { return s.stats.putTimes.Load() }

// PutMessageSizeTotal is the number of bytes stored since Open.
func (s *Store) PutMessageSizeTotal() int64 { return s.stats.putSize.Load() }

// RuntimeInfo returns the store's figures under upstream's key names (the
// store part of the broker's brokerStatus output).
func (s *Store) RuntimeInfo() map[string]string {
	st := s.stats
	m := make(map[string]string, 32)
	times := st.putTimes.Load()
	m["bootTimestamp"] = strconv.FormatInt(st.boot.UnixMilli(), 10)
	m["runtime"] = formatRuntime(s.now().Sub(st.boot))
	m["putMessageEntireTimeMax"] = strconv.FormatInt(st.putMaxMs.Load(), 10)
	m["putMessageTimesTotal"] = strconv.FormatInt(times, 10)
	m["putMessageFailedTimes"] = strconv.FormatInt(st.putFailed.Load(), 10)
	m["putMessageSizeTotal"] = strconv.FormatInt(st.putSize.Load(), 10)
	m["putMessageDistributeTime"] = formatDistribution(st.last.Load())
	m["putMessageAverageSize"] = javaDouble(float64(st.putSize.Load()) / float64(max(times, 1)))
	m["dispatchMaxBuffer"] = "0" // upstream declares it but never sets it: always 0 there too
	m["getMessageEntireTimeMax"] = strconv.FormatInt(st.getMaxMs.Load(), 10)
	m["putTps"] = st.tpsTriple(func(x sample) int64 { return x.put })
	m["getFoundTps"] = st.tpsTriple(func(x sample) int64 { return x.found })
	m["getMissTps"] = st.tpsTriple(func(x sample) int64 { return x.miss })
	m["getTotalTps"] = st.tpsTriple(func(x sample) int64 { return x.found + x.miss })
	m["getTransferedTps"] = st.tpsTriple(func(x sample) int64 { return x.transfered })
	m["putLatency99"] = fmt.Sprintf("%.2f", st.last.Load().percentile(0.99))
	m["putLatency999"] = fmt.Sprintf("%.2f", st.last.Load().percentile(0.999))

	clRatio := s.diskUsage(s.paths.CommitLog)
	m["commitLogDiskRatio"] = javaDouble(clRatio)
	m["commitLogDiskRatio_"+s.paths.CommitLog] = javaDouble(clRatio)
	m["consumeQueueDiskRatio"] = javaDouble(s.diskUsage(s.paths.ConsumeQueue))
	m["commitLogMinOffset"] = strconv.FormatInt(s.CommitLogMinOffset(), 10)
	m["commitLogMaxOffset"] = strconv.FormatInt(s.CommitLogMaxOffset(), 10)
	m["dispatchBehindBytes"] = strconv.FormatInt(s.DispatchBehindBytes(), 10)
	m["pageCacheLockTimeMills"] = strconv.FormatInt(s.LockTimeMills(), 10)
	m["earliestMessageTimeStamp"] = strconv.FormatInt(s.EarliestMessageTime(), 10)
	m["remainTransientStoreBufferNumbs"] = strconv.Itoa(math.MaxInt32) // no transient store pool
	m["remainHowManyDataToFlush"] = humanBytes(s.CommitLogMaxOffset() - s.CommitLogFlushedOffset())
	var fs syscall.Statfs_t
	if err := syscall.Statfs(s.paths.Root, &fs); err == nil {
		m["commitLogDirCapacity"] = fmt.Sprintf("Total : %s, Free : %s.",
			humanBytes(int64(fs.Blocks)*fs.Bsize), humanBytes(int64(fs.Bavail)*fs.Bsize))
	}
	return m
}

func formatDistribution(w *latencyWindow) string {
	var b strings.Builder
	for i, label := range distributionLabels {
		fmt.Fprintf(&b, "%s:%d ", label, w.dist[i].Load())
	}
	return b.String()
}

func formatRuntime(d time.Duration) string {
	secs := int64(d.Seconds())
	return fmt.Sprintf("[ %d days, %d hours, %d minutes, %d seconds ]",
		secs/86400, secs%86400/3600, secs%3600/60, secs%60)
}

// humanBytes is upstream's humanReadableByteCount(bytes, false): "0 B",
// "1.5 KiB", "16.4 GiB".
func humanBytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	exp := int(math.Log(float64(n)) / math.Log(1024))
	return fmt.Sprintf("%.1f %ciB", float64(n)/math.Pow(1024, float64(exp)), "KMGTPE"[exp-1])
}

// javaDouble formats like Java's Double.toString for the ranges the stats
// produce: "0.0", "383.119957537155", "1.4576997471750981E-5".
func javaDouble(v float64) string {
	a := math.Abs(v)
	if a == 0 || (a >= 1e-3 && a < 1e7) {
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(v, 'E', -1, 64) // 1.4576997471750981E-05
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(exp, "+-0")
	if neg {
		exp = "-" + exp
	}
	return mant + "E" + exp
}
