package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/internal/demo"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
	"github.com/stillpay/stillpay/terminal/pin"
)

// money moved so far: the merchant's and alice's balances in minor units.
func balances(t *testing.T, lab *demo.Lab) (merchant, customer int64) {
	t.Helper()
	bs, err := lab.Balances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return balanceOf(t, bs, "merchant", demo.MerchantID), balanceOf(t, bs, "", demo.AccountID)
}

// waitSlip waits for a printed receipt whose text holds every want.
func waitSlip(t *testing.T, lab *demo.Lab, want ...string) {
	t.Helper()
	waitReceipt(t, lab, func(text string) bool {
		for _, w := range want {
			if !strings.Contains(text, w) {
				return false
			}
		}
		return true
	})
}

// TestRefundAndVoidThroughTheLocalAPI: a partial refund and a void of the rest of an online sale,
// then a void of an offline sale queued after it while the server is down; each prints its slip,
// and the balances come out exact once the queue drains.
func TestRefundAndVoidThroughTheLocalAPI(t *testing.T) {
	lab := newLab(t)
	ctx := context.Background()
	w, err := lab.NewWallet(ctx, "phone", "20.00", 10)
	if err != nil {
		t.Fatal(err)
	}
	m0, _ := balances(t, lab)
	sale := mustSale(t, lab, "10.00", mustCode(t, w))
	if sale.State != agent.SaleApproved || sale.Offline {
		t.Fatalf("sale: %+v", sale)
	}
	// The customer's account also moves with the wallet's hold; what a return gives back is counted
	// from after the sale.
	if m, _ := balances(t, lab); m-m0 != 1000 {
		t.Fatalf("after the sale: merchant +%d, want 1000", m-m0)
	}
	_, c0 := balances(t, lab)
	rf, err := lab.API.Refund(ctx, localapi.ReturnRequestBody{SaleID: sale.ID, Amount: "3.00", Reference: "RET-1"})
	if err != nil || rf.State != agent.ReturnApproved || rf.Amount.Minor != 300 || rf.PrintStatus != agent.PrintPrinted {
		t.Fatalf("refund: %+v %v", rf, err)
	}
	waitSlip(t, lab, "REFUND", "-€3.00", sale.ID, rf.ID, "CONFIRMED BY THE SERVER")
	if m, c := balances(t, lab); m-m0 != 700 || c-c0 != 300 {
		t.Fatalf("after the refund: merchant +%d (want 700), customer +%d (want 300)", m-m0, c-c0)
	}
	// More than is left is refused before it reaches the server.
	if _, err := lab.API.Refund(ctx, localapi.ReturnRequestBody{SaleID: sale.ID, Amount: "8.00"}); err == nil || !strings.Contains(err.Error(), "only 7.00 EUR") {
		t.Fatalf("refund over what is left: %v", err)
	}
	vd, err := lab.API.Void(ctx, localapi.ReturnRequestBody{SaleID: sale.ID})
	if err != nil || vd.State != agent.ReturnApproved || vd.Amount.Minor != 700 {
		t.Fatalf("void: %+v %v", vd, err)
	}
	waitSlip(t, lab, "VOID", "-€7.00", vd.ID)
	if m, c := balances(t, lab); m != m0 || c-c0 != 1000 {
		t.Fatalf("after the void: merchant %+d (want 0), customer %+d (want +1000)", m-m0, c-c0)
	}
	if v, err := lab.API.Sale(ctx, sale.ID, 0, ""); err != nil || v.VoidID != vd.ID || v.Refunded != 300 {
		t.Fatalf("the sale after its refund and void: %+v %v", v, err)
	}

	// Offline: the void of a sale approved offline is queued after it; both go when the server is back.
	lab.StopServer()
	off := mustSale(t, lab, "4.00", mustCode(t, w))
	if off.State != agent.SaleApproved || !off.Offline {
		t.Fatalf("offline sale: %+v", off)
	}
	ov, err := lab.API.Void(ctx, localapi.ReturnRequestBody{SaleID: off.ID})
	if err != nil || ov.State != agent.ReturnPending {
		t.Fatalf("void of the offline sale: %+v %v", ov, err)
	}
	waitSlip(t, lab, "VOID", "PENDING", ov.ID)
	if err := lab.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lab.WaitDrained(ctx, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	if it, err := lab.API.QueueItem(ctx, ov.ID); err != nil || it.State != "settled" {
		t.Fatalf("queued void after the drain: %+v %v", it, err)
	}
	if it, err := lab.API.QueueItem(ctx, off.ID); err != nil || it.State != "settled" {
		t.Fatalf("offline sale after the drain: %+v %v", it, err)
	}
	if m, _ := balances(t, lab); m != m0 {
		t.Fatalf("after the offline sale and its void: merchant %+d, want 0", m-m0)
	}
}

// TestRefundNeedsTheSupervisorPIN: with refunds.pin_hash set, `posagent refund` without the PIN is
// refused and nothing reaches the server; with the PIN (from a file) the refund is made and its slip
// prints; the PIN never appears in the agent's log.
func TestRefundNeedsTheSupervisorPIN(t *testing.T) {
	lab := newLab(t)
	ctx := context.Background()
	w, err := lab.NewWallet(ctx, "phone", "20.00", 10)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := pin.New("246813")
	if err != nil {
		t.Fatal(err)
	}
	lab.StopAgent()
	f, err := os.OpenFile(lab.AgentConfig, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "refunds:\n  pin_hash: %q\n", hash)
	f.Close()
	if err := lab.StartAgent(ctx); err != nil {
		t.Fatal(err)
	}
	sale := mustSale(t, lab, "6.00", mustCode(t, w))
	m0, _ := balances(t, lab)
	out, err := lab.Posagent(ctx, "refund", sale.ID, "--amount", "2.00")
	if err == nil || !strings.Contains(out+err.Error(), "PIN") {
		t.Fatalf("refund without the PIN: %v\n%s", err, out)
	}
	pinFile := filepath.Join(t.TempDir(), "pin")
	os.WriteFile(pinFile, []byte("246813\n"), 0o600)
	out, err = lab.Posagent(ctx, "refund", sale.ID, "--amount", "2.00", "--pin-file", pinFile)
	if err != nil || !strings.Contains(out, "REFUND 2.00 EUR") || !strings.Contains(out, "CONFIRMED BY THE SERVER") {
		t.Fatalf("refund with the PIN: %v\n%s", err, out)
	}
	waitSlip(t, lab, "REFUND", "-€2.00")
	if m, _ := balances(t, lab); m0-m != 200 {
		t.Fatalf("merchant -%d, want 200 (one refund)", m0-m)
	}
	if strings.Contains(agentLog(t, lab), "246813") {
		t.Fatal("the PIN is in the agent's log")
	}
}

// TestRefundAtAnotherLane: a sale made at one lane is refunded in part, then voided, at another lane
// of the same shop by the transaction id on its receipt; the merchant's balance comes back exactly.
func TestRefundAtAnotherLane(t *testing.T) {
	lab := newLab(t)
	ctx := context.Background()
	w, err := lab.NewWallet(ctx, "phone", "20.00", 10)
	if err != nil {
		t.Fatal(err)
	}
	other, err := lab.AddTerminal(ctx, "T-DEMO-02")
	if err != nil {
		t.Fatal(err)
	}
	m0, _ := balances(t, lab)
	sale := mustSale(t, lab, "5.00", mustCode(t, w))
	rf, err := other.API.Refund(ctx, localapi.ReturnRequestBody{SaleID: sale.ID, Amount: "1.20"})
	if err != nil || rf.State != agent.ReturnApproved || rf.Amount.Minor != 120 || !strings.HasPrefix(rf.ID, "T-DEMO-02-") {
		t.Fatalf("refund at the other lane: %+v %v", rf, err)
	}
	vd, err := other.API.Void(ctx, localapi.ReturnRequestBody{SaleID: sale.ID})
	if err != nil || vd.State != agent.ReturnApproved || vd.Amount.Minor != 380 {
		t.Fatalf("void at the other lane: %+v %v", vd, err)
	}
	if m, _ := balances(t, lab); m != m0 {
		t.Fatalf("merchant %+d after the sale, its refund and its void, want 0", m-m0)
	}
	// An id of no sale is refused, and the other lane's id space is not tombstoned.
	if v, err := other.API.Void(ctx, localapi.ReturnRequestBody{SaleID: "T-DEMO-01-000000999"}); err != nil || v.State != agent.ReturnDeclined || v.Code != "transaction_unknown" {
		t.Fatalf("void of an unknown sale of another lane: %+v %v", v, err)
	}
}
