package pgstore

import (
	"fmt"
	"time"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// Bounds on free text the admin API passes through; the same as the embedded store's, so that a store
// can be copied from one to the other.
const (
	maxNameLen          = 200
	maxReceiptLines     = 8
	maxReceiptLineBytes = 64
	maxPasswordHashLen  = 512
	maxNonceLen         = 64
	// maxAccountIDLen allows the derived ids ("merchant:" + id, "hold:" + id).
	maxAccountIDLen = 2 * store.MaxIDLen
)

func validName(what, s string) error {
	if len(s) > maxNameLen {
		return fmt.Errorf("%w: %s is %d bytes, at most %d", store.ErrInvalidArgument, what, len(s), maxNameLen)
	}
	return nil
}

// now is the default for a record's creation time the caller left zero.
func now(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return ledger.Norm(t)
}

func validMerchant(m store.Merchant) error {
	if err := ledger.ValidID("merchant id", m.ID); err != nil {
		return err
	}
	if err := validName("merchant name", m.Name); err != nil {
		return err
	}
	if err := ledger.ValidCurrency(m.Currency); err != nil {
		return err
	}
	if len(m.AccountID) > maxAccountIDLen {
		return fmt.Errorf("%w: account id too long", store.ErrInvalidArgument)
	}
	if len(m.ReceiptHeader) > maxReceiptLines {
		return fmt.Errorf("%w: %d receipt header lines, at most %d", store.ErrInvalidArgument, len(m.ReceiptHeader), maxReceiptLines)
	}
	for _, l := range m.ReceiptHeader {
		if len(l) > maxReceiptLineBytes {
			return fmt.Errorf("%w: receipt header line of %d bytes, at most %d", store.ErrInvalidArgument, len(l), maxReceiptLineBytes)
		}
	}
	return nil
}

func validNonce(n store.Nonce) error {
	if err := ledger.ValidID("terminal id", n.TerminalID); err != nil {
		return err
	}
	if n.Nonce == "" || len(n.Nonce) > maxNonceLen {
		return fmt.Errorf("%w: nonce must be 1..%d bytes", store.ErrInvalidArgument, maxNonceLen)
	}
	if n.ExpiresAt.IsZero() {
		return fmt.Errorf("%w: nonce without expiry", store.ErrInvalidArgument)
	}
	return nil
}

func checkOpCount(n int) error {
	if n == 0 || n > store.MaxOpsPerCall {
		return fmt.Errorf("%w: %d ops, want 1..%d", store.ErrTooManyOps, n, store.MaxOpsPerCall)
	}
	return nil
}
