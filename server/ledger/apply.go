package ledger

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Apply decides op against the state in tx and records it: the txn under its idempotency key, and for
// an approval the journal entry, the used code and the authorization counters. The rules are the ones
// documented on store.PaymentOp.
//
// Per-op problems (a malformed op, a reused key with another request) come back in Outcome.Err with
// nothing written. A non-nil error is a failure of tx itself; the caller must abort the transaction.
func Apply(tx Tx, op store.PaymentOp) (store.Outcome, error) {
	op.Now = Norm(op.Now)
	op.ApprovedAt = Norm(op.ApprovedAt)
	if err := ValidateOp(op); err != nil {
		return store.Outcome{Key: op.Key, Kind: op.Kind, Err: err}, nil
	}
	existing, err := tx.Txn(op.Key)
	switch {
	case err == nil:
		return replay(existing, op), nil
	case !errors.Is(err, store.ErrNotFound):
		return store.Outcome{}, err
	}
	if op.Throttle != nil {
		over, err := throttled(tx, op)
		if err != nil || over != nil {
			return store.Outcome{Key: op.Key, Kind: op.Kind, Err: over}, err
		}
	}

	o := store.Outcome{
		Key:             op.Key,
		Kind:            op.Kind,
		Offline:         op.Offline && op.Kind == store.OpPayment,
		Amount:          op.Amount,
		UserID:          op.UserID,
		AuthorizationID: op.AuthorizationID,
		CodeCounter:     op.CodeCounter,
		TargetTxnID:     op.TargetTxnID,
		Reference:       op.Reference,
		ApprovedAt:      op.Now,
		SettledAt:       op.Now,
	}
	if o.Offline {
		o.ApprovedAt = op.ApprovedAt
	}
	if op.Kind != store.OpPayment {
		o.AuthorizationID, o.CodeCounter = "", 0
	}

	term, err := tx.Terminal(op.Key.TerminalID)
	switch {
	case err == nil:
		o.MerchantID = term.MerchantID
	case !errors.Is(err, store.ErrNotFound):
		return store.Outcome{}, err
	}

	if op.Decline != nil {
		if op.Decline.CountFailure {
			if err := countFailure(tx, op); err != nil {
				return store.Outcome{}, err
			}
		}
		return record(tx, op, decline(o, op.Decline.Code, op.Decline.Message), nil)
	}
	switch {
	case err != nil:
		return record(tx, op, decline(o, protocol.CodeTerminalUnknown, "terminal "+op.Key.TerminalID+" is not known"), nil)
	case term.State == store.TerminalRevoked:
		return record(tx, op, decline(o, protocol.CodeTerminalRevoked, "terminal "+term.ID+" is revoked"), nil)
	case !term.Enrolled():
		return record(tx, op, decline(o, protocol.CodeTerminalUnknown, "terminal "+term.ID+" is not enrolled"), nil)
	}
	merchant, err := tx.Merchant(term.MerchantID)
	if err != nil {
		return store.Outcome{}, fmt.Errorf("ledger: terminal %s: %w", term.ID, err)
	}

	switch op.Kind {
	case store.OpPayment:
		return applyPayment(tx, op, o, merchant)
	case store.OpVoid:
		return applyVoid(tx, op, o, merchant)
	default:
		return applyRefund(tx, op, o, merchant)
	}
}

// replay answers an op whose key is already recorded.
func replay(t store.Txn, op store.PaymentOp) store.Outcome {
	if t.Tombstone {
		// Voided before it arrived: every request under this key gets the tombstone's answer.
		return t.Outcome
	}
	if !bytes.Equal(t.RequestHash, op.RequestHash) {
		return store.Outcome{Key: op.Key, Kind: op.Kind,
			Err: fmt.Errorf("%w: %s", store.ErrIdempotencyMismatch, op.Key)}
	}
	o := t.Outcome
	o.Replayed = true
	return o
}

func decline(o store.Outcome, code protocol.Code, msg string) store.Outcome {
	o.Status = store.StatusDeclined
	o.Code = code
	o.Message = msg
	return o
}

func approve(o store.Outcome, op store.PaymentOp) store.Outcome {
	o.Status = store.StatusApproved
	o.ApprovalID = op.ApprovalID
	o.ApprovalCode = op.ApprovalCode
	o.KeyID = op.KeyID
	return o
}

// record stores the outcome under op's key, after appending entry (when money moves).
func record(tx Tx, op store.PaymentOp, o store.Outcome, entry *store.Entry) (store.Outcome, error) {
	if entry != nil {
		if err := tx.AppendEntry(entry); err != nil {
			return store.Outcome{}, err
		}
		o.EntryID = entry.ID
	}
	t := store.Txn{Outcome: o, RequestHash: bytes.Clone(op.RequestHash)}
	if err := tx.InsertTxn(&t); err != nil {
		return store.Outcome{}, err
	}
	return t.Outcome, nil
}

// throttled checks op's subjects against op.Throttle's limits at op.Now, in op's transaction: the
// first subject at a limit comes back as a *store.ThrottledError.
func throttled(tx Tx, op store.PaymentOp) (*store.ThrottledError, error) {
	for _, sub := range op.Throttle.Subjects(op) {
		f, err := tx.Failures(sub)
		if err != nil {
			return nil, err
		}
		c := CountFailures(f, Norm(op.Throttle.Since), op.Now)
		if reached, daily := op.Throttle.Limits(sub.Kind).Reached(c); reached {
			return &store.ThrottledError{Subject: sub, Count: c, Daily: daily}, nil
		}
	}
	return nil, nil
}

func countFailure(tx Tx, op store.PaymentOp) error {
	if op.UserID != "" {
		if err := tx.RecordFailure(store.Subject{Kind: store.SubjectUser, ID: op.UserID}, op.Now); err != nil {
			return err
		}
	}
	return tx.RecordFailure(store.Subject{Kind: store.SubjectTerminal, ID: op.Key.TerminalID}, op.Now)
}

func applyPayment(tx Tx, op store.PaymentOp, o store.Outcome, merchant store.Merchant) (store.Outcome, error) {
	auth, err := tx.Authorization(op.AuthorizationID)
	if errors.Is(err, store.ErrNotFound) {
		return record(tx, op, decline(o, protocol.CodeAuthorizationUnknown, "authorization "+op.AuthorizationID+" is not known"), nil)
	}
	if err != nil {
		return store.Outcome{}, err
	}
	o.UserID, o.AccountID = auth.UserID, auth.AccountID

	// The moment that counts: when the terminal approved offline, else now.
	at := op.Now
	if op.Offline {
		at = op.ApprovedAt
	}
	switch {
	case op.Amount.Currency != auth.Currency || op.Amount.Currency != merchant.Currency:
		return record(tx, op, decline(o, protocol.CodeCurrencyMismatch,
			fmt.Sprintf("amount in %s, authorization in %s, merchant in %s", op.Amount.Currency, auth.Currency, merchant.Currency)), nil)
	case !auth.RevokedAt.IsZero() && !at.Before(auth.RevokedAt):
		return record(tx, op, decline(o, protocol.CodeCredentialRevoked, "authorization "+auth.ID+" was revoked"), nil)
	case !at.Before(auth.ExpiresAt):
		return record(tx, op, decline(o, protocol.CodeCredentialExpired, "authorization "+auth.ID+" has expired"), nil)
	}
	if op.CodeStep != 0 {
		// Checked again here, against the authorization as this transaction reads it: a revocation
		// may have landed since the service checked.
		if code, msg := CheckCodeStep(auth, op.CodeStep); code != "" {
			return record(tx, op, decline(o, code, msg), nil)
		}
	}
	switch {
	case op.Offline && op.Amount.Minor > auth.CapPerPayment:
		return record(tx, op, decline(o, protocol.CodeOverCap,
			fmt.Sprintf("offline amount %d over the cap %d", op.Amount.Minor, auth.CapPerPayment)), nil)
	case op.Amount.Minor > auth.CapPerPayment:
		return record(tx, op, decline(o, protocol.CodeConfirmationRequired, overCapOnline(op.Amount, auth)), nil)
	case op.CodeCounter >= uint64(auth.MaxCodes):
		return record(tx, op, decline(o, protocol.CodeOfflineCountExceeded,
			fmt.Sprintf("code counter %d is beyond the %d codes of authorization %s", op.CodeCounter, auth.MaxCodes, auth.ID)), nil)
	}
	used, err := tx.CodeUsed(auth.ID, op.CodeCounter)
	if err != nil {
		return store.Outcome{}, err
	}
	if used {
		auth.ReplayedCodes++
		if err := tx.PutAuthorization(auth); err != nil {
			return store.Outcome{}, err
		}
		return record(tx, op, decline(o, protocol.CodeCodeUsed,
			fmt.Sprintf("code %d of authorization %s was already used", op.CodeCounter, auth.ID)), nil)
	}
	if op.Offer != nil {
		redeemed, err := tx.OfferRedeemed(op.Offer.TokenID)
		if err != nil {
			return store.Outcome{}, err
		}
		if redeemed {
			return record(tx, op, decline(o, protocol.CodeOfferAlreadyUsed,
				"offer "+op.Offer.TokenID+" was already redeemed; the customer may pay without it"), nil)
		}
	}
	if auth.UsedCodes >= auth.MaxCodes {
		return record(tx, op, decline(o, protocol.CodeOfflineCountExceeded,
			fmt.Sprintf("all %d codes of authorization %s are used", auth.MaxCodes, auth.ID)), nil)
	}

	holdBal, err := tx.Balance(auth.HoldAccountID)
	if err != nil {
		return store.Outcome{}, err
	}
	custBal, err := tx.Balance(auth.AccountID)
	if err != nil {
		return store.Outcome{}, err
	}
	merchBal, err := tx.Balance(merchant.AccountID)
	if err != nil {
		return store.Outcome{}, err
	}
	slot := min(auth.CapPerPayment, holdBal)
	available, ok := addChecked(custBal, slot)
	if !ok || available < op.Amount.Minor {
		return record(tx, op, decline(o, protocol.CodeInsufficientFunds, "the account balance is too low for this amount"), nil)
	}
	if _, ok := addChecked(merchBal, op.Amount.Minor); !ok {
		return store.Outcome{Key: op.Key, Kind: op.Kind,
			Err: fmt.Errorf("%w: merchant balance would overflow", store.ErrInvalidArgument)}, nil
	}

	entry := &store.Entry{Kind: store.EntryPayment, Currency: auth.Currency, Ref: op.Key.String(), At: op.Now,
		Legs: PaymentLegs(auth.HoldAccountID, auth.AccountID, merchant.AccountID, slot, op.Amount.Minor)}
	auth.UsedCodes++
	auth.ReleasedMinor += slot
	if err := tx.PutAuthorization(auth); err != nil {
		return store.Outcome{}, err
	}
	if err := tx.PutUsedCode(store.UsedCode{AuthorizationID: auth.ID, Counter: op.CodeCounter,
		TerminalID: op.Key.TerminalID, TerminalTxnID: op.Key.TerminalTxnID, At: op.Now}); err != nil {
		return store.Outcome{}, err
	}
	if op.Offer != nil {
		if err := tx.PutRedemption(store.Redemption{TokenID: op.Offer.TokenID, MerchantID: merchant.ID, UserID: auth.UserID,
			Key: op.Key, Currency: op.Amount.Currency, Gross: op.Offer.Gross, Discount: op.Offer.Discount, At: at}); err != nil {
			return store.Outcome{}, err
		}
	}
	return record(tx, op, approve(o, op), entry)
}

// overCapOnline tells the cashier why an online payment over the credential's cap is refused and what
// to do instead: a shown code proves the phone made it, not that the customer agreed to this amount,
// so more than the cap needs the customer to confirm the exact amount in the wallet (flow 2).
func overCapOnline(amount money.Amount, auth store.Authorization) string {
	capAmount := money.Amount{Minor: auth.CapPerPayment, Currency: auth.Currency}
	return fmt.Sprintf("%s is over this credential's cap of %s per payment; a larger amount needs the customer's "+
		"confirmation: create a merchant-presented order (POST /v1/orders) for the customer to confirm in the wallet", amount, capAmount)
}

// PaymentLegs are the legs of a payment: one slot back from the hold to the customer, then the amount
// from the customer to the merchant. Zero legs are left out.
func PaymentLegs(hold, customer, merchant string, slot, amount int64) []store.Leg {
	legs := make([]store.Leg, 0, 4)
	if slot != 0 {
		legs = append(legs, store.Leg{AccountID: hold, Delta: -slot}, store.Leg{AccountID: customer, Delta: slot})
	}
	return append(legs, store.Leg{AccountID: customer, Delta: -amount}, store.Leg{AccountID: merchant, Delta: amount})
}

// target finds the payment a void or refund names: this terminal's transaction with that terminal
// txn id or, when the id names another terminal (posagent's form TERMINAL-NNNNNNNNN, as printed on
// the receipt), that terminal's transaction if it belongs to the same merchant (a refund at another
// lane of the shop). foreign reports an id of another terminal; another merchant's transaction is
// not found.
func target(tx Tx, op store.PaymentOp, merchantID string) (t store.Txn, found, foreign bool, err error) {
	t, err = tx.Txn(store.TxnKey{TerminalID: op.Key.TerminalID, TerminalTxnID: op.TargetTxnID})
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return t, err == nil, false, err
	}
	other := TerminalOf(op.TargetTxnID)
	if other == "" || other == op.Key.TerminalID {
		return store.Txn{}, false, false, nil
	}
	t, err = tx.Txn(store.TxnKey{TerminalID: other, TerminalTxnID: op.TargetTxnID})
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.MerchantID != merchantID) {
		return store.Txn{}, false, true, nil
	}
	return t, err == nil, true, err
}

// TerminalOf returns the terminal id in a terminal txn id of posagent's form TERMINAL-NNNNNNNNN (nine
// digits), or "".
func TerminalOf(txnID string) string {
	n := len(txnID)
	if n < 11 || txnID[n-10] != '-' {
		return ""
	}
	for _, c := range txnID[n-9:] {
		if c < '0' || c > '9' {
			return ""
		}
	}
	return txnID[:n-10]
}

func applyVoid(tx Tx, op store.PaymentOp, o store.Outcome, merchant store.Merchant) (store.Outcome, error) {
	// A void's amount is what it gives back, whatever the request said.
	o.Amount = money.Amount{Currency: merchant.Currency}
	t, found, foreign, err := target(tx, op, merchant.ID)
	if err != nil {
		return store.Outcome{}, err
	}
	if !found && foreign {
		// Another terminal's id: only its own terminal may tombstone an id it has not sent yet.
		return record(tx, op, decline(o, protocol.CodeTransactionUnknown, "no payment "+op.TargetTxnID+" of this merchant"), nil)
	}
	if !found {
		// Never seen: a tombstone makes sure the target can never apply later.
		tomb := store.Txn{Tombstone: true, VoidedBy: op.Key.TerminalTxnID, VoidedAt: op.Now,
			Outcome: decline(store.Outcome{
				Key:        store.TxnKey{TerminalID: op.Key.TerminalID, TerminalTxnID: op.TargetTxnID},
				Kind:       store.OpPayment,
				MerchantID: merchant.ID,
				SettledAt:  op.Now,
			}, protocol.CodeAlreadyVoided, "voided by "+op.Key.TerminalTxnID+" before it arrived")}
		if err := tx.InsertTxn(&tomb); err != nil {
			return store.Outcome{}, err
		}
		return record(tx, op, approve(o, op), nil)
	}
	switch {
	case t.Tombstone || t.VoidedBy != "":
		return record(tx, op, decline(o, protocol.CodeAlreadyVoided, "transaction "+op.TargetTxnID+" is already voided"), nil)
	case t.Kind != store.OpPayment:
		return record(tx, op, decline(o, protocol.CodeTransactionUnknown, "only a payment can be voided; "+op.TargetTxnID+" is a "+string(t.Kind)), nil)
	}
	o.UserID, o.AccountID, o.AuthorizationID = t.UserID, t.AccountID, t.AuthorizationID
	o.Amount = t.Amount
	o.Amount.Minor = 0
	var entry *store.Entry
	if t.Status == store.StatusApproved {
		reverse := t.Amount.Minor - t.RefundedMinor
		o.Amount.Minor = reverse
		if reverse > 0 {
			merchBal, err := tx.Balance(merchant.AccountID)
			if err != nil {
				return store.Outcome{}, err
			}
			if merchBal < reverse {
				return record(tx, op, decline(o, protocol.CodeInsufficientFunds, "the merchant balance is too low to reverse the payment"), nil)
			}
			entry = &store.Entry{Kind: store.EntryVoid, Currency: t.Amount.Currency, Ref: op.Key.String(), At: op.Now,
				Legs: []store.Leg{{AccountID: merchant.AccountID, Delta: -reverse}, {AccountID: t.AccountID, Delta: reverse}}}
		}
	}
	t.VoidedBy, t.VoidedAt = op.Key.TerminalTxnID, op.Now
	if err := tx.UpdateTxn(t); err != nil {
		return store.Outcome{}, err
	}
	return record(tx, op, approve(o, op), entry)
}

func applyRefund(tx Tx, op store.PaymentOp, o store.Outcome, merchant store.Merchant) (store.Outcome, error) {
	t, found, _, err := target(tx, op, merchant.ID)
	if err != nil {
		return store.Outcome{}, err
	}
	switch {
	case !found || t.Kind != store.OpPayment:
		return record(tx, op, decline(o, protocol.CodeTransactionUnknown, "no payment "+op.TargetTxnID+" to refund"), nil)
	case t.Tombstone || t.VoidedBy != "":
		return record(tx, op, decline(o, protocol.CodeAlreadyVoided, "payment "+op.TargetTxnID+" is voided"), nil)
	case t.Status != store.StatusApproved:
		return record(tx, op, decline(o, protocol.CodeTransactionUnknown, "payment "+op.TargetTxnID+" was declined"), nil)
	}
	o.UserID, o.AccountID, o.AuthorizationID = t.UserID, t.AccountID, t.AuthorizationID
	if op.Amount.Currency != t.Amount.Currency {
		return record(tx, op, decline(o, protocol.CodeCurrencyMismatch, "refund in "+op.Amount.Currency+", payment in "+t.Amount.Currency), nil)
	}
	if op.Amount.Minor > t.Amount.Minor-t.RefundedMinor {
		return record(tx, op, decline(o, protocol.CodeRefundExceeds,
			fmt.Sprintf("refund %d exceeds the %d left of payment %s", op.Amount.Minor, t.Amount.Minor-t.RefundedMinor, op.TargetTxnID)), nil)
	}
	merchBal, err := tx.Balance(merchant.AccountID)
	if err != nil {
		return store.Outcome{}, err
	}
	if merchBal < op.Amount.Minor {
		return record(tx, op, decline(o, protocol.CodeInsufficientFunds, "the merchant balance is too low for this refund"), nil)
	}
	entry := &store.Entry{Kind: store.EntryRefund, Currency: t.Amount.Currency, Ref: op.Key.String(), At: op.Now,
		Legs: []store.Leg{{AccountID: merchant.AccountID, Delta: -op.Amount.Minor}, {AccountID: t.AccountID, Delta: op.Amount.Minor}}}
	t.RefundedMinor += op.Amount.Minor
	if err := tx.UpdateTxn(t); err != nil {
		return store.Outcome{}, err
	}
	return record(tx, op, approve(o, op), entry)
}
