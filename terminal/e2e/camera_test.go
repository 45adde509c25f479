package e2e

import (
	"context"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/stillpay/stillpay/internal/demo"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
)

// TestCameraScanner runs a lane whose "scanner" is a camera dropping snapshots into a directory
// (scanner.type: images): a snapshot without a code is skipped, the phone's QR code in the next one
// pays, and the receipt prints — the same sale flow as with a serial scanner.
func TestCameraScanner(t *testing.T) {
	ctx := context.Background()
	lab, err := demo.NewLab(ctx, demo.Options{Bin: binDir, Dir: filepath.Join(t.TempDir(), "lab"), OpeningBalance: "100.00"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lab.Close)
	camera := filepath.Join(lab.Dir, "camera")
	if err := os.Mkdir(camera, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(lab.AgentConfig)
	if err != nil {
		t.Fatal(err)
	}
	serial := "scanner:\n  type: serial\n  port: " + filepath.Join(lab.Dir, "scanner") + "\n  suffix: CR\n"
	if !strings.Contains(string(cfg), serial) {
		t.Fatalf("the lab's config has no serial scanner section to replace:\n%s", cfg)
	}
	cfg = []byte(strings.Replace(string(cfg), serial, "scanner:\n  type: images\n  dir: "+camera+"\n", 1))
	if err := os.WriteFile(lab.AgentConfig, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := lab.StartAgent(ctx); err != nil {
		t.Fatal(err)
	}
	w, err := lab.NewWallet(ctx, "camera", "20.00", 5)
	if err != nil {
		t.Fatal(err)
	}

	v, err := lab.API.StartSale(ctx, localapi.StartSaleRequest{Amount: "4.20", Reference: "camera"})
	if err != nil {
		t.Fatal(err)
	}
	// A snapshot with no code in it: skipped, the sale keeps waiting.
	blank := image.NewGray(image.Rect(0, 0, 320, 240))
	for i := range blank.Pix {
		blank.Pix[i] = 200
	}
	drop(t, camera, "0001.png", blank)
	time.Sleep(600 * time.Millisecond) // three polls of the directory
	if v, err = lab.API.Sale(ctx, v.ID, 0, ""); err != nil || v.State != agent.SaleWaiting {
		t.Fatalf("after a snapshot without a code the sale is %q (%v), want still waiting", v.State, err)
	}

	code := mustCode(t, w)
	qr, err := qrcode.New(code, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	drop(t, camera, "0002.png", qr.Image(-6))
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if v, err = lab.API.WaitFinal(wctx, v, nil); err != nil || v.State != agent.SaleApproved || v.Offline {
		t.Fatalf("sale by camera: %+v, %v; want approved online", v, err)
	}
	receipts, err := lab.Printer.WaitReceipts(wctx, 1)
	if err != nil || !strings.Contains(receipts[len(receipts)-1].Text, "ONLINE APPROVAL") {
		t.Fatalf("receipt: %v", err)
	}
	settledOnce(t, lab, []agent.SaleView{v})
}

// drop writes img the way a camera daemon should: to a temporary name, then renamed into place, so
// the agent never reads half a file.
func drop(t *testing.T, dir, name string, img image.Image) {
	t.Helper()
	tmp := filepath.Join(dir, "."+name+".part")
	f, err := os.Create(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}
