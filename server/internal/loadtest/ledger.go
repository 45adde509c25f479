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
	seen := make(map[string]bool, len(want))
	for _, term := range f.terms {
		list, err := c.Transactions(ctx, admin.ListFilter{TerminalID: term.ID, Limit: store.MaxPageSize})
		if err != nil {
			return err
		}
		if len(list.Transactions) == store.MaxPageSize {
			return fmt.Errorf("%w: terminal %s has %d transactions or more; the check reads one page", ErrLedger, term.ID, store.MaxPageSize)
		}
		for _, tx := range list.Transactions {
			key := tx.TerminalID + "/" + tx.TerminalTxnID
			if seen[key] {
				return fmt.Errorf("%w: %s is in the ledger twice", ErrLedger, key)
			}
			seen[key] = true
			amount, received := want[key]
			approved := tx.Status == string(store.StatusApproved)
			switch {
			case approved && !received:
				return fmt.Errorf("%w: %s approved in the ledger, but no terminal received that approval", ErrLedger, key)
			case received && !approved:
				return fmt.Errorf("%w: %s was approved to the terminal, the ledger says %s", ErrLedger, key, tx.Status)
			case received && tx.Amount.Minor != amount:
				return fmt.Errorf("%w: %s approved for %d, the ledger holds %d", ErrLedger, key, amount, tx.Amount.Minor)
			}
		}
	}
	for key := range want {
		if !seen[key] {
			return fmt.Errorf("%w: %s was approved to the terminal and is not in the ledger", ErrLedger, key)
		}
	}
	return nil
}
