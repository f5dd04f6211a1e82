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
// does, so untouched pages cost no disk. Entry 0 is never used (0 means
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
package indexfile
