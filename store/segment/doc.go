// Package segment owns the memory-mapped, fixed-size files the store is
// built from, and ordered lists of them in one directory.
//
// A File is created at its full size (preallocated with fallocate, falling
// back to ftruncate), mapped read/write with MAP_SHARED and named by the
// 20-digit zero-padded logical offset of its first byte, so
// "00000000001073741824" holds offsets [1073741824, 1073741824+size). The
// commit log, the consume queues and their tests all use this naming.
//
// # Positions
//
// Every File tracks two positions, both read and written atomically:
//
//   - wrote: bytes appended so far. Append and AppendWith copy or fill bytes
//     at wrote and only then publish the new wrote, so a reader that sees a
//     position also sees the bytes below it.
//   - flushed: bytes known to be on stable storage. Flush syncs [flushed,
//     wrote) through the File's Syncer and advances flushed only when the
//     sync succeeded, so a failed fsync is never reported as durable.
//
// Appending is single-writer: the owner (the commit log's put lock, a consume
// queue's lock) serialises Append, AppendWith, SetWrotePosition and
// ZeroRange. Readers may run concurrently with the writer.
//
// # Views and their lifetime
//
// Slice returns a view into the mapping, not a copy. A view is valid only
// while the reader holds the File:
//
//	if !f.Hold() {
//		return errGone // closed or destroyed: the file is going away
//	}
//	b, err := f.Slice(pos, n)
//	... use b ...
//	f.Release() // b must not be touched after this
//
// Close and Destroy do not wait for readers. They mark the File closed (Hold
// then fails) and drop the owner's reference; the mapping is unmapped when the
// last holder calls Release. Destroy removes the file name from the directory
// at once (Linux keeps the inode alive for the mapping), so a new file with the
// same name may be created while old views are still being read. A view must
// never be used after Release, and never after Destroy/Close unless the reader
// took Hold before and has not yet released.
//
// # Lists
//
// A List is the ordered set of Files in one directory (the commit log, or one
// consume queue). OpenList loads every file whose name is a 20-digit number,
// skips names ending in ".bad" (quarantined) and ".tmp" (an interrupted
// creation), and fails with an error naming the file when a name is not a
// 20-digit number or a file has the wrong size. Loaded files are marked fully
// written and flushed; recovery (the owner's job) then sets the tail with
// TruncateDirty or SetWrotePosition.
//
// New files are preallocated under "<name>.tmp" and renamed into place, and
// the directory is fsynced, so a crash never leaves a short file under a
// segment name.
//
// Expiry removes files from the head with DeleteFirstFiles, which never
// removes the last (active) file. A corrupt tail is moved aside with
// QuarantineFrom, which renames files to "<name>.bad" and never deletes data.
//
// # Warming
//
// Writing through the mapping into a preallocated file is slow on first
// touch: each write fault on a page of the file's unwritten extent makes the
// kernel allocate page cache and zero it (with read-around, a window at a
// time) while the writer waits; the commit log's appends paid for it inside
// the put lock. List.StartWarming starts one goroutine, owned by the List and
// stopped by Close or Destroy, that keeps the last file's pages faulted in
// writable some way ahead of its write position with MADV_POPULATE_WRITE.
// That takes the faults the writer would have taken and changes no byte, so
// it cannot race with the writer. The writer pokes it when it gets within
// half the distance of the warmed end; a new file is warmed from its start
// as soon as it is created; files loaded at open are warmed from their write
// position only, never over data already written. If the kernel lacks
// MADV_POPULATE_WRITE (before 5.14) the goroutine ends, WarmError says why,
// and the writer faults pages itself as before.
//
// # Readahead advice
//
// List.AdviseRandomTail maps the file a List appends to MADV_RANDOM from
// its write position on (advise.go): a new file at creation, before the
// warmer touches it, the loaded last file at its first append in this
// process, after dropping the clean cached pages of its tail. Without it
// the kernel grows the readahead of a mapping faulted in sequence and
// caches the tail in folios of up to 2 MB; a write through the mapping
// dirties its whole folio, so every sync of a small record wrote 2 MB
// (0.7 ms instead of 0.15 ms per 1 KB SYNC_FLUSH message on ext4). A file
// that stops being the tail gets normal readahead back, and so does, 64 MB
// at a time, the tail's data 64 MB or more behind the write position (the
// warmer does it). The costs: the warmer faults single pages (more CPU per
// MB); a cold read of the last 64-128 MB written goes page by page (8x
// slower than with readahead); the first append after a restart drops the
// tail's clean cached pages (14 ms for 192 MB). The store asks for it
// under SYNC_FLUSH only.
//
// Files stay preallocated: with a sparse file a full disk would turn a write
// through the mapping into SIGBUS, where a preallocated one was refused at
// creation with an error.
//
// # Fault injection
//
// Flush goes through a Syncer (msync with MS_SYNC by default). Tests replace
// it with File.SetSyncer or List.SetSyncer to make a sync fail; the flushed
// position then stays where it was and the error is returned.
package segment
