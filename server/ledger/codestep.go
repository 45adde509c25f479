package ledger

import (
	"fmt"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/protocol"
)

// stepSlack is the clock difference a code's signed time step is allowed against the server's
// records: the ±MaxSkewSteps a verifier allows between a code and its own clock.
const stepSlack = otp.MaxSkewSteps * otp.StepSeconds * time.Second

// CheckCodeStep checks the time the phone signed into a payment code (its time step) against the
// authorization's validity as the server recorded it. An offline item's approved_at is the
// terminal's word; the step is the phone's, and a terminal cannot change it. A step more than the
// slack before the credential could have been accepted (issue time less credential.MaxClockSkew,
// as terminals allow), or starting at or after its revocation or expiry plus the slack, means the
// code was made outside the credential's life: credential_invalid, credential_revoked or
// credential_expired, whatever approved_at says. It returns "" when the step is within.
func CheckCodeStep(a store.Authorization, step uint64) (protocol.Code, string) {
	start := otp.StepStart(step)
	made := func() string { return start.Format(time.RFC3339) } // for a refusal only: every payment comes here
	switch {
	case start.Add(otp.StepSeconds * time.Second).Add(stepSlack).Before(a.CreatedAt.Add(-credential.MaxClockSkew)):
		return protocol.CodeCredentialInvalid, fmt.Sprintf("the code was made at %s (its signed time step), before authorization %s was issued at %s",
			made(), a.ID, a.CreatedAt.UTC().Format(time.RFC3339))
	case !a.RevokedAt.IsZero() && !start.Before(a.RevokedAt.Add(stepSlack)):
		return protocol.CodeCredentialRevoked, fmt.Sprintf("the code was made at %s (its signed time step), after authorization %s was revoked at %s",
			made(), a.ID, a.RevokedAt.UTC().Format(time.RFC3339))
	case !start.Before(a.ExpiresAt.Add(stepSlack)):
		return protocol.CodeCredentialExpired, fmt.Sprintf("the code was made at %s (its signed time step), after authorization %s expired at %s",
			made(), a.ID, a.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return "", ""
}
