package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// paymentKey is the book's key of a terminal's nth single payment: terminal id / terminal txn id.
func paymentKey(term *bench.Terminal, n int) string {
	return term.ID + "/" + paymentTxnID(term, n)
}

func paymentTxnID(term *bench.Terminal, n int) string { return fmt.Sprintf("%s-%04d", term.ID, n) }

// paymentTerminal sends single online payments of up to twice the cap (those over it are declined
// confirmation_required); RetryPercent of them twice at once, to different instances, as after a lost answer.
func (f *Fleet) paymentTerminal(ctx context.Context, term *bench.Terminal, rng *rand.Rand, book *Book) error {
	for n := range f.shape.PaymentsPerTerminal {
		code, err := f.wallets[rng.IntN(len(f.wallets))].Code(time.Now())
		if err != nil {
			return err
		}
		req := protocol.TransactionRequest{
			TerminalTxnID: paymentTxnID(term, n),
			Amount:        money.Amount{Minor: 1 + rng.Int64N(2*f.shape.CapMinor), Currency: Currency},
			Payload:       code,
		}
		body, err := json.Marshal(req)
		if err != nil {
			return err
		}
		key := paymentKey(term, n)
		book.Remember(key, body)
		tries := 1
		if f.retry(rng) {
			tries = 2
		}
		var wg sync.WaitGroup
		errc := make(chan error, tries)
		for i := range tries {
			rng := rand.New(rand.NewPCG(rng.Uint64(), uint64(i)))
			wg.Go(func() {
				ans, err := f.send(ctx, term, rng, protocol.PathTransactions, body)
				if err != nil {
					errc <- err
					return
				}
				approved, err := approvedMinor(key, req, ans, f.shape.CapMinor)
				if err != nil {
					errc <- err
					return
				}
				book.Record(key, ans.Body, approved)
			})
		}
		wg.Wait()
		close(errc)
		if err := <-errc; err != nil {
			return err
		}
		f.sent.Add(1)
	}
	return nil
}

// approvedMinor is the amount an answer approved: the request's amount, or 0 for a decline for lack
// of funds or, for an amount over the cap, confirmation_required. Any other answer is an error.
func approvedMinor(key string, req protocol.TransactionRequest, ans bench.Answer, capMinor int64) (int64, error) {
	var resp protocol.TransactionResponse
	if err := ans.Decode(&resp); err != nil || (ans.Status != http.StatusOK && ans.Status != http.StatusPaymentRequired) {
		return 0, fmt.Errorf("%w: %s: %d %s", ErrUnexpectedAnswer, key, ans.Status, ans.Body)
	}
	if resp.Status == protocol.StatusApproved {
		return req.Amount.Minor, nil
	}
	overCap := req.Amount.Minor > capMinor && resp.Code == protocol.CodeConfirmationRequired
	if resp.Code != protocol.CodeInsufficientFunds && !overCap {
		return 0, fmt.Errorf("%w: %s: declined %s: %s", ErrUnexpectedAnswer, key, resp.Code, resp.Message)
	}
	return 0, nil
}

// batchTerminal sends batches of offline approvals within the cap; RetryPercent of them twice, one
// after the other.
func (f *Fleet) batchTerminal(ctx context.Context, term *bench.Terminal, rng *rand.Rand, book *Book) error {
	for b := range f.shape.BatchesPerTerminal {
		req := protocol.BatchRequest{BatchID: fmt.Sprintf("%s-b%d", term.ID, b)}
		for n := range f.shape.BatchSize {
			code, err := f.wallets[rng.IntN(len(f.wallets))].Code(time.Now())
			if err != nil {
				return err
			}
			req.Items = append(req.Items, protocol.BatchItem{
				Kind:          protocol.KindOffline,
				TerminalTxnID: fmt.Sprintf("%s-b%d-%03d", term.ID, b, n),
				Amount:        money.Amount{Minor: 1 + rng.Int64N(f.shape.CapMinor), Currency: Currency},
				Payload:       code,
				ApprovedAt:    time.Now().UTC(),
			})
		}
		body, err := json.Marshal(req)
		if err != nil {
			return err
		}
		tries := 1
		if f.retry(rng) {
			tries = 2
		}
		for range tries {
			ans, err := f.send(ctx, term, rng, protocol.PathBatches, body)
			if err != nil {
				return err
			}
			if err := recordBatch(term, req, ans, book); err != nil {
				return err
			}
		}
		f.sent.Add(1)
	}
	return nil
}

// recordBatch records every item's answer; every item must be approved, since offline approvals
// within a valid credential are guaranteed to settle.
func recordBatch(term *bench.Terminal, req protocol.BatchRequest, ans bench.Answer, book *Book) error {
	var resp protocol.BatchResponse
	if err := ans.Decode(&resp); err != nil || ans.Status != http.StatusOK || len(resp.Results) != len(req.Items) {
		return fmt.Errorf("%w: batch %s: %d %s", ErrUnexpectedAnswer, req.BatchID, ans.Status, ans.Body)
	}
	for i, r := range resp.Results {
		if r.Status != protocol.StatusApproved {
			return fmt.Errorf("%w: batch %s item %d declined: %s %s", ErrUnexpectedAnswer, req.BatchID, i, r.Code, r.Message)
		}
		raw, err := json.Marshal(r)
		if err != nil {
			return err
		}
		book.Record(term.ID+"/"+r.TerminalTxnID, raw, req.Items[i].Amount.Minor)
	}
	return nil
}
