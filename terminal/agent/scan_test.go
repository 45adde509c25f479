package agent

import (
	"strings"
	"testing"

	"github.com/stillpay/stillpay/hardware/scanner"
)

func TestNotPayment(t *testing.T) {
	for _, c := range []struct {
		data, symbology string
		want            string // substring of the reason; "" for a frame the sale decides
	}{
		{"SP2:ABCDEF", "", ""},
		{"SP2:ABCDEF", "]Q1", ""},
		{"SP2:garbled", "]Q1", ""}, // a damaged payment code is declined by the sale, with its code
		{"SP1:ABCDEF", "", ""},     // a retired one too (payload_version)
		{"SP9:ABCDEF", "", ""},     // and one from the future
		{"4006381333931", "]E0", "EAN/UPC barcode (]E0)"},
		{"SP2:ABCDEF", "]C0", "Code 128 barcode"}, // not a QR code, whatever it holds
		{"4006381333931", "", "not a stillpay payment code"},
		{"https://coupon.example.com/x", "]Q1", "not a stillpay payment code"},
		{"00020101021226", "]Q1", "not a stillpay payment code"}, // an EMV merchant QR
		{"S", "", "not a stillpay payment code"},
		{"SPX:ABC", "]X9", "symbology ]X9"},
	} {
		got := notPayment(scanner.Frame{Data: []byte(c.data), Symbology: c.symbology})
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("notPayment(%q, %q) = %q, want %q", c.data, c.symbology, got, c.want)
		}
	}
}
