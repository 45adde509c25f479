package boltstore

import (
	"bytes"
	"encoding/binary"
	"strings"
	"time"
)

// Bucket names. Indexes are keys only (values empty or a small pointer).
var (
	bktMerchants      = []byte("merchants")        // id → Merchant
	bktTerminals      = []byte("terminals")        // id → Terminal
	bktTerminalByCode = []byte("terminal_by_code") // enroll code hash → terminal id
	bktTerminalByMer  = []byte("terminal_by_merchant")
	bktUsers          = []byte("users")    // id → User
	bktSessions       = []byte("sessions") // token hash → Session
	bktAccounts       = []byte("accounts") // id → Account (Balance not used: see balances)
	bktBalances       = []byte("balances") // account id → int64, 8 bytes big endian
	bktAccountByOwner = []byte("account_by_owner")
	bktEntries        = []byte("entries")        // u64 id → Entry; bucket sequence = last id
	bktAuthData       = []byte("authorizations") // see authKey, authTxnKey
	bktAuthByUser     = []byte("authorization_by_user")
	bktAuthByAccount  = []byte("authorization_by_account")
	bktAuthOpen       = []byte("authorization_open") // u64 close time (expiry or revocation) + id, until the hold is closed
	bktTxns           = []byte("txns")               // terminal id \0 txn id → Txn; bucket sequence = last seq
	bktTxnBySeq       = []byte("txn_by_seq")         // u64 seq → txn key
	bktTxnByMerchant  = []byte("txn_by_merchant")
	bktTxnByUser      = []byte("txn_by_user")     // only txns without an authorization: see ListTxns
	bktNonces         = []byte("nonces")          // terminal \0 nonce → u64 expiry; only in stores written before nonce_by_expiry became the record
	bktNonceByExpiry  = []byte("nonce_by_expiry") // u64 expiry + terminal \0 nonce: the nonce record (useNonce)
	bktFailures       = []byte("code_failures")   // kind \0 id → Failures
)

var allBuckets = [][]byte{bktMerchants, bktTerminals, bktTerminalByCode, bktTerminalByMer, bktUsers, bktSessions,
	bktAccounts, bktBalances, bktAccountByOwner, bktEntries, bktAuthData, bktAuthByUser, bktAuthByAccount, bktAuthOpen,
	bktTxns, bktTxnBySeq, bktTxnByMerchant, bktTxnByUser, bktNonces,
	bktNonceByExpiry, bktFailures}

// appendFill is how full bbolt packs the pages of buckets whose keys only grow (journal, sequence
// index): nothing is ever inserted before their last key, so half-empty pages would only be written and
// read for nothing. The txns and the per-merchant indexes use it too: their keys grow within each
// terminal's or merchant's range, so a batch fills pages instead of leaving them half empty (page
// writes per payment in batches of 1,000 0.34 → 0.28, one per call 2.11 → 2.13:
// docs/benchmarks.md).
const appendFill = 0.95

// sep separates the parts of a composite key; ids never contain it (ledger.ValidID).
const sep = 0

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func getU64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }

// timeKey orders times in keys; times before 1970 (never stored) clamp to 0.
func timeKey(t time.Time) []byte {
	n := t.UnixMicro()
	if n < 0 {
		n = 0
	}
	return u64(uint64(n))
}

// pair is a \0-separated composite key.
func pair(a, b string) []byte {
	k := make([]byte, 0, len(a)+1+len(b))
	k = append(k, a...)
	k = append(k, sep)
	return append(k, b...)
}

// prefixed is a \0-terminated prefix plus 8 bytes.
func prefixed(a string, n []byte) []byte {
	k := make([]byte, 0, len(a)+1+len(n))
	k = append(k, a...)
	k = append(k, sep)
	return append(k, n...)
}

func splitPair(k []byte) (string, string) {
	a, b, _ := strings.Cut(string(k), "\x00")
	return a, b
}

// timeFromKey reverses timeKey.
func timeFromKey(b []byte) time.Time {
	if len(b) != 8 {
		return time.Time{}
	}
	return time.UnixMicro(int64(getU64(b))).UTC()
}

// Everything about one authorization lives under its id in bktAuthData, so that a payment dirties one
// page for it (one fsync'd page costs as much as a small write): the record with its used codes and
// the list of its transactions (authEntry), and past maxInlineTxns (or in stores written before the
// list moved into the record) the rest of that list as keys of their own.
const (
	tagAuth = 'a' // id \0 a → Authorization, used codes and txn list (encodeAuthEntry)
	tagTxn  = 's' // id \0 s u64 seq → indexMark; the txn is found through txn_by_seq
)

// indexMark is the value of index keys that carry everything in the key.
var indexMark = []byte{1}

func authTagKey(id string, tag byte, n []byte) []byte {
	k := make([]byte, 0, len(id)+2+len(n))
	k = append(k, id...)
	k = append(k, sep, tag)
	return append(k, n...)
}

func authKey(id string) []byte                { return authTagKey(id, tagAuth, nil) }
func authTxnKey(id string, seq uint64) []byte { return authTagKey(id, tagTxn, u64(seq)) }

// splitAuthKey parses a bktAuthData key.
func splitAuthKey(k []byte) (id string, tag byte, rest []byte, ok bool) {
	i := bytes.IndexByte(k, sep)
	if i < 0 || i+1 >= len(k) {
		return "", 0, nil, false
	}
	return string(k[:i]), k[i+1], k[i+2:], true
}

// seqOf is the sequence number at the end of an index key.
func seqOf(k []byte) uint64 {
	if len(k) < 8 {
		return 0
	}
	return getU64(k[len(k)-8:])
}
