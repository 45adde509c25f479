package receipt_test

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/stillpay/stillpay/hardware/escpos"
	"github.com/stillpay/stillpay/hardware/receipt/receipttest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/receipts")

// TestGolden pins the ESC/POS bytes and the text of every sample receipt.
// Run with -update after an intended change and review the diff.
func TestGolden(t *testing.T) {
	for _, g := range receipttest.Goldens() {
		t.Run(g.Name, func(t *testing.T) {
			p, err := escpos.LookupProfile(g.Profile)
			if err != nil {
				t.Fatal(err)
			}
			gotBin, err := g.Receipt.ESCPOS(p)
			if err != nil {
				t.Fatal(err)
			}
			gotTxt := g.Receipt.TextFor(p)
			binPath, txtPath := g.Paths()
			if *update {
				if err := os.WriteFile(binPath, gotBin, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(txtPath, []byte(gotTxt), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			wantBin, err := os.ReadFile(binPath)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			wantTxt, err := os.ReadFile(txtPath)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(gotBin, wantBin) {
				t.Errorf("ESC/POS bytes differ from %s (%d bytes, want %d)", binPath, len(gotBin), len(wantBin))
			}
			if gotTxt != string(wantTxt) {
				t.Errorf("text differs from %s:\n got:\n%s\nwant:\n%s", txtPath, gotTxt, wantTxt)
			}
		})
	}
}
