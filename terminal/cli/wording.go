package cli

import "github.com/stillpay/stillpay/shared/protocol"

// cashierWords says what a decline or refusal means for the cashier, and what to do next, instead
// of the protocol's code. A code not listed shows the server's reason.
var cashierWords = map[protocol.Code]string{
	protocol.CodeCodeUsed:             "Code already used — ask the customer to refresh the code",
	protocol.CodeCodeExpired:          "Code expired — ask the customer to show a new code",
	protocol.CodeCodeInvalid:          "Code not accepted — ask the customer to show a new code",
	protocol.CodePayloadMalformed:     "Not a stillpay payment code — scan the code in the stillpay app",
	protocol.CodePayloadChecksum:      "Code misread — scan it again",
	protocol.CodePayloadVersion:       "Old app version — the customer must update the stillpay app",
	protocol.CodePayloadMAC:           "Code not accepted — ask the customer to show a new code",
	protocol.CodeDeviceSignature:      "Code not accepted — ask the customer to show a new code",
	protocol.CodeCredentialInvalid:    "The customer's app is not set up for payments — ask them to sign in again",
	protocol.CodeCredentialExpired:    "The customer's payment authorization expired — they renew it in the app",
	protocol.CodeCredentialRevoked:    "The customer's payment authorization was withdrawn — they renew it in the app",
	protocol.CodeAuthorizationUnknown: "The customer's payment authorization is unknown — they renew it in the app",
	protocol.CodeCurrencyMismatch:     "The customer's app pays in another currency",
	protocol.CodeInsufficientFunds:    "Not enough money on the customer's account — ask for another payment method",
	protocol.CodeOverCap:              "Over the customer's limit per payment — take it as an order (type o)",
	protocol.CodeConfirmationRequired: "Over the customer's limit per payment — the customer must confirm it on the phone",
	protocol.CodeOfflineCountExceeded: "The customer's app has used all its offline codes — they open the app online",
	protocol.CodeOverFloorLimit:       "Too much to approve while the server is unreachable — ask for another payment method",
	protocol.CodeOfflineLimit:         "The terminal's offline limit is reached — ask for another payment method until the server is back",
	protocol.CodeOfferAlreadyUsed:     "The customer's offer was already used — they may pay without it",
	protocol.CodeUnavailable:          "No answer from the server — ask the customer for a new code",
	protocol.CodeThrottled:            "Too many wrong codes — wait a few minutes",
	protocol.CodeUserLocked:           "The customer's account is locked today — ask for another payment method",
	protocol.CodeTerminalRevoked:      "This terminal is switched off by the operator — call your technician",
	protocol.CodeInternal:             "The terminal could not decide — not charged; ask the customer for a new code",
	protocol.CodeRefundExceeds:        "More than is left of the sale to refund",
	protocol.CodeAlreadyVoided:        "The sale is already voided",
	protocol.CodeTransactionUnknown:   "The server does not know this sale — check the transaction id on the receipt",
}

// cashierReason is the sentence for code, or the reason the agent gave.
func cashierReason(code protocol.Code, reason string) string {
	if s, ok := cashierWords[code]; ok {
		return s
	}
	return reason
}
