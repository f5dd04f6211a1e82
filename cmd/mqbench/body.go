package main

import (
	"encoding/binary"
	"time"
)

// stampMagic starts a body written by mqbench; the 8 bytes after it are
// the send time in Unix nanoseconds, so consumers can measure end-to-end
// latency below the millisecond precision of BornTimestamp.
const (
	stampMagic = "MQB1"
	stampLen   = len(stampMagic) + 8
)

// stamp writes the send time into body when it has room for it.
func stamp(body []byte, now time.Time) {
	if len(body) < stampLen {
		return
	}
	copy(body, stampMagic)
	binary.BigEndian.PutUint64(body[len(stampMagic):], uint64(now.UnixNano()))
}

// stamped returns the send time written by stamp, if body has one.
func stamped(body []byte) (time.Time, bool) {
	if len(body) < stampLen || string(body[:len(stampMagic)]) != stampMagic {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(body[len(stampMagic):]))), true
}
