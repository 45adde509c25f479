package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stillpay/stillpay/internal/demo"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
)

// TestReplayAtAnotherOfflineTerminal shows one code to two terminals while both are offline: each
// approves it (neither can know of the other), and when both forward, the server settles it once
// and refuses the other, which that terminal keeps with the reason.
func TestReplayAtAnotherOfflineTerminal(t *testing.T) {
	lab := newLab(t)
	ctx := context.Background()
	other, err := lab.AddTerminal(ctx, "T-DEMO-02")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Stop()
	w, err := lab.NewWallet(ctx, "phone", "20.00", 5)
	if err != nil {
		t.Fatal(err)
	}
	code := mustCode(t, w)
	lab.StopServer()
	first := mustSale(t, lab, "5.00", code)
	second, err := other.Sale(ctx, "5.00", code)
	if err != nil {
		t.Fatal(err)
	}
	if first.State != agent.SaleApproved || !first.Offline || second.State != agent.SaleApproved || !second.Offline {
		t.Fatalf("offline approvals: %+v / %+v", first, second)
	}
	if err := lab.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lab.WaitDrained(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := other.API.Status(ctx)
		if err == nil && st.QueueDepth == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("second terminal did not drain: %+v %v", st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	a, _ := lab.API.QueueItem(ctx, first.ID)
	b, _ := other.API.QueueItem(ctx, second.ID)
	// Whichever terminal forwards first settles; the other keeps the refusal with its reason.
	settled, refused := a, b
	if a.State != "settled" {
		settled, refused = b, a
	}
	if settled.State != "settled" || refused.State != "refused" || refused.Result != "declined (code_used)" {
		t.Fatalf("items: %+v and %+v", a, b)
	}
	t.Logf("%s keeps the refusal: %s", refused.TxnID, refused.LastError)
	bs, err := lab.Balances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := demo.MerchantBalance(bs); m != 500 {
		t.Fatalf("merchant received %d minor units for one 5.00 code used twice", m)
	}
}

// TestExpiredCredentialOffline: a code whose credential has expired is declined offline.
func TestExpiredCredentialOffline(t *testing.T) {
	lab := newLab(t)
	ctx := context.Background()
	w, err := lab.NewWalletTTL(ctx, "short", "20.00", 5, "3s")
	if err != nil {
		t.Fatal(err)
	}
	code := mustCode(t, w)
	lab.StopServer()
	time.Sleep(4 * time.Second)
	v := mustSale(t, lab, "1.00", code)
	if v.State != agent.SaleDeclined || v.Code != protocol.CodeCredentialExpired {
		t.Fatalf("%+v", v)
	}
}
