package e2e

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
)

// TestRegisterReferencesAreCheckedOnceForTheWholePath: the register's reference goes through the
// real posagent and settlementd. One the text rule refuses (a NUL byte, which used to be queued and
// then 500 its whole batch on PostgreSQL at every retry) is refused by the local API with the field
// named, and nothing is queued; a printable Unicode reference sold offline is queued, forwarded and
// settled, and the queue drains.
func TestRegisterReferencesAreCheckedOnceForTheWholePath(t *testing.T) {
	lab := newLab(t)
	ctx := context.Background()
	w, err := lab.NewWallet(ctx, "phone", "20.00", 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"INV\x00-1", "two\nlines", "\x1b[2J", "abc\u202edcba"} {
		_, err := lab.API.StartSale(ctx, localapi.StartSaleRequest{Amount: "1.00", Reference: ref})
		var p *protocol.Problem
		if !errors.As(err, &p) || p.Status != 400 || p.Code != protocol.CodeInvalidField {
			t.Fatalf("reference %q: %v", ref, err)
		}
	}
	if recent, err := lab.API.Recent(ctx, 10); err != nil || len(recent) != 0 {
		t.Fatalf("refused references left sales: %+v %v", recent, err)
	}
	lab.StopServer()
	v, err := lab.API.StartSale(ctx, localapi.StartSaleRequest{Amount: "3.20", Reference: "Café №7 ☕"})
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.Scanner.Send(ctx, mustCode(t, w)); err != nil {
		t.Fatal(err)
	}
	v, err = lab.API.WaitFinal(ctx, v, nil)
	if err != nil || v.State != agent.SaleApproved || !v.Offline {
		t.Fatalf("offline sale with a Unicode reference: %+v %v", v, err)
	}
	if err := lab.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	if err := lab.WaitDrained(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if it, err := lab.API.QueueItem(ctx, v.ID); err != nil || it.State != "settled" {
		t.Fatalf("after the drain: %+v %v", it, err)
	}
	settledOnce(t, lab, []agent.SaleView{v})
}
