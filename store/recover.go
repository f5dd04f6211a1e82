package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/rocketgo/rocketgo/protocol"
	"io"
	"os"
	"path/filepath"

	"github.com/rocketgo/rocketgo/store/commitlog"
	"github.com/rocketgo/rocketgo/store/indexfile"
	"github.com/rocketgo/rocketgo/store/segment"
)

// recover finds the end of valid data in the commit log, cuts everything
// past it (commit log tail, consume queue units, index files), opens the
// index and returns where the dispatcher must start so that the consume
// queues and the index cover every record.
//
// After a clean exit the scan starts at the third-last segment; after a
// crash at the newest segment whose first record is older than the
// checkpoint's min timestamp (segment 0 if none), and everything from there
// is re-dispatched (consume queue and index writes are idempotent).
func (s *Store) recover(lastExitOK bool) (int64, error) {
	files := s.commitLog.Segments().Files()
	if len(files) == 0 {
		// No commit log: nothing the queues point at exists.
		if err := s.queues.Truncate(0); err != nil {
			return 0, fmt.Errorf("recover: clear consume queues: %w", err)
		}
		return 0, s.recoverIndex(0, lastExitOK)
	}
	var start *segment.File
	if lastExitOK {
		start = files[max(len(files)-3, 0)]
	} else {
		start = s.abnormalStart(files)
	}

	sc := s.commitLog.NewScanner(start.Base(), s.opts.CheckCRCOnRecover)
	n := 0
	for sc.Next() {
		n++
	}
	end, scanErr := sc.Offset(), sc.Err()
	damaged := scanErr != nil && !errors.Is(scanErr, commitlog.ErrEndOfData)
	dataAfter := damaged && validRecordAfter(sc)
	sc.Close()
	s.log.Info("commit log recovered", "lastExitOK", lastExitOK, "from", start.Base(), "records", n, "end", end, "stop", scanErr)

	if err := s.cutCommitLog(files, end, dataAfter, scanErr); err != nil {
		return 0, err
	}
	if err := s.queues.Truncate(end); err != nil {
		return 0, fmt.Errorf("recover: truncate consume queues to %d: %w", end, err)
	}
	s.queues.CorrectMinOffset(s.commitLog.MinOffset())

	reputFrom := s.queues.MaxPhyOffset()
	if !lastExitOK {
		reputFrom = min(reputFrom, start.Base())
	}
	if s.opts.MessageIndexEnable {
		if err := s.recoverIndex(end, lastExitOK); err != nil {
			return 0, err
		}
		reputFrom = min(reputFrom, s.index.MaxPhyOffset())
	}
	return min(max(reputFrom, s.commitLog.MinOffset()), end), nil
}

// abnormalStart picks, newest first, the first segment whose first record is
// a message stored no later than the checkpoint's min timestamp.
func (s *Store) abnormalStart(files []*segment.File) *segment.File {
	minTs := s.checkpoint.minTimestamp()
	if s.opts.MessageIndexEnable && s.opts.MessageIndexSafe {
		minTs = s.checkpoint.minTimestampIndex()
	}
	for i := len(files) - 1; i >= 0; i-- {
		f := files[i]
		b, err := f.Slice(0, min(f.WrotePosition(), protocol.RecordPosBornHost+32))
		if err != nil || len(b) < protocol.RecordPosMagic+4 {
			continue
		}
		magic := int32(binary.BigEndian.Uint32(b[protocol.RecordPosMagic:]))
		if magic != commitlog.MagicV1 && magic != commitlog.MagicV2 {
			continue
		}
		if ts, ok := commitlog.StoreTimestampOf(b); ok && ts != 0 && ts <= minTs {
			return f
		}
	}
	return files[0]
}

// validRecordAfter reports whether a good record follows the invalid one the
// scan stopped at: then the damage is in the middle of the log (a flipped
// byte), not a tail torn by a crash.
func validRecordAfter(sc *commitlog.Scanner) bool {
	return sc.Skip() && sc.Next()
}

// cutCommitLog truncates the commit log at end. Nothing holding data is
// deleted: later segments that hold records are renamed aside (.bad), and a
// segment damaged in the middle is copied aside before its tail is reused.
func (s *Store) cutCommitLog(files []*segment.File, end int64, dataAfter bool, why error) error {
	size := int64(s.opts.MappedFileSizeCommitLog)
	endFile := s.commitLog.FileStart(end)
	laterData := false
	for _, f := range files {
		if f.Base() > endFile && hasData(f) {
			laterData = true
			break
		}
	}
	if dataAfter {
		if f := s.commitLog.Segments().FindByOffset(end); f != nil {
			dst, err := copyAside(f.Path())
			if err != nil {
				return fmt.Errorf("recover: keep a copy of damaged segment %s: %w", f.Path(), err)
			}
			s.log.Error("commit log damaged mid-segment; the segment is truncated there and a copy kept",
				"offset", end, "err", why, "copy", dst)
		}
	}
	if laterData {
		moved, err := s.commitLog.Segments().QuarantineFrom(endFile + size)
		if err != nil {
			return fmt.Errorf("recover: move aside segments after the end of valid data: %w", err)
		}
		s.log.Error("commit log segments after the end of valid data moved aside", "end", end, "err", why, "files", moved)
	}
	if err := s.commitLog.Truncate(end); err != nil {
		return fmt.Errorf("recover: %w", err)
	}
	return nil
}

// hasData reports whether a segment's first record header is not zeros.
func hasData(f *segment.File) bool {
	b, err := f.Slice(0, min(8, f.WrotePosition()))
	if err != nil {
		return false
	}
	for _, c := range b {
		if c != 0 {
			return true
		}
	}
	return false
}

// copyAside copies path to "<path>.bad" (or "<path>.<n>.bad").
func copyAside(path string) (string, error) {
	dst := path + segment.BadSuffix
	for n := 1; ; n++ {
		if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
			break
		}
		dst = fmt.Sprintf("%s.%d%s", path, n, segment.BadSuffix)
	}
	in, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return "", err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return "", err
	}
	if err := out.Close(); err != nil {
		return "", err
	}
	return dst, syncDir(filepath.Dir(dst))
}

// recoverIndex opens the index and drops its tail from the first file that
// may point at a record the commit log no longer holds, or that a crash may
// have left torn; re-dispatch from the index's new end rebuilds what went.
//
//   - After an abnormal exit, upstream's IndexService.load deletes every file
//     whose endTimestamp is past the checkpoint's indexMsgTimestamp. Only a
//     file that filled up and was flushed moves that stamp; any other file
//     may have reached the disk in pieces when the machine went down (a slot
//     page without its entries, or the reverse), losing keys, and may point
//     at records the commit log lost with the same power cut. So only full,
//     flushed files survive a crash here, and so do empty ones. Upstream
//     rebuilds the deleted files only with messageIndexSafe; we always do.
//   - After any exit, a file holding an entry at or past end points at a
//     record that was cut off, whose bytes the next puts reuse: it goes too.
//     Flushed files are not exempt: with ASYNC_FLUSH an index file may reach
//     the disk before the records it points at.
func (s *Store) recoverIndex(end int64, lastExitOK bool) error {
	if !s.opts.MessageIndexEnable {
		return nil
	}
	if err := s.openIndex(); err != nil {
		return err
	}
	flushedTs := s.checkpoint.index.Load()
	var first indexfile.FileState
	var why string
	n, err := s.index.DropFrom(func(f indexfile.FileState) bool {
		switch {
		case f.LastPhyOffset >= end:
			// Also an empty file: Put would skip records below its start.
			why = "it points past the end of the commit log"
		case !lastExitOK && f.EndTimestamp > flushedTs:
			why = "after a crash it is newer than the checkpoint's indexMsgTimestamp"
		case !lastExitOK && !f.Full && !f.Empty:
			why = "after a crash it is not known flushed"
		default:
			return false
		}
		first = f
		return true
	})
	if err != nil {
		return fmt.Errorf("recover: drop index files from %s, as %s: %w", first.Name, why, err)
	}
	if n > 0 {
		s.log.Warn("index files dropped; re-dispatch rebuilds them", "files", n, "from", first.Name, "why", why,
			"end", end, "endTimestamp", first.EndTimestamp, "indexMsgTimestamp", flushedTs,
			"rebuildFrom", s.index.MaxPhyOffset())
	}
	return nil
}
