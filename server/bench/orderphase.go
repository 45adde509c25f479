package bench

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// DefaultOrdersPerTerm is the flow 2 orders each terminal creates (and a phone confirms) in the
// orders phase: 1,920 orders with 64 terminals.
const DefaultOrdersPerTerm = 30

// orderMinor is the amount of every bench order (1.00 EUR).
const orderMinor = 100

// orderPhase measures flow 2 through HTTP: every terminal, all at once, creates an order (signed
// POST /v1/orders) and its own phone confirms it (POST /v1/orders/{id}/confirm, device-signed over
// the order's confirmation bytes), one order after another. A figure is an order both created and
// paid. Unlike the flow 1 phases nothing can be signed ahead: the phone signs the order the server
// just made, as a real phone does.
func (f *fixture) orderPhase(ctx context.Context, client *http.Client, cfg Config, perTerm int) (Row, error) {
	const name = "HTTP, orders created + confirmed (flow 2)"
	payers, err := f.orderPayers(ctx, client, cfg, perTerm)
	if err != nil {
		return Row{}, err
	}
	var wg sync.WaitGroup
	paid := make([]int, len(f.terms))
	errs := make([]error, len(f.terms))
	cpu0 := f.cpuNow()
	start := time.Now()
	for ti, t := range f.terms {
		wg.Go(func() {
			for r := range perTerm {
				o, err := t.CreateOrder(ctx, protocol.OrderRequest{TerminalOrderID: fmt.Sprintf("%s-o%d", t.ID, r),
					Amount: money.Amount{Minor: orderMinor, Currency: "EUR"}})
				if err != nil {
					errs[ti] = fmt.Errorf("create: %w", err)
					return
				}
				id, req, err := payers[ti].ConfirmRequest(o.MPM)
				if err != nil {
					errs[ti] = err
					return
				}
				ans, err := payers[ti].Confirm(ctx, id, req)
				if err == nil {
					if p := ans.Problem(); p != nil {
						err = p
					}
				}
				if err != nil {
					errs[ti] = fmt.Errorf("confirm: %w", err)
					return
				}
				paid[ti]++
			}
		})
	}
	wg.Wait()
	return f.row(name, start, cpu0, paid, errs)
}

// orderPayers makes one logged-in phone per terminal, each with an account that covers its orders.
func (f *fixture) orderPayers(ctx context.Context, client *http.Client, cfg Config, perTerm int) ([]*Payer, error) {
	ac := &admin.Client{BaseURL: cfg.BaseURL, Token: cfg.AdminToken, HTTP: client}
	payers := make([]*Payer, len(f.terms))
	for i, t := range f.terms {
		user := t.ID + "-payer"
		if _, err := ac.AddUser(ctx, admin.UserRequest{UserID: user, Password: benchPassword}); err != nil {
			return nil, fmt.Errorf("bench: add payer: %w", err)
		}
		opening := money.Amount{Minor: int64(perTerm) * orderMinor, Currency: "EUR"}
		if _, err := ac.AddAccount(ctx, admin.AccountRequest{AccountID: user + "-a", UserID: user, OpeningBalance: opening}); err != nil {
			return nil, fmt.Errorf("bench: add payer account: %w", err)
		}
		p, err := NewPayer(ctx, client, cfg.BaseURL, user, benchPassword, user+"-a")
		if err != nil {
			return nil, fmt.Errorf("bench: payer login: %w", err)
		}
		payers[i] = p
	}
	return payers, nil
}
