#!/usr/bin/env bash
# Runs every fuzz target in the module for $FUZZTIME each, one at a time (go test -fuzz takes one
# target per run). The seed corpus of each target already ran as part of `go test`.
#
# Go 1.26's fuzz coordinator can end a duration-bounded run with a bare "context deadline exceeded"
# when -fuzztime expires while a worker is busy (go.dev/issue/75804, fixed in Go 1.27). That is not a
# finding: a real one writes its failing input to testdata/fuzz/<target>/. So a failure that wrote no
# input and says "context deadline exceeded" is run again (up to $FLAKE_RETRIES times) and, if it
# keeps doing only that, reported as a flake; any failure that wrote an input fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-3s}
FLAKE_RETRIES=${FLAKE_RETRIES:-2}
fail=0 count=0 flakes=0

inputs() { # number of saved failing inputs of target $2 in package dir $1
  if [ -d "$1/testdata/fuzz/$2" ]; then find "$1/testdata/fuzz/$2" -type f | wc -l; else echo 0; fi
}

# The targets are read from the test files' source: asking `go test -list` links every package's
# test binary first, which took 2 minutes of a CI run (no fuzz target sits behind a build tag;
# TestFuzzTargetsHaveNoBuildTags in internal/repotest keeps it so).
while read -r pkg dir; do
  targets=$(cat "$dir"/*_test.go 2>/dev/null | sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' || true)
  [ -n "$targets" ] || continue
  for t in $targets; do
    count=$((count + 1))
    tries=0
    while :; do
      before=$(inputs "$dir" "$t")
      if out=$(go test -run '^$' -fuzz "^${t}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1 </dev/null); then
        echo "ok   fuzz $pkg $t ($FUZZTIME)"
        break
      fi
      if [ "$(inputs "$dir" "$t")" -eq "$before" ] && grep -q 'context deadline exceeded' <<<"$out" \
        && ! grep -q 'Failing input written' <<<"$out"; then
        if [ "$tries" -lt "$FLAKE_RETRIES" ]; then
          tries=$((tries + 1))
          echo "again fuzz $pkg $t: the Go fuzz coordinator's deadline race (go.dev/issue/75804), no input written"
          continue
        fi
        echo "flake fuzz $pkg $t: deadline race $((tries + 1)) times in a row, no failing input written"
        flakes=$((flakes + 1))
        break
      fi
      echo "FAIL fuzz $pkg $t"; echo "$out" | tail -30; fail=1
      break
    done
  done
done < <(go list -f '{{.ImportPath}} {{.Dir}}' ./...)
echo "fuzz: $count targets, ${FUZZTIME} each, $flakes deadline flakes"
exit $fail
