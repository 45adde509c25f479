package boltstore

import (
	bolt "go.etcd.io/bbolt"

	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// The records written for every payment (txn, journal entry, authorization) are stored in a compact
// binary form: encoding them as JSON was a fifth of the writer's CPU. Each starts with a format byte so
// the form can change; everything else stays JSON.
const (
	fmtTxn   = 0xB1
	fmtEntry = 0xB2
	fmtAuth  = 0xB4 // every payment reads and rewrites its authorization, used codes included
	// fmtAuth2 is fmtAuth followed by the seqs of the authorization's txns (authEntry.txns). Records
	// of fmtAuth, written before, still decode, with no txns listed inline.
	fmtAuth2 = 0xB5
)

// errCorrupt reports a stored record that does not decode.
var errCorrupt = errors.New("boltstore: corrupt record")

// enc appends fields.
type enc struct{ b []byte }

func (e *enc) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) bytes(p []byte)   { e.uvarint(uint64(len(p))); e.b = append(e.b, p...) }

func (e *enc) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// zeroTime stands for the zero time.Time, which has no Unix microsecond value of its own.
const zeroTime = math.MinInt64

func (e *enc) time(t time.Time) {
	if t.IsZero() {
		e.varint(zeroTime)
		return
	}
	e.varint(t.UnixMicro())
}

// dec reads fields; the first failure sticks in err and later reads return zero values.
type dec struct {
	b   []byte
	err error
	// inTx makes bytes return slices of b instead of copies: only for records used inside the
	// transaction they were read in (bbolt keeps its pages valid until then).
	inTx bool
	// dropLists makes ascList check a list and skip it without keeping its bytes: for readers that
	// return the record without its lists (authOnly).
	dropLists bool
}

func (d *dec) fail() {
	if d.err == nil {
		d.err = errCorrupt
	}
	d.b = nil
}

func (d *dec) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) raw() []byte {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *dec) str() string { return string(d.raw()) }

// int reads a varint that must fit an int32 (counts).
func (d *dec) int() int {
	v := d.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail()
		return 0
	}
	return int(v)
}

func (d *dec) bytes() []byte {
	p := d.raw()
	if len(p) == 0 {
		return nil
	}
	if d.inTx {
		return p
	}
	return append([]byte(nil), p...)
}

func (d *dec) bool() bool {
	if len(d.b) == 0 || d.b[0] > 1 {
		d.fail()
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}

func (d *dec) time() time.Time {
	v := d.varint()
	if v == zeroTime || d.err != nil {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func (d *dec) header(format byte, what string) {
	if len(d.b) == 0 || d.b[0] != format {
		d.err = fmt.Errorf("%w: %s: unknown format", errCorrupt, what)
		d.b = nil
		return
	}
	d.b = d.b[1:]
}

func (d *dec) done(what string) error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %s: %d trailing bytes", errCorrupt, what, len(d.b))
	}
	if d.err != nil && !errors.Is(d.err, errCorrupt) {
		return d.err
	}
	if d.err != nil {
		return fmt.Errorf("%w (%s)", d.err, what)
	}
	return nil
}

func encodeTxn(t *store.Txn) []byte {
	o := &t.Outcome
	strs := [...]string{o.Key.TerminalID, o.Key.TerminalTxnID, string(o.Kind), string(o.Status), string(o.Code),
		o.Message, o.Amount.Currency, o.MerchantID, o.UserID, o.AccountID, o.AuthorizationID, o.TargetTxnID, o.Reference,
		o.ApprovalID, o.ApprovalCode, o.KeyID, t.VoidedBy}
	// Sized once: growing the buffer field by field was a tenth of encoding.
	n := 1 + len(t.RequestHash) + 2*len(strs) + 6*binary.MaxVarintLen64
	for _, s := range strs {
		n += len(s)
	}
	e := enc{b: make([]byte, 0, n)}
	e.b = append(e.b, fmtTxn)
	for _, s := range strs {
		e.str(s)
	}
	e.varint(o.Amount.Minor)
	e.uvarint(o.CodeCounter)
	e.uvarint(o.EntryID)
	e.uvarint(o.Seq)
	e.bool(o.Offline)
	e.time(o.ApprovedAt)
	e.time(o.SettledAt)
	e.bytes(t.RequestHash)
	e.bool(t.Tombstone)
	e.varint(t.RefundedMinor)
	e.time(t.VoidedAt)
	return e.b
}

func decodeTxn(b []byte) (store.Txn, error) {
	d := dec{b: b}
	d.header(fmtTxn, "txn")
	var t store.Txn
	o := &t.Outcome
	o.Key.TerminalID, o.Key.TerminalTxnID = d.str(), d.str()
	o.Kind, o.Status, o.Code = store.OpKind(d.str()), store.OpStatus(d.str()), protocol.Code(d.str())
	o.Message, o.Amount.Currency = d.str(), d.str()
	o.MerchantID, o.UserID, o.AccountID, o.AuthorizationID = d.str(), d.str(), d.str(), d.str()
	o.TargetTxnID, o.Reference, o.ApprovalID, o.ApprovalCode, o.KeyID = d.str(), d.str(), d.str(), d.str(), d.str()
	t.VoidedBy = d.str()
	o.Amount.Minor = d.varint()
	o.CodeCounter, o.EntryID, o.Seq = d.uvarint(), d.uvarint(), d.uvarint()
	o.Offline = d.bool()
	o.ApprovedAt, o.SettledAt = d.time(), d.time()
	t.RequestHash = d.bytes()
	t.Tombstone = d.bool()
	t.RefundedMinor = d.varint()
	t.VoidedAt = d.time()
	return t, d.done("txn")
}

func encodeEntry(x *store.Entry) []byte {
	n := 3*binary.MaxVarintLen64 + len(x.Kind) + len(x.Currency) + len(x.Ref) + 4
	for _, l := range x.Legs {
		n += len(l.AccountID) + 1 + binary.MaxVarintLen64
	}
	e := enc{b: make([]byte, 0, n)}
	e.b = append(e.b, fmtEntry)
	e.uvarint(x.ID)
	e.str(string(x.Kind))
	e.str(x.Currency)
	e.str(x.Ref)
	e.time(x.At)
	e.uvarint(uint64(len(x.Legs)))
	for _, l := range x.Legs {
		e.str(l.AccountID)
		e.varint(l.Delta)
	}
	return e.b
}

// maxLegs bounds a decoded entry; real ones have at most four.
const maxLegs = 64

func decodeEntry(b []byte) (store.Entry, error) {
	d := dec{b: b}
	d.header(fmtEntry, "entry")
	var x store.Entry
	x.ID = d.uvarint()
	x.Kind, x.Currency, x.Ref = store.EntryKind(d.str()), d.str(), d.str()
	x.At = d.time()
	n := d.uvarint()
	if n > maxLegs {
		d.fail()
		n = 0
	}
	if n > 0 {
		x.Legs = make([]store.Leg, 0, n)
	}
	for range n {
		x.Legs = append(x.Legs, store.Leg{AccountID: d.str(), Delta: d.varint()})
		if d.err != nil {
			break
		}
	}
	return x, d.done("entry")
}

// encodeAuthorization encodes an authorization with the counters of its used codes (ascending) and
// nothing else: see encodeAuthEntry.
func encodeAuthorization(a *store.Authorization, used []uint64) []byte {
	return encodeAuthEntry(&authEntry{a: *a, used: ascListOf(used)})
}

// encodeAuthEntry encodes an authorization with the counters of its used codes and the seqs of its
// txns (both ascending). The used codes and the txn list live in the record the payment rewrites
// anyway: as keys of their own they cost a lookup and a write each, and they made the authorization
// pages so full (two or three authorizations a page) that a batch dirtied a page per authorization.
func encodeAuthEntry(x *authEntry) []byte {
	a := &x.a
	n := 128 + len(a.ID) + len(a.UserID) + len(a.AccountID) + len(a.HoldAccountID) + len(a.KeyID) +
		len(a.DevicePublicKey) + len(a.Credential) + len(a.SealedSecret) + len(x.used.deltas) + len(x.txns.deltas) + 16
	e := enc{b: make([]byte, 0, n)}
	e.b = append(e.b, fmtAuth2)
	for _, s := range []string{a.ID, a.UserID, a.AccountID, a.HoldAccountID, a.Currency, a.KeyID} {
		e.str(s)
	}
	e.varint(a.CapPerPayment)
	e.varint(int64(a.MaxCodes))
	e.varint(a.HoldMinor)
	e.bytes(a.DevicePublicKey)
	e.bytes(a.SealedSecret)
	e.bytes(a.Credential)
	e.time(a.CreatedAt)
	e.time(a.ExpiresAt)
	e.time(a.RevokedAt)
	e.varint(int64(a.UsedCodes))
	e.varint(int64(a.ReplayedCodes))
	e.varint(a.ReleasedMinor)
	e.time(a.HoldClosedAt)
	e.ascList(&x.used)
	e.ascList(&x.txns)
	return e.b
}

func decodeAuthorization(b []byte) (store.Authorization, []uint64, error) {
	x, err := decodeAuthEntry(b)
	return x.a, x.used.Values(), err
}

// decodeAuthEntry decodes a record of either format.
func decodeAuthEntry(b []byte) (authEntry, error) { return decodeAuthEntryOf(dec{b: b}) }

// decodeAuthEntryInTx is decodeAuthEntry for the writer's cache: the keys and secrets are slices of b,
// not copies, so they must not be used after b's transaction ends. Every payment decodes its
// authorization; copying its 300 bytes of keys and credential was a tenth of that.
func decodeAuthEntryInTx(b []byte) (authEntry, error) {
	return decodeAuthEntryOf(dec{b: b, inTx: true})
}

func decodeAuthEntryOf(d dec) (authEntry, error) {
	b := d.b
	format := byte(fmtAuth2)
	if len(b) > 0 && b[0] == fmtAuth {
		format = fmtAuth
	}
	d.header(format, "authorization")
	var x authEntry
	a := &x.a
	a.ID, a.UserID, a.AccountID, a.HoldAccountID, a.Currency, a.KeyID = d.str(), d.str(), d.str(), d.str(), d.str(), d.str()
	a.CapPerPayment = d.varint()
	a.MaxCodes = d.int()
	a.HoldMinor = d.varint()
	a.DevicePublicKey, a.SealedSecret, a.Credential = d.bytes(), d.bytes(), d.bytes()
	a.CreatedAt, a.ExpiresAt, a.RevokedAt = d.time(), d.time(), d.time()
	a.UsedCodes, a.ReplayedCodes = d.int(), d.int()
	a.ReleasedMinor = d.varint()
	a.HoldClosedAt = d.time()
	x.used = d.ascList()
	if format == fmtAuth2 {
		x.txns = d.ascList()
	}
	if err := d.done("authorization"); err != nil {
		return authEntry{}, err
	}
	return x, nil
}

// getAuthorization reads authorization id and its used codes; store.ErrNotFound if absent.
func getAuthorization(b *bolt.Bucket, id string) (store.Authorization, []uint64, error) {
	x, err := getAuthEntry(b, id)
	return x.a, x.used.Values(), err
}

// getAuthEntry reads authorization id with its used codes and inline txn list; store.ErrNotFound if
// absent.
func getAuthEntry(b *bolt.Bucket, id string) (authEntry, error) {
	raw := b.Get(authKey(id))
	if raw == nil {
		return authEntry{}, fmt.Errorf("%w: authorization %s", store.ErrNotFound, id)
	}
	return decodeAuthEntry(raw)
}

// authOnly decodes an authorization record, dropping its used codes and txn list: every payment
// request reads its authorization this way, and at the bench's ~1,000 used codes copying both lists
// and expanding the codes into a []uint64 that was then dropped was most of the read (~5 µs). The
// lists are still checked, so a corrupt record is refused as before.
func authOnly(b []byte) (store.Authorization, error) {
	x, err := decodeAuthEntryOf(dec{b: b, dropLists: true})
	return x.a, err
}

// getTxn reads the txn at key; store.ErrNotFound if absent.
func getTxn(b *bolt.Bucket, key []byte) (store.Txn, error) {
	raw := b.Get(key)
	if raw == nil {
		return store.Txn{}, fmt.Errorf("%w: txn %q", store.ErrNotFound, key)
	}
	return decodeTxn(raw)
}
