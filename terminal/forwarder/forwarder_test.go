package forwarder

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/client"
	"github.com/stillpay/stillpay/terminal/queue"
)

// fakeServer records batches and answers per item with decide, or fails the whole batch. It signs
// each answer once, as settlementd does, with serverKey; tamper, when set, changes the signed answer.
type fakeServer struct {
	batches [][]protocol.BatchItem
	down    bool
	decide  func(protocol.BatchItem) protocol.TransactionResponse
	tamper  func(*protocol.BatchResponse)
}

var (
	serverPub, serverKey, _ = ed25519.GenerateKey(nil)
	testKeys                = &fakeKeys{keys: []protocol.ServerKey{{KeyID: "k1", PublicKey: serverPub}}}
)

// fakeKeys is the terminal's keyring: it trusts k1 and learns nothing.
type fakeKeys struct{ keys []protocol.ServerKey }

func (k *fakeKeys) Keys() []protocol.ServerKey { return k.keys }
func (k *fakeKeys) Learn(_ context.Context, id string) error {
	return fmt.Errorf("no endorsed key %q", id)
}

func (f *fakeServer) Batch(_ context.Context, req protocol.BatchRequest) (protocol.BatchResponse, error) {
	f.batches = append(f.batches, req.Items)
	if f.down {
		return protocol.BatchResponse{}, &client.UnreachableError{Attempts: 1, Err: errors.New("connection refused")}
	}
	resp := protocol.BatchResponse{BatchID: req.BatchID}
	for _, it := range req.Items {
		r := protocol.TransactionResponse{TerminalTxnID: it.TerminalTxnID, Status: protocol.StatusApproved}
		if f.decide != nil {
			r = f.decide(it)
		}
		resp.Results = append(resp.Results, r)
	}
	if err := protocol.SignBatch(&resp, fmt.Sprintf("%032d", len(f.batches)), "k1", serverKey); err != nil {
		return resp, err
	}
	if f.tamper != nil {
		f.tamper(&resp)
	}
	return resp, nil
}

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func fill(t *testing.T, s queue.Store, n int) []queue.Record {
	t.Helper()
	var out []queue.Record
	err := s.Update(context.Background(), func(tx queue.Tx) error {
		for i := 0; i < n; i++ {
			seq, _ := tx.NextSeq()
			r := queue.Record{Seq: seq, TxnID: queue.TxnID("T-1", seq), Kind: protocol.KindOffline, State: queue.StateQueued,
				Amount: money.Amount{Minor: int64(100 + i), Currency: "EUR"}, Payload: "SP1:X", ApprovedAt: t0, CreatedAt: t0}
			if i%5 == 4 {
				r.Kind, r.Payload, r.TargetTxnID = protocol.KindVoid, "", queue.TxnID("T-1", seq-1)
			}
			if err := tx.Put(r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func states(t *testing.T, s queue.Store) map[queue.State]int {
	m := map[queue.State]int{}
	s.View(context.Background(), func(tx queue.Tx) error {
		recs, _ := tx.Recent(0, 1<<20)
		for _, r := range recs {
			m[r.State]++
		}
		return nil
	})
	return m
}

func TestDrainInOrderInBatches(t *testing.T) {
	s := queue.NewMemory()
	recs := fill(t, s, 2500)
	srv := &fakeServer{}
	f := New(Options{Store: s, Server: srv, Keys: testKeys})
	for i := 0; i < 3; i++ {
		if _, err := f.DrainOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(srv.batches) != 3 || len(srv.batches[0]) != 1000 || len(srv.batches[2]) != 500 {
		t.Fatalf("batch sizes: %d batches", len(srv.batches))
	}
	i := 0
	for _, b := range srv.batches {
		for _, it := range b {
			if it.TerminalTxnID != recs[i].TxnID {
				t.Fatalf("item %d is %s, want %s", i, it.TerminalTxnID, recs[i].TxnID)
			}
			i++
		}
	}
	if st := states(t, s); st[queue.StateSettled] != 2500 {
		t.Fatalf("states: %v", st)
	}
	if more, err := f.DrainOnce(context.Background()); more || err != nil || len(srv.batches) != 3 {
		t.Fatalf("empty outbox sent something: %v %v", more, err)
	}
}

func TestRetriesSendIdenticalItems(t *testing.T) {
	s := queue.NewMemory()
	fill(t, s, 7)
	srv := &fakeServer{down: true}
	f := New(Options{Store: s, Server: srv, Keys: testKeys})
	for i := 0; i < 3; i++ {
		if _, err := f.DrainOnce(context.Background()); !errors.Is(err, client.ErrUnreachable) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	srv.down = false
	if _, err := f.DrainOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(srv.batches); i++ {
		if !reflect.DeepEqual(srv.batches[i], srv.batches[0]) {
			t.Fatalf("attempt %d differs from the first:\n%+v\n%+v", i, srv.batches[i], srv.batches[0])
		}
	}
	if f.Status().Errors != 3 || f.Status().Failing != 0 {
		t.Fatalf("status: %+v", f.Status())
	}
}

func TestBackOnlineIsCalledOnlyAfterAnOutage(t *testing.T) {
	s := queue.NewMemory()
	fill(t, s, 3)
	srv := &fakeServer{}
	calls := 0
	f := New(Options{Store: s, Server: srv, Keys: testKeys, BatchSize: 1, BackOnline: func(context.Context) { calls++ }})
	if _, err := f.DrainOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if calls != 0 {
		t.Fatalf("BackOnline called %d times while the server never failed", calls)
	}
	srv.down = true
	for i := 0; i < 2; i++ {
		if _, err := f.DrainOnce(context.Background()); !errors.Is(err, client.ErrUnreachable) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if calls != 0 {
		t.Fatalf("BackOnline called %d times while the server is down", calls)
	}
	srv.down = false
	for i := 0; i < 2; i++ {
		if _, err := f.DrainOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if calls != 1 {
		t.Fatalf("BackOnline called %d times after one outage, want 1", calls)
	}
}

// Answered is called for every answered batch, before its results are stored (the agent's breaker
// closes before the outbox looks drained), and never for a failed one.
func TestAnsweredIsCalledBeforeTheResultsAreStored(t *testing.T) {
	s := queue.NewMemory()
	fill(t, s, 2)
	srv := &fakeServer{down: true}
	var calls, queuedAtCall []int
	f := New(Options{Store: s, Server: srv, Keys: testKeys, BatchSize: 1, Answered: func() {
		calls = append(calls, 1)
		queuedAtCall = append(queuedAtCall, states(t, s)[queue.StateQueued])
	}})
	if _, err := f.DrainOnce(context.Background()); !errors.Is(err, client.ErrUnreachable) {
		t.Fatalf("down: %v", err)
	}
	if len(calls) != 0 {
		t.Fatal("Answered called for a batch without an answer")
	}
	srv.down = false
	for i := 0; i < 2; i++ {
		if _, err := f.DrainOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(calls) != 2 || queuedAtCall[0] != 2 || queuedAtCall[1] != 1 {
		t.Fatalf("Answered calls %d, items queued at each call %v; want 2 calls seeing [2 1]", len(calls), queuedAtCall)
	}
}

func TestRefusedItemsAreKeptAndRetried(t *testing.T) {
	s := queue.NewMemory()
	recs := fill(t, s, 5) // items 0-3 offline, 4 a void
	srv := &fakeServer{decide: func(it protocol.BatchItem) protocol.TransactionResponse {
		r := protocol.TransactionResponse{TerminalTxnID: it.TerminalTxnID, Status: protocol.StatusApproved}
		switch it.TerminalTxnID {
		case recs[1].TxnID:
			r.Status, r.Code, r.Message = protocol.StatusDeclined, protocol.CodeCredentialRevoked, "revoked"
		case recs[4].TxnID:
			r.Status, r.Code = protocol.StatusDeclined, protocol.CodeTransactionUnknown // void of nothing: done
		}
		return r
	}}
	f := New(Options{Store: s, Server: srv, Keys: testKeys})
	if _, err := f.DrainOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := states(t, s); st[queue.StateSettled] != 4 || st[queue.StateRefused] != 1 {
		t.Fatalf("states: %v", st)
	}
	if _, err := Retry(context.Background(), s, recs[0].TxnID, t0); !errors.Is(err, ErrNotRefused) {
		t.Fatalf("retry of a settled item: %v", err)
	}
	srv.decide = nil
	if _, err := Retry(context.Background(), s, recs[1].TxnID, t0); err != nil {
		t.Fatal(err)
	}
	f.DrainOnce(context.Background())
	if got := srv.batches[1]; len(got) != 1 || got[0].TerminalTxnID != recs[1].TxnID {
		t.Fatalf("retry sent %+v", got)
	}
	if st := states(t, s); st[queue.StateSettled] != 5 {
		t.Fatalf("states after retry: %v", st)
	}
}

func TestExportIsSignedAndMatchesTheBatch(t *testing.T) {
	s := queue.NewMemory()
	recs := fill(t, s, 6)
	pub, priv, _ := ed25519.GenerateKey(nil)
	e, err := Export(context.Background(), s, "T-1", priv, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := protocol.VerifyExport(e, pub); err != nil {
		t.Fatal(err)
	}
	if len(e.Items) != 6 || !reflect.DeepEqual(e.Items[0], BatchItem(recs[0])) || e.Items[4].TargetTxnID != recs[3].TxnID || e.Items[4].Amount != (money.Amount{}) {
		t.Fatalf("items: %+v", e.Items)
	}
}

func TestBackoffGrowsWithJitterAndCaps(t *testing.T) {
	f := New(Options{Store: queue.NewMemory(), Server: &fakeServer{}, Interval: time.Second, MaxBackoff: 8 * time.Second})
	for fails, ceiling := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 10: 8 * time.Second} {
		f.failures = fails
		for i := 0; i < 50; i++ {
			if d := f.backoff(); d < ceiling/2 || d > ceiling {
				t.Fatalf("failures %d: backoff %v outside [%v, %v]", fails, d, ceiling/2, ceiling)
			}
		}
	}
}

// TestBatchAnswerIsVerifiedOnce: a signed answer settles its items and leaves each sale its proof;
// a tampered answer (a refused item turned approved, or an approval's bytes changed) and an
// answer by an unknown key are no answer: nothing changes state, and the items are sent again.
func TestBatchAnswerIsVerifiedOnce(t *testing.T) {
	decline := func(it protocol.BatchItem) protocol.TransactionResponse {
		r := protocol.TransactionResponse{TerminalTxnID: it.TerminalTxnID, Status: protocol.StatusApproved,
			Approval: &protocol.SignedApproval{Approval: []byte(`{"approval_id":"ap_` + it.TerminalTxnID + `"}`), KeyID: "k1"}}
		if it.Amount.Minor == 101 {
			r = protocol.TransactionResponse{TerminalTxnID: it.TerminalTxnID, Status: protocol.StatusDeclined, Code: protocol.CodeCodeUsed}
		}
		return r
	}
	tampers := map[string]func(*protocol.BatchResponse){
		"declined item turned approved": func(r *protocol.BatchResponse) {
			r.Results[1].Status, r.Results[1].Code = protocol.StatusApproved, ""
		},
		"approval bytes changed": func(r *protocol.BatchResponse) {
			a := *r.Results[0].Approval
			a.Approval = []byte(`{"approval_id":"ap_forged"}`)
			r.Results[0].Approval = &a
		},
		"signed by an unknown key": func(r *protocol.BatchResponse) {
			_, other, _ := ed25519.GenerateKey(nil)
			protocol.SignBatch(r, r.Nonce, "k9", other)
		},
		"unsigned": func(r *protocol.BatchResponse) { r.Signature = nil },
	}
	for name, tamper := range tampers {
		t.Run(name, func(t *testing.T) {
			s := queue.NewMemory()
			fill(t, s, 4)
			srv := &fakeServer{decide: decline, tamper: tamper}
			f := New(Options{Store: s, Server: srv, Keys: testKeys})
			if _, err := f.DrainOnce(context.Background()); !errors.Is(err, protocol.ErrBatchSignature) && !errors.Is(err, protocol.ErrUnknownKey) {
				t.Fatalf("tampered answer: %v", err)
			}
			if st := states(t, s); st[queue.StateQueued] != 4 {
				t.Fatalf("a tampered answer changed states: %v", st)
			}
			srv.tamper = nil
			if _, err := f.DrainOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			if st := states(t, s); st[queue.StateSettled] != 3 || st[queue.StateRefused] != 1 {
				t.Fatalf("after the genuine answer: %v", st)
			}
			if len(srv.batches) != 2 || !reflect.DeepEqual(srv.batches[0], srv.batches[1]) {
				t.Fatalf("the items were not sent again unchanged: %d batches", len(srv.batches))
			}
		})
	}
	// Every sale keeps a proof of its own answer.
	s := queue.NewMemory()
	fill(t, s, 4)
	f := New(Options{Store: s, Server: &fakeServer{decide: decline}, Keys: testKeys})
	if _, err := f.DrainOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.View(context.Background(), func(tx queue.Tx) error {
		recs, _ := tx.Recent(0, 100)
		for _, r := range recs {
			if r.Result == nil || r.BatchProof == nil {
				t.Fatalf("%s: no result or proof", r.TxnID)
			}
			if err := r.BatchProof.Verify(*r.Result, testKeys.Keys()); err != nil {
				t.Fatalf("%s: stored proof: %v", r.TxnID, err)
			}
			forged := *r.Result
			forged.Status = protocol.StatusVoided
			if err := r.BatchProof.Verify(forged, testKeys.Keys()); !errors.Is(err, protocol.ErrBatchSignature) {
				t.Fatalf("%s: stored proof accepts a changed result: %v", r.TxnID, err)
			}
		}
		return nil
	})
}
