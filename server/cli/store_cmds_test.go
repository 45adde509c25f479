package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/server/store/boltstore"
	"github.com/stillpay/stillpay/server/store/pgstore"
	"github.com/stillpay/stillpay/server/store/pgstore/pgtest"
	"github.com/stillpay/stillpay/shared/money"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

// fillBolt makes an embedded store with a merchant, a terminal, two users with authorizations, and
// payments, a refund and a void-before-arrival, and returns the merchant's balance.
func fillBolt(t *testing.T, dir string) int64 {
	t.Helper()
	ctx := context.Background()
	s, err := boltstore.Open(dir, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = s.CreateMerchant(ctx, store.Merchant{ID: "M1", Currency: "EUR", CreatedAt: t0})
	must(err)
	_, err = s.CreateTerminal(ctx, store.Terminal{ID: "T1", MerchantID: "M1", EnrollCodeHash: []byte("h1"), CreatedAt: t0})
	must(err)
	_, err = s.EnrollTerminal(ctx, store.Enrollment{CodeHash: []byte("h1"), PublicKey: make([]byte, 32), At: t0})
	must(err)
	var ops []store.PaymentOp
	for i := range 2 {
		u := fmt.Sprintf("U%d", i)
		_, err = s.CreateUser(ctx, store.User{ID: u, PasswordHash: "x", CreatedAt: t0})
		must(err)
		_, err = s.CreateAccount(ctx, store.Account{ID: "A" + u, OwnerID: u, Currency: "EUR"}, 10_000, t0)
		must(err)
		_, err = s.CreateAuthorization(ctx, store.Authorization{ID: "Z" + u, UserID: u, AccountID: "A" + u, Currency: "EUR",
			CapPerPayment: 500, MaxCodes: 4, DevicePublicKey: make([]byte, 32), SealedSecret: []byte("s"), CreatedAt: t0,
			ExpiresAt: t0.Add(time.Hour)})
		must(err)
		for c := range 3 {
			id := fmt.Sprintf("p%d%d", i, c)
			ops = append(ops, store.PaymentOp{Key: store.TxnKey{TerminalID: "T1", TerminalTxnID: id}, RequestHash: []byte(id),
				Kind: store.OpPayment, Now: t0.Add(time.Minute), Amount: money.Amount{Minor: 100, Currency: "EUR"},
				AuthorizationID: "Z" + u, CodeCounter: uint64(c), ApprovalID: "ap" + id, ApprovalCode: "A", KeyID: "k"})
		}
	}
	ops = append(ops,
		store.PaymentOp{Key: store.TxnKey{TerminalID: "T1", TerminalTxnID: "r1"}, RequestHash: []byte("r1"), Kind: store.OpRefund,
			Now: t0.Add(2 * time.Minute), Amount: money.Amount{Minor: 40, Currency: "EUR"}, TargetTxnID: "p00", ApprovalID: "apr1"},
		store.PaymentOp{Key: store.TxnKey{TerminalID: "T1", TerminalTxnID: "v1"}, RequestHash: []byte("v1"), Kind: store.OpVoid,
			Now: t0.Add(2 * time.Minute), TargetTxnID: "never-arrived", ApprovalID: "apv1"})
	outs, err := s.ApplyPayments(ctx, ops)
	must(err)
	for _, o := range outs {
		if !o.Approved() {
			t.Fatalf("fixture op %s: %s %s %v", o.Key, o.Status, o.Code, o.Err)
		}
	}
	m, err := s.GetAccount(ctx, store.MerchantAccountID("M1"))
	must(err)
	return m.Balance
}

func TestAdminCopyStore(t *testing.T) {
	dir := t.TempDir()
	merchantBalance := fillBolt(t, dir)
	dsn := pgtest.DSN(t)

	code, out, errOut := runCLI(t, "admin", "copy-store", "--from", dir, "--to", dsn, "--json")
	if code != 0 {
		t.Fatalf("copy-store exited %d: %s", code, errOut)
	}
	var rep copyReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("copy-store --json printed %q: %v", out, err)
	}
	// 6 payments + refund + void + tombstone; 2 openings + 2 holds + 6 payments + refund.
	if rep.Copy.Txns != 9 || rep.Copy.Entries != 11 || rep.Copy.UsedCodes != 6 || rep.Records == 0 {
		t.Errorf("copy report %+v", rep)
	}

	pg, err := pgstore.Open(t.Context(), dsn, pgstore.Options{NoMigrate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if rep, err := pg.Check(t.Context()); err != nil {
		t.Fatalf("Check of the copy: %v %q", err, rep.Problems)
	}
	m, err := pg.GetAccount(t.Context(), store.MerchantAccountID("M1"))
	if err != nil || m.Balance != merchantBalance || merchantBalance != 6*100-40 {
		t.Errorf("merchant balance in the copy %d (%v), source %d", m.Balance, err, merchantBalance)
	}
	// The copy goes on where the source stopped: a replay answers from the copied record.
	txn, err := pg.GetTxn(t.Context(), store.TxnKey{TerminalID: "T1", TerminalTxnID: "never-arrived"})
	if err != nil || !txn.Tombstone {
		t.Errorf("tombstone not copied: %+v %v", txn, err)
	}

	// A second copy into the same database is refused: it is no longer empty.
	code, _, errOut = runCLI(t, "admin", "copy-store", "--from", dir, "--to", dsn)
	if code == 0 || !strings.Contains(errOut, "not empty") {
		t.Errorf("second copy exited %d: %s", code, errOut)
	}
	// A mistyped source is an error, not an empty copy.
	code, _, errOut = runCLI(t, "admin", "copy-store", "--from", t.TempDir(), "--to", pgtest.DSN(t))
	if code == 0 || !strings.Contains(errOut, "no store there") {
		t.Errorf("copy from an empty directory exited %d: %s", code, errOut)
	}
}

func TestAdminMigrate(t *testing.T) {
	dsn := pgtest.DSN(t)
	// Trust authentication ignores a password, so the URL can carry one to prove it is never printed.
	withPassword := strings.Replace(dsn, "://postgres@", "://postgres:hunter2secret@", 1)
	code, out, errOut := runCLI(t, "admin", "migrate", "--store", withPassword)
	if code != 0 || !strings.Contains(out, "applied migrations [1") {
		t.Fatalf("first migrate exited %d: %q %q", code, out, errOut)
	}
	if strings.Contains(out+errOut, "hunter2secret") {
		t.Errorf("migrate printed the database password: %q %q", out, errOut)
	}
	t.Setenv("STILLPAY_STORE", dsn)
	code, out, errOut = runCLI(t, "admin", "migrate")
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Errorf("second migrate (store from $STILLPAY_STORE) exited %d: %q %q", code, out, errOut)
	}
	t.Setenv("STILLPAY_STORE", "")
	code, _, errOut = runCLI(t, "admin", "migrate", "--store", t.TempDir())
	if code == 0 || !strings.Contains(errOut, "postgres://") {
		t.Errorf("migrate of a directory exited %d: %q", code, errOut)
	}
}
