package ledger

import (
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/stillpay/stillpay/server/store"
)

// Checker accumulates the ledger invariants over a store's records, fed from one snapshot. Feed all
// accounts first, then entries, authorizations, used codes and txns in any order; then call Finish.
// Index consistency is the store's own part: it reports those problems with Problem.
type Checker struct {
	report    store.Report
	accounts  map[string]store.Account
	legSums   map[string]int64
	auths     []store.Authorization
	usedCodes map[string]int
	// entryRefs maps the journal entries of terminal requests to their request, and opRefs counts
	// them per request: a request applied twice would show as two entries with one ref.
	entryRefs  map[uint64]string
	opRefs     map[string]int
	txnEntries []txnEntry
	orders     orderCheck // ordercheck.go
}

type txnEntry struct {
	key store.TxnKey
	id  uint64
}

// NewChecker starts a check.
func NewChecker() *Checker {
	return &Checker{
		report:    store.Report{Totals: map[string]int64{}},
		accounts:  map[string]store.Account{},
		legSums:   map[string]int64{},
		usedCodes: map[string]int{},
		entryRefs: map[uint64]string{},
		opRefs:    map[string]int{},
	}
}

// Problem records one thing found wrong.
func (c *Checker) Problem(format string, args ...any) {
	if len(c.report.Problems) < store.MaxReportProblems {
		c.report.Problems = append(c.report.Problems, fmt.Sprintf(format, args...))
	}
}

// Account feeds one account with its balance.
func (c *Checker) Account(a store.Account) {
	c.report.Accounts++
	c.accounts[a.ID] = a
	sum, ok := addChecked(c.report.Totals[a.Currency], a.Balance)
	if !ok {
		c.Problem("balances in %s overflow int64", a.Currency)
	}
	c.report.Totals[a.Currency] = sum
	if a.Kind != store.AccountSystem && a.Balance < 0 {
		c.Problem("account %s (%s) has a negative balance %d", a.ID, a.Kind, a.Balance)
	}
}

// Entry feeds one journal entry.
func (c *Checker) Entry(e store.Entry) {
	c.report.Entries++
	var sum int64
	for _, l := range e.Legs {
		sum += l.Delta
		c.legSums[l.AccountID] += l.Delta
		a, ok := c.accounts[l.AccountID]
		switch {
		case !ok:
			c.Problem("entry %d moves money of unknown account %s", e.ID, l.AccountID)
		case a.Currency != e.Currency:
			c.Problem("entry %d in %s has a leg on account %s in %s", e.ID, e.Currency, a.ID, a.Currency)
		}
	}
	if sum != 0 {
		c.Problem("entry %d does not balance: legs sum to %d", e.ID, sum)
	}
	switch e.Kind {
	case store.EntryPayment, store.EntryVoid, store.EntryRefund:
		c.entryRefs[e.ID] = e.Ref
		if c.opRefs[e.Ref]++; c.opRefs[e.Ref] == 2 {
			c.Problem("request %s moved money twice (entry %d is its second)", e.Ref, e.ID)
		}
	}
	if len(e.Legs) < 2 {
		c.Problem("entry %d has %d legs", e.ID, len(e.Legs))
	}
}

// Authorization feeds one authorization.
func (c *Checker) Authorization(a store.Authorization) {
	c.report.Authorizations++
	c.auths = append(c.auths, a)
}

// UsedCode feeds one used-code record.
func (c *Checker) UsedCode(u store.UsedCode) {
	c.report.UsedCodes++
	c.usedCodes[u.AuthorizationID]++
}

// Txn feeds one transaction.
func (c *Checker) Txn(t store.Txn) {
	c.report.Txns++
	if t.Err != nil || t.Replayed {
		c.Problem("txn %s stored with per-call fields set", t.Key)
	}
	if t.RefundedMinor < 0 || t.RefundedMinor > t.Amount.Minor {
		c.Problem("txn %s refunded %d of %d", t.Key, t.RefundedMinor, t.Amount.Minor)
	}
	moves := t.Status == store.StatusApproved && t.Amount.Minor > 0
	if moves && t.EntryID == 0 {
		c.Problem("approved txn %s has no journal entry", t.Key)
	}
	if t.EntryID != 0 {
		c.txnEntries = append(c.txnEntries, txnEntry{t.Key, t.EntryID})
	}
	c.orders.txn(t)
}

// Finish checks what needs all records and returns the report; the error wraps store.ErrInconsistent
// and the first problem when anything is wrong.
func (c *Checker) Finish() (store.Report, error) {
	for _, cur := range slices.Sorted(maps.Keys(c.report.Totals)) {
		if total := c.report.Totals[cur]; total != 0 {
			c.Problem("balances in %s sum to %d, want 0", cur, total)
		}
	}
	ids := make([]string, 0, len(c.accounts))
	for id := range c.accounts {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if a := c.accounts[id]; a.Balance != c.legSums[id] {
			c.Problem("account %s has balance %d but its journal legs sum to %d", id, a.Balance, c.legSums[id])
		}
	}
	for _, id := range slices.Sorted(maps.Keys(c.legSums)) {
		if _, ok := c.accounts[id]; !ok && c.legSums[id] != 0 {
			c.Problem("journal moves %d on missing account %s", c.legSums[id], id)
		}
	}
	for _, a := range c.auths {
		hold, ok := c.accounts[a.HoldAccountID]
		switch {
		case !ok:
			c.Problem("authorization %s has no hold account %s", a.ID, a.HoldAccountID)
		case hold.Kind != store.AccountHold:
			c.Problem("authorization %s holds in account %s of kind %s", a.ID, hold.ID, hold.Kind)
		case hold.Balance != a.Unreleased():
			c.Problem("authorization %s: hold balance %d, want %d unreleased", a.ID, hold.Balance, a.Unreleased())
		}
		if a.HoldMinor != a.CapPerPayment*int64(a.MaxCodes) {
			c.Problem("authorization %s: hold %d is not cap %d × %d codes", a.ID, a.HoldMinor, a.CapPerPayment, a.MaxCodes)
		}
		if a.ReleasedMinor < 0 || a.ReleasedMinor > a.HoldMinor {
			c.Problem("authorization %s released %d of a %d hold", a.ID, a.ReleasedMinor, a.HoldMinor)
		}
		if a.UsedCodes > a.MaxCodes {
			c.Problem("authorization %s used %d codes, at most %d", a.ID, a.UsedCodes, a.MaxCodes)
		}
		if n := c.usedCodes[a.ID]; n != a.UsedCodes {
			c.Problem("authorization %s counts %d used codes, %d are recorded", a.ID, a.UsedCodes, n)
		}
		delete(c.usedCodes, a.ID)
	}
	for _, id := range slices.Sorted(maps.Keys(c.usedCodes)) {
		c.Problem("%d used codes of unknown authorization %s", c.usedCodes[id], id)
	}
	for _, te := range c.txnEntries {
		if ref, ok := c.entryRefs[te.id]; !ok || ref != te.key.String() {
			c.Problem("txn %s names entry %d, which is not its own", te.key, te.id)
		}
		delete(c.opRefs, te.key.String())
	}
	for _, ref := range slices.Sorted(maps.Keys(c.opRefs)) {
		c.Problem("journal moves money for request %s, which has no txn", ref)
	}
	c.finishOrders()
	if len(c.report.Problems) > 0 {
		return c.report, fmt.Errorf("%w: %s", store.ErrInconsistent, c.report.Problems[0])
	}
	return c.report, nil
}
