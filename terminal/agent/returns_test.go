package agent

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/client"
	"github.com/stillpay/stillpay/terminal/pin"
	"github.com/stillpay/stillpay/terminal/queue"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fakeReturns answers voids and refunds as settlementd does for payments it knows (refunded tracks
// what each target gave back), or fails as a network does (mode "down", "timeout").
type fakeReturns struct {
	srv      *fakeServer
	mode     string
	paid     map[string]int64 // target → amount charged
	refunded map[string]int64
	voided   map[string]bool
	reqs     []string // terminal txn ids, in order
}

func (f *fakeReturns) answer(id, target string, amount money.Amount, status string) (protocol.TransactionResponse, error) {
	f.reqs = append(f.reqs, id)
	switch f.mode {
	case "down":
		return protocol.TransactionResponse{}, &client.UnreachableError{Attempts: 3, Err: errors.New("connection refused")}
	case "timeout":
		return protocol.TransactionResponse{}, &client.UnreachableError{Attempts: 3, MaybeSent: true, Err: context.DeadlineExceeded}
	}
	paid, ok := f.paid[target]
	if !ok {
		return protocol.TransactionResponse{TerminalTxnID: id, Status: protocol.StatusDeclined, Code: protocol.CodeTransactionUnknown, Message: "no payment " + target}, nil
	}
	if f.voided[target] {
		return protocol.TransactionResponse{TerminalTxnID: id, Status: protocol.StatusDeclined, Code: protocol.CodeAlreadyVoided, Message: "voided"}, nil
	}
	left := paid - f.refunded[target]
	if status == protocol.StatusVoided {
		amount.Minor = left
		f.voided[target] = true
	} else if amount.Minor > left {
		return protocol.TransactionResponse{TerminalTxnID: id, Status: protocol.StatusDeclined, Code: protocol.CodeRefundExceeds, Message: "too much"}, nil
	} else {
		f.refunded[target] += amount.Minor
	}
	ap := protocol.Approval{ApprovalID: "AP-R", ApprovalCode: "R3FUND", TerminalID: "T-1", TerminalTxnID: id, Amount: amount, ApprovedAt: now}
	sa, _ := protocol.SignApproval(ap, f.srv.iss.KeyID, f.srv.iss.Key)
	return protocol.TransactionResponse{TerminalTxnID: id, Status: status, Approval: &sa}, nil
}

func (f *fakeReturns) Void(_ context.Context, req protocol.VoidRequest) (protocol.TransactionResponse, error) {
	return f.answer(req.TerminalTxnID, req.TargetTxnID, money.Amount{Currency: "EUR"}, protocol.StatusVoided)
}

func (f *fakeReturns) Refund(_ context.Context, req protocol.RefundRequest) (protocol.TransactionResponse, error) {
	return f.answer(req.TerminalTxnID, req.TargetTxnID, req.Amount, protocol.StatusRefunded)
}

func returnsRig(t *testing.T, mode string, pinHash string) (*rig, *fakeReturns) {
	var fr *fakeReturns
	r := newRig(t, mode, func(r *rig, o *Options) {
		fr = &fakeReturns{srv: r.srv, paid: map[string]int64{}, refunded: map[string]int64{}, voided: map[string]bool{}}
		o.Returns = fr
		if pinHash != "" {
			h, err := pin.Parse(pinHash)
			if err != nil {
				t.Fatal(err)
			}
			o.PIN = h
		}
	})
	return r, fr
}

func TestPartialRefundsThenVoid(t *testing.T) {
	ctx := context.Background()
	r, fr := returnsRig(t, "approve", "")
	sale := r.sell(t, 1000, r.wallet.Code(now))
	fr.paid[sale.ID] = 1000

	rv, err := r.ag.Refund(ctx, ReturnRequest{Target: sale.ID, Amount: eur(300)})
	if err != nil || rv.State != ReturnApproved || rv.Amount != eur(300) || rv.ApprovalCode != "R3FUND" || rv.PrintStatus != PrintPrinted || rv.Customer != "a***e" {
		t.Fatalf("refund: %+v %v", rv, err)
	}
	if v, _ := r.ag.Sale(ctx, sale.ID); v.Refunded != 300 {
		t.Fatalf("sale after the refund: %+v", v)
	}
	if r.prn.drawerKicks != 1 {
		t.Fatalf("cash drawer opened %d times for the refund payout, want 1", r.prn.drawerKicks)
	}
	// More than is left is refused here, before the server is asked.
	n := len(fr.reqs)
	if _, err := r.ag.Refund(ctx, ReturnRequest{Target: sale.ID, Amount: eur(800)}); !errors.Is(err, ErrNotReturnable) || len(fr.reqs) != n {
		t.Fatalf("refund over what is left: %v (%d requests)", err, len(fr.reqs)-n)
	}
	// A void gives back what is left (the server says how much).
	vv, err := r.ag.Void(ctx, ReturnRequest{Target: sale.ID})
	if err != nil || vv.State != ReturnApproved || vv.Amount != eur(700) {
		t.Fatalf("void: %+v %v", vv, err)
	}
	if v, _ := r.ag.Sale(ctx, sale.ID); v.VoidID != vv.ID {
		t.Fatalf("sale after the void: %+v", v)
	}
	if _, err := r.ag.Void(ctx, ReturnRequest{Target: sale.ID}); !errors.Is(err, ErrNotReturnable) {
		t.Fatalf("second void: %v", err)
	}
	if got, err := r.ag.Return(ctx, rv.ID); err != nil || got.ID != rv.ID || got.Kind != ReturnRefund {
		t.Fatalf("Return: %+v %v", got, err)
	}
	if len(r.prn.jobs) != 3 {
		t.Fatalf("%d slips printed, want the sale's, the refund's and the void's", len(r.prn.jobs))
	}
	if r.prn.drawerKicks != 1 {
		t.Fatalf("cash drawer opened %d times, want once: for the refund, not for the sale or the void", r.prn.drawerKicks)
	}
}

// A sale of another terminal is not in this queue: the server decides (here: it does not know it).
func TestReturnOfAnUnknownSaleAsksTheServer(t *testing.T) {
	r, fr := returnsRig(t, "approve", "")
	rv, err := r.ag.Refund(context.Background(), ReturnRequest{Target: "T-2-000000007", Amount: eur(100)})
	if err != nil || rv.State != ReturnDeclined || rv.Code != protocol.CodeTransactionUnknown || len(fr.reqs) != 1 {
		t.Fatalf("refund of another terminal's sale: %+v %v", rv, err)
	}
	fr.paid["T-2-000000007"] = 500
	rv, err = r.ag.Refund(context.Background(), ReturnRequest{Target: "T-2-000000007", Amount: eur(100)})
	if err != nil || rv.State != ReturnApproved {
		t.Fatalf("refund of another terminal's sale the server knows: %+v %v", rv, err)
	}
}

// A void of an offline sale still in the outbox is queued after it, never sent ahead of it; a void
// that gets no answer is queued under its own id; a refund that never left is declined.
func TestVoidsQueuedOffline(t *testing.T) {
	ctx := context.Background()
	r, fr := returnsRig(t, "down", "")
	sale := r.sell(t, 1250, r.wallet.Code(now))
	if !sale.Offline {
		t.Fatalf("sale: %+v", sale)
	}
	if _, err := r.ag.Refund(ctx, ReturnRequest{Target: sale.ID, Amount: eur(100)}); !errors.Is(err, ErrNotReturnable) {
		t.Fatalf("refund of an unsettled offline sale: %v", err)
	}
	vv, err := r.ag.Void(ctx, ReturnRequest{Target: sale.ID})
	if err != nil || vv.State != ReturnPending || len(fr.reqs) != 0 {
		t.Fatalf("void of the queued offline sale: %+v %v (%d requests)", vv, err, len(fr.reqs))
	}
	out := r.outbox(t)
	if len(out) != 2 || out[0].TxnID != sale.ID || out[1].TxnID != vv.ID || out[1].Kind != protocol.KindVoid || out[1].TargetTxnID != sale.ID {
		t.Fatalf("outbox: %+v", out)
	}

	r2, fr2 := returnsRig(t, "approve", "")
	s2 := r2.sell(t, 500, r2.wallet.Code(now))
	fr2.mode = "timeout"
	v2, err := r2.ag.Void(ctx, ReturnRequest{Target: s2.ID})
	if err != nil || v2.State != ReturnPending {
		t.Fatalf("unanswered void: %+v %v", v2, err)
	}
	if out := r2.outbox(t); len(out) != 1 || out[0].TxnID != v2.ID {
		t.Fatalf("outbox: %+v", out)
	}
	fr2.mode = "down"
	rv, err := r2.ag.Refund(ctx, ReturnRequest{Target: s2.ID, Amount: eur(100)})
	if err == nil {
		t.Fatalf("refund of a voided sale: %+v", rv)
	}
	s3 := r2.sell(t, 600, r2.wallet.Code(now.Add(time.Minute)))
	rv, err = r2.ag.Refund(ctx, ReturnRequest{Target: s3.ID, Amount: eur(100)})
	if err != nil || rv.State != ReturnDeclined || rv.Code != protocol.CodeUnavailable {
		t.Fatalf("refund while the server is down: %+v %v", rv, err)
	}
}

func TestSupervisorPIN(t *testing.T) {
	ctx := context.Background()
	hash, err := pin.New("2468")
	if err != nil {
		t.Fatal(err)
	}
	r, fr := returnsRig(t, "approve", hash)
	sale := r.sell(t, 1000, r.wallet.Code(now))
	fr.paid[sale.ID] = 1000
	if _, err := r.ag.Refund(ctx, ReturnRequest{Target: sale.ID, Amount: eur(100)}); !errors.Is(err, ErrPINRequired) {
		t.Fatalf("without a PIN: %v", err)
	}
	for range maxWrongPINs - 1 {
		if _, err := r.ag.Refund(ctx, ReturnRequest{Target: sale.ID, Amount: eur(100), PIN: "1357"}); !errors.Is(err, ErrPINWrong) {
			t.Fatalf("wrong PIN: %v", err)
		}
	}
	if rv, err := r.ag.Refund(ctx, ReturnRequest{Target: sale.ID, Amount: eur(100), PIN: "2468"}); err != nil || rv.State != ReturnApproved {
		t.Fatalf("right PIN: %+v %v", rv, err)
	}
	for range maxWrongPINs {
		r.ag.Void(ctx, ReturnRequest{Target: sale.ID, PIN: "0000"})
	}
	if _, err := r.ag.Void(ctx, ReturnRequest{Target: sale.ID, PIN: "2468"}); !errors.Is(err, ErrPINLocked) {
		t.Fatalf("after %d wrong PINs: %v, want locked", maxWrongPINs, err)
	}
	if len(fr.reqs) != 1 {
		t.Fatalf("%d requests reached the server, want only the one with the right PIN", len(fr.reqs))
	}
}

// A receipt that did not print (paper out) is shown so, and its reprint is the original (no COPY);
// a reprint after an original printed is a copy.
func TestReprintIsACopyOnlyAfterAnOriginal(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, "approve")
	r.prn.paperOut = true
	v := r.sell(t, 420, r.wallet.Code(now))
	if v.PrintAlert != "RECEIPT NOT PRINTED — load paper, then reprint" {
		t.Fatalf("sale with the paper out: %+v", v)
	}
	r.prn.mu.Lock()
	r.prn.paperOut = false
	r.prn.mu.Unlock()
	if st, err := r.ag.Reprint(ctx, v.ID, false); err != nil || st != PrintPrinted {
		t.Fatalf("reprint: %s %v", st, err)
	}
	if v, _ := r.ag.Sale(ctx, v.ID); v.PrintAlert != "" {
		t.Fatalf("after the reprint: %+v", v)
	}
	r.ag.Reprint(ctx, v.ID, false)
	if len(r.prn.jobs) != 2 || strings.Contains(string(r.prn.jobs[0]), "COPY") || !strings.Contains(string(r.prn.jobs[1]), "COPY") {
		t.Fatalf("%d jobs; the first must be the original, the second a copy", len(r.prn.jobs))
	}
}

// TestReturnReceiptsGolden pins the slips of a refund, a void and a pending void (testdata/receipts;
// -update rewrites them).
func TestReturnReceiptsGolden(t *testing.T) {
	r := newRig(t, "approve")
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.Local)
	base := queue.Record{TargetTxnID: "T-1-000000041", Masked: "a***e", Amount: eur(420), CreatedAt: at, UpdatedAt: at, ApprovedAt: at}
	cases := map[string]queue.Record{}
	refund := base
	refund.TxnID, refund.Kind, refund.State, refund.ApprovalCode, refund.Reference = "T-1-000000042", protocol.KindRefund, queue.StateApproved, "R3FUND", "RET-7"
	cases["refund"] = refund
	void := base
	void.TxnID, void.Kind, void.State, void.ApprovalCode = "T-1-000000043", protocol.KindVoid, queue.StateApproved, "V01D00"
	cases["void"] = void
	pending := base
	pending.TxnID, pending.Kind, pending.State, pending.ApprovedAt = "T-1-000000044", protocol.KindVoid, queue.StateQueued, time.Time{}
	cases["void-pending"] = pending
	for name, rec := range cases {
		for _, copyMark := range []bool{false, true} {
			file := name
			if copyMark {
				if name != "refund" {
					continue
				}
				file += "-copy"
			}
			got := r.ag.buildReceipt(rec, copyMark).TextFor(r.prn.Profile())
			path := filepath.Join("testdata", "receipts", file+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s:\n got:\n%s\nwant:\n%s", name, path, got, want)
			}
		}
	}
}
