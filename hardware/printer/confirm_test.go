package printer_test

import (
	"testing"
	"time"

	"github.com/stillpay/stillpay/hardware/printer"
	"github.com/stillpay/stillpay/hardware/receipt/receipttest"
	"github.com/stillpay/stillpay/hardware/sim/simprinter"
	"github.com/stillpay/stillpay/internal/testenv"
)

// A printer that answers DLE EOT but never GS r: the first job waits the confirmation budget with
// backed-off status polls and gives Unknown (sent, never NotPrinted); the driver then knows the
// printer cannot confirm, so the next job waits one status timeout and polls nothing.
func TestPrinterWithoutGSr(t *testing.T) {
	testenv.SkipIfShort(t, "waits the 3 s confirmation budget")
	ctx := testContext(t)
	sim := newPTYSim(t, simprinter.Options{Profile: "generic-80mm", NoTransmitStatus: true})
	const confirm = 3 * time.Second
	p := openSerial(t, ctx, sim, printer.Config{StatusTimeout: 300 * time.Millisecond, ConfirmTimeout: confirm})
	b := job(t, receipttest.Sale(), "generic-80mm")

	res, err := p.Print(ctx, b)
	if err != nil || res != printer.Unknown {
		t.Fatalf("first Print = %v, %v; want unknown, nil", res, err)
	}
	// 4 requests (DLE EOT 1..4) before the job and 4 per poll. Polls at 0.5 s, 1.5 s (then 3.5 s,
	// after the wait): 2 polls. A fixed 0.5 s poll would ask 5 times.
	first := sim.StatusRequests()
	if first != 4*(1+2) {
		t.Errorf("first job: %d status requests, want %d (polls backed off)", first, 4*(1+2))
	}
	start := time.Now()
	if res, err = p.Print(ctx, b); err != nil || res != printer.Unknown {
		t.Fatalf("second Print = %v, %v; want unknown, nil", res, err)
	}
	if waited := time.Since(start); waited >= confirm {
		t.Errorf("second job waited %v for a confirmation the printer never sends", waited)
	}
	if n := sim.StatusRequests() - first; n != 4 {
		t.Errorf("second job: %d status requests, want 4 (the check before the job only)", n)
	}
	if rs, err := sim.WaitReceipts(ctx, 2); err != nil || len(rs) != 2 {
		t.Fatalf("receipts: %d, %v; want 2", len(rs), err)
	}
}

func TestJobTimeoutCoversConfirmation(t *testing.T) {
	for _, c := range []printer.Config{{}, {ConfirmTimeout: 5 * time.Second, StatusTimeout: time.Second}} {
		conf, st := c.ConfirmTimeout, c.StatusTimeout
		if conf == 0 {
			conf, st = printer.DefaultConfirmTimeout, printer.DefaultStatusTimeout
		}
		if got := c.JobTimeout(); got != st+printer.JobWriteAllowance+conf {
			t.Errorf("%+v: JobTimeout %v", c, got)
		}
	}
}
