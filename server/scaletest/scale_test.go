package scaletest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/server/store/pgstore/pgtest"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Shape of the run: issue 6 asks for 3 instances, 64 terminals, 30% retries and batches, one instance
// killed and restarted.
const (
	instances        = 3
	terminals        = 64
	batchTerminals   = 8 // of the 64, these send batches of offline approvals
	paymentsPerTerm  = 12
	batchesPerTerm   = 2
	batchSize        = 25
	retryPercent     = 30
	users            = 8
	codesPerUser     = 300
	capMinor         = 500
	openingMinor     = capMinor*codesPerUser + 40_000
	password         = "correct horse battery"
	maxSendTime      = 30 * time.Second
	killAfterPercent = 40
)

// book remembers the first answer to every key and every later answer that differs from it.
type book struct {
	mu       sync.Mutex
	answers  map[string][]byte
	amounts  map[string]int64
	bodies   map[string][]byte
	mismatch []string
}

func (b *book) record(key string, answer []byte, approvedMinor int64) {
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

// TestScaleOutSurvivesKill is issue 6's "done when": three settlementd instances on one PostgreSQL
// database; 64 terminals send payments and batches to random instances, 30% of them twice (to random
// instances, the second often while the first is in flight); one instance is killed with SIGKILL in
// the middle and restarted. Every key must get one answer (byte-identical whichever instance gives
// it), the merchant must hold exactly the approved amounts, no balance may be negative, and
// `settlementd admin check` must pass.
func TestScaleOutSurvivesKill(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()

	// The first instance creates the schema and the keys; the others get copies of the keys.
	datas := make([]string, instances)
	for i := range datas {
		datas[i] = filepath.Join(t.TempDir(), fmt.Sprintf("node%d", i))
	}
	first := start(t, "node0", datas[0], dsn)
	c := &cluster{live: []*instance{first}}
	var startWG sync.WaitGroup
	nodes := make([]*instance, instances)
	nodes[0] = first
	for i := 1; i < instances; i++ {
		shareKeys(t, datas[0], datas[i])
		startWG.Go(func() { nodes[i] = start(t, fmt.Sprintf("node%d", i), datas[i], dsn) })
	}
	startWG.Wait()
	c.live = slices.Clone(nodes) // the cluster's own list: requests read it while the test replaces a node

	tok, err := admin.LoadToken(filepath.Join(datas[0], "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 20 * time.Second}
	rng := rand.New(rand.NewPCG(6, 6))
	ac := func() *admin.Client { return &admin.Client{BaseURL: c.pick(rng), Token: tok, HTTP: client} }
	if _, err := ac().AddMerchant(ctx, admin.MerchantRequest{MerchantID: "M1", Name: "Chain", Currency: "EUR"}); err != nil {
		t.Fatal(err)
	}
	terms := make([]*bench.Terminal, terminals)
	for i := range terms {
		tc, err := ac().AddTerminal(ctx, admin.TerminalRequest{TerminalID: fmt.Sprintf("T%02d", i), MerchantID: "M1"})
		if err != nil {
			t.Fatal(err)
		}
		if terms[i], _, err = bench.Enroll(ctx, client, c.pick(rng), tc.EnrollCode); err != nil {
			t.Fatal(err)
		}
	}
	wallets := make([]*bench.Wallet, users)
	for i := range wallets {
		user := fmt.Sprintf("u%02d", i)
		if _, err := ac().AddUser(ctx, admin.UserRequest{UserID: user, Password: password}); err != nil {
			t.Fatal(err)
		}
		if _, err := ac().AddAccount(ctx, admin.AccountRequest{AccountID: "acc-" + user, UserID: user,
			OpeningBalance: money.Amount{Minor: openingMinor, Currency: "EUR"}}); err != nil {
			t.Fatal(err)
		}
		// Log in on one instance, authorize on another: sessions live in the database.
		session, err := bench.Login(ctx, client, c.pick(rng), user, password)
		if err != nil {
			t.Fatal(err)
		}
		if wallets[i], err = bench.Authorize(ctx, client, c.pick(rng), session, "acc-"+user,
			money.Amount{Minor: capMinor, Currency: "EUR"}, codesPerUser, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	var walletMu sync.Mutex
	code := func(w *bench.Wallet) (string, error) {
		walletMu.Lock()
		defer walletMu.Unlock()
		return w.Code(time.Now())
	}

	b := &book{answers: map[string][]byte{}, amounts: map[string]int64{}, bodies: map[string][]byte{}}
	var sent atomic.Int64
	total := int64((terminals-batchTerminals)*paymentsPerTerm + batchTerminals*batchesPerTerm)
	// send posts to a random live instance until one answers, moving on when an instance is down.
	send := func(term *bench.Terminal, rng *rand.Rand, path string, body []byte) (bench.Answer, error) {
		deadline := time.Now().Add(maxSendTime)
		for {
			t2 := *term
			t2.BaseURL = c.pick(rng)
			ans, err := t2.PostRaw(ctx, path, body)
			if err == nil && ans.Status != http.StatusServiceUnavailable {
				return ans, nil
			}
			if time.Now().After(deadline) {
				return ans, fmt.Errorf("no answer for %s within %s: %v", path, maxSendTime, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	var wg sync.WaitGroup
	errs := make(chan error, terminals)
	for i, term := range terms {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 66))
			if i < batchTerminals {
				errs <- batchTerminal(term, wallets, code, rng, b, send, &sent)
			} else {
				errs <- paymentTerminal(term, wallets, code, rng, b, send, &sent)
			}
		})
	}

	for sent.Load() < total*killAfterPercent/100 {
		time.Sleep(5 * time.Millisecond)
	}
	victim := nodes[1]
	victim.kill()
	t.Logf("killed %s with SIGKILL after %d of %d requests", victim.name, sent.Load(), total)
	restarted := start(t, victim.name, victim.data, dsn)
	c.replace(victim, restarted)
	nodes[1] = restarted

	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(b.mismatch) > 0 {
		t.Fatalf("%d keys got different answers, first: %s", len(b.mismatch), b.mismatch[0])
	}

	// Every single payment once more, to a random instance: the stored answer, byte for byte.
	resendRng := rand.New(rand.NewPCG(7, 7))
	for key, body := range b.bodies {
		term := terms[termIndex(key)]
		ans, err := send(term, resendRng, protocol.PathTransactions, body)
		if err != nil {
			t.Fatal(err)
		}
		b.record(key, ans.Body, 0)
	}
	if len(b.mismatch) > 0 {
		t.Fatalf("%d answers changed when sent again, first: %s", len(b.mismatch), b.mismatch[0])
	}

	var want int64
	for _, a := range b.amounts {
		want += a
	}
	for _, in := range nodes {
		bal := balances(t, in)
		if got := bal["merchant:M1"]; got != want {
			t.Fatalf("%s: merchant balance %d, approved answers sum to %d: something applied twice or got lost", in.name, got, want)
		}
		for id, v := range bal {
			if v < 0 && id != "system:EUR" {
				t.Fatalf("%s: account %s is negative: %d", in.name, id, v)
			}
		}
	}
	out, err := nodes[1].adminCmd("check")
	var rep admin.CheckReport
	if jerr := json.Unmarshal(out, &rep); err != nil || jerr != nil || !rep.OK {
		t.Fatalf("admin check on the restarted instance: %v %v %s", err, jerr, out)
	}
	t.Logf("%d keys answered, %d approved for %d minor; check: %d entries, %d transactions",
		len(b.answers), len(b.amounts), want, rep.Entries, rep.Transactions)
	if len(b.amounts) < int(total)/2 {
		t.Fatalf("only %d approvals: the run did not exercise payments", len(b.amounts))
	}
}

// termIndex is the terminal number in a key "Tnn/Tnn-mmmm".
func termIndex(key string) int {
	var n int
	fmt.Sscanf(key, "T%02d/", &n)
	return n
}

type sender func(term *bench.Terminal, rng *rand.Rand, path string, body []byte) (bench.Answer, error)

// paymentTerminal sends single online payments; retryPercent of them twice at once.
func paymentTerminal(term *bench.Terminal, wallets []*bench.Wallet, code func(*bench.Wallet) (string, error), rng *rand.Rand, b *book, send sender, sent *atomic.Int64) error {
	for n := range paymentsPerTerm {
		payload, err := code(wallets[rng.IntN(len(wallets))])
		if err != nil {
			return err
		}
		req := protocol.TransactionRequest{TerminalTxnID: fmt.Sprintf("%s-%04d", term.ID, n),
			Amount: money.Amount{Minor: 1 + rng.Int64N(2*capMinor), Currency: "EUR"}, Payload: payload}
		body, err := json.Marshal(req)
		if err != nil {
			return err
		}
		key := term.ID + "/" + req.TerminalTxnID
		b.mu.Lock()
		b.bodies[key] = body
		b.mu.Unlock()
		tries := 1
		if rng.IntN(100) < retryPercent {
			tries = 2
		}
		var wg sync.WaitGroup
		errc := make(chan error, tries)
		for i := range tries {
			rng := rand.New(rand.NewPCG(rng.Uint64(), uint64(i)))
			wg.Go(func() {
				ans, err := send(term, rng, protocol.PathTransactions, body)
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
				b.record(key, ans.Body, approved)
			})
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

// batchTerminal sends batches of offline approvals, retryPercent of them twice.
func batchTerminal(term *bench.Terminal, wallets []*bench.Wallet, code func(*bench.Wallet) (string, error), rng *rand.Rand, b *book, send sender, sent *atomic.Int64) error {
	for n := range batchesPerTerm {
		req := protocol.BatchRequest{BatchID: fmt.Sprintf("%s-b%d", term.ID, n)}
		for i := range batchSize {
			payload, err := code(wallets[rng.IntN(len(wallets))])
			if err != nil {
				return err
			}
			req.Items = append(req.Items, protocol.BatchItem{Kind: protocol.KindOffline,
				TerminalTxnID: fmt.Sprintf("%s-b%d-%03d", term.ID, n, i),
				Amount:        money.Amount{Minor: 1 + rng.Int64N(capMinor), Currency: "EUR"},
				Payload:       payload, ApprovedAt: time.Now().UTC()})
		}
		body, err := json.Marshal(req)
		if err != nil {
			return err
		}
		tries := 1
		if rng.IntN(100) < retryPercent {
			tries = 2
		}
		for range tries {
			ans, err := send(term, rng, protocol.PathBatches, body)
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
				b.record(term.ID+"/"+r.TerminalTxnID, raw, req.Items[i].Amount.Minor)
			}
		}
		sent.Add(1)
	}
	return nil
}
