package ledger

import (
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/server/screen"
	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Bounds on the free text and keys the admin API and terminals pass through.
const (
	maxPasswordHashLen = 512
	maxNonceLen        = 64
)

// Now returns t normalised, or the current time when t is zero (a record whose caller left its
// creation time unset).
func Now(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return Norm(t)
}

func validName(field, s string) error { return ValidText(field, s, protocol.MaxNameLen) }

// PrepareMerchant checks a new merchant and fills in its defaults (account id, creation time).
func PrepareMerchant(m store.Merchant) (store.Merchant, error) {
	if m.AccountID == "" {
		m.AccountID = store.MerchantAccountID(m.ID)
	}
	m.CreatedAt = Now(m.CreatedAt)
	if err := ValidID("merchant_id", m.ID); err != nil {
		return m, err
	}
	if err := validName("name", m.Name); err != nil {
		return m, err
	}
	if err := ValidCurrency(m.Currency); err != nil {
		return m, err
	}
	if len(m.AccountID) > 2*store.MaxIDLen {
		return m, fmt.Errorf("%w: account id too long", store.ErrInvalidArgument)
	}
	if m.MCC != "" && !screen.ValidMCC(m.MCC) {
		return m, fmt.Errorf("%w: merchant category %q is not four digits", store.ErrInvalidArgument, m.MCC)
	}
	if err := invalidArg(protocol.CheckLines("receipt_header", m.ReceiptHeader, protocol.MaxReceiptLines, protocol.MaxReceiptLineLen)); err != nil {
		return m, err
	}
	return m, nil
}

// MerchantAccount is the settlement account CreateMerchant makes.
func MerchantAccount(m store.Merchant) store.Account {
	return store.Account{ID: m.AccountID, Kind: store.AccountMerchant, Currency: m.Currency, OwnerID: m.ID, CreatedAt: m.CreatedAt}
}

// PrepareTerminal checks a new terminal and resets what only enrollment sets.
func PrepareTerminal(t store.Terminal) (store.Terminal, error) {
	t.State = store.TerminalPending
	t.PublicKey, t.EnrolledAt, t.RevokedAt = nil, time.Time{}, time.Time{}
	t.CreatedAt = Now(t.CreatedAt)
	t.EnrollExpiresAt = Norm(t.EnrollExpiresAt)
	if err := ValidID("terminal_id", t.ID); err != nil {
		return t, err
	}
	if err := validName("name", t.Name); err != nil {
		return t, err
	}
	return t, ValidHash("enrollment code hash", t.EnrollCodeHash)
}

// ValidateEnrollment checks an enrollment request's shape.
func ValidateEnrollment(e store.Enrollment) error {
	if err := ValidHash("enrollment code hash", e.CodeHash); err != nil {
		return err
	}
	if len(e.PublicKey) != ed25519.PublicKeySize {
		return fmt.Errorf("%w: public key must be %d bytes", store.ErrInvalidArgument, ed25519.PublicKeySize)
	}
	if err := ValidText("hostname", e.Hostname, protocol.MaxHostnameLen); err != nil {
		return err
	}
	return ValidText("version", e.Version, protocol.MaxVersionLen)
}

// Enroll applies an enrollment at time at to terminal t. A retry with the same key by a terminal that
// never got the answer succeeds again (changed reports whether t must be written); any other second
// use is ErrEnrollCodeUsed.
func Enroll(t store.Terminal, e store.Enrollment, at time.Time) (_ store.Terminal, changed bool, err error) {
	switch {
	case t.State == store.TerminalRevoked:
		return t, false, fmt.Errorf("%w: terminal %s", store.ErrRevoked, t.ID)
	case t.State == store.TerminalActive && string(t.PublicKey) == string(e.PublicKey):
		return t, false, nil
	case t.State == store.TerminalActive:
		return t, false, fmt.Errorf("%w: terminal %s is already enrolled", store.ErrEnrollCodeUsed, t.ID)
	case !t.EnrollExpiresAt.IsZero() && !at.Before(t.EnrollExpiresAt):
		return t, false, fmt.Errorf("%w: terminal %s", store.ErrEnrollCodeExpired, t.ID)
	}
	// Pending, or rekeying: the new key replaces the old one, which the server refuses from now on.
	t.State = store.TerminalActive
	t.PublicKey = append([]byte(nil), e.PublicKey...)
	t.Hostname, t.Version, t.EnrolledAt = e.Hostname, e.Version, at
	return t, true, nil
}

// Reissue gives terminal t a new one-time enrollment code (its hash, valid until expiresAt). A
// pending terminal just gets the new code in place of the old; an enrolled one becomes
// TerminalRekeying, its key working until the code is redeemed. ErrRevoked for a revoked terminal.
func Reissue(t store.Terminal, codeHash []byte, expiresAt time.Time) (store.Terminal, error) {
	if err := ValidHash("enrollment code hash", codeHash); err != nil {
		return t, err
	}
	switch t.State {
	case store.TerminalRevoked:
		return t, fmt.Errorf("%w: terminal %s", store.ErrRevoked, t.ID)
	case store.TerminalActive, store.TerminalRekeying:
		t.State = store.TerminalRekeying
	}
	t.EnrollCodeHash = append([]byte(nil), codeHash...)
	t.EnrollExpiresAt = Norm(expiresAt)
	return t, nil
}

// PrepareUser checks a new user.
func PrepareUser(u store.User) (store.User, error) {
	u.CreatedAt = Now(u.CreatedAt)
	if err := ValidID("user_id", u.ID); err != nil {
		return u, err
	}
	if err := validName("name", u.Name); err != nil {
		return u, err
	}
	if u.PasswordHash == "" || len(u.PasswordHash) > maxPasswordHashLen {
		return u, fmt.Errorf("%w: password hash must be 1..%d bytes", store.ErrInvalidArgument, maxPasswordHashLen)
	}
	return u, nil
}

// PrepareSession checks a new session.
func PrepareSession(s store.Session) (store.Session, error) {
	s.CreatedAt = Now(s.CreatedAt)
	s.ExpiresAt = Norm(s.ExpiresAt)
	if err := ValidHash("token hash", s.TokenHash); err != nil {
		return s, err
	}
	if s.ExpiresAt.IsZero() {
		return s, fmt.Errorf("%w: session without expiry", store.ErrInvalidArgument)
	}
	return s, nil
}

// PrepareAccount checks a new customer account and its opening balance.
func PrepareAccount(a store.Account, opening int64, at time.Time) (store.Account, time.Time, error) {
	if a.Kind == "" {
		a.Kind = store.AccountCustomer
	}
	at = Now(at)
	a.CreatedAt, a.Balance = at, 0
	if err := ValidID("account_id", a.ID); err != nil {
		return a, at, err
	}
	if a.Kind != store.AccountCustomer {
		return a, at, fmt.Errorf("%w: only customer accounts are created directly, not %q", store.ErrInvalidArgument, a.Kind)
	}
	if err := ValidCurrency(a.Currency); err != nil {
		return a, at, err
	}
	if opening < 0 {
		return a, at, fmt.Errorf("%w: negative opening balance", store.ErrInvalidArgument)
	}
	return a, at, nil
}

// OpeningEntry funds a new account from its currency's system account, or is nil for no money.
func OpeningEntry(a store.Account, opening int64, at time.Time) *store.Entry {
	if opening == 0 {
		return nil
	}
	return &store.Entry{Kind: store.EntryOpening, Currency: a.Currency, Ref: a.ID, At: at,
		Legs: []store.Leg{{AccountID: store.SystemAccountID(a.Currency), Delta: -opening}, {AccountID: a.ID, Delta: opening}}}
}

// SystemAccount is the system account of a currency.
func SystemAccount(currency string, at time.Time) store.Account {
	return store.Account{ID: store.SystemAccountID(currency), Kind: store.AccountSystem, Currency: currency, CreatedAt: at}
}

// PrepareNonce normalises a nonce's expiry and checks it: what every store does before using it.
func PrepareNonce(n store.Nonce) (store.Nonce, error) {
	n.ExpiresAt = Norm(n.ExpiresAt)
	return n, ValidNonce(n)
}

// ValidNonce checks a nonce record.
func ValidNonce(n store.Nonce) error {
	if err := ValidID("terminal_id", n.TerminalID); err != nil {
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

// ValidSubject checks a code-failure subject.
func ValidSubject(sub store.Subject) error {
	if !sub.Kind.Valid() {
		return fmt.Errorf("%w: subject kind %q", store.ErrInvalidArgument, sub.Kind)
	}
	return ValidID("id", sub.ID)
}

// ValidSubjects checks the subjects of one RecordCodeFailures call.
func ValidSubjects(subs []store.Subject) error {
	if len(subs) == 0 || len(subs) > store.MaxOpsPerCall {
		return fmt.Errorf("%w: %d subjects", store.ErrInvalidArgument, len(subs))
	}
	for _, s := range subs {
		if err := ValidSubject(s); err != nil {
			return err
		}
	}
	return nil
}

// CheckOpCount checks the size of one ApplyPayments call.
func CheckOpCount(n int) error {
	if n == 0 || n > store.MaxOpsPerCall {
		return fmt.Errorf("%w: %d ops, want 1..%d", store.ErrTooManyOps, n, store.MaxOpsPerCall)
	}
	return nil
}
