package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/rocketgo/rocketgo/cmd/mqbench/loadgen"
)

// Result is the -json line: what bench/compare reads. Latencies are in
// microseconds.
type Result struct {
	Mode           string   `json:"mode"`
	Sent           int64    `json:"sent,omitempty"` // messages acked
	SendFailed     int64    `json:"sendFailed"`
	ResponseFailed int64    `json:"responseFailed"`
	Seconds        float64  `json:"seconds"`
	SendPerSec     float64  `json:"sendPerSec,omitempty"` // messages per second
	SendRT         *Latency `json:"sendRT,omitempty"`
	Consumed       int64    `json:"consumed,omitempty"`
	ConsumeSeconds float64  `json:"consumeSeconds,omitempty"` // first to last message
	ConsumePerSec  float64  `json:"consumePerSec,omitempty"`
	E2E            *Latency `json:"e2e,omitempty"`
	B2C            *Latency `json:"b2c,omitempty"`
}

// Latency is a loadgen.Summary in microseconds.
type Latency struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"meanUs"`
	P50   float64 `json:"p50Us"`
	P90   float64 `json:"p90Us"`
	P99   float64 `json:"p99Us"`
	P999  float64 `json:"p999Us"`
	Max   float64 `json:"maxUs"`
}

func latency(s loadgen.Summary) *Latency {
	if s.Count == 0 {
		return nil
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	return &Latency{Count: s.Count, Mean: us(s.Mean), P50: us(s.P50), P90: us(s.P90), P99: us(s.P99), P999: us(s.P999), Max: us(s.Max)}
}

func producerJSON(o producerOptions, r produceResult) Result {
	snap := r.stats.Snapshot()
	res := Result{Mode: "producer", Sent: snap.OK * int64(o.batch), SendFailed: snap.SendFailed, ResponseFailed: snap.ResponseFailed,
		Seconds: r.elapsed.Seconds(), SendRT: latency(r.stats.RT.Summary())}
	if res.Seconds > 0 {
		res.SendPerSec = float64(res.Sent) / res.Seconds
	}
	return res
}

func consumerJSON(cs *consumeStats) Result {
	res := Result{Mode: "consumer", Consumed: cs.n.Load(), ConsumeSeconds: cs.window().Seconds(),
		E2E: latency(cs.E2E.Summary()), B2C: latency(cs.B2C.Summary())}
	if res.Consumed > 1 && res.ConsumeSeconds > 0 {
		res.ConsumePerSec = float64(res.Consumed-1) / res.ConsumeSeconds
	}
	return res
}

func e2eJSON(o producerOptions, r produceResult, cs *consumeStats) Result {
	res := producerJSON(o, r)
	c := consumerJSON(cs)
	res.Mode = "e2e"
	res.Consumed, res.ConsumeSeconds, res.ConsumePerSec, res.E2E, res.B2C = c.Consumed, c.ConsumeSeconds, c.ConsumePerSec, c.E2E, c.B2C
	return res
}

func printJSON(w io.Writer, r Result) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("json summary: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}
