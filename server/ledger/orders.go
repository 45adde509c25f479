package ledger

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// OrderTx is the state the order rules read and write inside one store transaction: the payment
// state of Tx plus orders. Lookups of a missing order return an error wrapping store.ErrNotFound.
type OrderTx interface {
	Tx
	Order(id string) (store.Order, error)
	// OrderByKey finds an order by its idempotency key (terminal, terminal order id).
	OrderByKey(terminalID, terminalOrderID string) (store.Order, error)
	// InsertOrder stores a new order with its indexes and assigns o.Seq.
	InsertOrder(o *store.Order) error
	// PutOrder rewrites an existing order's state.
	PutOrder(o store.Order) error
}

// ValidateOrder checks the shape of an order to create; the error wraps store.ErrInvalidArgument.
func ValidateOrder(o store.Order) error {
	for _, f := range []struct{ what, id string }{{"order_id", o.ID}, {"terminal_id", o.TerminalID},
		{"terminal_order_id", o.TerminalOrderID}} {
		if err := ValidID(f.what, f.id); err != nil {
			return err
		}
	}
	if err := ValidHash("order request hash", o.RequestHash); err != nil {
		return err
	}
	if err := ValidHash("order signature hash", o.SignatureHash); err != nil {
		return err
	}
	if err := ValidCurrency(o.Amount.Currency); err != nil {
		return err
	}
	switch {
	case o.Amount.Minor <= 0:
		return fmt.Errorf("%w: order amount %d", store.ErrInvalidArgument, o.Amount.Minor)
	case o.Kind != protocol.OrderDynamic && o.Kind != protocol.OrderStatic:
		return fmt.Errorf("%w: order kind %q", store.ErrInvalidArgument, o.Kind)
	case o.State != store.OrderPending:
		return fmt.Errorf("%w: a new order is pending, not %q", store.ErrInvalidArgument, o.State)
	case !o.ExpiresAt.After(o.CreatedAt):
		return fmt.Errorf("%w: order expires before it is created", store.ErrInvalidArgument)
	case len(o.Items) > protocol.MaxOrderItems:
		return fmt.Errorf("%w: %d order items", store.ErrInvalidArgument, len(o.Items))
	}
	// Free text: the one text rule (protocol.CheckText), as for every other field.
	if err := ValidText("reference", o.Reference, protocol.MaxReferenceLen); err != nil {
		return err
	}
	if err := ValidText("mpm", o.MPM, protocol.MaxOrderPayloadText); err != nil {
		return err
	}
	for i, it := range o.Items {
		if err := ValidText(fmt.Sprintf("items[%d].description", i), it.Description, protocol.MaxItemDescription); err != nil {
			return err
		}
	}
	return nil
}

// normOrder puts an order's times in the stores' precision, so a fresh answer and a later read agree.
func normOrder(o *store.Order) {
	o.CreatedAt, o.ExpiresAt = Norm(o.CreatedAt), Norm(o.ExpiresAt)
	o.CancelledAt, o.PaidAt = Norm(o.CancelledAt), Norm(o.PaidAt)
	o.Items = slices.Clone(o.Items)
}

// CreateOrder stores o unless its idempotency key is taken (see store.OrderStore.CreateOrder).
func CreateOrder(tx OrderTx, o store.Order) (store.Order, bool, error) {
	o, prev, found, err := prepareOrder(tx, o)
	switch {
	case err != nil:
		return store.Order{}, false, err
	case found:
		return prev, true, nil
	}
	if err := tx.InsertOrder(&o); err != nil {
		return store.Order{}, false, err
	}
	return o, false, nil
}

// prepareOrder checks a new order against the stored state without writing: it returns the order as
// it would be stored, or the stored order under the same key and request (found).
func prepareOrder(tx OrderTx, o store.Order) (ready, prev store.Order, found bool, err error) {
	normOrder(&o)
	o.Seq, o.ConfirmHash, o.Nonce = 0, nil, nil
	if err := ValidateOrder(o); err != nil {
		return o, prev, false, err
	}
	prev, err = tx.OrderByKey(o.TerminalID, o.TerminalOrderID)
	switch {
	case err == nil:
		if !bytes.Equal(prev.RequestHash, o.RequestHash) {
			return o, store.Order{}, false, fmt.Errorf("%w: order %s/%s", store.ErrIdempotencyMismatch, o.TerminalID, o.TerminalOrderID)
		}
		return o, prev, true, nil
	case !errors.Is(err, store.ErrNotFound):
		return o, prev, false, err
	}
	switch _, err := tx.Order(o.ID); {
	case err == nil:
		return o, prev, false, fmt.Errorf("%w: order %s", store.ErrExists, o.ID)
	case !errors.Is(err, store.ErrNotFound):
		return o, prev, false, err
	}
	term, err := tx.Terminal(o.TerminalID)
	if err != nil {
		return o, prev, false, err
	}
	if o.MerchantID == "" {
		o.MerchantID = term.MerchantID
	}
	if o.MerchantID != term.MerchantID {
		return o, prev, false, fmt.Errorf("%w: terminal %s is not merchant %s's", store.ErrInvalidArgument, term.ID, o.MerchantID)
	}
	return o, prev, false, nil
}

// CancelOrder cancels a pending order (see store.OrderStore.CancelOrder).
func CancelOrder(tx OrderTx, id, terminalID string, at time.Time) (store.Order, error) {
	at = Norm(at)
	o, err := tx.Order(id)
	if err != nil {
		return store.Order{}, err
	}
	if o.TerminalID != terminalID {
		return store.Order{}, fmt.Errorf("%w: order %s", store.ErrNotFound, id)
	}
	switch o.StateAt(at) {
	case protocol.OrderCancelled:
		return o, nil
	case protocol.OrderPaid:
		return store.Order{}, fmt.Errorf("%w: order %s", store.ErrOrderPaid, id)
	case protocol.OrderExpired:
		return store.Order{}, fmt.Errorf("%w: order %s", store.ErrOrderExpired, id)
	}
	o.State, o.CancelledAt = store.OrderCancelled, at
	if err := tx.PutOrder(o); err != nil {
		return store.Order{}, err
	}
	return o, nil
}

// ConfirmOrder pays an order (see store.OrderStore.ConfirmOrder). Refusals are errors wrapping the
// store sentinels with nothing written; the caller aborts its transaction on any other error.
func ConfirmOrder(tx OrderTx, c store.OrderConfirm) (store.Order, store.Txn, bool, error) {
	c.Now = Norm(c.Now)
	if err := validConfirm(c); err != nil {
		return store.Order{}, store.Txn{}, false, err
	}
	// A static order is created here, and written only if it is paid: a refused payment leaves
	// nothing behind (the in-memory store cannot roll back).
	var o store.Order
	fresh := false
	if c.Create != nil {
		if c.Create.ID != c.OrderID {
			return store.Order{}, store.Txn{}, false, fmt.Errorf("%w: static order id %s, confirmation for %s", store.ErrInvalidArgument, c.Create.ID, c.OrderID)
		}
		ready, prev, found, err := prepareOrder(tx, *c.Create)
		if err != nil {
			return store.Order{}, store.Txn{}, false, err
		}
		o, fresh = prev, !found
		if fresh {
			o = ready
		}
	} else {
		var err error
		if o, err = tx.Order(c.OrderID); err != nil {
			return store.Order{}, store.Txn{}, false, err
		}
	}
	key := o.PaymentKey()
	switch o.StateAt(c.Now) {
	case protocol.OrderPaid:
		if !bytes.Equal(o.ConfirmHash, c.ConfirmHash) {
			return store.Order{}, store.Txn{}, false, fmt.Errorf("%w: order %s", store.ErrOrderPaid, o.ID)
		}
		t, err := tx.Txn(key)
		if err != nil {
			return store.Order{}, store.Txn{}, false, fmt.Errorf("ledger: paid order %s has no payment: %w", o.ID, err)
		}
		return o, t, true, nil
	case protocol.OrderCancelled:
		return store.Order{}, store.Txn{}, false, fmt.Errorf("%w: order %s", store.ErrOrderCancelled, o.ID)
	case protocol.OrderExpired:
		return store.Order{}, store.Txn{}, false, fmt.Errorf("%w: order %s", store.ErrOrderExpired, o.ID)
	}
	switch _, err := tx.Txn(key); {
	case err == nil:
		// The terminal voided the order's id before it was paid (a tombstone), or used it for
		// something else: this order can never be paid.
		return store.Order{}, store.Txn{}, false, fmt.Errorf("%w: order %s: its payment key is taken", store.ErrOrderCancelled, o.ID)
	case !errors.Is(err, store.ErrNotFound):
		return store.Order{}, store.Txn{}, false, err
	}
	merchant, err := tx.Merchant(o.MerchantID)
	if err != nil {
		return store.Order{}, store.Txn{}, false, fmt.Errorf("ledger: order %s: %w", o.ID, err)
	}
	custBal, err := tx.Balance(c.AccountID)
	if err != nil {
		return store.Order{}, store.Txn{}, false, err
	}
	merchBal, err := tx.Balance(merchant.AccountID)
	if err != nil {
		return store.Order{}, store.Txn{}, false, err
	}
	if custBal < o.Amount.Minor {
		return store.Order{}, store.Txn{}, false, fmt.Errorf("%w: account %s", store.ErrInsufficientFunds, c.AccountID)
	}
	if _, ok := addChecked(merchBal, o.Amount.Minor); !ok {
		return store.Order{}, store.Txn{}, false, fmt.Errorf("%w: merchant balance would overflow", store.ErrInvalidArgument)
	}
	entry := &store.Entry{Kind: store.EntryPayment, Currency: o.Amount.Currency, Ref: key.String(), At: c.Now,
		Legs: PaymentLegs("", c.AccountID, merchant.AccountID, 0, o.Amount.Minor)}
	if err := tx.AppendEntry(entry); err != nil {
		return store.Order{}, store.Txn{}, false, err
	}
	t := store.Txn{RequestHash: bytes.Clone(c.ConfirmHash), Outcome: store.Outcome{
		Key: key, Kind: store.OpPayment, Status: store.StatusApproved, Amount: o.Amount,
		MerchantID: o.MerchantID, UserID: c.UserID, AccountID: c.AccountID, Reference: o.Reference,
		ApprovalID: c.ApprovalID, ApprovalCode: c.ApprovalCode, KeyID: c.KeyID,
		ApprovedAt: c.Now, SettledAt: c.Now, EntryID: entry.ID,
	}}
	if err := tx.InsertTxn(&t); err != nil {
		return store.Order{}, store.Txn{}, false, err
	}
	o.State, o.PaidAt, o.ConfirmHash = store.OrderPaid, c.Now, bytes.Clone(c.ConfirmHash)
	if fresh {
		err = tx.InsertOrder(&o)
	} else {
		err = tx.PutOrder(o)
	}
	if err != nil {
		return store.Order{}, store.Txn{}, false, err
	}
	return o, t, false, nil
}

func validConfirm(c store.OrderConfirm) error {
	for _, f := range []struct{ what, id string }{{"order id", c.OrderID}, {"user id", c.UserID},
		{"account id", c.AccountID}, {"approval id", c.ApprovalID}, {"approval code", c.ApprovalCode}, {"key id", c.KeyID}} {
		if err := ValidID(f.what, f.id); err != nil {
			return err
		}
	}
	return ValidHash("confirmation hash", c.ConfirmHash)
}

// ValidateStoredOrder checks an exported order before it is imported verbatim.
func ValidateStoredOrder(o store.Order) error {
	for _, f := range []struct{ what, id string }{{"order_id", o.ID}, {"terminal_id", o.TerminalID},
		{"terminal_order_id", o.TerminalOrderID}} {
		if err := ValidID(f.what, f.id); err != nil {
			return err
		}
	}
	switch {
	case o.Seq == 0:
		return fmt.Errorf("%w: order %s without seq", store.ErrInvalidArgument, o.ID)
	case o.State != store.OrderPending && o.State != store.OrderPaid && o.State != store.OrderCancelled:
		return fmt.Errorf("%w: order %s in state %q", store.ErrInvalidArgument, o.ID, o.State)
	}
	return nil
}

// OrderNonce is the creating request's nonce of o (nil when it has none), normalised and checked.
func OrderNonce(o store.Order) (*store.Nonce, error) {
	if o.Nonce == nil {
		return nil, nil
	}
	n := *o.Nonce
	n.ExpiresAt = Norm(n.ExpiresAt)
	if err := ValidNonce(n); err != nil {
		return nil, err
	}
	return &n, nil
}
