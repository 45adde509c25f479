package scaletest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/bench"
	"github.com/stillpay/stillpay/server/internal/loadtest"
	"github.com/stillpay/stillpay/server/keysync"
	"github.com/stillpay/stillpay/server/store/pgstore/pgtest"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// keySync is the instances' --key-sync in the rotation test: a rotated key is current 3 of these
// after `admin rotate-key`.
const keySync = 200 * time.Millisecond

// rotationTerminals pay during the rotation test, each keeping its own set of trusted keys, at most
// maxDuring payments each during the rotation window; maxCodes (the policy's limit) covers them all.
const (
	rotationTerminals = 6
	maxDuring         = 120
	maxCodes          = 1000
)

// follower is a terminal that trusts the keys it was enrolled with and follows endorsed new ones,
// fetched from whichever instance it reaches, as posagent does.
type follower struct {
	term    *bench.Terminal
	trusted []protocol.ServerKey
	urls    []string
	rng     *rand.Rand
}

// verify checks an approval against the trusted keys; on an unknown key it fetches GET /v1/keys
// from a random instance, accepts what is endorsed, and checks again.
func (f *follower) verify(ctx context.Context, sa protocol.SignedApproval) error {
	_, err := protocol.VerifyApproval(sa, f.trusted)
	if !errors.Is(err, protocol.ErrUnknownKey) {
		return err
	}
	to := *f.term
	to.BaseURL = f.urls[f.rng.IntN(len(f.urls))]
	ans, err := to.Get(ctx, protocol.PathServerKeys)
	if err != nil {
		return err
	}
	var body struct {
		Keys []protocol.ServerKey `json:"keys"`
	}
	if err := ans.Decode(&body); err != nil {
		return err
	}
	f.trusted, _, err = protocol.AcceptKeys(f.trusted, body.Keys)
	if err != nil {
		return fmt.Errorf("keys from %s: %w", to.BaseURL, err)
	}
	_, err = protocol.VerifyApproval(sa, f.trusted)
	return err
}

// pay sends one payment to a random instance (or url when set); it must be approved and verify.
func (f *follower) pay(ctx context.Context, w *bench.Wallet, id, url string) (string, []byte, error) {
	code, err := w.Code(time.Now())
	if err != nil {
		return "", nil, err
	}
	body, err := json.Marshal(protocol.TransactionRequest{TerminalTxnID: id,
		Amount: money.Amount{Minor: 100, Currency: loadtest.Currency}, Payload: code})
	if err != nil {
		return "", nil, err
	}
	return f.send(ctx, body, url)
}

func (f *follower) send(ctx context.Context, body []byte, url string) (string, []byte, error) {
	to := *f.term
	to.BaseURL = url
	if url == "" {
		to.BaseURL = f.urls[f.rng.IntN(len(f.urls))]
	}
	ans, err := to.PostRaw(ctx, protocol.PathTransactions, body)
	if err != nil {
		return "", nil, err
	}
	var resp protocol.TransactionResponse
	if err := ans.Decode(&resp); err != nil || ans.Status != http.StatusOK || resp.Approval == nil {
		return "", nil, fmt.Errorf("refused by %s: %d %s", to.BaseURL, ans.Status, ans.Body)
	}
	if err := f.verify(ctx, *resp.Approval); err != nil {
		return "", nil, fmt.Errorf("approval from %s does not verify: %w", to.BaseURL, err)
	}
	return resp.Approval.KeyID, ans.Body, nil
}

// TestKeyRotationAcrossInstances is issue 18's key "done when": three instances on one database;
// `admin rotate-key` sent to one of them; terminals keep paying through all three during and after
// the rotation. Every payment is approved, every approval verifies for a terminal that follows
// endorsed keys from whichever instance it reaches, every instance signs with the new key
// afterwards, and an approval signed with the old key is still replayed byte for byte everywhere.
func TestKeyRotationAcrossInstances(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	nodes := startInstances(t, dsn, instances, "--key-sync", keySync.String())
	urls := make([]string, len(nodes))
	for i, n := range nodes {
		urls[i] = n.URL
	}
	tok, err := nodes[0].AdminToken()
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: time.Minute}
	ac := &admin.Client{BaseURL: urls[0], Token: tok, HTTP: client}
	if _, err := ac.AddMerchant(ctx, admin.MerchantRequest{MerchantID: loadtest.MerchantID, Name: "Chain", Currency: loadtest.Currency}); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.AddUser(ctx, admin.UserRequest{UserID: "u", Password: loadtest.Password}); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.AddAccount(ctx, admin.AccountRequest{AccountID: "acc-u", UserID: "u",
		OpeningBalance: money.Amount{Minor: 1_000_000, Currency: loadtest.Currency}}); err != nil {
		t.Fatal(err)
	}
	session, err := bench.Login(ctx, client, urls[1], "u", loadtest.Password)
	if err != nil {
		t.Fatal(err)
	}
	wallet, err := bench.Authorize(ctx, client, urls[2], session, "acc-u", money.Amount{Minor: 500, Currency: loadtest.Currency}, maxCodes, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	terms := make([]*follower, rotationTerminals)
	for i := range terms {
		tc, err := ac.AddTerminal(ctx, admin.TerminalRequest{TerminalID: fmt.Sprintf("T%02d", i), MerchantID: loadtest.MerchantID})
		if err != nil {
			t.Fatal(err)
		}
		term, er, err := bench.Enroll(ctx, client, urls[i%len(urls)], tc.EnrollCode)
		if err != nil {
			t.Fatal(err)
		}
		terms[i] = &follower{term: term, trusted: er.ServerKeys, urls: urls, rng: rand.New(rand.NewPCG(uint64(i), 18))}
	}

	// Before: one payment per terminal, signed with the first key; kept to be sent again at the end.
	first := terms[0].trusted[0].KeyID
	before := make([][]byte, len(terms))
	beforeAnswers := make([][]byte, len(terms))
	for i, f := range terms {
		code, err := wallet.Code(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		before[i], _ = json.Marshal(protocol.TransactionRequest{TerminalTxnID: "before",
			Amount: money.Amount{Minor: 100, Currency: loadtest.Currency}, Payload: code})
		kid, ans, err := f.send(ctx, before[i], "")
		if err != nil || kid != first {
			t.Fatalf("before the rotation: signed with %s, %v; want %s", kid, err, first)
		}
		beforeAnswers[i] = ans
	}

	var k protocol.ServerKey
	if err := nodes[1].AdminJSON(ctx, &k, "rotate-key"); err != nil {
		t.Fatal(err)
	}
	if k.Current || k.EndorsedBy != first {
		t.Fatalf("rotate-key answered %+v: want a key endorsed by %s, current later", k, first)
	}
	rotatedAt := time.Now()

	// During: every terminal pays through random instances until well after the key's time.
	var wg sync.WaitGroup
	var mu sync.Mutex
	signed := map[string]int{}
	errs := make([]error, len(terms))
	for i, f := range terms {
		wg.Go(func() {
			for n := 0; n < maxDuring && time.Since(rotatedAt) < keysync.AnnounceRounds*keySync+time.Second; n++ {
				kid, _, err := f.pay(ctx, wallet, fmt.Sprintf("during-%03d", n), "")
				if err != nil {
					errs[i] = err
					return
				}
				mu.Lock()
				signed[kid]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}

	// After: every instance signs with the new key.
	for i, f := range terms {
		for j, url := range urls {
			kid, _, err := f.pay(ctx, wallet, fmt.Sprintf("after-%d", j), url)
			if err != nil || kid != k.KeyID {
				t.Fatalf("terminal %d through %s after the rotation: signed with %s, %v; want %s", i, nodes[j].Name, kid, err, k.KeyID)
			}
		}
	}
	// The approvals signed with the old key are replayed byte for byte by every instance.
	for i, f := range terms {
		for _, url := range urls {
			kid, ans, err := f.send(ctx, before[i], url)
			if err != nil || kid != first || string(ans) != string(beforeAnswers[i]) {
				t.Fatalf("replay of an old-key approval through %s: %s %v %s, want the first answer %s", url, kid, err, ans, beforeAnswers[i])
			}
		}
	}
	if signed[k.KeyID] == 0 {
		t.Fatalf("no payment during the rotation window was signed with the new key: %v", signed)
	}
	t.Logf("rotated %s → %s on %s; during the %s window: %v approvals by key, none refused",
		first, k.KeyID, nodes[1].Name, keysync.AnnounceRounds*keySync+time.Second, signed)
}
