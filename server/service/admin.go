package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/screen"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Admin operations. The operator is trusted (the admin token), but the input is still checked: a
// typo must give a clear error, not a broken record.

// CreateMerchant adds a merchant and its settlement account.
func (s *Service) CreateMerchant(ctx context.Context, req admin.MerchantRequest) (store.Merchant, error) {
	if err := checkID("merchant_id", req.MerchantID); err != nil {
		return store.Merchant{}, err
	}
	if err := fieldProblem(protocol.CheckRequiredText("name", req.Name, protocol.MaxNameLen)); err != nil {
		return store.Merchant{}, err
	}
	if _, err := money.LookupCurrency(req.Currency); err != nil {
		p := problem(http.StatusBadRequest, protocol.CodeInvalidCurrency, "unknown currency %q", truncate(req.Currency))
		p.Field = "currency"
		return store.Merchant{}, p
	}
	if err := fieldProblem(protocol.CheckLines("receipt_header", req.ReceiptHeader, protocol.MaxReceiptLines, protocol.MaxReceiptLineLen)); err != nil {
		return store.Merchant{}, err
	}
	if req.MCC != "" && !screen.ValidMCC(req.MCC) {
		return store.Merchant{}, invalidField("mcc", "mcc must be a four-digit merchant category code (ISO 18245)")
	}
	m, err := s.store.CreateMerchant(ctx, store.Merchant{
		ID: req.MerchantID, Name: req.Name, Currency: req.Currency, ReceiptHeader: req.ReceiptHeader, MCC: req.MCC, CreatedAt: s.clock.Now(),
	})
	if err != nil {
		return store.Merchant{}, storeProblem(err, "merchant "+req.MerchantID)
	}
	s.log.Info("merchant added", "merchant_id", m.ID, "currency", m.Currency)
	return m, nil
}

// CreateTerminal adds a terminal and answers its one-time enrollment code.
func (s *Service) CreateTerminal(ctx context.Context, req admin.TerminalRequest) (admin.TerminalCreated, error) {
	if err := checkID("terminal_id", req.TerminalID); err != nil {
		return admin.TerminalCreated{}, err
	}
	if err := checkID("merchant_id", req.MerchantID); err != nil {
		return admin.TerminalCreated{}, err
	}
	if err := checkText("name", req.Name, protocol.MaxNameLen); err != nil {
		return admin.TerminalCreated{}, err
	}
	m, err := s.store.GetMerchant(ctx, req.MerchantID)
	if err != nil {
		return admin.TerminalCreated{}, storeProblem(err, "merchant "+req.MerchantID)
	}
	limits := s.policy.TerminalLimits
	if req.Limits != nil {
		l := *req.Limits
		if l.FloorLimitMinor < 0 || l.OfflineMaxCount < 0 || l.OfflineMaxMinor < 0 || l.OfflineMaxAgeSecs < 0 {
			return admin.TerminalCreated{}, invalidField("limits", "limits must not be negative")
		}
		if l.Currency != "" && l.Currency != m.Currency {
			return admin.TerminalCreated{}, invalidField("limits.currency", "the terminal's currency is its merchant's, %s", m.Currency)
		}
		limits = l
	}
	limits.Currency = m.Currency
	code, err := newEnrollCode()
	if err != nil {
		return admin.TerminalCreated{}, err
	}
	now := s.clock.Now()
	t, err := s.store.CreateTerminal(ctx, store.Terminal{
		ID: req.TerminalID, MerchantID: m.ID, Name: req.Name, State: store.TerminalPending,
		EnrollCodeHash: enrollCodeHash(code), EnrollExpiresAt: now.Add(s.policy.EnrollCodeTTL),
		Limits: limits, CreatedAt: now,
	})
	if err != nil {
		return admin.TerminalCreated{}, storeProblem(err, "terminal "+req.TerminalID)
	}
	s.log.Info("terminal added", "terminal_id", t.ID, "merchant_id", t.MerchantID) // never the code
	return admin.TerminalCreated{TerminalID: t.ID, MerchantID: t.MerchantID, EnrollCode: code, EnrollExpiresAt: t.EnrollExpiresAt.UTC()}, nil
}

// ReissueEnrollCode gives an existing terminal a new one-time enrollment code (a box replaced, or
// re-keying after a compromise). The old code stops working; the terminal's current key works
// until a box redeems the new code, and is refused from then on.
func (s *Service) ReissueEnrollCode(ctx context.Context, terminalID string) (admin.TerminalCreated, error) {
	if err := checkID("terminal_id", terminalID); err != nil {
		return admin.TerminalCreated{}, err
	}
	code, err := newEnrollCode()
	if err != nil {
		return admin.TerminalCreated{}, err
	}
	t, err := s.store.ReissueEnrollCode(ctx, terminalID, enrollCodeHash(code), s.clock.Now().Add(s.policy.EnrollCodeTTL))
	if err != nil {
		return admin.TerminalCreated{}, storeProblem(err, "terminal "+terminalID)
	}
	s.log.Info("terminal enrollment code issued", "terminal_id", t.ID, "merchant_id", t.MerchantID, "state", string(t.State)) // never the code
	return admin.TerminalCreated{TerminalID: t.ID, MerchantID: t.MerchantID, EnrollCode: code, EnrollExpiresAt: t.EnrollExpiresAt.UTC()}, nil
}

// CreateUser adds a wallet user with an argon2id password hash.
func (s *Service) CreateUser(ctx context.Context, req admin.UserRequest) (admin.User, error) {
	if err := checkID("user_id", req.UserID); err != nil {
		return admin.User{}, err
	}
	if len(req.Password) < MinPasswordLen || len(req.Password) > MaxPasswordLen {
		return admin.User{}, invalidField("password", "password must be %d to %d bytes", MinPasswordLen, MaxPasswordLen)
	}
	if err := checkPasswordText("password", req.Password); err != nil {
		return admin.User{}, err
	}
	if err := checkText("name", req.Name, protocol.MaxNameLen); err != nil {
		return admin.User{}, err
	}
	release, err := s.gate.acquire(ctx)
	if err != nil {
		return admin.User{}, err
	}
	hash, err := hashPassword(req.Password)
	release()
	if err != nil {
		return admin.User{}, err
	}
	u, err := s.store.CreateUser(ctx, store.User{ID: req.UserID, Name: req.Name, PasswordHash: hash, CreatedAt: s.clock.Now()})
	if err != nil {
		return admin.User{}, storeProblem(err, "user "+req.UserID)
	}
	s.log.Info("user added", "user_id", u.ID)
	return admin.User{UserID: u.ID, Name: u.Name, CreatedAt: u.CreatedAt}, nil
}

// CreateAccount adds a customer funding account with its opening balance.
func (s *Service) CreateAccount(ctx context.Context, req admin.AccountRequest) (admin.Balance, error) {
	if err := checkID("account_id", req.AccountID); err != nil {
		return admin.Balance{}, err
	}
	if err := checkID("user_id", req.UserID); err != nil {
		return admin.Balance{}, err
	}
	if err := req.OpeningBalance.Validate(money.ParseOptions{AllowZero: true}); err != nil {
		if errors.Is(err, money.ErrUnknownCurrency) {
			return admin.Balance{}, checkAmount("opening_balance", req.OpeningBalance)
		}
		p := problem(http.StatusBadRequest, protocol.CodeInvalidAmount, "opening_balance must not be negative")
		p.Field = "opening_balance.minor"
		return admin.Balance{}, p
	}
	if _, err := s.store.GetUser(ctx, req.UserID); err != nil {
		return admin.Balance{}, storeProblem(err, "user "+req.UserID)
	}
	a, err := s.store.CreateAccount(ctx, store.Account{
		ID: req.AccountID, Kind: store.AccountCustomer, Currency: req.OpeningBalance.Currency, OwnerID: req.UserID,
	}, req.OpeningBalance.Minor, s.clock.Now())
	if err != nil {
		return admin.Balance{}, storeProblem(err, "account "+req.AccountID)
	}
	s.log.Info("account added", "account_id", a.ID, "user_id", a.OwnerID, "opening_minor", a.Balance, "currency", a.Currency)
	return toBalance(a), nil
}

func toBalance(a store.Account) admin.Balance {
	return admin.Balance{AccountID: a.ID, Kind: a.Kind, OwnerID: a.OwnerID, Balance: money.Amount{Minor: a.Balance, Currency: a.Currency}}
}

// Balances lists accounts, optionally of one owner or kind.
func (s *Service) Balances(ctx context.Context, f store.AccountFilter) (admin.Balances, error) {
	accts, err := s.store.ListAccounts(ctx, f)
	if err != nil {
		return admin.Balances{}, storeProblem(err, "accounts")
	}
	out := admin.Balances{Accounts: make([]admin.Balance, 0, len(accts))}
	for _, a := range accts {
		out.Accounts = append(out.Accounts, toBalance(a))
	}
	return out, nil
}

// Transactions lists terminal transactions, newest first.
func (s *Service) Transactions(ctx context.Context, f store.TxnFilter) (admin.Transactions, error) {
	var txns []store.Txn
	var err error
	if f.TerminalID != "" {
		txns, err = s.terminalTxns(ctx, f)
	} else {
		txns, err = s.store.ListTxns(ctx, f)
	}
	if err != nil {
		return admin.Transactions{}, storeProblem(err, "transactions")
	}
	out := admin.Transactions{Transactions: make([]admin.Transaction, 0, len(txns))}
	for _, t := range txns {
		out.Transactions = append(out.Transactions, admin.Transaction{
			TerminalID: t.Key.TerminalID, TerminalTxnID: t.Key.TerminalTxnID, Kind: t.Kind, Status: string(t.Status),
			Code: t.Code, Message: t.Message, Offline: t.Offline, Amount: t.Amount, MerchantID: t.MerchantID,
			UserID: t.UserID, AuthorizationID: t.AuthorizationID, TargetTxnID: t.TargetTxnID, ApprovalCode: t.ApprovalCode,
			ApprovedAt: t.ApprovedAt, SettledAt: t.SettledAt, RefundedMinor: t.RefundedMinor, VoidedBy: t.VoidedBy, Seq: t.Seq,
		})
	}
	return out, nil
}

// terminalTxns lists a terminal's transactions newest first by seq, paged with BeforeSeq like every
// other admin listing. The store lists a terminal's transactions in its txn id order, where a seq
// cursor would skip items (an offline sale forwarded late has an old txn id and a new seq), so this
// walks the terminal's merchant's seq order and keeps the terminal's own. It reads at most the
// merchant's transactions; it is an operator's listing, not a payment path.
func (s *Service) terminalTxns(ctx context.Context, f store.TxnFilter) ([]store.Txn, error) {
	t, err := s.store.GetTerminal(ctx, f.TerminalID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	want := f.Limit
	if want <= 0 {
		want = store.DefaultPageSize
	}
	want = min(want, store.MaxPageSize)
	var out []store.Txn
	before := f.BeforeSeq
	for len(out) < want {
		page, err := s.store.ListTxns(ctx, store.TxnFilter{MerchantID: t.MerchantID, BeforeSeq: before, Limit: store.MaxPageSize})
		if err != nil {
			return nil, err
		}
		for _, x := range page {
			if x.Key.TerminalID == t.ID && len(out) < want {
				out = append(out, x)
			}
		}
		if len(page) < store.MaxPageSize {
			break
		}
		before = page[len(page)-1].Seq
	}
	return out, nil
}

// Authorizations lists first approvals, never their secrets.
func (s *Service) Authorizations(ctx context.Context, f store.AuthorizationFilter) (admin.Authorizations, error) {
	list, err := s.store.ListAuthorizations(ctx, f)
	if err != nil {
		return admin.Authorizations{}, storeProblem(err, "authorizations")
	}
	out := admin.Authorizations{Authorizations: make([]admin.Authorization, 0, len(list))}
	for _, a := range list {
		x := toAdminAuthorization(a)
		// What is left of the hold: the balance of its hold account.
		hold, err := s.store.GetAccount(ctx, store.HoldAccountID(a.ID))
		if err != nil {
			return admin.Authorizations{}, storeProblem(err, "hold account of "+a.ID)
		}
		x.HoldLeft = money.Amount{Minor: hold.Balance, Currency: a.Currency}
		out.Authorizations = append(out.Authorizations, x)
	}
	return out, nil
}

func toAdminAuthorization(a store.Authorization) admin.Authorization {
	return admin.Authorization{
		AuthorizationID: a.ID, UserID: a.UserID, AccountID: a.AccountID,
		CapPerPayment: money.Amount{Minor: a.CapPerPayment, Currency: a.Currency}, MaxCodes: a.MaxCodes,
		Hold: money.Amount{Minor: a.HoldMinor, Currency: a.Currency}, UsedCodes: a.UsedCodes, ReplayedCodes: a.ReplayedCodes,
		ReleasedMinor: a.ReleasedMinor, CreatedAt: a.CreatedAt, ExpiresAt: a.ExpiresAt, RevokedAt: a.RevokedAt, HoldClosedAt: a.HoldClosedAt,
	}
}

// Revoke revokes a terminal (its requests are refused at once) or an authorization (online payments
// at once; offline approvals made before now still settle; the unused hold is released after the
// settlement grace).
func (s *Service) Revoke(ctx context.Context, req admin.RevocationRequest) (admin.Revoked, error) {
	if err := checkID("id", req.ID); err != nil {
		return admin.Revoked{}, err
	}
	now := s.clock.Now()
	var at time.Time
	switch req.Kind {
	case admin.RevokeTerminal:
		t, err := s.store.RevokeTerminal(ctx, req.ID, now)
		if err != nil {
			return admin.Revoked{}, storeProblem(err, "terminal "+req.ID)
		}
		at = t.RevokedAt
	case admin.RevokeAuthorization:
		a, err := s.store.RevokeAuthorization(ctx, req.ID, now)
		if err != nil {
			return admin.Revoked{}, storeProblem(err, "authorization "+req.ID)
		}
		at = a.RevokedAt
	default:
		return admin.Revoked{}, invalidField("kind", "kind must be %q or %q", admin.RevokeTerminal, admin.RevokeAuthorization)
	}
	s.log.Warn("revoked", "kind", req.Kind, "id", req.ID, "at", at)
	return admin.Revoked{Kind: req.Kind, ID: req.ID, RevokedAt: at.UTC()}, nil
}

// Unlock clears a user's or terminal's failed-code counters.
func (s *Service) Unlock(ctx context.Context, req admin.UnlockRequest) error {
	if err := checkID("id", req.ID); err != nil {
		return err
	}
	if !req.Kind.Valid() {
		return invalidField("kind", "kind must be %q, %q, %q or %q", store.SubjectUser, store.SubjectTerminal, store.SubjectLogin, store.SubjectSource)
	}
	if err := s.store.ClearCodeFailures(ctx, store.Subject{Kind: req.Kind, ID: req.ID}); err != nil {
		return storeProblem(err, string(req.Kind)+" "+req.ID)
	}
	s.log.Warn("code failures cleared", "kind", req.Kind, "id", req.ID)
	return nil
}

// Check runs the store's ledger and index check.
func (s *Service) Check(ctx context.Context) (admin.CheckReport, error) {
	rep, err := s.store.Check(ctx)
	if err != nil && !errors.Is(err, store.ErrInconsistent) {
		return admin.CheckReport{}, fmt.Errorf("service: check: %w", err)
	}
	return admin.CheckReport{
		OK: rep.OK() && err == nil, Accounts: rep.Accounts, Entries: rep.Entries, Transactions: rep.Txns,
		Authorizations: rep.Authorizations, UsedCodes: rep.UsedCodes, Totals: rep.Totals, Problems: rep.Problems,
	}, nil
}

// RotateKey makes a new server key current; old keys still verify.
func (s *Service) RotateKey(ctx context.Context) (protocol.ServerKey, error) {
	return s.keys.Rotate()
}

// Import applies a terminal's signed export file exactly as batches from that terminal: the same
// idempotency keys, so items the terminal forwards later (or already forwarded) settle once.
func (s *Service) Import(ctx context.Context, e protocol.Export) (admin.ImportResult, error) {
	if err := checkID("terminal_id", e.TerminalID); err != nil {
		return admin.ImportResult{}, err
	}
	t, err := s.store.GetTerminal(ctx, e.TerminalID)
	if err != nil {
		return admin.ImportResult{}, storeProblem(err, "terminal "+e.TerminalID)
	}
	if len(t.PublicKey) == 0 {
		return admin.ImportResult{}, problem(http.StatusUnprocessableEntity, protocol.CodeTerminalUnknown, "terminal %s never enrolled, so nothing it signed can be checked", t.ID)
	}
	if err := protocol.VerifyExport(e, t.PublicKey); err != nil {
		return admin.ImportResult{}, problem(http.StatusUnprocessableEntity, protocol.CodeSignatureInvalid,
			"the export file is not signed by terminal %s's key: it was altered or comes from another terminal", t.ID)
	}
	res := admin.ImportResult{TerminalID: t.ID, Items: len(e.Items), Results: make([]protocol.TransactionResponse, 0, len(e.Items))}
	for start := 0; start < len(e.Items); start += protocol.MaxBatchItems {
		chunk := e.Items[start:min(start+protocol.MaxBatchItems, len(e.Items))]
		reqs := make([]Request, len(chunk))
		for i, it := range chunk {
			reqs[i] = FromBatchItem(it)
		}
		results, err := s.Process(ctx, t, reqs)
		if err != nil {
			return admin.ImportResult{}, err
		}
		for i, r := range results {
			item := r.AsItem(chunk[i].TerminalTxnID)
			if item.Status == protocol.StatusDeclined {
				res.Declined++
			} else {
				res.Approved++
			}
			res.Results = append(res.Results, item)
		}
	}
	s.log.Info("export imported", "terminal_id", t.ID, "items", res.Items, "approved", res.Approved, "declined", res.Declined)
	return res, nil
}
