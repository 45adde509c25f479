package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stillpay/stillpay/internal/demo"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
)

// notPaymentScans starts a sale and, through the pty scanner, scans what a counter scanner reads
// besides payment codes: a line-noise burst, a product's EAN-13 (AIM ]E0), printable noise and
// another scheme's QR coupon (AIM ]Q1). The sale keeps waiting, shows the ignored scans, and pays
// with the customer's code scanned next. It returns the approved sale.
func notPaymentScans(t *testing.T, lab *demo.Lab, code string) agent.SaleView {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	v, err := lab.API.StartSale(ctx, localapi.StartSaleRequest{Amount: "1.10", Reference: "scan-noise"})
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.Scanner.SendRaw(ctx, []byte("\x00\x13\xfe\x7f\x01\r")); err != nil {
		t.Fatal(err)
	}
	if err := lab.Scanner.SendSymbology(ctx, "4006381333931", "]E0"); err != nil {
		t.Fatal(err)
	}
	if err := lab.Scanner.SendRaw(ctx, []byte("Xk9#q\r")); err != nil {
		t.Fatal(err)
	}
	if err := lab.Scanner.Send(ctx, "https://coupons.example.com/c/8841"); err != nil {
		t.Fatal(err)
	}
	// The three text frames reach the agent (the control-byte burst is dropped by the framer).
	deadline := time.Now().Add(10 * time.Second)
	for v.ScansIgnored < 3 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		if v, err = lab.API.Sale(ctx, v.ID, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	if v.State != agent.SaleWaiting || v.ScansIgnored != 3 || !strings.Contains(v.Notice, "scan ignored: not a stillpay payment code") {
		t.Fatalf("after noise, an EAN and a coupon the sale is %+v, want waiting with 3 ignored scans", v)
	}
	if err := lab.Scanner.Send(ctx, code); err != nil {
		t.Fatal(err)
	}
	if v, err = lab.API.WaitFinal(ctx, v, nil); err != nil || v.State != agent.SaleApproved {
		t.Fatalf("the customer's code after the noise: %+v %v", v, err)
	}
	logText := agentLog(t, lab)
	if !strings.Contains(logText, "EAN/UPC barcode (]E0)") || strings.Contains(logText, "4006381333931") {
		t.Errorf("the agent log should name the EAN's symbology and never its content")
	}
	return v
}

// suffixMismatch: the agent's config says suffix CR, the scanner ends frames in LF. Gap framing
// (on by default) still reads the code, and the log says how to fix the config.
func suffixMismatch(t *testing.T, lab *demo.Lab, code string) agent.SaleView {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	v, err := lab.API.StartSale(ctx, localapi.StartSaleRequest{Amount: "1.20", Reference: "scan-lf"})
	if err != nil {
		t.Fatal(err)
	}
	if err := lab.Scanner.SendRaw(ctx, []byte("]Q1"+code+"\n")); err != nil {
		t.Fatal(err)
	}
	if v, err = lab.API.WaitFinal(ctx, v, nil); err != nil || v.State != agent.SaleApproved {
		t.Fatalf("a code ended by LF on a CR config: %+v %v", v, err)
	}
	const want = "frames end in LF; set scanner.suffix: LF or auto"
	if !strings.Contains(agentLog(t, lab), want) {
		t.Errorf("the agent log does not say %q", want)
	}
	return v
}

func agentLog(t *testing.T, lab *demo.Lab) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(lab.Dir, "posagent.log"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
