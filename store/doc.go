// Package store is the message store: one commit log holding every message,
// a consume queue per topic queue pointing into it, a key index, and the
// services that keep them flushed, consistent and within their disk budget.
//
// # Writing
//
// PutMessage and PutMessages validate the input (closed or slave store,
// disk full, page cache busy, topic and properties limits, maxMessageSize),
// rewrite a delayed message into SCHEDULE_TOPIC_XXXX, then take the put
// lock. Under it the store time is taken (never decreasing), the queue
// offset is looked up in the per-queue table and the record is encoded
// straight into the mapped commit log segment (store/commitlog). Prepared
// and rolled-back transaction records take queue offset 0 and do not
// advance the queue. After the lock the put waits for its flush:
//
//   - SYNC_FLUSH is a group commit. A writer whose message has WAIT (the
//     default) registers and sleeps; the flusher goroutine syncs everything
//     appended so far (two tries) and wakes every writer its sync covered,
//     so concurrent writers share one fsync. A writer still waiting after
//     syncFlushTimeout gets FLUSH_DISK_TIMEOUT (its message stays stored);
//     a watchdog wakes waiters every 10 ms so a hung sync cannot hold them.
//   - PutMessageAsync and PutMessagesAsync append and return; under
//     SYNC_FLUSH the put waits in the group commit's pending list instead
//     of a goroutine, and its callback runs in the flusher (covered or
//     failed), the watchdog (deadline) or the flusher's last pass on
//     stop, exactly once. A broker send worker thus never waits for the
//     disk. Results known at once are answered before the call returns.
//   - ASYNC_FLUSH answers at once; a goroutine syncs every
//     flushIntervalCommitLog ms once flushCommitLogLeastPages pages are
//     dirty, and everything every flushCommitLogThoroughInterval ms.
//
// # Dispatch
//
// One dispatcher goroutine (upstream's ReputMessageService) follows the
// commit log, woken by every put, and for each record writes its consume
// queue unit (transaction types NOT and COMMIT only), its index entries
// ("topic#key" for UNIQ_KEY and every KEYS token, all but ROLLBACK) and calls
// Options.MessageArrived for long polling. A message is readable through
// GetMessage once dispatched; DispatchBehindBytes is the lag and
// WaitDispatched waits for it to close.
//
// # Reading and view lifetime
//
// GetMessage, QueryMessage and SelectOneMessageByOffset return records as
// views into the mapped commit log, not copies. Each result holds the
// segments it points into: the views stay valid, even if expiry deletes or
// Close unmaps those segments meanwhile, until the caller calls Release,
// exactly once. Never touch a view after Release. LookMessageByOffset
// decodes into a copy instead.
//
// # Files, recovery order and crash safety
//
// Under the root: commitlog/, consumequeue/<topic>/<queueId>/, index/,
// checkpoint (physic, logics and index store times, §5.1 layout), abort
// (exists while the store is open), lock (flock'd: one opener at a time)
// and config/ (the broker's JSON files, written through store/jsonfile).
//
// Open: take the lock; "abort exists" means the last exit was a crash; load
// the commit log segments and the consume queues (each queue recovers its
// own tail); read the checkpoint; scan the commit log with CRC checks from
// the third-last segment (clean exit) or from the newest segment older than
// the checkpoint's min timestamp (crash), stopping at the first invalid
// record. The log is cut there: a segment damaged mid-way (a good record
// follows the bad one) is first copied to <name>.bad, later segments that
// hold data are renamed to <name>.bad, nothing with data is deleted.
// Consume queue units past the end are dropped, and index files holding
// entries past it are dropped too; after a crash, so is every index file
// not known to be flushed (not full, or ending after the checkpoint's index
// time, upstream's IndexService rule) and every file after it, and the
// re-dispatch rebuilds them, so no key is lost. The dispatcher then starts at the lowest
// of the consume queues' end, the index's end and (after a crash) the scan
// start, and catches up before Open returns, so the queue offset table
// built from the consume queues afterwards is complete. Finally the
// services start and the abort file is created.
//
// Close refuses new puts, stops the services in reverse start order (the
// dispatcher dispatches what is left, the flusher syncs a last time and
// answers every waiter), flushes the consume queues, index and checkpoint,
// and removes the abort file only when everything was dispatched and
// written.
//
// # Goroutines
//
// Each service is one goroutine started by Open with its own stop channel
// and stopped by Close, in reverse order: the commit log flusher (and, for
// SYNC_FLUSH, its watchdog), the dispatcher, the consume queue flusher
// (flushIntervalConsumeQueue; a full flush and a checkpoint write every
// flushConsumeQueueThoroughInterval), the cleaner (cleanResourceInterval)
// and the stats sampler (1 s).
//
// # Expiry and disk space
//
// The cleaner deletes commit log segments, oldest first and never the last,
// whose modification time is fileReservedTime hours old, when the hour is in
// deleteWhen, or at once when disk usage is above diskMaxUsedSpaceRatio, or
// after DeleteExpiredFiles. Above diskSpaceCleanForciblyRatio it deletes
// regardless of age; above diskSpaceWarningLevelRatio the store also refuses
// puts (SERVICE_NOT_AVAILABLE) until usage drops. Consume queue and index
// files that only point below the new commit log head go next. A deleted
// segment stays mapped until its last reader releases it, so deletion never
// waits for readers (destroyMapedFileIntervalForcibly has nothing to force).
// Options.Now and Options.DiskUsage let tests drive all of this. SetExpiry
// changes deleteWhen, fileReservedTime, diskMaxUsedSpaceRatio,
// cleanFileForciblyEnable, cleanResourceInterval and
// deleteCommitLogFilesInterval of a running store (cleancq.go, expiry.go).
//
// CleanExpiredQueues (mqadmin cleanExpiredCQ) removes whole consume queues
// whose last message lies below the commit log head, sparing the schedule
// topic, as upstream. Unlike upstream each such queue keeps its offsets:
// its next message continues at the old max offset, also after a restart
// (expiredQueueOffsets.json in the config directory), until its topic is
// deleted; meanwhile it reads as an empty queue whose min and max are that
// offset, so consumers are told where to continue instead of going back
// to 0.
//
// SetMaxMessageSize changes maxMessageSize of a running store (mqadmin
// updateBrokerConfig); the body and record limits are swapped together.
// CommitLogSyncs counts the commit log's fsyncs, for benchmarks that
// report messages per sync.
//
// # Lock order
//
// The put lock is the only store-level lock on the write path; the leaves
// take their own locks inside it (segment list, then file). The dispatcher
// takes no store lock. Readers take none either: positions are atomic and
// segments are pinned with Hold/Release.
package store
