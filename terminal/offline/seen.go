package offline

import (
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/queue"
)

// MarkCodeSeen records in tx that sale txnID uses p's one-time code. A code another sale of this
// terminal already used is a *Decline code_used: the online and the offline path both refuse it
// here, with one message, before the server or the offline rules see it.
func MarkCodeSeen(tx queue.Tx, p *payload.Payload, txnID string) error {
	earlier, seen, err := tx.MarkSeen(p.UseKey(), txnID, p.Credential.ExpiresAt)
	if err != nil {
		return err
	}
	if seen && earlier != txnID {
		return decline(protocol.CodeCodeUsed, nil, "this code was already used on this terminal (%s); ask the customer for a new one", earlier)
	}
	return nil
}

// MarkOfferSeen records in tx that sale txnID redeems offer o (when it carries one). An offer
// another sale of this terminal already redeemed is a *Decline offer_already_used.
func MarkOfferSeen(tx queue.Tx, o AppliedOffer, txnID string) error {
	if o.TokenID == "" {
		return nil
	}
	earlier, seen, err := tx.MarkSeen(o.SeenKey(), txnID, o.ValidUntil)
	if err != nil {
		return err
	}
	if seen && earlier != txnID {
		return decline(protocol.CodeOfferAlreadyUsed, nil, "this offer was already redeemed on this terminal (%s); the customer may pay without it", earlier)
	}
	return nil
}
