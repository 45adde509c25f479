#!/usr/bin/env bash
# Runs every fuzz target in the module for $FUZZTIME each, one at a time (go test -fuzz takes one
# target per run). The seed corpus of each target already ran as part of `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-3s}
fail=0
count=0
for pkg in $(go list ./...); do
  targets=$(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
  for t in $targets; do
    count=$((count + 1))
    if ! out=$(go test -run '^$' -fuzz "^${t}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1); then
      echo "FAIL fuzz $pkg $t"; echo "$out" | tail -30; fail=1
    else
      echo "ok   fuzz $pkg $t ($FUZZTIME)"
    fi
  done
done
echo "fuzz: $count targets, ${FUZZTIME} each"
exit $fail
