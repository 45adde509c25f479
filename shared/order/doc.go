// Package order is stillpay's signed merchant-presented order (flow 2): the server signs an order,
// the terminal prints it as an EMVCo Merchant-Presented Mode QR code (shared/emvqr), the customer's
// phone reads it, checks the server's signature, shows what the signature vouches for, and signs a
// confirmation with its device key.
//
// # API
//
// Server:
//
//	s, err := order.Sign(order.Order{...}, keyID, serverPrivateKey) // validates, signs
//	text, err := s.MPM()                                            // the QR text
//	hash := s.SignatureSHA256()                                     // stored; the phone echoes it
//	msg, err := order.ConfirmationBytes(order.Confirmation{...})    // what the device signed
//	err = order.VerifyConfirmation(c, devicePublicKey, signature)   // ErrConfirmationSignature
//
// Phone:
//
//	s, err := order.Parse(text, keys.Lookup, now)  // decode + verify signature + expiry
//	var other *order.NotStillpayError              // errors.As: a valid MPM of another scheme,
//	                                               // other.Summary has its name, city, amount
//	c, err := order.ConfirmationFor(s, s.ID, accountID, s.Amount) // a dynamic order
//	c, err := order.ConfirmationFor(s, protocol.StaticOrderID(s.ID, paymentID), accountID, entered)
//	                                                              // a static sticker
//	sig, err := c.Sign(deviceKey)
//
// Decode parses without verifying (for tools and the server's own stickers); Verify checks a decoded
// order. KeyLookup fits credential.KeySet.Lookup, so the phone checks orders with the same server keys
// (and rotation endorsements, protocol.AcceptKeys) as flow 1 credentials.
//
// # Format
//
// docs/protocol.md ("Merchant-presented orders") describes the MPM layout and the signed bytes byte
// by byte. In short: template 26 carries the globally unique identifier "com.stillpay", the order id,
// and the merchant id; 52, 53, 54, 58, 59, 60 and 62 (reference label 05, terminal label
// 07) are the standard fields any wallet shows; template 80 carries the format version, the server key
// id and the first half of the Ed25519 signature, template 81 the expiry and the second half (one template cannot
// hold 64 bytes of Base64 next to its identifier: values are at most 99 characters). The signature is
// over a canonical binary encoding of every field (SignedBytes), not over the text, and Decode accepts
// only the one text Encode writes for an order (ErrNonCanonical otherwise), so there is exactly one
// QR text per signed order.
//
// Field limits come from EMVCo: merchant name 25 characters, city 15, reference and terminal id 25
// (the additional data template's limits). A server must refuse longer references and terminal ids
// before it signs (Sign returns ErrInvalid).
package order
