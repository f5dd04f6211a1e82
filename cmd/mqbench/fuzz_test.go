package main

import (
	"bytes"
	"testing"
	"time"
)

// FuzzStamped reads consumed bodies, which come off the network: any bytes
// must either parse as a stamp that writes back identically or be refused.
func FuzzStamped(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("MQB1"))
	f.Add([]byte("MQB1\x00\x00\x00\x00\x00\x00\x00"))
	good := make([]byte, 32)
	stamp(good, time.Unix(1700000000, 5))
	f.Add(good)
	f.Add([]byte("MQB1\xff\xff\xff\xff\xff\xff\xff\xffrest"))
	f.Fuzz(func(t *testing.T, body []byte) {
		at, ok := stamped(body)
		if !ok {
			return
		}
		again := bytes.Clone(body)
		stamp(again, at)
		if !bytes.Equal(again, body) {
			t.Fatalf("stamp(stamped(%x)) = %x", body, again)
		}
	})
}
