package printer_test

import (
	"errors"
	"testing"

	"github.com/stillpay/stillpay/hardware/printer"
	"github.com/stillpay/stillpay/hardware/receipt/receipttest"
	"github.com/stillpay/stillpay/hardware/sim/simprinter"
)

// The drawer kick reaches the (simulated) printer as ESC p, between jobs.
func TestOpenDrawer(t *testing.T) {
	ctx := testContext(t)
	const prof = "epson-tm-t20iii"
	sim := newPTYSim(t, simprinter.Options{Profile: prof})
	p, err := printer.Open(ctx, printer.Config{Transport: printer.TransportUSBLP, Device: sim.Path(), Profile: prof, CashDrawer: printer.DrawerPin2}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := printer.OpenDrawer(ctx, p); err != nil {
		t.Fatalf("OpenDrawer: %v", err)
	}
	if res, err := p.Print(ctx, job(t, receipttest.Sale(), prof)); err != nil || res != printer.Printed {
		t.Fatalf("Print = %v, %v", res, err)
	}
	rs, err := sim.WaitReceipts(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Drawer != 1 {
		t.Errorf("drawer kicks seen by the printer = %d, want 1", rs[0].Drawer)
	}

	off, err := printer.Open(ctx, printer.Config{Transport: printer.TransportUSBLP, Device: sim.Path(), Profile: prof}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer off.Close()
	if err := printer.OpenDrawer(ctx, off); !errors.Is(err, printer.ErrDrawerOff) {
		t.Errorf("OpenDrawer without cash_drawer = %v, want ErrDrawerOff", err)
	}
}

func TestCashDrawerConfig(t *testing.T) {
	ctx := testContext(t)
	for _, tt := range []struct{ profile, drawer string }{
		{"generic-58mm", printer.DrawerPin2}, // no drawer port
		{"pos-5890", printer.DrawerPin5},     // no drawer port
		{"epson-tm-t88vi", "pin3"},
	} {
		_, err := printer.Open(ctx, printer.Config{Transport: printer.TransportTCP, Addr: "127.0.0.1:1", Profile: tt.profile, CashDrawer: tt.drawer}, nil)
		if !errors.Is(err, printer.ErrInvalidConfig) {
			t.Errorf("%s with cash_drawer %s: err = %v, want ErrInvalidConfig", tt.profile, tt.drawer, err)
		}
	}
}
