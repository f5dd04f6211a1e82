package filter

import (
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// The measure: a 3-clause expression against the same property
// lookups written by hand in Go. Report the ratio of the two, measured in
// one run: absolute figures move with the machine's load. Besides ns/op
// (wall clock) each benchmark reports cpu-ns/op, the CPU time of its own
// thread, which stays put when other processes compete for the cores.
const benchExpr = "a > 5 AND b = 'x' OR c IS NULL"

// byHand is benchExpr as a Go programmer would write it for these inputs.
func byHand(p Lookup) bool {
	if s, ok := p("a"); ok {
		if n, err := strconv.Atoi(s); err == nil && n > 5 {
			if s, ok := p("b"); ok && s == "x" {
				return true
			}
		}
	}
	_, ok := p("c")
	return !ok
}

var benchInputs = []struct {
	name  string
	props map[string]string
	want  bool
}{
	// every clause evaluated: a > 5 TRUE, b = 'x' FALSE, c IS NULL FALSE
	{"all-clauses", map[string]string{"a": "7", "b": "y", "c": "1", "TAGS": "TagA", "KEYS": "k1"}, false},
	// the AND decides: c is never looked up
	{"short-circuit", map[string]string{"a": "7", "b": "x", "TAGS": "TagA", "KEYS": "k1"}, true},
}

var sink bool

func BenchmarkEvaluate(b *testing.B) {
	e, err := Compile(benchExpr)
	if err != nil {
		b.Fatal(err)
	}
	for _, in := range benchInputs {
		m := in.props
		lookup := func(name string) (string, bool) {
			v, ok := m[name]
			return v, ok
		}
		if e.Match(lookup) != in.want || byHand(lookup) != in.want {
			b.Fatalf("%s: compiled and hand-written answers differ from %v", in.name, in.want)
		}
		b.Run(in.name+"/compiled", func(b *testing.B) {
			measureCPU(b, func() { sink = e.Match(lookup) })
		})
		b.Run(in.name+"/by-hand", func(b *testing.B) {
			measureCPU(b, func() { sink = byHand(lookup) })
		})
	}
}

// measureCPU runs f in a b.Loop and reports the thread's CPU time per call.
func measureCPU(b *testing.B, f func()) {
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start, n := threadCPU(b), 0
	for b.Loop() {
		f()
		n++
	}
	b.ReportMetric(float64(threadCPU(b)-start)/float64(n), "cpu-ns/op")
}

// threadCPU is the user+system CPU time of the calling thread.
func threadCPU(b *testing.B) time.Duration {
	const rusageThread = 1 // RUSAGE_THREAD, Linux
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(benchExpr); err != nil {
			b.Fatal(err)
		}
	}
}
