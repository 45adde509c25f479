package e2e

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/internal/demo"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/localapi"
)

// Sizes of the order chaos test.
const (
	chaosOrders      = 1000 // 120 with -short
	chaosOrdersShort = 120
	chaosLanes       = 4
	chaosPhones      = 4
	chaosRetryPct    = 30 // confirmations sent twice at once, as after an answer lost on the way
	chaosCancelPct   = 5  // orders the cashier cancels while the customer confirms
	chaosConfirmers  = 8  // phones confirming at the same time
)

// chaosOrder is one order of the test and what happened to it.
type chaosOrder struct {
	lane   *demo.Terminal
	view   agent.OrderView
	cancel bool
	// approvals are the approval ids the phones got back; refused are the problems they got.
	approvals []string
	refused   []protocol.Code
	errs      []error
}

// TestOrderChaos: 1,000 orders on four lanes, each lane a real posagent with its own simulated
// printer; phones confirm them with 30 % of confirmations sent twice at once, the cashier cancels a
// few while the customer confirms, and in every round some lanes are killed with SIGKILL while their
// orders wait and restarted after the customers paid. At the end: no order is paid twice, every
// paid order's receipt was printed exactly once (after the lane came back, for the killed ones),
// every cancelled order's slip once, the money matches the paid orders and the ledger checks.
func TestOrderChaos(t *testing.T) {
	total := chaosOrders
	if testing.Short() {
		total = chaosOrdersShort
	}
	ctx := context.Background()
	lab, err := demo.NewLab(ctx, demo.Options{Bin: binDir, Dir: filepath.Join(t.TempDir(), "lab"), OpeningBalance: "100000.00"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(lab.Close)
	var lanes []*demo.Terminal
	for i := range chaosLanes {
		lane, err := lab.AddLane(ctx, fmt.Sprintf("T-LANE-%d", i+1))
		if err != nil {
			t.Fatal(err)
		}
		lanes = append(lanes, lane)
	}
	var phones []*demo.Wallet
	for i := range chaosPhones {
		w, err := lab.NewWallet(ctx, fmt.Sprintf("phone-%d", i+1), "20.00", 5)
		if err != nil {
			t.Fatal(err)
		}
		phones = append(phones, w)
	}
	before, err := lab.Balances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 11))
	perRound := 25 * chaosLanes
	t.Logf("%d orders on %d lanes, %d per round, random seed %d", total, chaosLanes, perRound, seed)
	start := time.Now()

	var all []*chaosOrder
	kills := 0
	for made := 0; made < total; made += perRound {
		n := min(perRound, total-made)
		round := createOrders(t, lanes, n, rng)
		// Kill lanes while their orders wait: one in turn, and each other one with a chance.
		var dead []*demo.Terminal
		for i, lane := range lanes {
			if i == (made/perRound)%len(lanes) || rng.IntN(100) < 20 {
				lane.Kill()
				dead = append(dead, lane)
			}
		}
		kills += len(dead)
		for _, o := range round {
			o.cancel = !isDead(o.lane, dead) && rng.IntN(100) < chaosCancelPct
		}
		confirmAll(ctx, round, phones, rng)
		for _, lane := range dead {
			if err := lane.Start(ctx, lab); err != nil {
				t.Fatal(err)
			}
		}
		waitAllDone(t, round)
		all = append(all, round...)
	}
	t.Logf("%d orders, %d lane kills, in %s", len(all), kills, time.Since(start).Round(time.Millisecond))
	checkChaos(t, lab, lanes, all, before)
}

func isDead(lane *demo.Terminal, dead []*demo.Terminal) bool {
	for _, d := range dead {
		if d == lane {
			return true
		}
	}
	return false
}

// createOrders starts n orders spread over the lanes and waits until each one's QR code is printed.
func createOrders(t *testing.T, lanes []*demo.Terminal, n int, rng *rand.Rand) []*chaosOrder {
	t.Helper()
	out := make([]*chaosOrder, n)
	amounts := make([]int64, n)
	for i := range amounts {
		amounts[i] = 100 + rng.Int64N(900) // 1.00 .. 9.99
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(lanes))
	for l, lane := range lanes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			var mine []int
			for i := l; i < n; i += len(lanes) {
				v, err := lane.API.StartOrder(ctx, localapi.StartOrderRequest{Amount: fmt.Sprintf("%d.%02d", amounts[i]/100, amounts[i]%100)})
				if err != nil {
					errs <- fmt.Errorf("%s: start order: %w", lane.ID, err)
					return
				}
				out[i] = &chaosOrder{lane: lane, view: v}
				mine = append(mine, i)
			}
			for _, i := range mine {
				v, err := demo.WaitOrderPrinted(ctx, lane.API, out[i].view)
				if err != nil || v.State != agent.OrderPending || v.QRPrintStatus != agent.PrintPrinted {
					errs <- fmt.Errorf("%s: order %s not printed and pending: %+v %v", lane.ID, v.ID, v, err)
					return
				}
				out[i].view = v
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return out
}

// confirmAll has the phones confirm every order, chaosRetryPct of them twice at once, while the
// cashier cancels the orders marked cancel.
func confirmAll(ctx context.Context, orders []*chaosOrder, phones []*demo.Wallet, rng *rand.Rand) {
	type job struct {
		o     *chaosOrder
		phone *demo.Wallet
		twice bool
	}
	jobs := make(chan job)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range chaosConfirmers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				sends := 1
				if j.twice {
					sends = 2
				}
				if j.o.cancel {
					// The cashier cancels just before the customer confirms: either may win at the
					// server, and the lane must end the way the server decided.
					if _, err := j.o.lane.API.CancelOrder(ctx, j.o.view.ID); err != nil {
						mu.Lock()
						j.o.errs = append(j.o.errs, fmt.Errorf("cancel: %w", err))
						mu.Unlock()
					}
					time.Sleep(time.Duration(cancelLead(j.o.view.ID)) * time.Millisecond)
				}
				var inner sync.WaitGroup
				for range sends {
					inner.Add(1)
					go func() {
						defer inner.Done()
						p, err := j.phone.PayText(ctx, j.o.view.QR)
						mu.Lock()
						defer mu.Unlock()
						var prob *protocol.Problem
						switch {
						case err == nil:
							j.o.approvals = append(j.o.approvals, p.Approval.ApprovalID)
						case errors.As(err, &prob):
							j.o.refused = append(j.o.refused, prob.Code)
						default:
							j.o.errs = append(j.o.errs, err)
						}
					}()
				}
				inner.Wait()
			}
		}()
	}
	for i, o := range orders {
		jobs <- job{o: o, phone: phones[i%len(phones)], twice: rng.IntN(100) < chaosRetryPct}
	}
	close(jobs)
	wg.Wait()
}

// cancelLead is a pause of 0..39 ms derived from id: some cancels reach the server before the customer's
// confirmation, some after.
func cancelLead(id string) int {
	h := 0
	for _, c := range id {
		h = h*31 + int(c)
	}
	return (h%40 + 40) % 40
}

// waitAllDone waits until every order's outcome is known and reported by its lane.
func waitAllDone(t *testing.T, orders []*chaosOrder) {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed []string
	sem := make(chan struct{}, 16)
	for _, o := range orders {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			v, err := demo.WaitOrderDone(context.Background(), o.lane.API, o.view.ID)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s %s: %v (%+v)", o.lane.ID, o.view.ID, err, v))
				return
			}
			o.view = v
		}()
	}
	wg.Wait()
	if len(failed) > 0 {
		t.Fatalf("%d orders did not end: %s", len(failed), strings.Join(failed[:min(5, len(failed))], "\n"))
	}
}

// checkChaos checks every order against the phones, the printers, the server and the ledger.
func checkChaos(t *testing.T, lab *demo.Lab, lanes []*demo.Terminal, orders []*chaosOrder, before []demo.Balance) {
	t.Helper()
	ctx := context.Background()
	// Receipts per lane: paid receipts carry the order id as their QR code; unpaid slips name the
	// terminal's order id.
	paidPrints, slipPrints := map[string]int{}, map[string]int{}
	for _, lane := range lanes {
		for _, r := range lane.Printer.Receipts() {
			switch {
			case strings.Contains(r.Text, "PAID - CONFIRMED ON THE PHONE"):
				for _, q := range r.QR {
					paidPrints[q]++
				}
			case strings.Contains(r.Text, "ORDER CANCELLED"), strings.Contains(r.Text, "ORDER EXPIRED"):
				for _, o := range orders {
					if o.lane == lane && strings.Contains(r.Text, " "+o.view.ID+"\n") {
						slipPrints[o.view.ID]++
					}
				}
			}
		}
	}
	serverPaid := map[string]int{}
	for _, lane := range lanes {
		txns, err := lab.TransactionsOf(ctx, lane.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range txns {
			if x.Status == protocol.StatusApproved {
				serverPaid[x.TerminalTxnID]++
			}
		}
	}
	var paidTotal int64
	paid, cancelled, retried := 0, 0, 0
	for _, o := range orders {
		v := o.view
		if len(o.errs) > 0 {
			t.Errorf("order %s: errors: %v", v.ID, o.errs)
		}
		if len(o.approvals)+len(o.refused) > 1 {
			retried++
		}
		for _, a := range o.approvals[min(1, len(o.approvals)):] {
			if a != o.approvals[0] {
				t.Errorf("order %s: a repeated confirmation got another approval: %v", v.ID, o.approvals)
			}
		}
		switch v.State {
		case agent.OrderPaid:
			paid++
			paidTotal += v.Amount.Minor
			if len(o.approvals) == 0 {
				t.Errorf("order %s is paid but no phone was told so (refused: %v)", v.ID, o.refused)
			}
			if paidPrints[v.OrderID] != 1 {
				t.Errorf("order %s (%s): paid receipt printed %d times", v.ID, o.lane.ID, paidPrints[v.OrderID])
			}
		case agent.OrderCancelled:
			cancelled++
			if !o.cancel || len(o.approvals) > 0 {
				t.Errorf("order %s cancelled (asked: %v), phones paid: %v", v.ID, o.cancel, o.approvals)
			}
			for _, c := range o.refused {
				if c != protocol.CodeOrderCancelled {
					t.Errorf("order %s: cancelled, the phone was refused %s", v.ID, c)
				}
			}
			if slipPrints[v.ID] != 1 || paidPrints[v.OrderID] != 0 {
				t.Errorf("order %s: cancelled slip printed %d times, paid receipt %d", v.ID, slipPrints[v.ID], paidPrints[v.OrderID])
			}
		default:
			t.Errorf("order %s ended %s: %+v", v.ID, v.State, v)
		}
		want := 0
		if v.State == agent.OrderPaid {
			want = 1
		}
		if serverPaid[v.OrderID] != want {
			t.Errorf("order %s (%s): the server holds %d payments, want %d", v.ID, v.State, serverPaid[v.OrderID], want)
		}
	}
	t.Logf("%d paid, %d cancelled, %d confirmed more than once", paid, cancelled, retried)
	after, err := lab.Balances(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := balanceOf(t, before, "customer", demo.AccountID) - balanceOf(t, after, "customer", demo.AccountID); d != paidTotal {
		t.Errorf("the customer paid %d, the paid orders total %d", d, paidTotal)
	}
	mb, _ := demo.MerchantBalance(before)
	ma, _ := demo.MerchantBalance(after)
	if ma-mb != paidTotal {
		t.Errorf("the merchant received %d, the paid orders total %d", ma-mb, paidTotal)
	}
	if out, err := lab.Admin(ctx, "check"); err != nil {
		t.Errorf("ledger check: %v %s", err, out)
	}
}
