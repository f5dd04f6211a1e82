package broker

import (
	"sync/atomic"
	"testing"

	"github.com/rocketgo/rocketgo/store"
)

// Recording a send must stay cheap next to the send itself: compare it
// with one atomic add (the baseline) in the same run, on one goroutine
// and on all of them.

func BenchmarkStatsBaselineAtomicAdd(b *testing.B) {
	var n atomic.Int64
	b.ReportAllocs()
	for b.Loop() {
		n.Add(1)
	}
}

func BenchmarkStatsRecordPut(b *testing.B) {
	s := newBrokerStats("C", func() int64 { return 0 })
	res := &store.PutResult{Status: store.PutOK, MsgNum: 1, WroteBytes: 200}
	s.recordPut("BenchTopic", res)
	b.ReportAllocs()
	for b.Loop() {
		s.recordPut("BenchTopic", res)
	}
}

func BenchmarkStatsBaselineAtomicAddParallel(b *testing.B) {
	var n atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n.Add(1)
		}
	})
}

func BenchmarkStatsRecordPutParallel(b *testing.B) {
	s := newBrokerStats("C", func() int64 { return 0 })
	res := &store.PutResult{Status: store.PutOK, MsgNum: 1, WroteBytes: 200}
	s.recordPut("BenchTopic", res)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.recordPut("BenchTopic", res)
		}
	})
}

func BenchmarkStatsRecordPull(b *testing.B) {
	s := newBrokerStats("C", func() int64 { return 0 })
	s.recordPull("BenchTopic", "BenchGroup", 1, 200, 0)
	b.ReportAllocs()
	for b.Loop() {
		s.recordPull("BenchTopic", "BenchGroup", 1, 200, 0)
	}
}

func BenchmarkStatsStoredTopic(b *testing.B) {
	props := "KEYS\x01order-1\x02TAGS\x01TagA\x02UNIQ_KEY\x017F0000010001000000000000000000AB\x02WAIT\x01true\x02"
	b.ReportAllocs()
	for b.Loop() {
		if storedTopic("BenchTopic", props) != "BenchTopic" {
			b.Fatal("wrong topic")
		}
	}
}
