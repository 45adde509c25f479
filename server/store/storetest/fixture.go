package storetest

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
)

// t0 is the suite's clock origin; every time is relative to it so that runs are reproducible.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// fx is one test's store with helpers that fail the test on unexpected errors.
type fx struct {
	t   testing.TB
	s   store.Store
	ctx context.Context
}

func newFx(t *testing.T, open func(t *testing.T) store.Store) *fx {
	t.Helper()
	s := open(t)
	return &fx{t: t, s: s, ctx: context.Background()}
}

func hash(parts ...any) []byte {
	h := sha256.Sum256(fmt.Append(nil, parts...))
	return h[:]
}

func pubKey(seed byte) []byte {
	var s [ed25519.SeedSize]byte
	s[0] = seed
	return ed25519.NewKeyFromSeed(s[:]).Public().(ed25519.PublicKey)
}

func (f *fx) merchant(id, currency string) store.Merchant {
	f.t.Helper()
	m, err := f.s.CreateMerchant(f.ctx, store.Merchant{ID: id, Name: "Shop " + id, Currency: currency, CreatedAt: t0})
	if err != nil {
		f.t.Fatalf("CreateMerchant(%s): %v", id, err)
	}
	return m
}

// terminal creates and enrolls a terminal.
func (f *fx) terminal(id, merchantID string) store.Terminal {
	f.t.Helper()
	if _, err := f.s.CreateTerminal(f.ctx, store.Terminal{ID: id, MerchantID: merchantID, EnrollCodeHash: hash("code", id), CreatedAt: t0}); err != nil {
		f.t.Fatalf("CreateTerminal(%s): %v", id, err)
	}
	term, err := f.s.EnrollTerminal(f.ctx, store.Enrollment{CodeHash: hash("code", id), PublicKey: pubKey(1), At: t0})
	if err != nil {
		f.t.Fatalf("EnrollTerminal(%s): %v", id, err)
	}
	return term
}

func (f *fx) user(id string) store.User {
	f.t.Helper()
	u, err := f.s.CreateUser(f.ctx, store.User{ID: id, Name: "User " + id, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c2FsdA$aGFzaA", CreatedAt: t0})
	if err != nil {
		f.t.Fatalf("CreateUser(%s): %v", id, err)
	}
	return u
}

func (f *fx) account(id, userID, currency string, opening int64) store.Account {
	f.t.Helper()
	a, err := f.s.CreateAccount(f.ctx, store.Account{ID: id, OwnerID: userID, Currency: currency}, opening, t0)
	if err != nil {
		f.t.Fatalf("CreateAccount(%s): %v", id, err)
	}
	return a
}

func authorization(id, userID, accountID, currency string, capMinor int64, codes int, expires time.Time) store.Authorization {
	return store.Authorization{ID: id, UserID: userID, AccountID: accountID, Currency: currency,
		CapPerPayment: capMinor, MaxCodes: codes, DevicePublicKey: pubKey(2), SealedSecret: []byte("sealed-" + id),
		KeyID: "k1", CreatedAt: t0, ExpiresAt: expires}
}

func (f *fx) auth(id, userID, accountID, currency string, capMinor int64, codes int, expires time.Time) store.Authorization {
	f.t.Helper()
	a, err := f.s.CreateAuthorization(f.ctx, authorization(id, userID, accountID, currency, capMinor, codes, expires))
	if err != nil {
		f.t.Fatalf("CreateAuthorization(%s): %v", id, err)
	}
	return a
}

func (f *fx) balance(id string) int64 {
	f.t.Helper()
	a, err := f.s.GetAccount(f.ctx, id)
	if err != nil {
		f.t.Fatalf("GetAccount(%s): %v", id, err)
	}
	return a.Balance
}

// wantBalances fails the test unless every named account has the given balance.
func (f *fx) wantBalances(want map[string]int64) {
	f.t.Helper()
	for id, w := range want {
		if got := f.balance(id); got != w {
			f.t.Errorf("balance of %s = %d, want %d", id, got, w)
		}
	}
}

func (f *fx) apply(ops ...store.PaymentOp) []store.Outcome {
	f.t.Helper()
	outs, err := f.s.ApplyPayments(f.ctx, ops)
	if err != nil {
		f.t.Fatalf("ApplyPayments: %v", err)
	}
	if len(outs) != len(ops) {
		f.t.Fatalf("ApplyPayments returned %d outcomes for %d ops", len(outs), len(ops))
	}
	return outs
}

func (f *fx) apply1(op store.PaymentOp) store.Outcome {
	f.t.Helper()
	return f.apply(op)[0]
}

// check runs Check and fails the test on any problem.
func (f *fx) check() store.Report {
	f.t.Helper()
	rep, err := f.s.Check(f.ctx)
	if err != nil {
		f.t.Fatalf("Check: %v (problems: %q)", err, rep.Problems)
	}
	if !rep.OK() {
		f.t.Fatalf("Check found problems without an error: %q", rep.Problems)
	}
	return rep
}

func wantErr(t testing.TB, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want %v", what, err, target)
	}
}

func eur(minor int64) money.Amount { return money.Amount{Minor: minor, Currency: "EUR"} }

// pay builds an online payment op.
func pay(terminalID, txnID, authID string, counter uint64, amount money.Amount, at time.Time) store.PaymentOp {
	return store.PaymentOp{
		Key:             store.TxnKey{TerminalID: terminalID, TerminalTxnID: txnID},
		RequestHash:     hash(terminalID, txnID, authID, counter, amount.Minor, amount.Currency),
		Kind:            store.OpPayment,
		Now:             at,
		Amount:          amount,
		AuthorizationID: authID,
		CodeCounter:     counter,
		ApprovalID:      "ap-" + txnID,
		ApprovalCode:    "A" + fmt.Sprint(counter),
		KeyID:           "k1",
	}
}

// offline turns a payment op into one the terminal approved offline at approvedAt.
func offline(op store.PaymentOp, approvedAt time.Time) store.PaymentOp {
	op.Offline = true
	op.ApprovedAt = approvedAt
	op.RequestHash = hash(op.RequestHash, "offline", approvedAt.UnixNano())
	return op
}

func void(terminalID, txnID, target string, at time.Time) store.PaymentOp {
	return store.PaymentOp{Key: store.TxnKey{TerminalID: terminalID, TerminalTxnID: txnID},
		RequestHash: hash("void", terminalID, txnID, target), Kind: store.OpVoid, Now: at, TargetTxnID: target,
		ApprovalID: "ap-" + txnID, ApprovalCode: "V", KeyID: "k1"}
}

func refund(terminalID, txnID, target string, amount money.Amount, at time.Time) store.PaymentOp {
	return store.PaymentOp{Key: store.TxnKey{TerminalID: terminalID, TerminalTxnID: txnID},
		RequestHash: hash("refund", terminalID, txnID, target, amount.Minor), Kind: store.OpRefund, Now: at,
		TargetTxnID: target, Amount: amount, ApprovalID: "ap-" + txnID, ApprovalCode: "R", KeyID: "k1"}
}

// shop is the usual cast: merchant M1 (EUR) with terminal T1, user U1 with account A1 (opening balance),
// and authorization Z1 (cap 1000 × 5 codes, expiring at t0+24h).
func (f *fx) shop(opening int64) {
	f.t.Helper()
	f.merchant("M1", "EUR")
	f.terminal("T1", "M1")
	f.user("U1")
	f.account("A1", "U1", "EUR", opening)
	f.auth("Z1", "U1", "A1", "EUR", 1000, 5, t0.Add(24*time.Hour))
}
