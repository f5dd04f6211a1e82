// Package indexfile owns the hash index that answers "which messages carry
// this key": upstream's IndexFile, byte for byte.
//
// Each file is a 40-byte header, a table of hash slots and an entry area:
//
//	header  beginTimestamp int64, endTimestamp int64, beginPhyOffset int64,
//	        endPhyOffset int64, hashSlotCount int32, indexCount int32
//	slots   Slots x int32: the newest entry number in the bucket, 0 = empty
//	entries MaxEntries x {keyHash int32, phyOffset int64,
//	        timeDiff int32 (seconds since beginTimestamp), prevIndex int32}
//
// all big-endian. With upstream's sizes (5,000,000 slots, 20,000,000 entries)
// a file is 420,000,040 bytes; it is created sparse, as Java's setLength
// does, so untouched pages cost no disk. Bytes get disk blocks (fallocate)
// before they are first written, though: header and slots when the file is
// created, the entry area 1 MiB ahead of the entries. Writing a hole through
// the mapping on a full disk raises SIGBUS and kills the process; this way
// Put returns the error and writes nothing. Entry 0 is never used (0 means
// "none"), so indexCount starts at 1 and a file is full at MaxEntries.
//
// Keys are "topic#key". The key hash is |Java String.hashCode(key)|, with
// Integer.MIN_VALUE (whose absolute value is still negative) mapped to 0, and
// the slot is hash mod Slots. Entries with the same slot form a chain through
// prevIndex, newest first. Collisions are not resolved here: a query returns
// every offset whose hash matches and the caller compares the real keys of
// the messages it reads back.
//
// Files live in <store>/index/ and are named by their creation time in local
// time, yyyyMMddHHmmssSSS; two files created in the same millisecond get
// consecutive names so the names always sort in creation order. A full file
// is followed by a new one whose header starts at the previous file's end
// offsets and timestamps, and the full file is flushed in the background
// (Options.OnFull then reports its end time, for the checkpoint's
// indexMsgTimestamp).
//
// Put is for one writer (the dispatcher) and skips a message whose commit log
// offset is below the last file's endPhyOffset, which makes re-dispatch after
// a crash idempotent. Query runs concurrently with Put: a reader loads the
// entry count before it follows a slot, and the writer publishes the count
// only after the entry and the slot are written, so a reader never follows a
// half-written entry. Queries walk files newest first and stop at a chain end,
// an invalid or non-decreasing prev pointer (so corrupt files cannot loop), an
// entry older than the range, or max results.
//
// # Surviving a kill inside Put
//
// A killed process leaves in the page cache every byte it wrote to the
// mapping and nothing after. Put writes in this order, the slot and the count
// each with one aligned 4-byte store (never half old, half new):
//
//  1. entry n (n = indexCount), begin offset and time for the first entry,
//     hashSlotCount;
//  2. the slot, now pointing at n;
//  3. indexCount = n+1;
//  4. endPhyOffset and endTimestamp.
//
// Killed in step 1, the file holds garbage past the count that nothing
// points at; the next put overwrites it. Killed after step 3, the entry is
// in and at worst endPhyOffset lags, so re-dispatch indexes the message once
// more (the store drops duplicate offsets). Killed between 2 and 3, the slot
// points at n while the count says n is free: readers would take the slot
// for empty and the next put would overwrite entry n, cutting every older key
// of the slot off its chain. Loading therefore checks entry n: when the slot
// of its hash points at it, the slot gets back the entry's prevIndex, written
// before the slot. Either way endPhyOffset has not passed the message (step
// 4 comes last and Put skips only offsets strictly below it), so re-dispatch
// indexes it again. An empty file also takes the previous file's end as its
// begin and end when loaded, in case the kill came before its header was
// written.
//
// One deliberate difference from upstream: the first entry of a file gets
// timeDiff 0. Upstream computes it from the previous file's end and then
// moves beginTimestamp to the entry's own time, so that entry's time reads
// late and a query for its exact time misses it.
//
// A power failure is another matter: pages reach the disk in any order and
// only full files are flushed, so nothing above holds. Upstream deletes,
// after an abnormal exit, every file whose endTimestamp is past the
// checkpoint's indexMsgTimestamp, and re-dispatch rebuilds them. DropFrom
// lets the store do that: it shows each file's end time, last indexed
// offset and fullness, and drops the first file the store rejects together
// with every later one, so the kept files stay a prefix that re-dispatch
// from MaxPhyOffset completes.
package indexfile
