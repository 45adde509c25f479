package service

import (
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Throttling of failed codes (RFC 4226 §7.3): limits per user and per terminal, in a sliding window
// and per UTC day. A terminal serves many customers, so its limits are higher; they stop a terminal
// used to guess codes for many users.
const (
	ThrottleWindow          = 15 * time.Minute
	UserFailuresPerWindow   = 5
	UserFailuresPerDay      = 10
	TermFailuresPerWindow   = 20
	TermFailuresPerDay      = 50
	throttleRetryAfterFloor = 1 // seconds; a Retry-After of 0 would invite an immediate retry
)

// Lockout of password guessing (PCI DSS 8.3.4: at most 10 invalid attempts, then at least 30
// minutes): a user id with LoginFailuresToLock failed logins within LoginLockout is refused until the
// oldest of them is that old, or an operator unlocks it (`settlementd admin unlock login ID`).
//
// Failed logins are also counted per client address (LoginFailuresPerSource within LoginLockout),
// whatever user ids they name: one host spraying a common password over many user ids is refused
// (429 throttled) before any more password is checked, without locking those users out elsewhere.
// The bound is above one user's because shops and offices share an address behind NAT.
const (
	LoginFailuresToLock    = 10
	LoginLockout           = 30 * time.Minute
	LoginFailuresPerSource = 30
)

// Policy is what the server allows. DefaultPolicy is what settlementd runs with unless configured.
type Policy struct {
	SessionTTL        time.Duration
	MaxCapPerPayment  int64 // minor units, any currency
	MaxCodes          int
	DefaultAuthTTL    time.Duration
	MaxAuthTTL        time.Duration
	EnrollCodeTTL     time.Duration
	SettlementGrace   time.Duration
	TerminalLimits    protocol.TerminalLimits // defaults; Currency comes from the merchant
	MaxOfflineAgeSkew time.Duration           // how far an offline ApprovedAt may be ahead of the server clock
	Offers            OfferPolicy             // flow 3; zero fields take DefaultOfferPolicy()'s
}

// DefaultPolicy is the built-in policy.
func DefaultPolicy() Policy {
	return Policy{
		SessionTTL:       15 * time.Minute,
		MaxCapPerPayment: 50_000,
		MaxCodes:         1000,
		DefaultAuthTTL:   24 * time.Hour,
		MaxAuthTTL:       7 * 24 * time.Hour,
		EnrollCodeTTL:    7 * 24 * time.Hour,
		SettlementGrace:  store.DefaultSettlementGrace,
		TerminalLimits: protocol.TerminalLimits{
			FloorLimitMinor:   5_000,
			OfflineMaxCount:   500,
			OfflineMaxMinor:   500_000,
			OfflineMaxAgeSecs: 3 * 24 * 3600,
		},
		MaxOfflineAgeSkew: protocol.MaxRequestSkew,
	}
}
