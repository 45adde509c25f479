package ledger

import (
	"fmt"
	"math"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Bounds on the free text an op carries into its stored outcome.
const (
	maxTextLen     = 128
	maxMessageLen  = 512
	maxCurrencyLen = 8 // a decline may carry the request's currency unchecked, but not a novel
)

// ValidID checks a caller-chosen id with protocol.CheckID, the rule every part of the system applies
// (stores build keys and refs from ids, and '/' separates them in Entry.Ref). field is the id's JSON
// name; the error wraps both store.ErrInvalidArgument and a *protocol.FieldError naming it.
func ValidID(field, id string) error { return invalidArg(protocol.CheckID(field, id)) }

// ValidText checks free text with protocol.CheckText (printable UTF-8, at most maxLen bytes).
func ValidText(field, s string, maxLen int) error {
	return invalidArg(protocol.CheckText(field, s, maxLen))
}

// invalidArg wraps a *protocol.FieldError so that it matches store.ErrInvalidArgument too.
func invalidArg(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", store.ErrInvalidArgument, err)
}

// ValidHash checks a stored hash (token, enrollment code, request): 1..store.MaxHashLen bytes.
func ValidHash(what string, h []byte) error {
	if len(h) == 0 || len(h) > store.MaxHashLen {
		return fmt.Errorf("%w: %s must be 1..%d bytes, got %d", store.ErrInvalidArgument, what, store.MaxHashLen, len(h))
	}
	return nil
}

// ValidCurrency checks an ISO 4217 code the system knows.
func ValidCurrency(code string) error {
	if _, err := money.LookupCurrency(code); err != nil {
		return fmt.Errorf("%w: %w", store.ErrInvalidArgument, err)
	}
	return nil
}

// ValidateOp checks the shape of an op; the returned error wraps store.ErrInvalidArgument.
func ValidateOp(op store.PaymentOp) error {
	if err := ValidID("terminal_id", op.Key.TerminalID); err != nil {
		return err
	}
	if err := ValidID("terminal_txn_id", op.Key.TerminalTxnID); err != nil {
		return err
	}
	if err := ValidHash("request hash", op.RequestHash); err != nil {
		return err
	}
	if op.Now.IsZero() {
		return fmt.Errorf("%w: op time is zero", store.ErrInvalidArgument)
	}
	if err := ValidText("reference", op.Reference, protocol.MaxReferenceLen); err != nil {
		return err
	}
	for _, f := range []struct{ what, v string }{{"approval_id", op.ApprovalID},
		{"approval_code", op.ApprovalCode}, {"key_id", op.KeyID}} {
		if err := ValidText(f.what, f.v, maxTextLen); err != nil {
			return err
		}
	}
	if err := validOfferUse(op); err != nil {
		return err
	}
	if op.Kind != store.OpPayment && op.Kind != store.OpVoid && op.Kind != store.OpRefund {
		return fmt.Errorf("%w: unknown op kind %q", store.ErrInvalidArgument, op.Kind)
	}
	if op.Decline != nil {
		if len(op.Amount.Currency) > maxCurrencyLen {
			return fmt.Errorf("%w: currency %.8q…", store.ErrInvalidArgument, op.Amount.Currency)
		}
		if op.Decline.Code == "" || len(op.Decline.Code) > maxTextLen || len(op.Decline.Message) > maxMessageLen {
			return fmt.Errorf("%w: decline needs a code and a message of at most %d bytes", store.ErrInvalidArgument, maxMessageLen)
		}
		// Ids a decline names are indexed too: they must be ids.
		for _, f := range []struct{ what, v string }{{"user_id", op.UserID}, {"authorization_id", op.AuthorizationID}, {"target_txn_id", op.TargetTxnID}} {
			if f.v != "" {
				if err := ValidID(f.what, f.v); err != nil {
					return err
				}
			}
		}
		return nil
	}
	switch op.Kind {
	case store.OpPayment:
		if err := ValidID("authorization_id", op.AuthorizationID); err != nil {
			return err
		}
		if op.Offline && op.ApprovedAt.IsZero() {
			return fmt.Errorf("%w: offline payment without approval time", store.ErrInvalidArgument)
		}
		if err := validAmount(op.Amount); err != nil {
			return err
		}
	case store.OpRefund:
		if err := validAmount(op.Amount); err != nil {
			return err
		}
		fallthrough
	case store.OpVoid:
		if err := ValidID("target_txn_id", op.TargetTxnID); err != nil {
			return err
		}
		if op.TargetTxnID == op.Key.TerminalTxnID {
			return fmt.Errorf("%w: op targets itself", store.ErrInvalidArgument)
		}
	}
	return nil
}

func validAmount(a money.Amount) error {
	if err := ValidCurrency(a.Currency); err != nil {
		return err
	}
	if a.Minor <= 0 {
		return fmt.Errorf("%w: amount %d is not positive", store.ErrInvalidArgument, a.Minor)
	}
	return nil
}

// addChecked adds without overflowing int64.
func addChecked(a, b int64) (int64, bool) {
	if (b > 0 && a > math.MaxInt64-b) || (b < 0 && a < math.MinInt64-b) {
		return 0, false
	}
	return a + b, true
}

// ValidateStoredTxn checks the ids of a txn record that comes from outside (an import): they become
// index keys.
func ValidateStoredTxn(t store.Txn) error {
	if err := ValidID("terminal_id", t.Key.TerminalID); err != nil {
		return err
	}
	if err := ValidID("terminal_txn_id", t.Key.TerminalTxnID); err != nil {
		return err
	}
	for _, f := range []struct{ what, v string }{{"merchant_id", t.MerchantID}, {"user_id", t.UserID}, {"authorization_id", t.AuthorizationID}} {
		if f.v != "" {
			if err := ValidID(f.what, f.v); err != nil {
				return err
			}
		}
	}
	return nil
}
