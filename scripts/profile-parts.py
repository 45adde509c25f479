#!/usr/bin/env python3
"""Split a settlementd CPU profile into the parts of a payment, in µs per payment.

    go tool pprof -traces bin/settlementd server.prof | scripts/profile-parts.py PAYMENTS

Each sample goes to exactly one part: the goroutine it ran on (writer, handler, net/http, runtime),
then the first of that part's sub-parts its stack matches; so the parts add up to the profile's
total. The
profile is the server child's from `settlementd bench --server-process --server-cpuprofile`, which
starts over when the setup is done (docs/benchmarks.md, "Where every microsecond goes").
"""
import re
import sys
from collections import defaultdict

# Each sample belongs to the first part whose pattern a frame of its stack matches, then to the
# first of that part's sub-parts that matches (the last sub-part of each part matches everything).
PARTS = [
    # The store writer: one goroutine applying each group of requests and committing it.
    ("writer", r"groupcommit\.\(\*Batcher|boltstore\.\(\*writer\)", [
        ("txn record and its indexes (bbolt Put)", r"boltstore\.ltx\.(InsertTxn|UpdateTxn)"),
        ("idempotency check inside the transaction", r"boltstore\.ltx\.(Txn|lookup)$"),
        ("journal entries and balances", r"boltstore\.ltx\.(AppendEntry|AddBalance|Balance|SetBalance)"),
        ("authorization: read, used code, txn list", r"boltstore\.ltx\.(Authorization|PutUsedCode|CodeUsed|PutAuthorization|listTxn|loadAuth)|boltstore\.putAuthEntry|boltstore\.encodeAuthEntry"),
        ("terminal, merchant and code-failure reads", r"boltstore\.ltx\.(Terminal|Merchant|Failures|PutFailures)"),
        ("the request's nonce", r"boltstore\.useNonce"),
        ("ledger rules, the rest", r"server/ledger\."),
        ("commit: spill (pages built)", r"bbolt\.\(\*Bucket\)\.(spill|rebalance)"),
        ("commit: fdatasync (kernel)", r"bbolt\.fdatasync"),
        ("commit: pwrite of the pages", r"bbolt\.\(\*Tx\)\.write$"),
        ("commit: meta page, freelist, the rest", r"bbolt\.\(\*Tx\)\.Commit"),
        ("transaction begin, group hand-off, the rest", r""),
    ]),
    # The handler of a payment request (batch items are checked on worker goroutines of their own).
    ("handler", r"api\.\(\*Server\)\.ServeHTTP|service\.parallel", [
        ("terminal: headers, record, session MAC", r"service\.\(\*Service\)\.(CheckTerminalHeaders|VerifyTerminalRequest)"),
        ("body read", r"api\.readBody"),
        ("body decode", r"api\.decodeStrict"),
        ("idempotency read (GetTxns)", r"service\.\(\*Service\)\.findReplays"),
        ("authorization read (GetAuthorizations)", r"service\.\(\*Service\)\.loadAuthorizations"),
        ("payload parse", r"payload\.Parse"),
        ("payload checks: MAC, code, credential, request hash", r"\(\*Service\)\.verifyAll|service\.\(\*Service\)\.verify$"),
        ("approval group / batch signature", r"service\.\(\*Service\)\.(proveApprovals|SignBatch)|approvalGroups"),
        ("approval rendering, store hand-off and wake-up", r"service\.\(\*Service\)\.apply"),
        ("answer encoding and write", r"api\.writeTransaction|api\.writeBatch|api\.writeJSON|protocol\.Append"),
        ("validation, routing, metrics, the rest", r""),
    ]),
    # net/http around the handler.
    ("net/http", r"net/http\.\(\*conn\)\.serve|net/http\.\(\*connReader\)", [
        ("reading and parsing the request", r"net/http\.\(\*conn\)\.readRequest"),
        ("finishing: flush and write of the answer", r"net/http\.\(\*response\)\.finishRequest"),
        ("connection loop, background read, the rest", r""),
    ]),
    # The Go runtime on its own stacks.
    ("runtime", r"^runtime\.|^internal/runtime|^runtime/", [
        ("garbage collector (mark workers, sweep, scavenge)", r"runtime\.(gcBgMarkWorker|bgsweep|bgscavenge|gcStart|markroot|gcDrain)"),
        ("scheduler (idle, wake-ups, netpoll, timers)", r"runtime\.(mcall|schedule|findRunnable|park_m|goexit0|netpoll|morestack|newstack|sysmon|mstart)"),
        ("runtime, the rest", r""),
    ]),
]

def main():
    payments = float(sys.argv[1])
    parts = defaultdict(float)  # (part, sub) -> seconds
    total = 0.0
    stack, value = [], 0.0
    unit = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}

    def flush():
        nonlocal total
        if not stack:
            return
        total += value
        for part, pat, subs in PARTS:
            if not any(re.search(pat, f) for f in stack):
                continue
            for sub, subpat in subs:
                if any(re.search(subpat, f) for f in stack):
                    parts[(part, sub)] += value
                    return
        parts[("other", stack[-1] + " ... " + stack[0])] += value

    for line in sys.stdin:
        if line.startswith("-----"):
            flush()
            stack, value = [], 0.0
            continue
        m = re.match(r"^\s+([\d.]+)(ns|us|µs|ms|s)\s+(\S+)", line)
        if m:
            value = float(m.group(1)) * unit[m.group(2)]
            stack = [m.group(3)]
            continue
        m = re.match(r"^\s+(\S+)", line)
        if m and stack:
            stack.append(m.group(1))
    flush()

    per = lambda s: s * 1e6 / payments
    by_part = defaultdict(float)
    for (part, _), s in parts.items():
        by_part[part] += s
    order = ["writer", "handler", "net/http", "runtime", "other"]
    for part in order:
        if part not in by_part:
            continue
        print(f"{part:10s} {per(by_part[part]):7.1f} µs")
        subs = sorted(((s, sub) for (p, sub), s in parts.items() if p == part), reverse=True)
        for s, sub in subs:
            if per(s) >= 0.05:
                print(f"    {per(s):7.1f}  {sub}")
    print(f"{'total':10s} {per(total):7.1f} µs per payment ({total:.2f} s of samples, {payments:.0f} payments)")

main()
