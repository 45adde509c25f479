package payload

import (
	"errors"

	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/protocol"
)

// declineCodes maps the errors of this package, credential and otp to the decline codes terminals
// and the server send, so both decline a payload with the same code. First match wins.
var declineCodes = []struct {
	err  error
	code protocol.Code
}{
	{ErrChecksum, protocol.CodePayloadChecksum},
	{ErrVersion, protocol.CodePayloadVersion},
	{ErrRetired, protocol.CodePayloadVersion},
	{ErrTooLarge, protocol.CodePayloadMalformed},
	{ErrTooLong, protocol.CodePayloadMalformed},
	{ErrPrefix, protocol.CodePayloadMalformed},
	{ErrEncoding, protocol.CodePayloadMalformed},
	{ErrMalformed, protocol.CodePayloadMalformed},
	{ErrDeviceSignature, protocol.CodeDeviceSignature},
	{ErrDeviceKey, protocol.CodeDeviceSignature},
	{ErrMAC, protocol.CodePayloadMAC},
	{credential.ErrExpired, protocol.CodeCredentialExpired},
	{credential.ErrNotYetValid, protocol.CodeCredentialInvalid},
	{credential.ErrUnknownKey, protocol.CodeCredentialInvalid},
	{credential.ErrSignature, protocol.CodeCredentialInvalid},
	{credential.ErrMalformed, protocol.CodeCredentialInvalid},
	{credential.ErrInvalid, protocol.CodeCredentialInvalid},
	{ErrCounterExceeded, protocol.CodeOfflineCountExceeded},
	{ErrAmount, protocol.CodeInvalidAmount},
	{ErrCurrencyMismatch, protocol.CodeCurrencyMismatch},
	{ErrOverCap, protocol.CodeOverCap},
	{otp.ErrCodeExpired, protocol.CodeCodeExpired},
	{otp.ErrCodeInvalid, protocol.CodeCodeInvalid},
	{otp.ErrCounterRange, protocol.CodeCodeInvalid},
	{otp.ErrSecretSize, protocol.CodeInternal},
}

// DeclineCode returns the protocol decline code for an error from Parse, ParseCurrent, Build,
// VerifyDevice, VerifyMAC, VerifyOffline, CheckLimits, credential.Verify or otp.VerifyPaymentCode.
// It returns "" for nil and for errors none of those packages defines, so the caller decides
// (usually CodeInternal).
func DeclineCode(err error) protocol.Code {
	if err == nil {
		return ""
	}
	for _, d := range declineCodes {
		if errors.Is(err, d.err) {
			return d.code
		}
	}
	return ""
}
