package simprinter_test

import (
	"testing"

	"github.com/stillpay/stillpay/hardware/escpos"
	"github.com/stillpay/stillpay/hardware/receipt"
	"github.com/stillpay/stillpay/hardware/receipt/receipttest"
	"github.com/stillpay/stillpay/hardware/sim/simprinter"
)

// roundTrip checks the promise of package receipt: what the simulator
// prints from ESCPOS(p) is exactly TextFor(p).
func roundTrip(t *testing.T, r receipt.Receipt, profile string) {
	t.Helper()
	p, err := escpos.LookupProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	job, err := r.ESCPOS(p)
	if err != nil {
		return // e.g. a QR code too large: rejected, not misprinted
	}
	rs, err := simprinter.Interpret(profile, job, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].Partial {
		t.Fatalf("%d receipts from one job", len(rs))
	}
	if want := r.TextFor(p); rs[0].Text != want {
		t.Fatalf("%s: printed text differs from TextFor\n got:\n%q\nwant:\n%q\nnotes: %v", profile, rs[0].Text, want, rs[0].Notes)
	}
}

func TestRoundTripSamples(t *testing.T) {
	for _, g := range receipttest.Goldens() {
		roundTrip(t, g.Receipt, g.Profile)
	}
	for _, prof := range escpos.ProfileNames() {
		roundTrip(t, receipttest.Chinese(), prof) // CJK on Latin printers: transliterated alike
	}
}

// FuzzReceiptRoundTrip lays out arbitrary text in every kind of line and
// checks that paper and preview agree.
func FuzzReceiptRoundTrip(f *testing.F) {
	for _, g := range receipttest.Goldens() {
		for _, l := range g.Receipt.Lines {
			f.Add(l.Text, l.Right, uint8(l.Kind), l.Bold, l.DoubleSize, uint8(l.Align), "generic-58mm")
		}
	}
	f.Add("  ", "x", uint8(receipt.KindText), true, true, uint8(receipt.AlignCenter), "xprinter-xp-58")
	f.Add("咖啡咖啡咖啡咖啡咖啡咖啡咖啡咖啡咖", "¥1", uint8(receipt.KindPair), false, false, uint8(0), "xprinter-xp-58")
	f.Fuzz(func(t *testing.T, text, right string, kind uint8, bold, double bool, align uint8, profile string) {
		if _, err := escpos.LookupProfile(profile); err != nil {
			return
		}
		l := receipt.Line{Kind: receipt.LineKind(kind % 4), Text: text, Right: right, Bold: bold, DoubleSize: double, Align: receipt.Align(align % 3)}
		if l.Kind == receipt.KindQR {
			l.QR = text
		}
		r := receipt.New(receipt.Text("top"), l, receipt.Text("bottom"))
		roundTrip(t, r, profile)
	})
}
