package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Shape of the concurrency run: issue 3 asks for 64 terminals, 30% retries and batches.
const (
	ccTerminals       = 64
	ccBatchTerminals  = 8 // of the 64, these send batches of offline approvals
	ccPaymentsPerTerm = 16
	ccBatchesPerTerm  = 2
	ccBatchSize       = 20
	ccRetryPercent    = 30
	ccUsers           = 8
	ccCodesPerUser    = 400
	ccCapMinor        = 500
	ccOpeningMinor    = ccCapMinor*ccCodesPerUser + 50_000
	// ccMaxSendTime bounds how long a client keeps resending one request while the server is down.
	ccMaxSendTime = 30 * time.Second
)

// ledgerBook remembers the first answer to every key and checks that every later answer is the same.
type ledgerBook struct {
	mu       sync.Mutex
	answers  map[string][]byte
	amounts  map[string]int64  // approved payments
	bodies   map[string][]byte // request bodies of single payments, to send again
	mismatch []string
}

func (b *ledgerBook) remember(key string, body []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bodies[key] = body
}

func (b *ledgerBook) body(key string) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.bodies[key]
}

func (b *ledgerBook) record(key string, answer []byte, approvedMinor int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if prev, ok := b.answers[key]; ok {
		if string(prev) != string(answer) {
			b.mismatch = append(b.mismatch, fmt.Sprintf("%s:\n  %s\n  %s", key, prev, answer))
		}
		return
	}
	b.answers[key] = answer
	if approvedMinor > 0 {
		b.amounts[key] = approvedMinor
	}
}

// TestConcurrentTerminalsSurviveKill is issue 3's second "done when": 64 terminals pay at random, 30%
// of requests are sent again, 8 terminals send batches, and the server is killed with SIGKILL in the
// middle and restarted on the same data. Every key must have one answer, the merchant must hold
// exactly the approved amounts, no balance may be negative, and `settlementd admin check` must pass.
func TestConcurrentTerminalsSurviveKill(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	srv := startServer(t, data)
	tok, err := admin.LoadToken(filepath.Join(data, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	ac := &admin.Client{BaseURL: srv.URL, Token: tok}
	if _, err := ac.AddMerchant(ctx, admin.MerchantRequest{MerchantID: "M1", Name: "Chain", Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	var baseURL atomic.Value
	baseURL.Store(srv.URL)
	client := &http.Client{Timeout: 20 * time.Second}
	terms := make([]*bench.Terminal, ccTerminals)
	for i := range terms {
		tc, err := ac.AddTerminal(ctx, admin.TerminalRequest{TerminalID: fmt.Sprintf("T%02d", i), MerchantID: "M1"})
		if err != nil {
			t.Fatal(err)
		}
		if terms[i], _, err = bench.Enroll(ctx, client, srv.URL, tc.EnrollCode); err != nil {
			t.Fatal(err)
		}
	}
	wallets := make([]*bench.Wallet, ccUsers)
	for i := range wallets {
		user := fmt.Sprintf("u%02d", i)
		if _, err := ac.AddUser(ctx, admin.UserRequest{UserID: user, Password: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
		if _, err := ac.AddAccount(ctx, admin.AccountRequest{AccountID: "acc-" + user, UserID: user,
			OpeningBalance: money.Amount{Minor: ccOpeningMinor, Currency: "EUR"}}); err != nil {
			t.Fatal(err)
		}
		st, err := bench.Login(ctx, client, srv.URL, user, "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		if wallets[i], err = bench.Authorize(ctx, client, srv.URL, st, "acc-"+user,
			money.Amount{Minor: ccCapMinor, Currency: "EUR"}, ccCodesPerUser, time.Hour); err != nil {
			t.Fatal(err)
		}
	}

	book := &ledgerBook{answers: map[string][]byte{}, amounts: map[string]int64{}, bodies: map[string][]byte{}}
	var sent atomic.Int64
	totalRequests := int64((ccTerminals-ccBatchTerminals)*ccPaymentsPerTerm + ccBatchTerminals*ccBatchesPerTerm)
	// send posts until it gets an HTTP answer, following the server across its restart.
	send := func(term *bench.Terminal, path string, body []byte) (bench.Answer, error) {
		deadline := time.Now().Add(ccMaxSendTime)
		for {
			t2 := *term
			t2.BaseURL = baseURL.Load().(string)
			ans, err := t2.PostRaw(ctx, path, body)
			if err == nil && ans.Status != http.StatusServiceUnavailable {
				return ans, nil
			}
			if time.Now().After(deadline) {
				return ans, fmt.Errorf("no answer for %s within %s: %v", path, ccMaxSendTime, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, ccTerminals)
	for i, term := range terms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 42))
			if i < ccBatchTerminals {
				errs <- runBatchTerminal(term, wallets, rng, book, send, &sent)
			} else {
				errs <- runPaymentTerminal(term, wallets, rng, book, send, &sent)
			}
		}()
	}

	// Kill the server with SIGKILL once about 40% of the requests were sent, then restart it.
	for sent.Load() < totalRequests*4/10 {
		time.Sleep(5 * time.Millisecond)
	}
	srv.kill()
	t.Logf("killed settlementd after %d of %d requests", sent.Load(), totalRequests)
	srv = startServer(t, data)
	baseURL.Store(srv.URL)

	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(book.mismatch) > 0 {
		t.Fatalf("%d keys got different answers, first: %s", len(book.mismatch), book.mismatch[0])
	}

	// Every answer given before or after the kill is still the stored one: send a third of the single
	// payments again, now that the run is over, and compare byte for byte.
	var resent atomic.Int64
	var rg sync.WaitGroup
	resendErrs := make(chan error, ccTerminals)
	for i, term := range terms[ccBatchTerminals:] {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for n := i % 3; n < ccPaymentsPerTerm; n += 3 {
				key := fmt.Sprintf("%s/%s-%04d", term.ID, term.ID, n)
				ans, err := send(term, protocol.PathTransactions, book.body(key))
				if err != nil {
					resendErrs <- err
					return
				}
				book.record(key, ans.Body, 0)
				resent.Add(1)
			}
		}()
	}
	rg.Wait()
	close(resendErrs)
	for err := range resendErrs {
		t.Fatal(err)
	}
	if len(book.mismatch) > 0 {
		t.Fatalf("%d answers changed after the run, first: %s", len(book.mismatch), book.mismatch[0])
	}
	var want int64
	for _, a := range book.amounts {
		want += a
	}
	bal := srv.balances()
	if got := bal["merchant:M1"]; got != want {
		t.Fatalf("merchant balance %d, approved answers sum to %d: something applied twice or got lost", got, want)
	}
	for id, b := range bal {
		if b < 0 && id != "system:EUR" {
			t.Fatalf("account %s is negative: %d", id, b)
		}
	}
	rep := srv.check()
	t.Logf("%d keys answered, %d approved for %d minor, %d resent after the run; check: %d entries, %d transactions",
		len(book.answers), len(book.amounts), want, resent.Load(), rep.Entries, rep.Transactions)
	if len(book.amounts) < int(totalRequests)/2 {
		t.Fatalf("only %d approvals: the run did not exercise payments", len(book.amounts))
	}
}

type sender func(term *bench.Terminal, path string, body []byte) (bench.Answer, error)

// runPaymentTerminal sends single online payments; ccRetryPercent of them are sent again (a lost
// answer), sometimes at once and concurrently with the first send.
func runPaymentTerminal(term *bench.Terminal, wallets []*bench.Wallet, rng *rand.Rand, book *ledgerBook, send sender, sent *atomic.Int64) error {
	for n := range ccPaymentsPerTerm {
		w := wallets[rng.IntN(len(wallets))]
		code, err := w.Code(time.Now())
		if err != nil {
			return err
		}
		req := protocol.TransactionRequest{
			TerminalTxnID: fmt.Sprintf("%s-%04d", term.ID, n),
			Amount:        money.Amount{Minor: 1 + rng.Int64N(2*ccCapMinor), Currency: "EUR"},
			Payload:       code,
		}
		body, err := json.Marshal(req)
		if err != nil {
			return err
		}
		key := term.ID + "/" + req.TerminalTxnID
		book.remember(key, body)
		tries := 1
		if rng.IntN(100) < ccRetryPercent {
			tries = 2
		}
		var wg sync.WaitGroup
		errc := make(chan error, tries)
		for range tries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ans, err := send(term, protocol.PathTransactions, body)
				if err != nil {
					errc <- err
					return
				}
				var resp protocol.TransactionResponse
				if err := ans.Decode(&resp); err != nil || (ans.Status != http.StatusOK && ans.Status != http.StatusPaymentRequired) {
					errc <- fmt.Errorf("%s: unexpected answer %d %s", key, ans.Status, ans.Body)
					return
				}
				var approved int64
				if resp.Status == protocol.StatusApproved {
					approved = req.Amount.Minor
				} else if resp.Code != protocol.CodeInsufficientFunds {
					errc <- fmt.Errorf("%s: declined %s: %s", key, resp.Code, resp.Message)
					return
				}
				book.record(key, ans.Body, approved)
			}()
		}
		wg.Wait()
		close(errc)
		if err := <-errc; err != nil {
			return err
		}
		sent.Add(1)
	}
	return nil
}

// runBatchTerminal sends batches of offline approvals, each batch sent again ccRetryPercent of the time.
func runBatchTerminal(term *bench.Terminal, wallets []*bench.Wallet, rng *rand.Rand, book *ledgerBook, send sender, sent *atomic.Int64) error {
	for b := range ccBatchesPerTerm {
		req := protocol.BatchRequest{BatchID: fmt.Sprintf("%s-b%d", term.ID, b)}
		for n := range ccBatchSize {
			w := wallets[rng.IntN(len(wallets))]
			code, err := w.Code(time.Now())
			if err != nil {
				return err
			}
			req.Items = append(req.Items, protocol.BatchItem{
				Kind:          protocol.KindOffline,
				TerminalTxnID: fmt.Sprintf("%s-b%d-%03d", term.ID, b, n),
				Amount:        money.Amount{Minor: 1 + rng.Int64N(ccCapMinor), Currency: "EUR"},
				Payload:       code,
				ApprovedAt:    time.Now().UTC(),
			})
		}
		body, err := json.Marshal(req)
		if err != nil {
			return err
		}
		tries := 1
		if rng.IntN(100) < ccRetryPercent {
			tries = 2
		}
		for range tries {
			ans, err := send(term, protocol.PathBatches, body)
			if err != nil {
				return err
			}
			var resp protocol.BatchResponse
			if err := ans.Decode(&resp); err != nil || ans.Status != http.StatusOK || len(resp.Results) != len(req.Items) {
				return fmt.Errorf("batch %s: %d %s", req.BatchID, ans.Status, ans.Body)
			}
			for i, r := range resp.Results {
				if r.Status != protocol.StatusApproved {
					// Offline approvals within a valid credential are guaranteed to settle.
					return fmt.Errorf("batch %s item %d declined: %s %s", req.BatchID, i, r.Code, r.Message)
				}
				raw, err := json.Marshal(r)
				if err != nil {
					return err
				}
				book.record(term.ID+"/"+r.TerminalTxnID, raw, req.Items[i].Amount.Minor)
			}
		}
		sent.Add(1)
	}
	return nil
}
