#!/usr/bin/env bash
# settlementd on PostgreSQL next to pgbench, on the same server in the same run (issue 6):
#   1. pgbench TPC-B: `pgbench -c 8 -j 2 -T 20` on a fresh database stillpay_pgbench (pgbench -i, scale 1);
#   2. `settlementd bench --store postgres://.../stillpay_bench`: approved payments per second through
#      HTTP with 64 concurrent terminals, one per request and in batches of 100 and 1,000, and flow 2
#      orders created and confirmed per second;
# and prints each settlementd figure as a multiple of pgbench's tps, with the goals (>= 0.7x one per
# request, >= 5x batches of 1,000).
#
# The server is $STILLPAY_BENCH_POSTGRES (default: $STILLPAY_TEST_POSTGRES, then
# postgres://postgres@127.0.0.1:5432/test?sslmode=disable); the two databases are created next to the
# one it names and dropped afterwards. Without a server it says so and exits 0, unless
# STILLPAY_REQUIRE_POSTGRES=1. Extra arguments go to `settlementd bench` (e.g. --single 50).
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${STILLPAY_BENCH_POSTGRES:-${STILLPAY_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}}
PGBENCH_SECONDS=${PGBENCH_SECONDS:-20}
BIN=${BIN:-bin}

# with_db URL NAME: the URL with its database replaced by NAME (query string kept).
with_db() { printf '%s\n' "$1" | sed -E "s#^([a-z]+://[^/?]*)(/[^?]*)?#\\1/$2#"; }
redact() { printf '%s\n' "$1" | sed -E 's#(://[^:/@]*):[^@]*@#\1:xxxxx@#'; }

if ! psql "$BASE" -qAtc 'SELECT 1' >/dev/null 2>&1; then
  if [ "${STILLPAY_REQUIRE_POSTGRES:-}" = 1 ]; then
    echo "bench-postgres: PostgreSQL at $(redact "$BASE") does not answer" >&2; exit 1
  fi
  echo "bench-postgres: skipped: no PostgreSQL at $(redact "$BASE"); set STILLPAY_BENCH_POSTGRES=postgres://... to run it"
  exit 0
fi
for tool in pgbench psql jq; do
  command -v "$tool" >/dev/null || { echo "bench-postgres: $tool is not installed" >&2; exit 1; }
done

SETTLEMENTD=$BIN/settlementd
if [ ! -x "$SETTLEMENTD" ]; then
  SETTLEMENTD=$(mktemp -d)/settlementd
  go build -o "$SETTLEMENTD" ./cmd/settlementd
fi

PGBENCH_URL=$(with_db "$BASE" stillpay_pgbench)
STORE_URL=$(with_db "$BASE" stillpay_bench)
recreate() { psql "$BASE" -qc "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" >/dev/null; }
cleanup() { psql "$BASE" -qc 'DROP DATABASE IF EXISTS stillpay_pgbench' -c 'DROP DATABASE IF EXISTS stillpay_bench' >/dev/null 2>&1 || true; }
trap cleanup EXIT
recreate stillpay_pgbench
recreate stillpay_bench

echo "== pgbench TPC-B: pgbench -c 8 -j 2 -T $PGBENCH_SECONDS on $(redact "$PGBENCH_URL")" >&2
pgbench -i -q "$PGBENCH_URL" >/dev/null 2>&1
pgbench_out=$(pgbench -c 8 -j 2 -T "$PGBENCH_SECONDS" "$PGBENCH_URL" 2>&1)
tps=$(printf '%s\n' "$pgbench_out" | sed -nE 's/^tps = ([0-9.]+).*/\1/p' | head -1)
[ -n "$tps" ] || { echo "bench-postgres: no tps in pgbench output:" >&2; echo "$pgbench_out" >&2; exit 1; }

echo "== settlementd bench --store $(redact "$STORE_URL")" >&2
json=$("$SETTLEMENTD" bench --store "$STORE_URL" --baseline 0 --json "$@")

# One "name<TAB>payments<TAB>seconds<TAB>payments/s<TAB>CPU µs/payment" line per phase. The CPU is
# settlementd bench's process (the in-process server and the load generator); PostgreSQL's own
# processes are not in it.
rows=$(printf '%s\n' "$json" | jq -r '.rows[] | [.name, .payments, .seconds, .payments_per_second, (.cpu_us_per_payment // 0)] | @tsv')

echo
echo "settlementd on PostgreSQL vs pgbench TPC-B (same server, same run)"
echo "CPU µs/payment: settlementd bench's process (server and load generator), not PostgreSQL's"
printf '%-40s %10s %9s %12s %10s %15s  %s\n' phase payments seconds payments/s "x pgbench" "CPU µs/payment" goal
printf '%-40s %10s %9s %12.0f %10s %15s  %s\n' "pgbench -c 8 -j 2 -T $PGBENCH_SECONDS (TPC-B tps)" "" "$PGBENCH_SECONDS" "$tps" 1.0 "" ""
printf '%s\n' "$rows" | while IFS=$'\t' read -r name n s pps cpu; do
  goal=""
  case "$name" in
    *"1 payment per request"*) goal=0.7 ;;
    *"1,000"*) goal=5 ;;
  esac
  ratio=$(awk -v a="$pps" -v b="$tps" 'BEGIN { printf "%.2f", a / b }')
  verdict=""
  if [ -n "$goal" ]; then
    if awk -v r="$ratio" -v g="$goal" 'BEGIN { exit !(r >= g) }'; then verdict=">= ${goal}x met"; else verdict=">= ${goal}x NOT met"; fi
  fi
  printf '%-40s %10s %9.2f %12.0f %10s %15.0f  %s\n' "$name" "$n" "$s" "$pps" "$ratio" "$cpu" "$verdict"
done
