package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Result is the answer to one Request.
type Result struct {
	// Problem is set when the request could not be taken at all (an invalid field, throttling, a
	// reused key); nothing was recorded and a corrected or later request may succeed.
	Problem *protocol.Problem
	// Response is the final, recorded answer otherwise.
	Response protocol.TransactionResponse
	// Kind is the request's kind (online, offline, void, refund), for metrics.
	Kind string
	// Replayed is true when the answer was stored before this request (a retry).
	Replayed bool
}

// HTTPStatus is the status a single request's answer is sent with: 200 approved, 402 declined, the
// problem's own status otherwise.
func (r Result) HTTPStatus() int {
	switch {
	case r.Problem != nil:
		return r.Problem.Status
	case r.Response.Status == protocol.StatusDeclined:
		return http.StatusPaymentRequired
	}
	return http.StatusOK
}

// AsItem is the result as a batch item: a problem becomes a declined item carrying the problem's
// code, which is not final (nothing was recorded for it).
func (r Result) AsItem(txnID string) protocol.TransactionResponse {
	if r.Problem != nil {
		return protocol.TransactionResponse{TerminalTxnID: txnID, Status: protocol.StatusDeclined, Code: r.Problem.Code, Message: r.Problem.Detail}
	}
	return r.Response
}

// work is one request on its way through Process.
type work struct {
	req     Request
	op      store.PaymentOp
	result  *Result // decided without the store
	replay  *store.Txn
	failed  bool   // a wrong code or forged payload: the store counts it against the terminal, and the user once userID is set
	userID  string // the authorization's user, once the payload's credential matched it
	pending bool   // goes to ApplyPayments

	payload  *payload.Payload // parsed once, for payments that are not replays
	parseErr error
}

// Process answers a terminal's requests: one for /v1/transactions, /v1/voids and /v1/refunds, up to
// protocol.MaxBatchItems for a batch or an import. The returned slice has one Result per request in
// order. The error is for the whole call (the store failed); the terminal retries with the same
// keys and nothing is applied twice.
func (s *Service) Process(ctx context.Context, t store.Terminal, reqs []Request) ([]Result, error) {
	return s.process(ctx, t, reqs, nil)
}

// ProcessSigned is Process for a signed request: it records the request's nonce in the same store
// transaction as the request's payments (store.ApplySigned), so both share one group commit and one
// fsync, and the writer sees one request instead of two. A replayed nonce fails the whole call with
// nonce_replayed and applies nothing.
func (s *Service) ProcessSigned(ctx context.Context, t store.Terminal, sr protocol.SignedRequest, reqs []Request) ([]Result, error) {
	return s.process(ctx, t, reqs, &signedNonce{terminal: t, req: sr})
}

// ProcessBatch is ProcessSigned for a batch answer: approvals are rendered without a signature of
// their own, since the answer is signed once as a whole (SignBatch).
func (s *Service) ProcessBatch(ctx context.Context, t store.Terminal, sr protocol.SignedRequest, reqs []Request) ([]Result, error) {
	return s.process(ctx, t, reqs, &signedNonce{terminal: t, req: sr, answer: answerBatch})
}

// ProcessGrouped is ProcessSigned for a terminal that verifies group proofs (it sent
// protocol.HeaderApprovalProof): each approval carries a proof bound to the terminal and the
// request's nonce, signed once with the approvals of the requests finishing at the same time
// (signgroup.go), instead of a signature of its own.
func (s *Service) ProcessGrouped(ctx context.Context, t store.Terminal, sr protocol.SignedRequest, reqs []Request) ([]Result, error) {
	results, err := s.process(ctx, t, reqs, &signedNonce{terminal: t, req: sr, answer: answerGroup})
	if err == nil {
		s.proveApprovals(results, t.ID, sr.Nonce)
	}
	return results, err
}

// SignBatch signs a batch answer once over every result and the request's nonce
// (protocol.SignBatch): one Ed25519 signature instead of one per approved item.
func (s *Service) SignBatch(resp *protocol.BatchResponse, sr protocol.SignedRequest) error {
	keyID, key := s.keys.Current()
	return protocol.SignBatch(resp, sr.Nonce, keyID, key)
}

// signedNonce is the nonce of a signed request on its way to the store.
type signedNonce struct {
	terminal store.Terminal
	req      protocol.SignedRequest
	answer   answerMode
}

// answerMode says how approvals are signed.
type answerMode int

const (
	answerEach  answerMode = iota // each approval signed on its own
	answerBatch                   // the answer is signed as a whole: items' approvals go unsigned
	answerGroup                   // each approval gets a group proof after rendering (proveApprovals)
)

// process answers reqs; nonce, when set, is recorded in the same transaction as the store's write.
func (s *Service) process(ctx context.Context, t store.Terminal, reqs []Request, nonce *signedNonce) ([]Result, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	if len(reqs) > protocol.MaxBatchItems {
		return nil, problem(http.StatusRequestEntityTooLarge, protocol.CodeBatchTooLarge, "at most %d requests per call", protocol.MaxBatchItems)
	}
	now := s.clock.Now()
	ws := make([]work, len(reqs))
	for i := range reqs {
		ws[i].req = reqs[i]
		if err := s.validate(reqs[i], now); err != nil {
			ws[i].result = problemResult(err, reqs[i].Kind)
		}
	}
	if err := s.findReplays(ctx, t, ws); err != nil {
		return nil, err
	}
	parallel(len(ws), func(i int) {
		if w := &ws[i]; w.result == nil && w.replay == nil && w.req.opKind() == store.OpPayment {
			w.payload, w.parseErr = payload.Parse(w.req.Payload)
		}
	})
	auths, err := s.loadAuthorizations(ctx, ws)
	if err != nil {
		return nil, err
	}
	s.verifyAll(t, ws, auths, now)
	return s.apply(ctx, ws, nonce, now)
}

// validate checks what a request must satisfy before anything is looked up.
func (s *Service) validate(r Request, now time.Time) error {
	if err := checkID("terminal_txn_id", r.TerminalTxnID); err != nil {
		return err
	}
	switch r.Kind {
	case protocol.KindOnline, protocol.KindOffline:
		if err := checkAmount("amount", r.Amount); err != nil {
			return err
		}
		if err := fieldProblem(protocol.CheckRequiredText("payload", r.Payload, protocol.MaxPayloadChars)); err != nil {
			return err
		}
		if r.TargetTxnID != "" {
			return invalidField("target_txn_id", "target_txn_id is only for voids and refunds")
		}
		if r.Gross != 0 && r.Gross <= r.Amount.Minor {
			return invalidField("gross", "gross is the sale before an offer's discount: more than amount, or absent")
		}
	case protocol.KindVoid, protocol.KindRefund:
		if err := checkID("target_txn_id", r.TargetTxnID); err != nil {
			return err
		}
		if r.TargetTxnID == r.TerminalTxnID {
			return invalidField("target_txn_id", "a void or refund needs its own terminal_txn_id, not the target's")
		}
		if r.Kind == protocol.KindRefund {
			if err := checkAmount("amount", r.Amount); err != nil {
				return err
			}
		} else if r.Amount != (money.Amount{}) {
			return invalidField("amount", "a void takes no amount: it cancels the whole target")
		}
		if r.Payload != "" {
			return invalidField("payload", "voids and refunds carry no payload")
		}
		if r.Gross != 0 {
			return invalidField("gross", "voids and refunds carry no gross")
		}
	default:
		return invalidField("kind", "kind must be one of online, offline, void, refund")
	}
	if err := checkText("reference", r.Reference, protocol.MaxReferenceLen); err != nil {
		return err
	}
	if r.Kind == protocol.KindOffline {
		if r.ApprovedAt.IsZero() {
			return invalidField("approved_at", "an offline item needs the terminal's approval time")
		}
		if r.ApprovedAt.After(now.Add(s.policy.MaxOfflineAgeSkew)) {
			return invalidField("approved_at", "approved_at is in the future by the server clock; check the terminal clock")
		}
	} else if !r.ApprovedAt.IsZero() {
		return invalidField("approved_at", "approved_at is only for offline items")
	}
	return nil
}

// findReplays looks up every key first: a retry gets its stored answer without verifying the
// payload again (and without counting its wrong code twice). All keys go in one store call: on a
// networked database a lookup per item would be a round trip per item.
func (s *Service) findReplays(ctx context.Context, t store.Terminal, ws []work) error {
	keys := make([]store.TxnKey, 0, len(ws))
	for i := range ws {
		if ws[i].result == nil {
			keys = append(keys, store.TxnKey{TerminalID: t.ID, TerminalTxnID: ws[i].req.TerminalTxnID})
		}
	}
	if len(keys) == 0 {
		return nil
	}
	txns, err := s.store.GetTxns(ctx, keys)
	if err != nil {
		return fmt.Errorf("service: idempotency lookup: %w", err)
	}
	for i := range ws {
		w := &ws[i]
		if w.result != nil {
			continue
		}
		txn, ok := txns[store.TxnKey{TerminalID: t.ID, TerminalTxnID: w.req.TerminalTxnID}]
		if !ok || txn.Tombstone {
			continue // new, or a tombstone: the store declines it already_voided, and records that
		}
		w.replay = &txn
	}
	return nil
}

// loadAuthorizations fetches the authorizations the payloads name, in one store call.
func (s *Service) loadAuthorizations(ctx context.Context, ws []work) (map[string]store.Authorization, error) {
	seen := map[string]bool{}
	var ids []string
	for i := range ws {
		if p := ws[i].payload; p != nil && !seen[p.AuthorizationID] {
			seen[p.AuthorizationID] = true
			ids = append(ids, p.AuthorizationID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	m, err := s.store.GetAuthorizations(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("service: authorizations: %w", err)
	}
	return m, nil
}

// verifyAll checks every payment's payload, MAC and code, in parallel: they touch no shared state.
func (s *Service) verifyAll(t store.Terminal, ws []work, auths map[string]store.Authorization, now time.Time) {
	parallel(len(ws), func(i int) { s.verify(t, &ws[i], auths, now) })
}

// parallel calls fn(0..n-1) on up to GOMAXPROCS goroutines and waits for all of them.
func parallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// verify turns one request into a store op, or into a decline decided here.
func (s *Service) verify(t store.Terminal, w *work, auths map[string]store.Authorization, now time.Time) {
	if w.result != nil || w.replay != nil {
		return
	}
	r := w.req
	op := store.PaymentOp{
		Key:         store.TxnKey{TerminalID: t.ID, TerminalTxnID: r.TerminalTxnID},
		RequestHash: r.hash(),
		Kind:        r.opKind(),
		Now:         now,
		Amount:      r.Amount,
		Offline:     r.Kind == protocol.KindOffline,
		ApprovedAt:  r.ApprovedAt,
		Reference:   r.Reference,
		TargetTxnID: r.TargetTxnID,
	}
	var err error
	if op.ApprovalID, err = newID("ap_", 12); err == nil {
		op.ApprovalCode, err = newApprovalCode()
	}
	if op.Offline {
		// The code the terminal printed on the offline receipt, so both say the same.
		op.ApprovalCode = protocol.OfflineApprovalCode(r.TerminalTxnID)
	}
	if err != nil {
		w.result = &Result{Problem: problem(http.StatusServiceUnavailable, protocol.CodeUnavailable, "no randomness: %v", err), Kind: r.Kind}
		return
	}
	op.KeyID, _ = s.keys.Current()
	w.op, w.pending = op, true
	if op.Kind != store.OpPayment {
		return
	}
	// Every payment, online, batched or offline, is judged under the failed-code limits inside its
	// own store transaction (store.Throttle): a locked terminal or user gets nothing judged.
	w.op.Throttle = codeThrottle(now)
	decline := func(code protocol.Code, msg string) {
		w.op.Decline = &store.Decline{Code: code, Message: msg, CountFailure: w.failed}
	}
	if w.parseErr != nil {
		decline(parseDeclineCode(w.parseErr), w.parseErr.Error())
		return
	}
	p := w.payload
	if err := p.CheckCurrent(); err != nil && !op.Offline {
		// SP1 is retired for new payments; an offline item was approved by a terminal before it was
		// updated and is settled (below, by its device signature), as every offline approval is.
		decline(protocol.CodePayloadVersion, "payment codes of version 1 (SP1) are retired: the customer must update the wallet app")
		return
	}
	w.op.AuthorizationID = p.AuthorizationID
	w.op.CodeCounter = uint64(p.Counter)
	a, ok := auths[p.AuthorizationID]
	switch {
	case !ok:
		w.failed = true
		decline(protocol.CodeAuthorizationUnknown, "no such authorization")
		return
	case a.UserID != p.UserID || string(a.Credential) != string(p.CredentialBytes):
		// The server issued this credential and kept its bytes: equality is the signature check.
		w.failed = true
		decline(protocol.CodeCredentialInvalid, "the credential is not the one issued for this authorization")
		return
	}
	secret, err := s.sealer.Open(a.SealedSecret)
	if err != nil {
		s.log.Error("authorization secret does not open", "authorization_id", a.ID, "err", err)
		w.result = &Result{Problem: problem(http.StatusInternalServerError, protocol.CodeInternal, "the authorization's secret is unreadable"), Kind: r.Kind}
		w.pending = false
		return
	}
	// The proof that the wallet made this payload: the MAC under a key derived from the secret
	// (version 2: an HMAC, microseconds) or the device signature (a version-1 offline item). The
	// terminals verify the device signature; the server, holding the secret, needs no Ed25519.
	// The credential travels in clear in every QR: a payload naming it without the phone's proof is
	// anyone's, so its failure counts against the terminal that sent it, never against the user.
	if code, msg := checkProof(p, secret); code != "" {
		w.failed = true
		decline(code, msg)
		return
	}
	// Only now is the user known to be behind the payload: its wrong code counts against the user
	// (and the terminal), and the user's limits apply to it.
	w.userID, w.op.UserID = a.UserID, a.UserID
	// The time that counts is the one the phone signed, not the terminal's approved_at: a code made
	// outside the credential's life is refused for that, with its own code, before its window is
	// checked against approved_at. The store checks it again in its transaction.
	w.op.CodeStep = p.Step
	if code, msg := ledger.CheckCodeStep(a, p.Step); code != "" {
		decline(code, msg)
		return
	}
	at := now
	if op.Offline {
		at = r.ApprovedAt // the code was checked by the terminal at this time; it was fresh then
	}
	err = otp.VerifyPaymentCode(secret, p.Step, p.Counter, p.Code, at)
	switch {
	case errors.Is(err, otp.ErrCodeExpired):
		decline(protocol.CodeCodeExpired, "the code is too old; ask the customer for a fresh one")
	case err != nil:
		w.failed = true
		decline(protocol.CodeCodeInvalid, "the code does not match")
	default:
		if code, msg := s.checkOffer(t, w, p); code != "" {
			decline(code, msg)
		}
	}
}

// checkProof checks a payload's proof of origin: the MAC for the current version, the device
// signature for a retired one. It returns the decline code and message, or "".
func checkProof(p *payload.Payload, secret []byte) (protocol.Code, string) {
	if p.Version == payload.Version {
		if p.VerifyMAC(secret) != nil {
			return protocol.CodePayloadMAC, "the payload's MAC does not verify"
		}
		return "", ""
	}
	if p.VerifyDevice() != nil {
		return protocol.CodeDeviceSignature, "the payload's device signature does not verify"
	}
	return "", ""
}

// parseDeclineCode maps a payload.Parse error to the decline code the terminal uses for it too.
func parseDeclineCode(err error) protocol.Code {
	if c := payload.DeclineCode(err); c != "" {
		return c
	}
	return protocol.CodePayloadMalformed
}

// apply sends the pending ops to the store in one call, with the request's nonce in the same
// transaction, and renders every result.
func (s *Service) apply(ctx context.Context, ws []work, nonce *signedNonce, now time.Time) ([]Result, error) {
	var ops []store.PaymentOp
	for i := range ws {
		if ws[i].pending {
			ops = append(ops, ws[i].op)
		}
	}
	var outs []store.Outcome
	var err error
	switch {
	case len(ops) == 0 && nonce != nil:
		// Nothing to apply (replays, problems): the nonce is still spent.
		if err := s.UseNonce(ctx, nonce.terminal, nonce.req); err != nil {
			return nil, err
		}
	case len(ops) > 0 && nonce != nil:
		outs, err = s.store.ApplySigned(ctx, store.Nonce{TerminalID: nonce.terminal.ID, Nonce: nonce.req.Nonce, ExpiresAt: nonceExpiry(nonce.req)}, ops)
		if errors.Is(err, store.ErrNonceReplayed) {
			return nil, nonceReplayedProblem()
		}
	case len(ops) > 0:
		outs, err = s.store.ApplyPayments(ctx, ops)
	}
	if len(ops) > 0 {
		if errors.Is(err, store.ErrClosed) {
			return nil, problem(http.StatusServiceUnavailable, protocol.CodeUnavailable, "the server is shutting down; retry with the same terminal_txn_id")
		}
		if err != nil {
			return nil, fmt.Errorf("service: apply payments: %w", err)
		}
		if len(outs) != len(ops) {
			return nil, fmt.Errorf("service: store answered %d outcomes for %d ops", len(outs), len(ops))
		}
	}
	// Map each pending request to its outcome, then render in parallel: an approval is an Ed25519
	// signature each, except in a batch answer, which is signed once, and in a group answer, whose
	// approvals are signed together afterwards (ProcessGrouped).
	sign := nonce == nil || nonce.answer == answerEach
	outcome := make([]int, len(ws))
	next := 0
	for i := range ws {
		if ws[i].pending {
			outcome[i] = next
			next++
		}
	}
	results := make([]Result, len(ws))
	parallel(len(ws), func(i int) {
		w := &ws[i]
		switch {
		case w.pending:
			o := outs[outcome[i]]
			if te, ok := errors.AsType[*store.ThrottledError](o.Err); ok {
				results[i] = Result{Problem: throttleProblem(te, now), Kind: w.req.Kind}
				return
			}
			results[i] = s.renderAs(o, w.req.Kind, sign)
			results[i].Replayed = o.Replayed
		case w.result != nil:
			results[i] = *w.result
		case w.replay != nil:
			if string(w.replay.RequestHash) != string(w.req.hash()) {
				results[i] = mismatchResult(w.req)
				return
			}
			results[i] = s.renderAs(w.replay.Outcome, w.req.Kind, sign)
			results[i].Replayed = true
		}
	})
	return results, nil
}

func problemResult(err error, kind string) *Result {
	var p *protocol.Problem
	if !errors.As(err, &p) {
		p = problem(http.StatusInternalServerError, protocol.CodeInternal, "internal error")
	}
	return &Result{Problem: p, Kind: kind}
}

func mismatchResult(r Request) Result {
	return Result{Kind: r.Kind, Problem: problem(http.StatusConflict, protocol.CodeIdempotencyReused,
		"terminal_txn_id %q was already used for a different request; use a new id for a new request", truncate(r.TerminalTxnID))}
}
