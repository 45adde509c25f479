package receipt_test

import (
	"testing"

	"github.com/stillpay/stillpay/hardware/escpos"
	"github.com/stillpay/stillpay/hardware/receipt/receipttest"
)

// BenchmarkReceiptEncode is the receipt encode time `make bench` reports:
// layout plus ESC/POS encoding of the sample sale, with a native QR code
// (Epson) and with the raster QR fallback (generic 58 mm).
func BenchmarkReceiptEncode(b *testing.B) {
	for _, name := range []string{"epson-tm-t88vi", "generic-58mm"} {
		p, err := escpos.LookupProfile(name)
		if err != nil {
			b.Fatal(err)
		}
		r := receipttest.Sale()
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.ESCPOS(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
