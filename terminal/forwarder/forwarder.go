// Package forwarder drains the terminal's outbox to settlementd: queued offline approvals and voids,
// in sequence order, in batches of at most protocol.MaxBatchItems, under the same transaction ids on
// every attempt, so the server applies each exactly once however often a batch is resent. Each
// item's answer is stored; an item the server refuses leaves the outbox with its reason and is kept
// (`posagent queue retry` puts it back). While the server is unreachable the forwarder backs off
// exponentially with full jitter.
package forwarder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stillpay/stillpay/shared/clock"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/queue"
)

// Server is the part of the settlement client the forwarder needs.
type Server interface {
	Batch(ctx context.Context, req protocol.BatchRequest) (protocol.BatchResponse, error)
}

// Keys are the server keys the terminal trusts (serverkeys.Keyring): a batch answer is accepted
// only with a valid signature by one of them. Learn fetches an endorsed key the terminal has not
// seen yet (after a rotation).
type Keys interface {
	Keys() []protocol.ServerKey
	Learn(ctx context.Context, keyID string) error
}

// Options configures a Forwarder.
type Options struct {
	Store      queue.Store
	Server     Server
	Keys       Keys          // required: batch answers are verified with them
	Interval   time.Duration // how often to look when idle (default 2s)
	MaxBackoff time.Duration // backoff ceiling (default 1m)
	BatchSize  int           // default and maximum protocol.MaxBatchItems
	Clock      clock.Clock
	Logger     *slog.Logger
	// BackOnline, if set, is called after a batch gets an answer following failed attempts: the
	// server is reachable again (the agent refreshes the server keys then). It runs in the
	// forwarder's goroutine, so it must return promptly.
	BackOnline func(ctx context.Context)
	// Answered, if set, is called for every answered, verified batch, before its results are
	// stored (the agent's sales go online again).
	// It must return promptly.
	Answered func()
}

// Forwarder drains the outbox.
type Forwarder struct {
	opt    Options
	log    *slog.Logger
	kick   chan struct{}
	errors atomic.Int64
	sent   atomic.Int64

	mu       sync.Mutex
	lastErr  string
	lastOK   time.Time
	failures int
}

// New returns a Forwarder.
func New(opt Options) *Forwarder {
	if opt.Interval <= 0 {
		opt.Interval = 2 * time.Second
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = time.Minute
	}
	if opt.BatchSize <= 0 || opt.BatchSize > protocol.MaxBatchItems {
		opt.BatchSize = protocol.MaxBatchItems
	}
	opt.Clock = clock.Or(opt.Clock)
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Forwarder{opt: opt, log: opt.Logger, kick: make(chan struct{}, 1)}
}

// Kick asks the forwarder to look at the outbox now (after a new item was queued).
func (f *Forwarder) Kick() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// Status is the forwarder's health for /metrics and `posagent status`.
type Status struct {
	Errors      int64     `json:"errors"`
	Forwarded   int64     `json:"forwarded"`
	LastError   string    `json:"last_error,omitempty"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	Failing     int       `json:"consecutive_failures"`
}

// Status returns the current health.
func (f *Forwarder) Status() Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Status{Errors: f.errors.Load(), Forwarded: f.sent.Load(), LastError: f.lastErr, LastSuccess: f.lastOK, Failing: f.failures}
}

// Run drains until ctx ends.
func (f *Forwarder) Run(ctx context.Context) {
	for {
		wait := f.opt.Interval
		more, err := f.DrainOnce(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			wait = f.backoff()
			f.log.Warn("forwarding failed; will retry", "err", err, "retry_in", wait.Round(time.Millisecond))
		case more:
			wait = 0
		}
		if wait == 0 {
			continue
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-f.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// backoff is exponential in the consecutive failures, capped, with full jitter so a fleet of
// terminals coming back after an outage does not hit the server in step.
func (f *Forwarder) backoff() time.Duration {
	f.mu.Lock()
	n := f.failures
	f.mu.Unlock()
	ceiling := f.opt.Interval
	for i := 1; i < n && ceiling < f.opt.MaxBackoff; i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, f.opt.MaxBackoff)
	return ceiling/2 + rand.N(ceiling/2+1)
}

// DrainOnce sends one batch from the head of the outbox and stores the results. more reports that
// the outbox may hold further items.
func (f *Forwarder) DrainOnce(ctx context.Context) (more bool, err error) {
	var items []queue.Record
	err = f.opt.Store.View(ctx, func(tx queue.Tx) error {
		var err error
		items, err = tx.Outbox(f.opt.BatchSize)
		return err
	})
	if err != nil || len(items) == 0 {
		return false, err
	}
	req := protocol.BatchRequest{BatchID: fmt.Sprintf("%s..%s", items[0].TxnID, items[len(items)-1].TxnID), Items: make([]protocol.BatchItem, len(items))}
	for i, r := range items {
		req.Items[i] = BatchItem(r)
	}
	resp, err := f.opt.Server.Batch(ctx, req)
	if err == nil {
		err = f.verify(ctx, resp)
	}
	if err != nil {
		f.failed(ctx, items, err)
		return false, err
	}
	// The server answered: tell the agent before the results are stored, so that once the outbox
	// looks drained the sales already go online again.
	if f.opt.Answered != nil {
		f.opt.Answered()
	}
	now := f.opt.Clock.Now()
	proofs := protocol.ProofsFor(resp) // the tree hashed once, not once per result
	var settled, refused int
	err = f.opt.Store.Update(ctx, func(tx queue.Tx) error {
		settled, refused = 0, 0
		for i, res := range resp.Results {
			r, err := tx.Get(items[i].TxnID)
			if err != nil {
				return err
			}
			if r.State != queue.StateQueued {
				continue // changed meanwhile (e.g. exported and marked)
			}
			res, proof := res, proofs[i]
			r.Result, r.BatchProof, r.Attempts, r.UpdatedAt, r.LastError = &res, &proof, r.Attempts+1, now, ""
			to := queue.StateSettled
			if Settles(r, res) {
				settled++
			} else {
				to = queue.StateRefused
				r.LastError = fmt.Sprintf("%s: %s", res.Code, res.Message)
				refused++
			}
			if _, err := queue.Move(tx, r, to); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	f.sent.Add(int64(settled + refused))
	f.mu.Lock()
	wasFailing := f.failures > 0
	f.failures, f.lastOK = 0, now
	f.mu.Unlock()
	if wasFailing && f.opt.BackOnline != nil {
		f.opt.BackOnline(ctx)
	}
	if refused > 0 {
		f.errors.Add(int64(refused))
		f.log.Error("server refused queued items; they are kept (posagent queue list --state refused)", "refused", refused)
	}
	f.log.Info("forwarded batch", "items", len(items), "settled", settled, "refused", refused)
	return len(items) == f.opt.BatchSize, nil
}

// verify checks a batch answer's one signature over every result (the client has checked that it
// answers this request's nonce). An answer signed by a key the terminal does not know yet is
// checked again after the key is learned (rotation); anything else unverified is no answer: the
// items stay queued and are sent again, and the server answers them the same way.
func (f *Forwarder) verify(ctx context.Context, resp protocol.BatchResponse) error {
	err := protocol.VerifyBatch(resp, resp.Nonce, f.opt.Keys.Keys())
	if errors.Is(err, protocol.ErrUnknownKey) && resp.Signature != nil {
		if lerr := f.opt.Keys.Learn(ctx, resp.Signature.KeyID); lerr == nil {
			err = protocol.VerifyBatch(resp, resp.Nonce, f.opt.Keys.Keys())
		}
	}
	if err != nil {
		return fmt.Errorf("forwarder: batch answer refused: %w", err)
	}
	return nil
}

// Settles reports whether the server's answer to r means r is done: an approval, or a void whose
// target is already void or was never applied.
func Settles(r queue.Record, res protocol.TransactionResponse) bool {
	if res.Status != protocol.StatusDeclined {
		return true
	}
	return r.Kind == protocol.KindVoid && (res.Code == protocol.CodeAlreadyVoided || res.Code == protocol.CodeTransactionUnknown)
}

// failed records a batch that got no usable answer on its items.
func (f *Forwarder) failed(ctx context.Context, items []queue.Record, err error) {
	f.errors.Add(1)
	f.mu.Lock()
	f.failures++
	f.lastErr = err.Error()
	f.mu.Unlock()
	var prob *protocol.Problem
	if !errors.As(err, &prob) {
		return // unreachable: nothing to note per item
	}
	// The server refused the batch as a whole (e.g. a malformed item): note it on the items so
	// `posagent queue list` shows why they are stuck; they stay queued and are retried.
	f.opt.Store.Update(ctx, func(tx queue.Tx) error {
		for _, it := range items {
			r, err := tx.Get(it.TxnID)
			if err != nil || r.State != queue.StateQueued {
				continue
			}
			r.Attempts++
			r.LastError = prob.Error()
			tx.Put(r)
		}
		return nil
	})
}

// BatchItem is the wire form of a queued record, identical on every attempt and in exports.
func BatchItem(r queue.Record) protocol.BatchItem {
	it := protocol.BatchItem{Kind: r.Kind, TerminalTxnID: r.TxnID, Amount: r.Amount, Reference: r.Reference}
	switch r.Kind {
	case protocol.KindVoid:
		// A void cancels its whole target: it carries no amount (the record keeps it for display).
		it.TargetTxnID, it.Amount = r.TargetTxnID, money.Amount{}
	case protocol.KindRefund:
		it.TargetTxnID = r.TargetTxnID
	default:
		it.Payload, it.Gross = r.Payload, r.Gross
		if r.Kind == protocol.KindOffline {
			it.ApprovedAt = r.ApprovedAt.UTC()
		}
	}
	return it
}
