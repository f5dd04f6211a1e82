package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
)

// checkpointSize is the file size upstream maps: one 4 KiB page.
const checkpointSize = 4096

// checkpoint is the "checkpoint" file: three big-endian int64 store times at
// offsets 0 (physicMsgTimestamp), 8 (logicsMsgTimestamp) and 16
// (indexMsgTimestamp); the rest of the page stays zero (5.x uses 24 and 32).
type checkpoint struct {
	path string
	f    *os.File

	physic atomic.Int64 // store time of the last commit log data known flushed
	logics atomic.Int64 // store time of the last message in a consume queue
	index  atomic.Int64 // end time of the last full index file

	mu sync.Mutex // serialises flush
}

func openCheckpoint(path string) (*checkpoint, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint: %w", err)
	}
	c := &checkpoint{path: path, f: f}
	var buf [24]byte
	n, err := f.ReadAt(buf[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, fmt.Errorf("read checkpoint %s: %w", path, err)
	}
	if n == len(buf) {
		c.physic.Store(int64(binary.BigEndian.Uint64(buf[0:])))
		c.logics.Store(int64(binary.BigEndian.Uint64(buf[8:])))
		c.index.Store(int64(binary.BigEndian.Uint64(buf[16:])))
	}
	// A short file (new, or cut by a crash) is brought to full size; the
	// values read as zero, which makes abnormal recovery start early.
	if fi, err := f.Stat(); err == nil && fi.Size() < checkpointSize {
		if err := f.Truncate(checkpointSize); err != nil {
			f.Close()
			return nil, fmt.Errorf("size checkpoint %s: %w", path, err)
		}
	}
	return c, nil
}

// minTimestamp is upstream's "min timestamp": min(physic, logics) - 3 s,
// floored at 0. Abnormal recovery starts at a segment older than it.
func (c *checkpoint) minTimestamp() int64 {
	m := min(c.physic.Load(), c.logics.Load()) - 3000
	return max(m, 0)
}

// minTimestampIndex also takes the index into account (messageIndexSafe).
func (c *checkpoint) minTimestampIndex() int64 {
	return min(c.minTimestamp(), c.index.Load())
}

// flush writes the three values and forces them to disk.
func (c *checkpoint) flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var buf [24]byte
	binary.BigEndian.PutUint64(buf[0:], uint64(c.physic.Load()))
	binary.BigEndian.PutUint64(buf[8:], uint64(c.logics.Load()))
	binary.BigEndian.PutUint64(buf[16:], uint64(c.index.Load()))
	if _, err := c.f.WriteAt(buf[:], 0); err != nil {
		return fmt.Errorf("write checkpoint %s: %w", c.path, err)
	}
	if err := c.f.Sync(); err != nil {
		return fmt.Errorf("sync checkpoint %s: %w", c.path, err)
	}
	return nil
}

func (c *checkpoint) close() error {
	err := c.flush()
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	return err
}
