package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/internal/demo"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/wallet/wallettest/cloned"
)

// TestOfflineSaleOfALockedUserSettlesAfterTheLock is issue #10 point 2 across posagent and
// settlementd: offline items are judged under the failed-code limits like online ones. A cloned phone's
// wrong codes throttle the user; an honest offline sale made meanwhile is forwarded and refused
// "throttled" — not judged, not recorded, kept by posagent — and once an operator unlocks the user,
// `posagent queue retry` sends it again and it settles from the hold: the offline guarantee holds.
func TestOfflineSaleOfALockedUserSettlesAfterTheLock(t *testing.T) {
	lab := newLab(t)
	ctx := context.Background()
	w, err := lab.NewWallet(ctx, "phone", "20.00", 10)
	if err != nil {
		t.Fatal(err)
	}
	phone := cloned.Clone(t, w.Home())
	for i := range 5 {
		// New counters each time: the terminal's seen list refuses a counter it has seen.
		v := mustSale(t, lab, "1.00", phone.Code(t, phone.Auth.MaxCodes-1-uint32(i), time.Now(), false))
		if v.State != agent.SaleDeclined || v.Code != protocol.CodeCodeInvalid {
			t.Fatalf("wrong code %d through posagent: %+v", i, v)
		}
	}
	honest := mustCode(t, w)
	lab.StopServer()
	sale := mustSale(t, lab, "5.00", honest)
	if sale.State != agent.SaleApproved || !sale.Offline {
		t.Fatalf("offline sale: %+v", sale)
	}
	if err := lab.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lab.WaitDrained(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	it, err := lab.API.QueueItem(ctx, sale.ID)
	if err != nil || it.State != "refused" || !strings.Contains(it.Result, string(protocol.CodeThrottled)) {
		t.Fatalf("the offline sale of a throttled user: %+v %v; want refused (throttled), kept", it, err)
	}
	if m := merchantMinor(t, lab); m != 0 {
		t.Fatalf("merchant holds %d while the user is throttled", m)
	}
	if out, err := lab.Admin(ctx, "unlock", "user", "alice"); err != nil {
		t.Fatalf("unlock: %v %s", err, out)
	}
	if out, err := lab.Posagent(ctx, "queue", "retry", sale.ID); err != nil {
		t.Fatalf("queue retry: %v %s", err, out)
	}
	if err := lab.WaitDrained(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	it, err = lab.API.QueueItem(ctx, sale.ID)
	if err != nil || it.State != "settled" {
		t.Fatalf("after the unlock and a retry: %+v %v; want settled", it, err)
	}
	if m := merchantMinor(t, lab); m != 500 {
		t.Fatalf("merchant holds %d, want 500", m)
	}
}

func merchantMinor(t *testing.T, lab *demo.Lab) int64 {
	t.Helper()
	bs, err := lab.Balances(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m, _ := demo.MerchantBalance(bs)
	return m
}
