# RocketGo developer targets. `make run` and `make test` are the two a
# newcomer needs; the README explains the rest.

GO       ?= go
BIN      := bin
CMDS     := $(notdir $(wildcard cmd/*))
FUZZTIME ?= 5m

.PHONY: all build run test test-short vet fmt-check fuzz bench clean

all: build

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/...

# run starts what exists so far in the foreground, config from conf/, data
# and logs under ./run/. Ctrl-C stops it cleanly.
run: build
	@mkdir -p run/logs
	ROCKETMQ_LOG_DIR=$(CURDIR)/run/logs ./scripts/run-local.sh

# test is the one command CI runs (.ci/run): format, vet, race tests of the
# main module, then the interop module against the official Go client. The
# interop test binary runs without -race because rocketmq-client-go v2.1.2
# has known data races of its own (its issues #790, #961, PR #1115); the
# servers it drives are built with -race instead (ROCKETGO_RACE_SERVERS).
# Last, a few seconds of the benchmark comparison (needs nats-server).
test: fmt-check vet
	$(GO) test -race -count=1 -timeout 15m ./...
	cd interop && $(GO) vet ./... && ROCKETGO_RACE_SERVERS=1 $(GO) test -count=1 -timeout 30m ./...
	$(MAKE) bench-smoke

test-short:
	$(GO) test -short -count=1 ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

# fuzz runs every fuzz target of the main module for FUZZTIME each.
fuzz:
	./scripts/fuzz-all.sh $(FUZZTIME)

bench:
	$(GO) test -run='^$$' -bench=. -benchmem ./...

clean:
	rm -rf $(BIN)

# bench: RocketGo against NATS JetStream on this machine. bench/ is its own
# module (it needs the NATS client; the main module does not). Both need
# nats-server on PATH: apt-get install -y nats-server.
# bench-smoke runs the comparison for a few seconds as a test, and fails
# when nats-server is missing; bench-compare runs it in full (several
# minutes) and prints the table. COMPARE_FLAGS=-v shows the servers' output.
.PHONY: bench-smoke bench-compare
bench-smoke:
	cd bench && $(GO) vet ./... && BENCH_REQUIRE_NATS=1 $(GO) test -race -count=1 -timeout 10m ./...

bench-compare:
	cd bench && $(GO) run ./compare $(COMPARE_FLAGS)
