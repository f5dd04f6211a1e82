#!/usr/bin/env bash
# Runs every native Go fuzz target in the main module for the given time
# each (default 5m), one after another. New interesting inputs land in the
# package's testdata/fuzz/<Target>/ and should be committed.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-5m}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    echo "== $pkg $target ($fuzztime)"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg"
  done
done
