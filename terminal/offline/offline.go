// Package offline decides whether the terminal may approve a payment code on its own, when the
// settlement server cannot be reached: every check payload.VerifyOffline makes with the server's
// public keys (credential signature and expiry, device signature, time window, counter, currency,
// cap per payment), then the terminal's own rules: its currency, its floor limit, its offline caps
// (count, total and age of the oldest pending approval) and the list of codes already seen here.
//
// Approve runs the terminal's rules and the commit in one queue transaction, so two sales can never
// both pass the caps or both use the same code, and the approval is durable before it is reported.
package offline

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/queue"
)

// ErrDeclined is wrapped by every *Decline.
var ErrDeclined = errors.New("offline: declined")

// Decline says why a code cannot be approved offline.
type Decline struct {
	Code   protocol.Code
	Reason string
	Err    error // the underlying check's error, if any
}

func (d *Decline) Error() string { return fmt.Sprintf("%s: %s", d.Code, d.Reason) }

// Unwrap returns ErrDeclined and the underlying error.
func (d *Decline) Unwrap() []error { return []error{ErrDeclined, d.Err} }

func decline(code protocol.Code, err error, format string, args ...any) *Decline {
	return &Decline{Code: code, Reason: fmt.Sprintf(format, args...), Err: err}
}

// KeyLookup finds a trusted server public key by id. credential.KeySet is one; the running agent
// uses a serverkeys.Keyring, which learns the keys of server rotations while it runs, so Lookup
// must be safe for concurrent use.
type KeyLookup interface {
	Lookup(keyID string) (ed25519.PublicKey, bool)
}

// Verifier holds what offline approval needs: the server's public keys and the terminal's limits.
type Verifier struct {
	Keys    KeyLookup
	Limits  protocol.TerminalLimits
	Enabled bool
}

// NewVerifier returns a Verifier for the keys and limits enrollment gave.
func NewVerifier(keys []protocol.ServerKey, limits protocol.TerminalLimits, enabled bool) *Verifier {
	return &Verifier{Keys: credential.KeySetFrom(keys), Limits: limits, Enabled: enabled}
}

// Check runs the checks that need no queue state: payload.VerifyOffline, currency and floor limit.
func (v *Verifier) Check(p *payload.Payload, amount money.Amount, now time.Time) error {
	if !v.Enabled {
		return decline(protocol.CodeOfflineLimit, nil, "offline approvals are switched off on this terminal")
	}
	if err := p.VerifyOffline(v.Keys.Lookup, amount, now); err != nil {
		code := payload.DeclineCode(err)
		if code == "" {
			code = protocol.CodeCredentialInvalid
		}
		return decline(code, err, "%v", err)
	}
	if amount.Currency != v.Limits.Currency {
		return decline(protocol.CodeCurrencyMismatch, nil, "this terminal approves %s offline, not %s", v.Limits.Currency, amount.Currency)
	}
	if amount.Minor > v.Limits.FloorLimitMinor {
		limit := money.Amount{Minor: v.Limits.FloorLimitMinor, Currency: v.Limits.Currency}
		return decline(protocol.CodeOverFloorLimit, nil, "%s is over this terminal's offline floor limit of %s", amount, limit)
	}
	return nil
}

// checkCaps applies the offline caps to the current exposure plus one more approval of amount.
func (v *Verifier) checkCaps(e queue.Exposure, amount money.Amount, now time.Time) error {
	if e.Count+1 > v.Limits.OfflineMaxCount {
		return decline(protocol.CodeOfflineLimit, nil, "%d offline approvals are already waiting to be forwarded (limit %d)", e.Count, v.Limits.OfflineMaxCount)
	}
	if e.Total+amount.Minor > v.Limits.OfflineMaxMinor || e.Total+amount.Minor < e.Total {
		limit := money.Amount{Minor: v.Limits.OfflineMaxMinor, Currency: v.Limits.Currency}
		pending := money.Amount{Minor: e.Total, Currency: v.Limits.Currency}
		return decline(protocol.CodeOfflineLimit, nil, "offline total would exceed %s (%s already waiting)", limit, pending)
	}
	if maxAge := time.Duration(v.Limits.OfflineMaxAgeSecs) * time.Second; e.Count > 0 && now.Sub(e.Oldest) > maxAge {
		return decline(protocol.CodeOfflineLimit, nil, "the oldest offline approval is %s old (limit %s); the queue must be forwarded first",
			now.Sub(e.Oldest).Round(time.Second), maxAge)
	}
	return nil
}

// Approve checks p for rec (a sale being decided) and, if every rule passes, commits rec as a queued
// offline approval in the same durable transaction that checks the caps and marks the code seen.
// rec must already be stored. On success the returned record is what was committed.
func (v *Verifier) Approve(ctx context.Context, store queue.Store, rec queue.Record, p *payload.Payload, now time.Time) (queue.Record, error) {
	if err := v.Check(p, rec.Amount, now); err != nil {
		return rec, err
	}
	err := store.Update(ctx, func(tx queue.Tx) error {
		e, err := tx.Exposure(rec.Amount.Currency)
		if err != nil {
			return err
		}
		if err := v.checkCaps(e, rec.Amount, now); err != nil {
			return err
		}
		if err := MarkCodeSeen(tx, p, rec.TxnID); err != nil {
			return err
		}
		rec.Kind = protocol.KindOffline
		rec.ApprovedAt = now
		rec.UpdatedAt = now
		rec.SeenKey = p.UseKey()
		rec.AuthorizationID = p.AuthorizationID
		rec.Masked = p.Masked()
		rec.ApprovalCode = ApprovalCode(rec.TxnID)
		rec, err = queue.Move(tx, rec, queue.StateQueued)
		return err
	})
	return rec, err
}

// ApprovalCode is the code printed on an offline receipt (protocol.OfflineApprovalCode): the server
// records the same code when the sale is forwarded.
func ApprovalCode(txnID string) string { return protocol.OfflineApprovalCode(txnID) }
