package e2e

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/internal/demo"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
)

// A printer that answers its status but has no GS r: the approved sale's receipt is "sent, not
// confirmed" (never "not printed"), exactly one receipt comes out, and a reprint happens only after
// the cashier confirms that it did not print.
func TestPrinterWithoutGSr(t *testing.T) {
	ctx := context.Background()
	lab, err := demo.NewLab(ctx, demo.Options{Bin: binDir, Dir: filepath.Join(t.TempDir(), "lab"), OpeningBalance: "100.00",
		PrinterNoTransmitStatus: true, PrinterConfirmTimeout: "2s"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lab.Close)
	if err := lab.StartAgent(ctx); err != nil {
		t.Fatal(err)
	}
	w, err := lab.NewWallet(ctx, "phone", "20.00", 2)
	if err != nil {
		t.Fatal(err)
	}
	v := mustSale(t, lab, "4.20", mustCode(t, w))
	if v.State != agent.SaleApproved || v.PrintStatus != agent.PrintUnknown {
		t.Fatalf("sale: %+v, want approved and %q", v, agent.PrintUnknown)
	}
	if !strings.HasPrefix(v.PrintStatus, "sent, not confirmed") {
		t.Fatalf("print status %q", v.PrintStatus)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := lab.Printer.WaitReceipts(wctx, 1); err != nil {
		t.Fatal(err)
	}
	_, err = lab.API.Reprint(ctx, v.ID, false)
	if !errors.Is(err, &protocol.Problem{Code: localapi.CodeReprintUnconfirmed}) {
		t.Fatalf("reprint without the cashier's confirmation: %v, want %s", err, localapi.CodeReprintUnconfirmed)
	}
	time.Sleep(300 * time.Millisecond) // a wrongly sent copy would be cut by now
	if n := len(lab.Printer.Receipts()); n != 1 {
		t.Fatalf("%d receipts after the unconfirmed reprint, want 1", n)
	}
	r, err := lab.API.Reprint(ctx, v.ID, true)
	if err != nil || r.PrintStatus != agent.PrintUnknown {
		t.Fatalf("confirmed reprint: %+v %v", r, err)
	}
	rs, err := lab.Printer.WaitReceipts(wctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || !strings.Contains(rs[1].Text, "COPY") || strings.Contains(rs[0].Text, "COPY") {
		t.Fatalf("receipts: %d, the second a copy?\n%s", len(rs), rs[len(rs)-1].Text)
	}
}
