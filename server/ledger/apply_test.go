package ledger

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// opSpec is one op in a few small numbers, so that the table test and the fuzz target share one
// encoding (10 bytes an op).
type opSpec struct {
	Kind       byte // 0 online, 1 offline, 2 void, 3 refund, 4 pre-decided decline
	Term       byte // terminal: 0 active, 1 revoked, other unknown
	Txn        byte // terminal txn id
	Auth       byte // 0..2 known, other unknown
	Counter    byte
	Amount     uint16
	At         int8 // minutes after t0: the server time
	ApprovedAt int8 // minutes after t0: offline approval time
	Target     byte // void and refund: the target's txn id
}

const specSize = 10

func (s opSpec) encode() []byte {
	return []byte{s.Kind, s.Term, s.Txn, s.Auth, s.Counter, byte(s.Amount >> 8), byte(s.Amount), byte(s.At), byte(s.ApprovedAt), s.Target}
}

func decodeSpecs(b []byte) []opSpec {
	var out []opSpec
	for ; len(b) >= specSize && len(out) < 64; b = b[specSize:] {
		out = append(out, opSpec{Kind: b[0] % 5, Term: b[1] % 3, Txn: b[2] % 16, Auth: b[3] % 4, Counter: b[4] % 8,
			Amount: uint16(b[5])<<8 | uint16(b[6]), At: int8(b[7]), ApprovedAt: int8(b[8]), Target: b[9] % 16})
	}
	return out
}

func (s opSpec) op() store.PaymentOp {
	term := [...]string{"T0", "T1", "T9"}[s.Term%3]
	auth := [...]string{"Z0", "Z1", "Z2", "Z9"}[s.Auth%4]
	op := store.PaymentOp{
		Key:             store.TxnKey{TerminalID: term, TerminalTxnID: fmt.Sprintf("x%d", s.Txn)},
		RequestHash:     s.encode(),
		Kind:            store.OpPayment,
		Now:             t0.Add(time.Duration(s.At) * time.Minute),
		Amount:          money.Amount{Minor: int64(s.Amount), Currency: "EUR"},
		AuthorizationID: auth,
		UserID:          [...]string{"U0", "U1", "U0", ""}[s.Auth%4], // as the service names a verified payload's user
		CodeCounter:     uint64(s.Counter),
		ApprovalID:      fmt.Sprintf("ap%d", s.Txn),
		ApprovalCode:    "ABC123",
		KeyID:           "k1",
		// As the service sends every payment: judged under small failed-code limits.
		Throttle: &store.Throttle{Since: t0.Add(time.Duration(s.At)*time.Minute - 15*time.Minute),
			User: store.CodeLimits{PerWindow: 2, PerDay: 3}, Terminal: store.CodeLimits{PerWindow: 3, PerDay: 5}},
	}
	switch s.Kind {
	case 1:
		op.Offline, op.ApprovedAt = true, t0.Add(time.Duration(s.ApprovedAt)*time.Minute)
	case 2:
		op.Kind, op.TargetTxnID, op.AuthorizationID, op.Throttle = store.OpVoid, fmt.Sprintf("x%d", s.Target), "", nil
	case 3:
		op.Kind, op.TargetTxnID, op.AuthorizationID, op.Throttle = store.OpRefund, fmt.Sprintf("x%d", s.Target), "", nil
	case 4:
		op.Decline = &store.Decline{Code: protocol.CodeCodeInvalid, Message: "bad code", CountFailure: true}
		op.UserID = "U0"
	}
	return op
}

// world is a merchant with an active and a revoked terminal, two customers and three authorizations:
// Z0 (A0, cap 1000 × 5, expires t0+60m), Z1 (A1, cap 500 × 4, A1 left with 1000), Z2 (A0, cap 1000 × 3,
// revoked at t0+30m).
func world(t testing.TB) *memTx {
	m := newMemTx()
	m.merchants["M"] = store.Merchant{ID: "M", Currency: "EUR", AccountID: "merchant:M"}
	m.accounts["merchant:M"] = store.Account{ID: "merchant:M", Kind: store.AccountMerchant, Currency: "EUR", OwnerID: "M"}
	m.terminals["T0"] = store.Terminal{ID: "T0", MerchantID: "M", State: store.TerminalActive}
	m.terminals["T1"] = store.Terminal{ID: "T1", MerchantID: "M", State: store.TerminalRevoked}
	m.addAccount(store.Account{ID: "A0", Kind: store.AccountCustomer, Currency: "EUR", OwnerID: "U0"}, 100_000)
	m.addAccount(store.Account{ID: "A1", Kind: store.AccountCustomer, Currency: "EUR", OwnerID: "U1"}, 3_000)
	for _, a := range []store.Authorization{
		{ID: "Z0", UserID: "U0", AccountID: "A0", Currency: "EUR", CapPerPayment: 1000, MaxCodes: 5, ExpiresAt: t0.Add(time.Hour)},
		{ID: "Z1", UserID: "U1", AccountID: "A1", Currency: "EUR", CapPerPayment: 500, MaxCodes: 4, ExpiresAt: t0.Add(time.Hour)},
		{ID: "Z2", UserID: "U0", AccountID: "A0", Currency: "EUR", CapPerPayment: 1000, MaxCodes: 3, ExpiresAt: t0.Add(time.Hour)},
	} {
		a.DevicePublicKey, a.SealedSecret, a.CreatedAt = make([]byte, 32), []byte("s"), t0.Add(-time.Hour)
		if err := m.addAuthorization(a); err != nil {
			t.Fatal(err)
		}
	}
	z2 := m.auths["Z2"]
	z2.RevokedAt = t0.Add(30 * time.Minute)
	m.auths["Z2"] = z2
	return m
}

// approved marks a row's op that must be approved; invalid one that must come back with
// ErrInvalidArgument; refused one that the throttle refused (ErrThrottled, nothing recorded).
const (
	approved protocol.Code = ""
	invalid  protocol.Code = "invalid"
	refused  protocol.Code = "refused"
)

var applyTable = []struct {
	name  string
	specs []opSpec
	want  []protocol.Code
}{
	{"online payment", []opSpec{{Amount: 700, At: 5}}, []protocol.Code{approved}},
	{"online at the cap", []opSpec{{Amount: 1000, At: 5}}, []protocol.Code{approved}},
	{"online over the cap needs the customer's confirmation", []opSpec{{Amount: 1001, At: 5}, {Txn: 1, Amount: 50_000, At: 5}},
		[]protocol.Code{protocol.CodeConfirmationRequired, protocol.CodeConfirmationRequired}},
	{"the cap is checked before the balance", []opSpec{{Auth: 1, Amount: 1600, At: 5}}, []protocol.Code{protocol.CodeConfirmationRequired}},
	{"code used twice", []opSpec{{Txn: 1, Amount: 5, At: 5}, {Txn: 2, Amount: 5, At: 6}}, []protocol.Code{approved, protocol.CodeCodeUsed}},
	{"out of codes", []opSpec{{Auth: 2, Txn: 1, Counter: 0, Amount: 1, At: 1}, {Auth: 2, Txn: 2, Counter: 1, Amount: 1, At: 1},
		{Auth: 2, Txn: 3, Counter: 2, Amount: 1, At: 1}, {Auth: 2, Txn: 4, Counter: 3, Amount: 1, At: 1}},
		[]protocol.Code{approved, approved, approved, protocol.CodeOfflineCountExceeded}},
	{"counter at or beyond max codes", []opSpec{{Auth: 2, Txn: 1, Counter: 3, Amount: 1, At: 1}, {Kind: 1, Auth: 2, Txn: 2, Counter: 7, Amount: 1, At: 2, ApprovedAt: 1}},
		[]protocol.Code{protocol.CodeOfflineCountExceeded, protocol.CodeOfflineCountExceeded}},
	{"expired online", []opSpec{{Amount: 5, At: 60}}, []protocol.Code{protocol.CodeCredentialExpired}},
	{"offline before expiry settles late", []opSpec{{Kind: 1, Amount: 1000, At: 100, ApprovedAt: 59}}, []protocol.Code{approved}},
	{"offline after expiry", []opSpec{{Kind: 1, Amount: 5, At: 100, ApprovedAt: 60}}, []protocol.Code{protocol.CodeCredentialExpired}},
	{"offline over the cap", []opSpec{{Kind: 1, Amount: 1001, At: 5, ApprovedAt: 4}}, []protocol.Code{protocol.CodeOverCap}},
	{"revoked", []opSpec{{Auth: 2, Amount: 5, At: 31}, {Kind: 1, Auth: 2, Txn: 1, Amount: 5, At: 40, ApprovedAt: 29}},
		[]protocol.Code{protocol.CodeCredentialRevoked, approved}},
	{"unknown authorization", []opSpec{{Auth: 3, Amount: 5, At: 5}}, []protocol.Code{protocol.CodeAuthorizationUnknown}},
	{"revoked and unknown terminals", []opSpec{{Term: 1, Amount: 5, At: 5}, {Term: 2, Amount: 5, At: 5}},
		[]protocol.Code{protocol.CodeTerminalRevoked, protocol.CodeTerminalUnknown}},
	{"void and refund", []opSpec{{Txn: 1, Amount: 900, At: 5}, {Kind: 3, Txn: 2, Target: 1, Amount: 400, At: 6},
		{Kind: 3, Txn: 3, Target: 1, Amount: 501, At: 6}, {Kind: 2, Txn: 4, Target: 1, At: 7}, {Kind: 2, Txn: 5, Target: 1, At: 7}},
		[]protocol.Code{approved, approved, protocol.CodeRefundExceeds, approved, protocol.CodeAlreadyVoided}},
	{"void before the payment", []opSpec{{Kind: 2, Txn: 1, Target: 2, At: 5}, {Txn: 2, Amount: 5, At: 6}},
		[]protocol.Code{approved, protocol.CodeAlreadyVoided}},
	{"refund of nothing", []opSpec{{Kind: 3, Txn: 1, Target: 9, Amount: 5, At: 5}}, []protocol.Code{protocol.CodeTransactionUnknown}},
	{"pre-decided decline", []opSpec{{Kind: 4, Amount: 5, At: 5}}, []protocol.Code{protocol.CodeCodeInvalid}},
	{"the user's window limit refuses the next op, even a right code", []opSpec{{Kind: 4, Txn: 1, Amount: 5, At: 5}, {Kind: 4, Txn: 2, Amount: 5, At: 5},
		{Kind: 4, Txn: 3, Amount: 5, At: 6}, {Txn: 4, Amount: 5, At: 6}, {Kind: 1, Txn: 5, Amount: 5, At: 6, ApprovedAt: 5}},
		[]protocol.Code{protocol.CodeCodeInvalid, protocol.CodeCodeInvalid, refused, refused, refused}},
	{"another user's payments go on", []opSpec{{Kind: 4, Txn: 1, Amount: 5, At: 5}, {Kind: 4, Txn: 2, Amount: 5, At: 5},
		{Auth: 1, Txn: 3, Amount: 5, At: 6}}, []protocol.Code{protocol.CodeCodeInvalid, protocol.CodeCodeInvalid, approved}},
	{"the window passes, the daily limit stays", []opSpec{{Kind: 4, Txn: 1, Amount: 5, At: 1}, {Kind: 4, Txn: 2, Amount: 5, At: 1},
		{Kind: 4, Txn: 3, Amount: 5, At: 20}, {Kind: 4, Txn: 4, Amount: 5, At: 40}},
		[]protocol.Code{protocol.CodeCodeInvalid, protocol.CodeCodeInvalid, protocol.CodeCodeInvalid, refused}},
	{"zero amount", []opSpec{{Amount: 0, At: 5}}, []protocol.Code{invalid}},
}

func TestApply(t *testing.T) {
	for _, row := range applyTable {
		t.Run(row.name, func(t *testing.T) {
			m := world(t)
			for i, s := range row.specs {
				o := applyChecked(t, m, s.op())
				switch want := row.want[i]; {
				case want == invalid:
					if !errors.Is(o.Err, store.ErrInvalidArgument) {
						t.Errorf("op %d: %+v, want ErrInvalidArgument", i, o)
					}
				case want == refused:
					if !errors.Is(o.Err, store.ErrThrottled) {
						t.Errorf("op %d: %+v, want ErrThrottled", i, o)
					}
				case want == approved && !o.Approved():
					t.Errorf("op %d: %s %s (%s), want approved", i, o.Status, o.Code, o.Message)
				case want != approved && (o.Status != store.StatusDeclined || o.Code != want):
					t.Errorf("op %d: %s %s (%s) %v, want declined %s", i, o.Status, o.Code, o.Message, o.Err, want)
				}
			}
			if rep, err := m.check(); err != nil {
				t.Errorf("Check: %v %q", err, rep.Problems)
			}
		})
	}
}

// applyChecked applies op, then applies it again and requires the identical answer.
func applyChecked(t testing.TB, m *memTx, op store.PaymentOp) store.Outcome {
	t.Helper()
	o, err := Apply(m, op)
	if err != nil {
		t.Fatalf("Apply %s: %v", op.Key, err)
	}
	if o.Err != nil && !errors.Is(o.Err, store.ErrInvalidArgument) && !errors.Is(o.Err, store.ErrIdempotencyMismatch) && !errors.Is(o.Err, store.ErrThrottled) {
		t.Fatalf("Apply %s: unexpected per-op error %v", op.Key, o.Err)
	}
	if _, recorded := m.txns[op.Key]; errors.Is(o.Err, store.ErrThrottled) && recorded {
		t.Fatalf("Apply %s: throttled, yet recorded", op.Key)
	}
	again, err := Apply(m, op)
	if err != nil {
		t.Fatalf("Apply again %s: %v", op.Key, err)
	}
	if o.Err == nil {
		tomb := m.txns[op.Key].Tombstone
		again.Replayed = again.Replayed || tomb
		if !again.Replayed {
			t.Fatalf("Apply again %s: not a replay", op.Key)
		}
		again.Replayed = o.Replayed
		if !reflect.DeepEqual(o, again) {
			t.Fatalf("Apply again %s:\n got %+v\nwant %+v", op.Key, again, o)
		}
	}
	return o
}

// FuzzApply applies any sequence of ops to the world: every answer is final (a retry gets it again),
// and the ledger stays consistent: entries balance, balances sum to zero, none negative, holds match.
func FuzzApply(f *testing.F) {
	for _, row := range applyTable {
		var seed []byte
		for _, s := range row.specs {
			seed = append(seed, s.encode()...)
		}
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m := world(t)
		for _, s := range decodeSpecs(data) {
			applyChecked(t, m, s.op())
		}
		if rep, err := m.check(); err != nil {
			t.Fatalf("Check: %v %q", err, rep.Problems)
		}
	})
}

func TestPaymentLegs(t *testing.T) {
	for _, tc := range []struct {
		slot, amount int64
		want         []store.Leg
	}{
		{1000, 700, []store.Leg{{AccountID: "h", Delta: -1000}, {AccountID: "c", Delta: 1000}, {AccountID: "c", Delta: -700}, {AccountID: "m", Delta: 700}}},
		{0, 700, []store.Leg{{AccountID: "c", Delta: -700}, {AccountID: "m", Delta: 700}}},
	} {
		if got := PaymentLegs("h", "c", "m", tc.slot, tc.amount); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("PaymentLegs(%d, %d) = %+v, want %+v", tc.slot, tc.amount, got, tc.want)
		}
	}
}
