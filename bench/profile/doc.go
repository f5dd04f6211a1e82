// Package profile holds benchmarks that run a name server, a broker and a
// producer in one process, so `go test -bench . -cpuprofile` profiles the
// broker (which has no profiling flag of its own) under the same send
// workload as bench/compare:
//
//	cd bench && go test -run '^$' -bench . -benchtime 10s -cpuprofile cpu.out ./profile
//	go tool pprof -top -focus 'rocketgo/(broker|store|remoting)' profile.test cpu.out
package profile
