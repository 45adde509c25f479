package printer_test

import (
	"bytes"
	"context"
	"errors"
	"image/png"
	"os"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/stillpay/stillpay/hardware/escpos"
	"github.com/stillpay/stillpay/hardware/printer"
	"github.com/stillpay/stillpay/hardware/receipt"
	"github.com/stillpay/stillpay/hardware/receipt/receipttest"
	"github.com/stillpay/stillpay/hardware/serialport"
	"github.com/stillpay/stillpay/hardware/sim/simprinter"
)

// testTimeout bounds each test; nothing here should come near it.
const testTimeout = 20 * time.Second

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

func newPTYSim(t *testing.T, opts simprinter.Options) *simprinter.Printer {
	t.Helper()
	sim, err := simprinter.NewPTY(opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

func openSerial(t *testing.T, ctx context.Context, sim *simprinter.Printer, cfg printer.Config) printer.Printer {
	t.Helper()
	cfg.Transport = printer.TransportSerial
	cfg.Serial = serialport.Config{Path: sim.Path(), Baud: 115200}
	if cfg.Profile == "" {
		cfg.Profile = sim.Profile().Name
	}
	p, err := printer.Open(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func job(t *testing.T, r receipt.Receipt, profile string) []byte {
	t.Helper()
	p, err := printer.LookupProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.ESCPOS(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func decodePNG(t *testing.T, b []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("no QR code readable in the receipt PNG: %v", err)
	}
	return res.GetText()
}

func qrOf(r receipt.Receipt) string {
	for _, l := range r.Lines {
		if l.Kind == receipt.KindQR {
			return l.QR
		}
	}
	return ""
}

// The golden receipts go encoder -> serial driver -> pty -> simulator and
// come out as the golden text, with a QR code gozxing reads back from the
// PNG.
func TestGoldenReceiptsThroughPTY(t *testing.T) {
	for _, g := range receipttest.Goldens() {
		t.Run(g.Name, func(t *testing.T) {
			ctx := testContext(t)
			out := t.TempDir()
			sim := newPTYSim(t, simprinter.Options{Profile: g.Profile, OutDir: out})
			p := openSerial(t, ctx, sim, printer.Config{})
			binPath, txtPath := g.Paths()
			wantBin, err := os.ReadFile(binPath)
			if err != nil {
				t.Fatal(err)
			}
			wantTxt, err := os.ReadFile(txtPath)
			if err != nil {
				t.Fatal(err)
			}
			b := job(t, g.Receipt, g.Profile)
			if !bytes.Equal(b, wantBin) {
				t.Fatalf("encoder output differs from %s", binPath)
			}
			res, err := p.Print(ctx, b)
			if err != nil || res != printer.Printed {
				t.Fatalf("Print = %v, %v; want printed", res, err)
			}
			rs, err := sim.WaitReceipts(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != 1 || rs[0].Partial {
				t.Fatalf("got %d receipts (partial %v), want 1 whole", len(rs), len(rs) > 0 && rs[0].Partial)
			}
			if rs[0].Text != string(wantTxt) {
				t.Errorf("printed text differs from %s:\n got:\n%s\nwant:\n%s", txtPath, rs[0].Text, wantTxt)
			}
			if got, want := decodePNG(t, rs[0].PNG), qrOf(g.Receipt); got != want {
				t.Errorf("QR in PNG = %q, want %q", got, want)
			}
			onDisk, err := os.ReadFile(rs[0].TextPath)
			if err != nil || string(onDisk) != string(wantTxt) {
				t.Errorf("%s: %v, text equal %v", rs[0].TextPath, err, string(onDisk) == string(wantTxt))
			}
			if pngOnDisk, err := os.ReadFile(rs[0].PNGPath); err != nil || decodePNG(t, pngOnDisk) != qrOf(g.Receipt) {
				t.Errorf("%s does not hold the QR: %v", rs[0].PNGPath, err)
			}
			if bin, err := os.ReadFile(rs[0].BinPath); err != nil || !bytes.Equal(bin, wantBin) {
				t.Errorf("%s differs from the job (%v)", rs[0].BinPath, err)
			}
		})
	}
}

// Paper out: the job is refused before a byte is sent; after the paper is
// loaded the same job prints once.
func TestPaperOutThenReprint(t *testing.T) {
	ctx := testContext(t)
	sim := newPTYSim(t, simprinter.Options{Profile: "generic-80mm"})
	p := openSerial(t, ctx, sim, printer.Config{})
	b := job(t, receipttest.Sale(), "generic-80mm")

	sim.SetPaperOut(true)
	res, err := p.Print(ctx, b)
	if res != printer.NotPrinted || !errors.Is(err, printer.ErrPaperOut) {
		t.Fatalf("Print with paper out = %v, %v; want not printed, ErrPaperOut", res, err)
	}
	var se *printer.StatusError
	if !errors.As(err, &se) || !se.Status.PaperOut || se.Status.Online {
		t.Fatalf("error carries status %+v", se)
	}
	if n := sim.Command("receipts"); n != "ok 0" {
		t.Fatalf("simulator printed while out of paper: %s", n)
	}
	st, err := p.Status(ctx)
	if err != nil || !st.PaperOut || st.Online || st.Unknown {
		t.Fatalf("Status = %+v, %v", st, err)
	}

	sim.SetPaperOut(false) // paper loaded
	res, err = p.Print(ctx, b)
	if err != nil || res != printer.Printed {
		t.Fatalf("reprint = %v, %v; want printed", res, err)
	}
	rs, err := sim.WaitReceipts(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Text != receipttest.Sale().TextFor(p.Profile()) {
		t.Fatalf("after reprint: %d receipts, text:\n%s", len(rs), rs[0].Text)
	}
}

// A printer that never answers gives Unknown, not Printed, once the status
// timeout has passed: the job was still sent (it may well print).
func TestSilentPrinterGivesUnknown(t *testing.T) {
	ctx := testContext(t)
	sim := newPTYSim(t, simprinter.Options{Profile: "generic-58mm", Silent: true})
	p := openSerial(t, ctx, sim, printer.Config{StatusTimeout: 200 * time.Millisecond, ConfirmTimeout: 5 * time.Second})
	st, err := p.Status(ctx)
	if err != nil || !st.Unknown {
		t.Fatalf("Status = %+v, %v; want unknown", st, err)
	}
	if st.String() != "unknown (no status answer)" {
		t.Errorf("String() = %q", st.String())
	}
	res, err := p.Print(ctx, job(t, receipttest.Sale(), "generic-58mm"))
	if err != nil || res != printer.Unknown {
		t.Fatalf("Print = %v, %v; want unknown, nil", res, err)
	}
	if _, err := sim.WaitReceipts(ctx, 1); err != nil {
		t.Fatalf("the job was not sent to the silent printer: %v", err)
	}
}

func TestRefusedStates(t *testing.T) {
	tests := []struct {
		name string
		set  func(*simprinter.Printer)
		want error
		text string
	}{
		{"cover open", func(s *simprinter.Printer) { s.SetCoverOpen(true) }, printer.ErrCoverOpen, "offline: cover open"},
		{"offline", func(s *simprinter.Printer) { s.SetOffline(true) }, printer.ErrOffline, "offline"},
		{"paper out", func(s *simprinter.Printer) { s.SetPaperOut(true) }, printer.ErrPaperOut, "offline: paper out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			sim := newPTYSim(t, simprinter.Options{Profile: "epson-tm-t88vi"})
			p := openSerial(t, ctx, sim, printer.Config{})
			tt.set(sim)
			st, err := p.Status(ctx)
			if err != nil || st.String() != tt.text {
				t.Errorf("Status = %q, %v; want %q", st, err, tt.text)
			}
			res, err := p.Print(ctx, job(t, receipttest.Sale(), "epson-tm-t88vi"))
			if res != printer.NotPrinted || !errors.Is(err, tt.want) {
				t.Fatalf("Print = %v, %v; want not printed, %v", res, err, tt.want)
			}
		})
	}
}

func TestStatusNearEnd(t *testing.T) {
	ctx := testContext(t)
	sim := newPTYSim(t, simprinter.Options{})
	p := openSerial(t, ctx, sim, printer.Config{})
	st, err := p.Status(ctx)
	if err != nil || !st.Online || st.PaperNearEnd || st.String() != "online" {
		t.Fatalf("Status = %+v (%s), %v", st, st, err)
	}
	sim.SetPaperNearEnd(true)
	st, err = p.Status(ctx)
	if err != nil || !st.Online || !st.PaperNearEnd || st.String() != "online: paper near end" {
		t.Fatalf("near end: Status = %+v (%s), %v", st, st, err)
	}
	if res, err := p.Print(ctx, job(t, receipttest.Sale(), "generic-80mm")); res != printer.Printed || err != nil {
		t.Fatalf("near end must still print: %v, %v", res, err)
	}
}

// The paper runs out in the middle of a job. Print reports ErrPaperOut
// and clears the printer's buffers, so that loading paper does not print
// the rest of the half receipt; the reprint then gives one whole receipt.
func TestPaperRunsOutMidJob(t *testing.T) {
	for _, tt := range []struct {
		name    string
		profile string
		asb     bool
	}{
		{"status polling", "generic-80mm", false},
		{"automatic status back", "epson-tm-t88vi", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testContext(t)
			sim := newPTYSim(t, simprinter.Options{Profile: tt.profile, PaperLines: 5})
			p := openSerial(t, ctx, sim, printer.Config{ASB: tt.asb})
			b := job(t, receipttest.Sale(), tt.profile)
			res, err := p.Print(ctx, b)
			if res != printer.NotPrinted || !errors.Is(err, printer.ErrPaperOut) {
				t.Fatalf("Print = %v, %v; want not printed, ErrPaperOut", res, err)
			}
			rs, err := sim.WaitReceipts(ctx, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !rs[0].Partial {
				t.Fatalf("first receipt should be the torn partial one: %+v", rs[0])
			}
			sim.SetPaperOut(false)
			res, err = p.Print(ctx, b)
			if err != nil || res != printer.Printed {
				t.Fatalf("reprint = %v, %v", res, err)
			}
			// GS r is answered after everything before it: had the rest of
			// the first job survived, it would be a receipt by now.
			rs = sim.Receipts()
			if len(rs) != 2 {
				t.Fatalf("%d receipts, want the partial one and the reprint", len(rs))
			}
			if rs[1].Partial || rs[1].Text != receipttest.Sale().TextFor(p.Profile()) {
				t.Errorf("reprint text:\n%s", rs[1].Text)
			}
		})
	}
}

func TestTCPTransport(t *testing.T) {
	ctx := testContext(t)
	sim, err := simprinter.ListenTCP("127.0.0.1:0", simprinter.Options{Profile: "epson-tm-t20iii"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	p, err := printer.Open(ctx, printer.Config{Transport: printer.TransportTCP, Addr: sim.Addr(), Profile: "epson-tm-t20iii"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := receipttest.Sale()
	if res, err := p.Print(ctx, job(t, r, "epson-tm-t20iii")); err != nil || res != printer.Printed {
		t.Fatalf("Print = %v, %v", res, err)
	}
	rs, err := sim.WaitReceipts(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Text != r.TextFor(p.Profile()) {
		t.Errorf("text over TCP:\n%s", rs[0].Text)
	}

	// The printer goes away: the next job fails with ErrDisconnected and
	// the reconnect attempt fails too.
	sim.Close()
	res, err := p.Print(ctx, job(t, r, "epson-tm-t20iii"))
	if res == printer.Printed || !errors.Is(err, printer.ErrDisconnected) {
		t.Fatalf("Print after the printer went away = %v, %v; want ErrDisconnected", res, err)
	}
}

// usblp is a plain device file; a pty slave opened with os.OpenFile behaves
// the same for the driver (read, write, poll).
func TestUSBLPTransport(t *testing.T) {
	ctx := testContext(t)
	sim := newPTYSim(t, simprinter.Options{Profile: "generic-58mm"})
	p, err := printer.Open(ctx, printer.Config{Transport: printer.TransportUSBLP, Device: sim.Path(), Profile: "generic-58mm"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := receipttest.Sale()
	if res, err := p.Print(ctx, job(t, r, "generic-58mm")); err != nil || res != printer.Printed {
		t.Fatalf("Print = %v, %v", res, err)
	}
	rs, err := sim.WaitReceipts(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Text != r.TextFor(p.Profile()) {
		t.Errorf("text over usblp:\n%s", rs[0].Text)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := testContext(t)
	tests := []struct {
		name string
		cfg  printer.Config
		want error
	}{
		{"no transport", printer.Config{}, printer.ErrInvalidConfig},
		{"bad transport", printer.Config{Transport: "bluetooth"}, printer.ErrInvalidConfig},
		{"serial without path", printer.Config{Transport: printer.TransportSerial}, printer.ErrInvalidConfig},
		{"usblp without device", printer.Config{Transport: printer.TransportUSBLP}, printer.ErrInvalidConfig},
		{"tcp without addr", printer.Config{Transport: printer.TransportTCP}, printer.ErrInvalidConfig},
		{"unknown profile", printer.Config{Transport: printer.TransportTCP, Addr: "127.0.0.1", Profile: "nope"}, escpos.ErrUnknownProfile},
		{"negative timeout", printer.Config{Transport: printer.TransportTCP, Addr: "127.0.0.1", StatusTimeout: -1}, printer.ErrInvalidConfig},
		{"missing serial device", printer.Config{Transport: printer.TransportSerial, Serial: serialport.Config{Path: "/dev/nonexistent-printer"}}, serialport.ErrNotFound},
		{"missing usblp device", printer.Config{Transport: printer.TransportUSBLP, Device: "/dev/usb/nonexistent"}, printer.ErrDisconnected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := printer.Open(ctx, tt.cfg, nil)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open err = %v, want %v", err, tt.want)
			}
			if p != nil {
				t.Error("Open returned a printer with an error")
			}
		})
	}
}

// A cancelled context stops a Print that is waiting for a status answer;
// nothing was sent, so the job is NotPrinted.
func TestPrintHonoursContext(t *testing.T) {
	sim := newPTYSim(t, simprinter.Options{Silent: true})
	ctx := testContext(t)
	p := openSerial(t, ctx, sim, printer.Config{StatusTimeout: time.Minute})
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	res, err := p.Print(short, []byte("x"))
	if res != printer.NotPrinted || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Print = %v, %v", res, err)
	}
	if n := sim.Command("receipts"); n != "ok 0" {
		t.Errorf("simulator got a job: %s", n)
	}
}

func TestClosed(t *testing.T) {
	ctx := testContext(t)
	sim := newPTYSim(t, simprinter.Options{})
	p := openSerial(t, ctx, sim, printer.Config{})
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := p.Print(ctx, []byte("x")); !errors.Is(err, printer.ErrClosed) {
		t.Errorf("Print after Close: %v", err)
	}
}
