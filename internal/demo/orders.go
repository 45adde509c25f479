package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/hardware/sim/simprinter"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
	"github.com/stillpay/stillpay/wallet"
)

// Flow 2 in the lab: the register starts an order, posagent prints its QR code on the simulated
// printer, the phone reads the receipt's PNG and pays.

// StartOrder starts an order of amount (decimal EUR) at the lab's register and waits until its QR
// code is printed. It returns the order and the simulated printer's receipt that carries it.
func (l *Lab) StartOrder(ctx context.Context, amount, reference string) (agent.OrderView, simprinter.Receipt, error) {
	v, err := l.API.StartOrder(ctx, localapi.StartOrderRequest{Amount: amount, Reference: reference})
	if err != nil {
		return v, simprinter.Receipt{}, err
	}
	if v, err = WaitOrderPrinted(ctx, l.API, v); err != nil {
		return v, simprinter.Receipt{}, err
	}
	r, err := ReceiptWithQR(ctx, l.Printer, v.QR)
	return v, r, err
}

// WaitOrderPrinted follows an order until its QR code is printed (or it is final).
func WaitOrderPrinted(ctx context.Context, api *localapi.Client, v agent.OrderView) (agent.OrderView, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var err error
	for !v.Final && (v.State != agent.OrderPending || v.QRPrintStatus == "") {
		if v.State == agent.OrderPending {
			time.Sleep(10 * time.Millisecond) // the print status follows the state
			v, err = api.Order(ctx, v.ID, 0, "")
		} else {
			v, err = api.Order(ctx, v.ID, 30*time.Second, v.State)
		}
		if err != nil {
			return v, fmt.Errorf("order %s: %w", v.ID, err)
		}
	}
	return v, nil
}

// WaitOrderDone follows an order until its outcome is known and printed. An order the lane has not
// heard of yet is waited for: a lane learns of a payment to its static sticker only from the
// server's order feed, some time after it starts.
func WaitOrderDone(ctx context.Context, api *localapi.Client, id string) (agent.OrderView, error) {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for {
		v, err := api.Order(ctx, id, 0, "")
		if err == nil {
			return api.WaitOrderDone(ctx, v, nil)
		}
		var p *protocol.Problem
		if !(errors.As(err, &p) && p.Code == protocol.CodeNotFound) && !errors.Is(err, localapi.ErrAgentDown) {
			return v, err
		}
		select {
		case <-ctx.Done():
			return v, fmt.Errorf("order %s never became known to the lane: %w (last answer: %v)", id, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ReceiptWithQR waits until printer p has cut a receipt carrying a QR code of text.
func ReceiptWithQR(ctx context.Context, p *simprinter.Printer, text string) (simprinter.Receipt, error) {
	var found simprinter.Receipt
	err := waitFor(ctx, 30*time.Second, "the receipt with the order's QR code", func() error {
		for _, r := range p.Receipts() {
			for _, q := range r.QR {
				if q == text {
					found = r
					return nil
				}
			}
		}
		return fmt.Errorf("%d receipts, none with the QR code", len(p.Receipts()))
	})
	return found, err
}

// WalletPay is what `wallet pay --json` prints.
type WalletPay struct {
	Stillpay bool            `json:"stillpay"`
	Paid     bool            `json:"paid"`
	Payment  *wallet.Payment `json:"payment"`
}

// PayImage pays the order whose QR code is in the image file, the way a customer does:
// `wallet pay --image FILE --yes --json` (gozxing reads the code, the server's signature is checked,
// the device key signs the confirmation).
func (w *Wallet) PayImage(ctx context.Context, path string) (WalletPay, error) {
	out, err := w.run(ctx, "pay", "--image", path, "--yes", "--json")
	if err != nil {
		return WalletPay{}, err
	}
	var p WalletPay
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		return p, fmt.Errorf("demo: wallet pay answered %q: %w", out, err)
	}
	return p, nil
}

// PayText pays the order of a QR code's text in this process, with the wallet library (the same
// code `wallet pay` runs, without starting a process).
func (w *Wallet) PayText(ctx context.Context, text string) (wallet.Payment, error) {
	wl := wallet.Open(w.home, nil)
	s, err := wl.ReadOrder(ctx, text)
	if err != nil {
		return wallet.Payment{}, err
	}
	return wl.PayOrder(ctx, s, text, wallet.PayOptions{})
}

// Run runs the wallet command line with args on this phone and returns its output.
func (w *Wallet) Run(ctx context.Context, args ...string) (string, error) { return w.run(ctx, args...) }
