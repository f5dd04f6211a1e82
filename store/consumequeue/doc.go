// Package consumequeue owns the per-queue index of the commit log: for every
// message of a topic queue, one 20-byte unit that says where the message sits
// in the commit log.
//
// A unit is, big-endian: commit log offset (int64), record size (int32) and
// tags code (int64). Unit n of a queue is at logical byte offset n*20 and
// lives in <root>/<topic>/<queueId>/<20-digit byte offset of the file's first
// unit>, each file holding unitsPerFile units (300,000 by default, so files of
// 6,000,000 bytes as upstream writes them). Files are store/segment files.
//
// # Writing
//
// The dispatcher calls Put with the queue offset the commit log assigned.
// Put follows upstream's rules:
//
//   - a unit whose commit log end (offset+size) is at or below the queue's
//     MaxPhyOffset is already there: Put is a no-op, so re-dispatch after a
//     crash is harmless;
//   - a queue offset below the end is accepted only if that unit already
//     holds the same message; otherwise Put refuses with ErrConflict rather
//     than rewrite history;
//   - the first file of a queue that starts at a non-zero offset (a fresh
//     slave, or a queue whose files were all truncated away) is padded with
//     blank units {0, MaxInt32, 0} up to the offset, and MinOffset starts
//     there;
//   - a queue offset past the end is a hole: it is filled with blank units so
//     every unit lands at its own logical offset (upstream logs a bug and
//     appends at the end instead). Holes longer than one file are refused.
//
// # Surviving a crash mid-unit
//
// Bytes past the end of a queue are always zero (recovery and Truncate wipe
// what they cut), and a unit is valid only once its size is positive. Put
// writes the tags code and the offset first and the size last, with one
// store instruction, so a process killed at any point leaves either the whole
// unit or one with size 0, which recovery treats as the end of the queue;
// re-dispatch then writes it again.
//
// A power failure can do worse. Units are 20 bytes and files start on page
// boundaries, so four page boundaries in five cut a unit (4096 = 204*20+16),
// and the two pages may reach the disk at different times: the unit comes
// back with its first or last 4, 8, 12 or 16 bytes still zero, for instance
// a real size and tags code with offset 0, or the right offset and size
// with tags code 0. Recovery cannot tell such a unit from a real one without
// the commit log. Put can: re-dispatch after the crash brings every recent
// unit again, and a unit on disk that equals it except for a zero head or
// tail at a multiple of 4 bytes is rewritten (whether or not the queue
// already reached that message); any other difference is still a conflict.
//
// # Reading
//
// Get and Range decode units straight from the mapped files, holding each
// file only while reading it; nothing is copied into an intermediate buffer.
// Readers run concurrently with Put. Range hands over every unit, blanks
// included, so callers can advance past them; Unit.IsMessage tells a real
// message from a blank filler or a unit of all zeros.
//
// # Recovery and expiry
//
// Open loads the files and recovers the queue as upstream does: it scans from
// the third-last file and stops at the first unit that is not valid (offset <
// 0 or size <= 0, which includes a unit of all zeros not yet written), drops
// files after it and wipes stale bytes past it. Truncate cuts the queue back
// when the commit log turned out shorter. DeleteBefore removes head files whose
// last unit points below the commit log's new minimum, and CorrectMinOffset
// moves MinOffset to the first unit that still points into the commit log,
// skipping a leading blank area.
//
// Flushing policy (flushConsumeQueueLeastPages, the 60 s thorough flush) is
// the caller's: Flush syncs everything, FlushLeast(pages) only files with at
// least that many dirty pages.
//
// A Set holds every queue under one root, keyed by topic and queue id.
package consumequeue
