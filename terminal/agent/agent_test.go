package agent

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/hardware/printer"
	"github.com/stillpay/stillpay/shared/clock/clocktest"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/client"
	"github.com/stillpay/stillpay/terminal/config"
	"github.com/stillpay/stillpay/terminal/internal/paytest"
	"github.com/stillpay/stillpay/terminal/offline"
	"github.com/stillpay/stillpay/terminal/queue"
)

// fakeServer answers transactions the way settlementd does, or fails the way a network does.
type fakeServer struct {
	iss    *paytest.Issuer
	signer *paytest.Issuer // signs approvals if set: the server's key after a rotation
	mu     sync.Mutex
	mode   string // "approve", "decline", "down", "timeout", "hang", "forged"
	reqs   []protocol.TransactionRequest
	// budgets are the time each request had left (its context's deadline) when it arrived.
	budgets []time.Duration
}

func (f *fakeServer) Transaction(ctx context.Context, req protocol.TransactionRequest) (protocol.TransactionResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, req)
	switch f.mode {
	case "down":
		return protocol.TransactionResponse{}, &client.UnreachableError{Attempts: 3, MaybeSent: false, Err: errors.New("connection refused")}
	case "timeout":
		return protocol.TransactionResponse{}, &client.UnreachableError{Attempts: 3, MaybeSent: true, Err: context.DeadlineExceeded}
	case "hang": // accepts the request and never answers, as a hung server does
		if dl, ok := ctx.Deadline(); ok {
			f.budgets = append(f.budgets, time.Until(dl))
		}
		<-ctx.Done()
		return protocol.TransactionResponse{}, &client.UnreachableError{Attempts: 1, MaybeSent: true, Err: ctx.Err()}
	case "decline":
		return protocol.TransactionResponse{TerminalTxnID: req.TerminalTxnID, Status: protocol.StatusDeclined, Code: protocol.CodeInsufficientFunds, Message: "not enough money"}, nil
	}
	p, _ := payload.Parse(req.Payload)
	ap := protocol.Approval{ApprovalID: "AP-1", ApprovalCode: "K7Q2ZP", TerminalID: "T-1", TerminalTxnID: req.TerminalTxnID,
		Amount: req.Amount, MaskedCustomer: p.Masked(), AuthorizationID: p.AuthorizationID, ApprovedAt: now}
	key, keyID := f.iss.Key, f.iss.KeyID
	if f.signer != nil {
		key, keyID = f.signer.Key, f.signer.KeyID
	}
	if f.mode == "forged" {
		key = paytest.NewIssuer().Key
	}
	if f.mode == "group" || f.mode == "group-tampered" {
		return groupAnswer(req.TerminalTxnID, ap, keyID, key, f.mode == "group-tampered"), nil
	}
	sa, _ := protocol.SignApproval(ap, keyID, key)
	return protocol.TransactionResponse{TerminalTxnID: req.TerminalTxnID, Status: protocol.StatusApproved, Approval: &sa}, nil
}

// groupAnswer proves ap in a group of three approvals signed once, as settlementd answers a
// terminal that announces group proofs (the client has checked the nonce by then); tampered raises
// the amount after signing.
func groupAnswer(txn string, ap protocol.Approval, keyID string, key ed25519.PrivateKey, tampered bool) protocol.TransactionResponse {
	raw, _ := json.Marshal(ap)
	const nonce = "00112233445566778899aabbccddeeff"
	leaves := [][32]byte{protocol.ApprovalLeaf("T-9", "n-0", []byte(`{}`)), protocol.ApprovalLeaf(ap.TerminalID, nonce, raw), protocol.ApprovalLeaf("T-8", "n-2", []byte(`{}`))}
	proof := protocol.SignApprovalGroup(leaves, key)[1]
	proof.TerminalID, proof.Nonce = ap.TerminalID, nonce
	if tampered {
		ap.Amount.Minor *= 100
		raw, _ = json.Marshal(ap)
	}
	return protocol.TransactionResponse{TerminalTxnID: txn, Status: protocol.StatusApproved,
		Approval: &protocol.SignedApproval{Approval: raw, KeyID: keyID, Group: &proof}}
}

// fakePrinter keeps jobs and can run out of paper.
type fakePrinter struct {
	mu       sync.Mutex
	jobs     [][]byte
	paperOut bool
	// unconfirmed: the job is sent but the printer cannot confirm it; the driver ran out of time
	// (Unknown with the context's error).
	unconfirmed bool
	drawerKicks int // OpenDrawer calls (cash_drawer configured)
}

func (p *fakePrinter) OpenDrawer(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.drawerKicks++
	return nil
}

func (p *fakePrinter) Print(_ context.Context, job []byte) (printer.Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paperOut {
		return printer.NotPrinted, &printer.StatusError{Err: printer.ErrPaperOut}
	}
	p.jobs = append(p.jobs, job)
	if p.unconfirmed {
		return printer.Unknown, context.DeadlineExceeded
	}
	return printer.Printed, nil
}

func (p *fakePrinter) Status(context.Context) (printer.Status, error) {
	return printer.Status{Online: true}, nil
}

func (p *fakePrinter) Profile() printer.Profile {
	prof, _ := printer.LookupProfile("generic-80mm")
	return prof
}

var (
	now    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	limits = protocol.TerminalLimits{Currency: "EUR", FloorLimitMinor: 5000, OfflineMaxCount: 10, OfflineMaxMinor: 20000, OfflineMaxAgeSecs: 86400}
)

type rig struct {
	ag     *Agent
	store  *queue.Memory
	srv    *fakeServer
	prn    *fakePrinter
	wallet *paytest.Wallet
	iss    *paytest.Issuer
}

// newRig makes an agent enrolled with a fresh server key; with, if given, changes its options.
func newRig(t *testing.T, mode string, with ...func(*rig, *Options)) *rig {
	iss := paytest.NewIssuer()
	r := &rig{store: queue.NewMemory(), srv: &fakeServer{iss: iss, mode: mode}, prn: &fakePrinter{}, iss: iss,
		wallet: iss.Authorize("alice", "A-1", "EUR", 5000, 20, now.Add(-time.Hour), 24*time.Hour)}
	opt := Options{
		Store: r.store, Server: r.srv, Verifier: offline.NewVerifier(iss.ServerKeys(), limits, true), Printer: r.prn,
		Identity: config.IdentityState{TerminalID: "T-1", MerchantName: "Corner Shop", ReceiptHeader: []string{"1 Main St"}, ServerKeys: iss.ServerKeys(), Limits: limits},
		Receipt:  config.Receipt{Footer: []string{"Thank you"}}, Currency: "EUR", ScanTimeout: 5 * time.Second, Clock: clocktest.NewFake(now),
	}
	for _, w := range with {
		w(r, &opt)
	}
	r.ag = New(opt)
	t.Cleanup(r.ag.Close)
	return r
}

// sell runs one sale to its end with code.
func (r *rig) sell(t *testing.T, minor int64, code string) SaleView {
	t.Helper()
	ctx := context.Background()
	id, err := r.ag.StartSale(ctx, money.Amount{Minor: minor, Currency: "EUR"}, "REG-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.ag.SubmitCode(id, code); err != nil {
		t.Fatal(err)
	}
	return r.waitFinal(t, id)
}

func (r *rig) waitFinal(t *testing.T, id string) SaleView {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := r.ag.Wait(ctx, id, SaleWaiting)
	for err == nil && !v.Final && ctx.Err() == nil {
		v, err = r.ag.Wait(ctx, id, v.State)
	}
	if err != nil || !v.Final {
		t.Fatalf("sale %s did not finish: %+v %v", id, v, err)
	}
	// The receipt prints after the outcome is published; wait for its status.
	for v.State == SaleApproved && v.PrintStatus == "" && ctx.Err() == nil {
		ch := r.ag.changes()
		if v, _ = r.ag.Sale(ctx, id); v.PrintStatus == "" {
			select {
			case <-ch:
			case <-ctx.Done():
			}
		}
	}
	return v
}

func (r *rig) record(t *testing.T, id string) queue.Record {
	t.Helper()
	var rec queue.Record
	r.store.View(context.Background(), func(tx queue.Tx) error {
		var err error
		rec, err = tx.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		return nil
	})
	return rec
}

func (r *rig) outbox(t *testing.T) []queue.Record {
	t.Helper()
	var out []queue.Record
	r.store.View(context.Background(), func(tx queue.Tx) error {
		out, _ = tx.Outbox(0)
		return nil
	})
	return out
}

func TestOnlineApproval(t *testing.T) {
	r := newRig(t, "approve")
	code := r.wallet.Code(now)
	v := r.sell(t, 1250, code)
	if v.State != SaleApproved || v.Offline || v.ApprovalCode != "K7Q2ZP" || v.Customer != "a***e" || v.PrintStatus != PrintPrinted {
		t.Fatalf("sale: %+v", v)
	}
	rec := r.record(t, v.ID)
	if rec.State != queue.StateApproved || rec.Approval == nil || len(r.outbox(t)) != 0 {
		t.Fatalf("record: %+v, outbox %d", rec, len(r.outbox(t)))
	}
	if len(r.srv.reqs) != 1 || r.srv.reqs[0].TerminalTxnID != v.ID || r.srv.reqs[0].Reference != "REG-1" {
		t.Fatalf("requests: %+v", r.srv.reqs)
	}
	text, err := r.ag.ReceiptText(context.Background(), v.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Corner Shop", "1 Main St", "€12.50", "a***e", "K7Q2ZP", "ONLINE APPROVAL", v.ID, "Thank you"} {
		if !strings.Contains(text, want) {
			t.Errorf("receipt lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, code[4:20]) || strings.Contains(string(r.prn.jobs[0]), code[4:20]) {
		t.Fatal("the payment code leaked onto the receipt")
	}
}

func TestOfflineFallbackKeepsTheID(t *testing.T) {
	// Only a request that never reached the server ("down") is approved offline under its id; an
	// unanswered one is reversed (breaker_test.go).
	for _, mode := range []string{"down"} {
		t.Run(mode, func(t *testing.T) {
			r := newRig(t, mode)
			v := r.sell(t, 1250, r.wallet.Code(now))
			if v.State != SaleApproved || !v.Offline || !strings.HasPrefix(v.ApprovalCode, "OFF") {
				t.Fatalf("sale: %+v", v)
			}
			out := r.outbox(t)
			if len(out) != 1 || out[0].TxnID != v.ID || out[0].Kind != protocol.KindOffline || !out[0].ApprovedAt.Equal(now) {
				t.Fatalf("outbox: %+v", out)
			}
			if out[0].MaybeSent != (false) {
				t.Fatalf("maybe sent = %v", out[0].MaybeSent)
			}
			text, _ := r.ag.ReceiptText(context.Background(), v.ID)
			if !strings.Contains(text, "OFFLINE APPROVAL") || !strings.Contains(text, "guaranteed by credential A-1") {
				t.Fatalf("receipt:\n%s", text)
			}
		})
	}
}

func TestUnreachableAndNotApprovableOffline(t *testing.T) {
	cases := []struct {
		mode       string
		wantVoid   bool
		wantReason string
	}{{"down", false, "cannot be approved offline"}, {"timeout", true, "no answer from the server"}}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			r := newRig(t, tc.mode)
			v := r.sell(t, 6000, r.wallet.Code(now)) // over the floor limit and the cap
			if v.State != SaleDeclined || v.Code == "" || !strings.Contains(v.Reason, tc.wantReason) {
				t.Fatalf("sale: %+v", v)
			}
			out := r.outbox(t)
			if !tc.wantVoid {
				if len(out) != 0 {
					t.Fatalf("never-sent request queued something: %+v", out)
				}
				return
			}
			if len(out) != 1 || out[0].Kind != protocol.KindVoid || out[0].TargetTxnID != v.ID {
				t.Fatalf("want a void of %s, outbox %+v", v.ID, out)
			}
		})
	}
}

func TestDeclines(t *testing.T) {
	r := newRig(t, "decline")
	v := r.sell(t, 100, r.wallet.Code(now))
	if v.State != SaleDeclined || v.Code != protocol.CodeInsufficientFunds {
		t.Fatalf("server decline: %+v", v)
	}
	for _, garbage := range []string{"4006381333931", "SP1:%%%", "SP9:ABC", ""} {
		v := r.sell(t, 100, garbage)
		if v.State != SaleDeclined || !strings.HasPrefix(string(v.Code), "payload_") {
			t.Fatalf("garbage %q: %+v", garbage, v)
		}
	}
	if len(r.srv.reqs) != 1 {
		t.Fatalf("garbage reached the server: %d requests", len(r.srv.reqs))
	}
	if r.prn.jobs != nil {
		t.Fatal("a declined sale printed a receipt")
	}
}

func TestReplayOnSameTerminal(t *testing.T) {
	r := newRig(t, "approve")
	code := r.wallet.Code(now)
	if v := r.sell(t, 100, code); v.State != SaleApproved {
		t.Fatalf("first use: %+v", v)
	}
	v := r.sell(t, 100, code)
	if v.State != SaleDeclined || v.Code != protocol.CodeCodeUsed {
		t.Fatalf("replay: %+v", v)
	}
	if len(r.srv.reqs) != 1 {
		t.Fatal("a replayed code was sent to the server")
	}
}

// TestForgedApprovalIsVoided: an approval signed by a key the terminal does not trust, or proven in
// a group and changed after the group was signed, is not accepted; the attempt is reversed.
func TestForgedApprovalIsVoided(t *testing.T) {
	for _, mode := range []string{"forged", "group-tampered"} {
		t.Run(mode, func(t *testing.T) {
			r := newRig(t, mode)
			v := r.sell(t, 100, r.wallet.Code(now))
			if v.State != SaleDeclined {
				t.Fatalf("%s approval accepted: %+v", mode, v)
			}
			if out := r.outbox(t); len(out) != 1 || out[0].Kind != protocol.KindVoid || out[0].TargetTxnID != v.ID {
				t.Fatalf("outbox: %+v", out)
			}
		})
	}
}

// TestGroupApprovalIsVerifiedAndKept: an approval proven in a group is verified with the server
// keys, and the sale keeps the proof (its audit path and the group signature) with its approval.
func TestGroupApprovalIsVerifiedAndKept(t *testing.T) {
	r := newRig(t, "group")
	v := r.sell(t, 100, r.wallet.Code(now))
	if v.State != SaleApproved {
		t.Fatalf("group approval refused: %+v", v)
	}
	rec := r.record(t, v.ID)
	if rec.Approval == nil || rec.Approval.Group == nil || rec.Approval.Group.Size != 3 || len(rec.Approval.Group.Path) != 2 {
		t.Fatalf("the sale did not keep its group proof: %+v", rec.Approval)
	}
	if _, err := protocol.VerifyApproval(*rec.Approval, r.iss.ServerKeys()); err != nil {
		t.Fatalf("kept proof does not verify: %v", err)
	}
}

func TestPaperOutKeepsTheSaleAndReprints(t *testing.T) {
	r := newRig(t, "approve")
	r.prn.paperOut = true
	v := r.sell(t, 100, r.wallet.Code(now))
	if v.State != SaleApproved || !strings.Contains(v.PrintStatus, "out of paper") {
		t.Fatalf("sale: %+v", v)
	}
	r.prn.mu.Lock()
	r.prn.paperOut = false
	r.prn.mu.Unlock()
	st, err := r.ag.Reprint(context.Background(), v.ID, false)
	if err != nil || st != PrintPrinted || len(r.prn.jobs) != 1 {
		t.Fatalf("reprint: %q %v, %d jobs", st, err, len(r.prn.jobs))
	}
	if strings.Contains(string(r.prn.jobs[0]), "COPY") {
		t.Fatal("the only receipt is marked as a copy (the original never printed)")
	}
	if _, err := r.ag.Reprint(context.Background(), "T-1-999", false); !errors.Is(err, ErrNoSale) {
		t.Fatalf("reprint of unknown sale: %v", err)
	}
}

func TestFullDiskIsNotAnApproval(t *testing.T) {
	r := newRig(t, "down")
	id, err := r.ag.StartSale(context.Background(), money.Amount{Minor: 100, Currency: "EUR"}, "")
	if err != nil {
		t.Fatal(err)
	}
	r.store.FailWrites = errors.New("no space left on device")
	r.ag.SubmitCode(id, r.wallet.Code(now))
	v := r.waitFinal(t, id)
	if v.State != SaleDeclined || !strings.Contains(v.Reason, "could not store") {
		t.Fatalf("sale: %+v", v)
	}
	if len(r.srv.reqs) != 0 {
		t.Fatal("a request that was not committed was sent")
	}
}

func TestCancelAndTimeout(t *testing.T) {
	r := newRig(t, "approve")
	id, _ := r.ag.StartSale(context.Background(), money.Amount{Minor: 100, Currency: "EUR"}, "")
	if _, err := r.ag.StartSale(context.Background(), money.Amount{Minor: 100, Currency: "EUR"}, ""); !errors.Is(err, ErrBusy) {
		t.Fatalf("second sale at once: %v", err)
	}
	if err := r.ag.Cancel(id); err != nil {
		t.Fatal(err)
	}
	if v := r.waitFinal(t, id); v.State != SaleCancelled {
		t.Fatalf("cancel: %+v", v)
	}
	r.ag.opt.ScanTimeout = 50 * time.Millisecond
	id, _ = r.ag.StartSale(context.Background(), money.Amount{Minor: 100, Currency: "EUR"}, "")
	if v := r.waitFinal(t, id); v.State != SaleCancelled || !strings.Contains(v.Reason, "no code scanned") {
		t.Fatalf("timeout: %+v", v)
	}
	if _, err := r.ag.StartSale(context.Background(), money.Amount{Minor: 0, Currency: "EUR"}, ""); !errors.Is(err, ErrBadAmount) {
		t.Fatalf("zero amount: %v", err)
	}
	if _, err := r.ag.StartSale(context.Background(), money.Amount{Minor: 5, Currency: "XXX"}, ""); !errors.Is(err, ErrBadAmount) {
		t.Fatalf("unknown currency: %v", err)
	}
}

func TestRecoverClosesOpenSales(t *testing.T) {
	r := newRig(t, "approve")
	ctx := context.Background()
	var waiting, sending queue.Record
	r.store.Update(ctx, func(tx queue.Tx) error {
		s1, _ := tx.NextSeq()
		waiting = queue.Record{Seq: s1, TxnID: queue.TxnID("T-1", s1), Kind: protocol.KindOnline, State: queue.StateWaiting, Amount: money.Amount{Minor: 1, Currency: "EUR"}}
		s2, _ := tx.NextSeq()
		sending = queue.Record{Seq: s2, TxnID: queue.TxnID("T-1", s2), Kind: protocol.KindOnline, State: queue.StateSending, Amount: money.Amount{Minor: 2, Currency: "EUR"}}
		tx.Put(waiting)
		return tx.Put(sending)
	})
	n, err := r.ag.Recover(ctx)
	if err != nil || n != 2 {
		t.Fatalf("recover: %d, %v", n, err)
	}
	if got := r.record(t, waiting.TxnID); got.State != queue.StateCancelled {
		t.Fatalf("waiting sale: %+v", got)
	}
	if got := r.record(t, sending.TxnID); got.State != queue.StateDeclined || got.VoidTxnID == "" {
		t.Fatalf("sending sale: %+v", got)
	}
	out := r.outbox(t)
	if len(out) != 1 || out[0].Kind != protocol.KindVoid || out[0].TargetTxnID != sending.TxnID {
		t.Fatalf("outbox: %+v", out)
	}
	if n, _ := r.ag.Recover(ctx); n != 0 {
		t.Fatalf("second recover closed %d", n)
	}
}

func TestRecentHidesVoids(t *testing.T) {
	r := newRig(t, "timeout")
	r.sell(t, 6000, r.wallet.Code(now)) // declined + void
	r.sell(t, 100, r.wallet.Code(now))  // offline approved
	vs, err := r.ag.Recent(context.Background(), 10)
	if err != nil || len(vs) != 2 || vs[0].State != SaleApproved || vs[1].State != SaleDeclined {
		t.Fatalf("recent: %+v %v", vs, err)
	}
}

// A receipt sent to a printer that could not confirm it is "sent, not confirmed", never "not
// printed", and a reprint happens only once the cashier confirms it.
func TestUnconfirmedReceiptReprintsOnlyWhenConfirmed(t *testing.T) {
	r := newRig(t, "approve")
	r.prn.unconfirmed = true
	v := r.sell(t, 100, r.wallet.Code(now))
	if v.State != SaleApproved || v.PrintStatus != PrintUnknown {
		t.Fatalf("sale: %+v, want approved and %q", v, PrintUnknown)
	}
	ctx := context.Background()
	if st, err := r.ag.Reprint(ctx, v.ID, false); !errors.Is(err, ErrReprintUnconfirmed) || st != PrintUnknown {
		t.Fatalf("unconfirmed reprint: %q %v, want ErrReprintUnconfirmed", st, err)
	}
	r.prn.mu.Lock()
	jobs := len(r.prn.jobs)
	r.prn.unconfirmed = false
	r.prn.mu.Unlock()
	if jobs != 1 {
		t.Fatalf("%d jobs before the cashier confirmed, want 1", jobs)
	}
	st, err := r.ag.Reprint(ctx, v.ID, true)
	if err != nil || st != PrintPrinted || len(r.prn.jobs) != 2 || !strings.Contains(string(r.prn.jobs[1]), "COPY") {
		t.Fatalf("confirmed reprint: %q %v, %d jobs", st, err, len(r.prn.jobs))
	}
	if st, err := r.ag.Reprint(ctx, v.ID, false); err != nil || st != PrintPrinted {
		t.Fatalf("reprint of a confirmed receipt needs no confirmation: %q %v", st, err)
	}
}
