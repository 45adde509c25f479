package loadtest

import (
	"context"
	"fmt"

	"github.com/stillpay/stillpay/server/admin"
	"github.com/stillpay/stillpay/server/store"
)

// CheckLedger compares the approvals the terminals received with the transactions the ledger holds
// (listed through c, terminal by terminal): every approval received is there exactly once, approved,
// for the amount approved, and the ledger approved nothing that no terminal was told about.
func (f *Fleet) CheckLedger(ctx context.Context, c *admin.Client, book *Book) error {
	want := book.ApprovedKeys()
	txns, err := f.ledger(ctx, c)
	if err != nil {
		return err
	}
	for key, tx := range txns {
		if _, received := want[key]; !received && tx.Status == string(store.StatusApproved) {
			return fmt.Errorf("%w: %s approved in the ledger, but no terminal received that approval", ErrLedger, key)
		}
	}
	return checkHas(txns, want)
}

// CheckLedgerHas checks that the ledger (listed through c) holds every answer in answered (key →
// amount approved, 0 for a decline) as it was given: approved for that amount, or not approved.
// The ledger may hold more.
func (f *Fleet) CheckLedgerHas(ctx context.Context, c *admin.Client, answered map[string]int64) error {
	txns, err := f.ledger(ctx, c)
	if err != nil {
		return err
	}
	return checkHas(txns, answered)
}

func checkHas(txns map[string]admin.Transaction, answered map[string]int64) error {
	for key, amount := range answered {
		tx, ok := txns[key]
		approved := tx.Status == string(store.StatusApproved)
		switch {
		case !ok:
			return fmt.Errorf("%w: %s was answered to the terminal and is not in the ledger", ErrLedger, key)
		case amount > 0 && !approved:
			return fmt.Errorf("%w: %s was approved to the terminal, the ledger says %s", ErrLedger, key, tx.Status)
		case amount == 0 && approved:
			return fmt.Errorf("%w: %s was declined to the terminal, the ledger says approved", ErrLedger, key)
		case amount > 0 && tx.Amount.Minor != amount:
			return fmt.Errorf("%w: %s approved for %d, the ledger holds %d", ErrLedger, key, amount, tx.Amount.Minor)
		}
	}
	return nil
}

// ledger lists every transaction of the fleet's terminals by key, failing if a key is there twice.
func (f *Fleet) ledger(ctx context.Context, c *admin.Client) (map[string]admin.Transaction, error) {
	out := map[string]admin.Transaction{}
	for _, term := range f.terms {
		list, err := c.Transactions(ctx, admin.ListFilter{TerminalID: term.ID, Limit: store.MaxPageSize})
		if err != nil {
			return nil, err
		}
		if len(list.Transactions) == store.MaxPageSize {
			return nil, fmt.Errorf("%w: terminal %s has %d transactions or more; the check reads one page", ErrLedger, term.ID, store.MaxPageSize)
		}
		for _, tx := range list.Transactions {
			key := tx.TerminalID + "/" + tx.TerminalTxnID
			if _, dup := out[key]; dup {
				return nil, fmt.Errorf("%w: %s is in the ledger twice", ErrLedger, key)
			}
			out[key] = tx
		}
	}
	return out, nil
}
