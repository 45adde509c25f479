package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/hardware/sim/simprinter"
	"github.com/stillpay/stillpay/internal/demo"
	"github.com/stillpay/stillpay/server/store/pgstore/pgtest"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
)

// TestOrderPaidFromPrintedQR is flow 2 with the real binaries on a 58 mm printer: `posagent order`
// prints the order's QR code through the pty printer simulator, the customer's `wallet pay --image`
// reads the simulator's receipt PNG, checks the server's signature and confirms, and posagent prints
// the paid receipt; the money moved once and the ledger checks. The same on PostgreSQL.
func TestOrderPaidFromPrintedQR(t *testing.T) {
	t.Run("bbolt", func(t *testing.T) { orderPaidFromPrintedQR(t, nil) })
	t.Run("postgres", func(t *testing.T) { orderPaidFromPrintedQR(t, []string{"--store", pgtest.DSN(t)}) })
}

// newOrderLab starts a lab whose printer writes receipt PNGs, its posagent, and a phone with a
// 20.00 cap per payment.
func newOrderLab(t *testing.T, serverArgs []string, printerProfile string) (*demo.Lab, *demo.Wallet) {
	t.Helper()
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "lab")
	lab, err := demo.NewLab(ctx, demo.Options{Bin: binDir, Dir: dir, OpeningBalance: "500.00", ServerArgs: serverArgs,
		PrinterProfile: printerProfile, PrinterOutDir: filepath.Join(dir, "receipts")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lab.Close)
	if err := lab.StartAgent(ctx); err != nil {
		t.Fatal(err)
	}
	phone, err := lab.NewWallet(ctx, "phone", "20.00", 5)
	if err != nil {
		t.Fatal(err)
	}
	return lab, phone
}

func orderPaidFromPrintedQR(t *testing.T, serverArgs []string) {
	ctx := context.Background()
	lab, phone := newOrderLab(t, serverArgs, "generic-58mm")
	before, err := lab.Balances(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// The cashier: posagent order, which waits for the outcome. 42.50 is over the phone's 20.00
	// cap per payment: an order is how such an amount is paid.
	order := startWatched(t, filepath.Join(binDir, "posagent"), "order", "--amount", "42.50", "--reference", "TABLE-4", "--json", "--config", lab.AgentConfig)

	// The QR slip as the simulated 58 mm printer rendered it.
	var slip = waitReceiptWhile(t, lab, func(text string) bool { return strings.Contains(text, "SCAN TO PAY") }, order)
	if len(slip.QR) != 1 || !strings.HasPrefix(slip.QR[0], "000201") || !strings.Contains(slip.Text, "42.50") || !strings.Contains(slip.Text, "Valid until") {
		t.Fatalf("QR slip: QR %q\n%s", slip.QR, slip.Text)
	}
	paid, err := phone.PayImage(ctx, slip.PNGPath)
	if err != nil {
		t.Fatal(err)
	}
	if !paid.Paid || paid.Payment == nil || paid.Payment.Approval.Amount.Minor != 4250 {
		t.Fatalf("wallet pay: %+v", paid)
	}

	select {
	case <-order.done:
		if order.err != nil {
			t.Fatalf("posagent order: %v\n%s%s\n%s", order.err, order.stdout.String(), order.stderr.String(), lab.LogTails())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("posagent order still waiting:\n%s%s\n%s", order.stdout.String(), order.stderr.String(), lab.LogTails())
	}
	var v agent.OrderView
	if err := json.Unmarshal([]byte(order.stdout.String()), &v); err != nil {
		t.Fatalf("posagent order --json: %v\n%s", err, order.stdout.String())
	}
	if v.State != agent.OrderPaid || !v.Reported || v.PrintStatus != agent.PrintPrinted || v.OrderID != paid.Payment.Order.OrderID ||
		v.ApprovalCode != paid.Payment.Approval.ApprovalCode || v.Customer == "" {
		t.Fatalf("order as posagent reports it: %+v", v)
	}
	receipt := waitReceipt(t, lab, func(text string) bool { return strings.Contains(text, "PAID - CONFIRMED ON THE PHONE") })
	if len(receipt.QR) != 1 || receipt.QR[0] != v.OrderID || !strings.Contains(receipt.Text, v.ApprovalCode) || !strings.Contains(receipt.Text, "42.50") {
		t.Fatalf("paid receipt: QR %q\n%s", receipt.QR, receipt.Text)
	}
	if n := len(lab.Printer.Receipts()); n != 2 {
		t.Fatalf("%d receipts printed, want the QR slip and the paid receipt", n)
	}

	// The money: alice -42.50, the merchant +42.50, one payment under the order id.
	after, err := lab.Balances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := balanceOf(t, after, "customer", demo.AccountID) - balanceOf(t, before, "customer", demo.AccountID); d != -4250 {
		t.Errorf("customer balance moved by %d", d)
	}
	mb, _ := demo.MerchantBalance(before)
	ma, _ := demo.MerchantBalance(after)
	if ma-mb != 4250 {
		t.Errorf("merchant balance moved by %d", ma-mb)
	}
	txns, err := lab.Transactions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range txns {
		if x.TerminalTxnID == v.OrderID && x.Status == protocol.StatusApproved {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the order's payment is recorded %d times: %+v", n, txns)
	}
	if out, err := lab.Admin(ctx, "check"); err != nil {
		t.Errorf("ledger check: %v %s", err, out)
	}
}

// waitReceipt waits for the lab printer's first receipt whose text matches.
func waitReceipt(t *testing.T, lab *demo.Lab, match func(string) bool) simprinter.Receipt {
	t.Helper()
	return waitReceiptWhile(t, lab, match, nil)
}

// waitReceiptWhile is waitReceipt for a receipt that the command cmd (nil: none) is to cause: when
// cmd ends first, the test fails at once with what it printed. On failure the message holds the
// lab's logs, so that a rare failure in CI says why.
func waitReceiptWhile(t *testing.T, lab *demo.Lab, match func(string) bool, cmd *background) simprinter.Receipt {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for _, r := range lab.Printer.Receipts() {
			if match(r.Text) {
				return r
			}
		}
		if cmd != nil && cmd.ended() {
			t.Fatalf("%s ended (%v) before the receipt printed:\n%s%s\n%s", cmd.name, cmd.err, cmd.stdout.String(), cmd.stderr.String(), lab.LogTails())
		}
		time.Sleep(20 * time.Millisecond)
	}
	var running string
	if cmd != nil {
		running = fmt.Sprintf("%s is still running; it printed:\n%s%s\n", cmd.name, cmd.stdout.String(), cmd.stderr.String())
	}
	t.Fatalf("no such receipt among %d after 60 s\n%s%s", len(lab.Printer.Receipts()), running, lab.LogTails())
	return simprinter.Receipt{}
}

// background is a command the test runs while it drives the lab; its output can be read while it
// runs.
type background struct {
	name           string
	stdout, stderr lockedBuffer
	done           chan struct{} // closed when the command has ended; err is then what Wait returned
	err            error
}

// startWatched starts bin with args for the length of the test.
func startWatched(t *testing.T, bin string, args ...string) *background {
	t.Helper()
	b := &background{name: filepath.Base(bin) + " " + args[0], done: make(chan struct{})}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &b.stdout, &b.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { b.err = cmd.Wait(); close(b.done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-b.done })
	return b
}

func (b *background) ended() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// balanceOf returns the balance of account id (of kind) in minor units.
func balanceOf(t *testing.T, bs []demo.Balance, kind, id string) int64 {
	t.Helper()
	for _, b := range bs {
		if b.AccountID == id || (b.Kind == kind && b.OwnerID == id) {
			return b.Balance.Minor
		}
	}
	t.Fatalf("no %s account %s in %+v", kind, id, bs)
	return 0
}

// TestStickerPayment: the lane's static QR code (`posagent sticker`) is printed, posagent is killed,
// a customer pays the sticker with an amount of their own from its PNG (`wallet pay --image
// --amount`), and the restarted posagent learns of the payment from the server's order feed and
// prints its receipt once.
func TestStickerPayment(t *testing.T) {
	ctx := context.Background()
	lab, phone := newOrderLab(t, nil, "")
	if out, err := lab.Posagent(ctx, "sticker"); err != nil || !strings.Contains(out, "printed") {
		t.Fatalf("posagent sticker: %q %v", out, err)
	}
	sticker := waitReceipt(t, lab, func(text string) bool { return strings.Contains(text, "Enter the amount") })
	lab.KillAgent()

	out, err := phone.Run(ctx, "pay", "--image", sticker.PNGPath, "--amount", "4.80", "--yes", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var paid demo.WalletPay
	if err := json.Unmarshal([]byte(out), &paid); err != nil || !paid.Paid || paid.Payment.Order.Kind != protocol.OrderStatic {
		t.Fatalf("wallet pay of the sticker: %s %v", out, err)
	}
	orderID := paid.Payment.Order.OrderID
	if err := lab.StartAgent(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := demo.WaitOrderDone(ctx, lab.API, orderID)
	if err != nil || v.State != agent.OrderPaid || !v.Sticker || v.Amount.Minor != 480 || v.ApprovalCode != paid.Payment.Approval.ApprovalCode {
		t.Fatalf("the lane's view of the sticker payment: %+v %v", v, err)
	}
	receipt := waitReceipt(t, lab, func(text string) bool { return strings.Contains(text, "PAID - CONFIRMED") })
	if len(receipt.QR) != 1 || receipt.QR[0] != orderID || !strings.Contains(receipt.Text, "4.80") {
		t.Fatalf("sticker receipt: %q\n%s", receipt.QR, receipt.Text)
	}
	// Another restart prints nothing more.
	lab.StopAgent()
	if err := lab.StartAgent(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	n := 0
	for _, r := range lab.Printer.Receipts() {
		if strings.Contains(r.Text, "PAID - CONFIRMED") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the sticker payment's receipt printed %d times", n)
	}
	if out, err := lab.Admin(ctx, "check"); err != nil {
		t.Errorf("ledger check: %v %s", err, out)
	}
}

// TestConsoleOrderAfterCapDecline: at the console a sale over the phone's cap per payment is
// declined confirmation_required and the screen tells the cashier to take it as an order; "o" does,
// the customer pays the printed QR, the screen says PAID.
func TestConsoleOrderAfterCapDecline(t *testing.T) {
	ctx := context.Background()
	lab, phone := newOrderLab(t, nil, "")
	console := exec.Command(filepath.Join(binDir, "posagent"), "console", "--config", lab.AgentConfig)
	stdin, err := console.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var screen lockedBuffer
	console.Stdout, console.Stderr = &screen, &screen
	if err := console.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { console.Process.Kill(); console.Wait() })
	waitScreen := func(want string) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if strings.Contains(screen.String(), want) {
				return
			}
		}
		t.Fatalf("the console never showed %q:\n%s", want, screen.String())
	}
	io.WriteString(stdin, "42.50\n"+mustCode(t, phone)+"\n")
	waitScreen("type o and Enter to print it as an order")
	if !strings.Contains(screen.String(), string(protocol.CodeConfirmationRequired)) {
		t.Fatalf("the decline does not say why:\n%s", screen.String())
	}
	io.WriteString(stdin, "o\n")
	slip := waitReceipt(t, lab, func(text string) bool { return strings.Contains(text, "SCAN TO PAY") })
	if len(slip.QR) != 1 || !strings.Contains(slip.Text, "42.50") {
		t.Fatalf("QR slip: %q\n%s", slip.QR, slip.Text)
	}
	if _, err := phone.PayText(ctx, slip.QR[0]); err != nil {
		t.Fatal(err)
	}
	waitScreen("PAID ")
	io.WriteString(stdin, "q\n")
	if err := console.Wait(); err != nil {
		t.Fatalf("console: %v\n%s", err, screen.String())
	}
}

// lockedBuffer is a bytes.Buffer a process writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestOrderServerOutageWhileWaiting: settlementd dies (SIGKILL) while an order waits for the
// customer; posagent keeps asking (the register sees why), and once the server is back the customer
// pays and the paid receipt prints once.
func TestOrderServerOutageWhileWaiting(t *testing.T) {
	ctx := context.Background()
	lab, phone := newOrderLab(t, nil, "")
	o, slip, err := lab.StartOrder(ctx, "7.40", "OUTAGE")
	if err != nil {
		t.Fatal(err)
	}
	lab.KillServer()
	deadline := time.Now().Add(30 * time.Second)
	for o.ServerError == "" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		if o, err = lab.API.Order(ctx, o.ID, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	if o.State != agent.OrderPending || o.ServerError == "" {
		t.Fatalf("order while settlementd is down: %+v", o)
	}
	if err := lab.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := phone.PayText(ctx, slip.QR[0]); err != nil {
		t.Fatal(err)
	}
	if o, err = demo.WaitOrderDone(ctx, lab.API, o.ID); err != nil || o.State != agent.OrderPaid || o.ServerError != "" {
		t.Fatalf("after the outage: %+v %v", o, err)
	}
	n := 0
	for _, r := range lab.Printer.Receipts() {
		if strings.Contains(r.Text, "PAID - CONFIRMED") {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("paid receipt printed %d times", n)
	}
}
