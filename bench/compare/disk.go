package main

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/rocketgo/rocketgo/cmd/mqbench/loadgen"
)

// diskResult is one raw-disk baseline.
type diskResult struct {
	size         int
	bufferedRate float64 // records per second, write(2) of each record, no sync
	syncRate     float64 // records per second, write(2) + fdatasync of each
	syncP50      time.Duration
	syncP99      time.Duration
}

// diskBaseline writes n records of size bytes to a new file in dir, one
// write(2) each, and then, to another file, syncN records each followed by
// fdatasync: the cost of the bytes a broker stores, without the broker.
func diskBaseline(dir string, size, n, syncN int) (diskResult, error) {
	res := diskResult{size: size}
	rec := loadgen.RandomBody(size)
	path := filepath.Join(dir, fmt.Sprintf("disk-%d", size))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return res, err
	}
	start := time.Now()
	for range n {
		if _, err := f.Write(rec); err != nil {
			f.Close()
			return res, fmt.Errorf("disk baseline write: %w", err)
		}
	}
	res.bufferedRate = float64(n) / time.Since(start).Seconds()
	if err := f.Close(); err != nil {
		return res, err
	}
	if err := os.Remove(path); err != nil {
		return res, err
	}

	f, err = os.OpenFile(path+"-sync", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return res, err
	}
	defer os.Remove(path + "-sync")
	defer f.Close()
	var h loadgen.Histogram
	start = time.Now()
	for range syncN {
		t0 := time.Now()
		if _, err := f.Write(rec); err != nil {
			return res, fmt.Errorf("disk baseline write: %w", err)
		}
		if err := syscall.Fdatasync(int(f.Fd())); err != nil {
			return res, fmt.Errorf("disk baseline fdatasync: %w", err)
		}
		h.Record(time.Since(t0))
	}
	res.syncRate = float64(syncN) / time.Since(start).Seconds()
	s := h.Summary()
	res.syncP50, res.syncP99 = s.P50, s.P99
	return res, nil
}
