package ledger

import (
	"fmt"
	"math"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/money"
)

// Bounds on the free text an op carries into its stored outcome.
const (
	maxTextLen     = 128
	maxMessageLen  = 512
	maxCurrencyLen = 8 // a decline may carry the request's currency unchecked, but not a novel
)

// ValidID checks a caller-chosen id: 1..store.MaxIDLen printable ASCII characters other than '/' (stores
// build keys and refs from ids, and '/' separates them in Entry.Ref).
func ValidID(what, id string) error {
	if id == "" {
		return fmt.Errorf("%w: %s is empty", store.ErrInvalidArgument, what)
	}
	if len(id) > store.MaxIDLen {
		return fmt.Errorf("%w: %s is %d bytes, at most %d", store.ErrInvalidArgument, what, len(id), store.MaxIDLen)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; c <= ' ' || c >= 0x7f || c == '/' {
			return fmt.Errorf("%w: %s has a byte 0x%02x that is not allowed", store.ErrInvalidArgument, what, c)
		}
	}
	return nil
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
	if err := ValidID("terminal id", op.Key.TerminalID); err != nil {
		return err
	}
	if err := ValidID("terminal txn id", op.Key.TerminalTxnID); err != nil {
		return err
	}
	if err := ValidHash("request hash", op.RequestHash); err != nil {
		return err
	}
	if op.Now.IsZero() {
		return fmt.Errorf("%w: op time is zero", store.ErrInvalidArgument)
	}
	for _, f := range []struct{ what, v string }{{"reference", op.Reference}, {"approval id", op.ApprovalID},
		{"approval code", op.ApprovalCode}, {"key id", op.KeyID}} {
		if len(f.v) > maxTextLen {
			return fmt.Errorf("%w: %s is %d bytes, at most %d", store.ErrInvalidArgument, f.what, len(f.v), maxTextLen)
		}
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
		for _, f := range []struct{ what, v string }{{"user id", op.UserID}, {"authorization id", op.AuthorizationID}, {"target txn id", op.TargetTxnID}} {
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
		if err := ValidID("authorization id", op.AuthorizationID); err != nil {
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
		if err := ValidID("target txn id", op.TargetTxnID); err != nil {
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
	if err := ValidID("terminal id", t.Key.TerminalID); err != nil {
		return err
	}
	if err := ValidID("terminal txn id", t.Key.TerminalTxnID); err != nil {
		return err
	}
	for _, f := range []struct{ what, v string }{{"merchant id", t.MerchantID}, {"user id", t.UserID}, {"authorization id", t.AuthorizationID}} {
		if f.v != "" {
			if err := ValidID(f.what, f.v); err != nil {
				return err
			}
		}
	}
	return nil
}
