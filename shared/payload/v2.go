package payload

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/stillpay/stillpay/shared/base45"
	"github.com/stillpay/stillpay/shared/credential"
	"github.com/stillpay/stillpay/shared/otp"
)

// SigningContext separates version-2 device signatures from every other signature in the system.
const SigningContext = "stillpay-payload-v2\x00"

// Budget and bounds of version 2 (docs/protocol.md, "Version 2").
const (
	// MaxBinaryLen is the whole binary's budget, checksum included: a QR code of version 12 at error
	// correction L holds 535 alphanumeric characters, "SP2:" and the Base45 of 354 bytes. Build
	// refuses a payload over it with ErrTooLarge, so every payload a wallet shows fits version 12.
	MaxBinaryLen = 354
	// MaxOfferLen bounds the offer field. An offer of this size fits the budget beside the server's
	// key and authorization id formats and a user id of up to 17 characters ("alice@example.com");
	// each character more takes one byte from the room an offer has (Build: ErrTooLarge).
	MaxOfferLen = 112
	// LongestIDsOfferRoom is the largest offer the budget leaves room for beside the longest ids a
	// credential allows (key 16, user 64, authorization 32 characters, none packable) and the
	// largest numbers (cap, 2^24 codes, 400 days of validity, the last counter).
	LongestIDsOfferRoom = 27
	// StepSlack is how many time steps before the credential's issue time a code's step may be: a
	// terminal accepts a credential up to credential.MaxClockSkew (10 steps) early, and a code's step
	// may be MaxSkewSteps off. The step travels as step − issued step + StepSlack.
	StepSlack = 16

	macSize      = MACSize
	minIDLen     = 2 // header and one byte
	fixedV2Len   = 1 + ed25519.PublicKeySize + 2 + ed25519.SignatureSize + 4 + ed25519.SignatureSize + macSize + checksumLen
	MinBinaryLen = fixedV2Len + 3*minIDLen + 4*1 + 1 + 1 + 1 // ids, four credential varints, counter, step, offer length

	maxUnix = 253402300799 // 9999-12-31T23:59:59Z, as credential's bound
)

// Epoch is where version 2's issue times start: they travel as seconds since it. A credential
// issued earlier cannot be carried (Build: ErrMalformed); none is, the format is younger.
var Epoch = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Spec is what Build needs for one code.
type Spec struct {
	Credential []byte             // as the server issued it (credential.Marshal)
	Secret     []byte             // the authorization's secret: it keys the MAC
	Counter    uint32             // this code's counter
	Step       uint64             // its time step
	Code       uint32             // otp.PaymentCode(secret, step, counter)
	DeviceKey  ed25519.PrivateKey // the private half of the credential's device key
	Offer      []byte             // optional offer token (shared/offer), at most MaxOfferLen bytes
}

// Build makes the version-2 payload text for one code.
func Build(s Spec) (string, error) {
	cred, err := credential.Parse(s.Credential)
	if err != nil {
		return "", fmt.Errorf("payload: %w", err)
	}
	if err := checkInputs(cred, s.Counter, s.Step, s.Code, s.DeviceKey); err != nil {
		return "", err
	}
	var key [sha256.Size]byte
	if err := macKey(&key, s.Secret); err != nil {
		return "", err
	}
	if len(s.Offer) > MaxOfferLen {
		return "", fmt.Errorf("%w: offer of %d bytes (at most %d)", ErrTooLarge, len(s.Offer), MaxOfferLen)
	}
	issued, validity := cred.IssuedAt.Unix()-Epoch.Unix(), cred.ExpiresAt.Unix()-cred.IssuedAt.Unix()
	if issued < 0 {
		return "", fmt.Errorf("%w: credential issued before %s", ErrMalformed, Epoch.Format(time.DateOnly))
	}
	issuedStep := otp.StepAt(cred.IssuedAt)
	if s.Step+StepSlack < issuedStep || s.Step > maxStep(issuedStep, uint64(validity)) {
		return "", fmt.Errorf("%w: step %d outside the credential's validity", ErrMalformed, s.Step)
	}
	cur, ok := packCurrency(cred.Currency)
	if !ok {
		return "", fmt.Errorf("%w: currency %q", ErrMalformed, cred.Currency)
	}

	b := make([]byte, 0, MaxBinaryLen+ed25519.SignatureSize)
	b = append(b, Version)
	b = appendID(b, cred.KeyID, keyIDPrefix)
	b = append(b, byte(len(cred.UserID)))
	b = append(b, cred.UserID...)
	b = appendID(b, cred.AuthorizationID, authIDPrefix)
	b = append(b, cred.DevicePublicKey...)
	b = binary.BigEndian.AppendUint16(b, cur)
	b = binary.AppendUvarint(b, uint64(cred.CapPerPayment))
	b = binary.AppendUvarint(b, uint64(cred.MaxCodes))
	b = binary.AppendUvarint(b, uint64(issued))
	b = binary.AppendUvarint(b, uint64(validity))
	b = append(b, cred.Signature...)
	b = binary.AppendUvarint(b, uint64(s.Counter))
	b = binary.AppendUvarint(b, s.Step+StepSlack-issuedStep)
	b = binary.BigEndian.AppendUint32(b, s.Code)
	b = binary.AppendUvarint(b, uint64(len(s.Offer)))
	b = append(b, s.Offer...)
	signedLen := len(b)
	if n := signedLen + ed25519.SignatureSize + macSize + checksumLen; n > MaxBinaryLen {
		return "", fmt.Errorf("%w: %d bytes (at most %d): a shorter offer, or none, fits", ErrTooLarge, n, MaxBinaryLen)
	}
	b = append(b, ed25519.Sign(s.DeviceKey, signingBytes(Version, b))...)
	var tag [sha256.Size]byte
	mac(&tag, key[:], b[:signedLen])
	b = append(b, tag[:macSize]...)
	b = binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
	return Prefix + base45.Encode(b), nil
}

// maxStep is the latest step a code of a credential may carry: StepSlack past its expiry.
func maxStep(issuedStep, validitySeconds uint64) uint64 {
	return issuedStep + (validitySeconds+otp.StepSeconds-1)/otp.StepSeconds + StepSlack
}

// parseV2 reads the text after "SP2:".
func parseV2(text string) (*Payload, error) {
	body, err := decodeBody(text)
	if err != nil {
		return nil, err
	}
	if len(body) == 0 || body[0] != Version {
		return nil, fmt.Errorf("%w: binary version %v under prefix %s", ErrVersion, body[:min(1, len(body))], Prefix)
	}
	if n := len(body) + checksumLen; n < MinBinaryLen || n > MaxBinaryLen {
		return nil, fmt.Errorf("%w: %d bytes (%d..%d)", ErrMalformed, n, MinBinaryLen, MaxBinaryLen)
	}
	d := decoder{b: body[1:]}
	var c credential.Credential
	c.KeyID = d.id("key id", keyIDPrefix)
	c.UserID = string(d.bytes(int(d.byte1("user id")), "user id"))
	c.AuthorizationID = d.id("authorization id", authIDPrefix)
	c.DevicePublicKey = ed25519.PublicKey(d.bytes(ed25519.PublicKeySize, "device key"))
	cur := d.bytes(2, "currency")
	c.CapPerPayment = int64(d.uvarint("cap per payment", 1<<63-1))
	c.MaxCodes = uint32(d.uvarint("max codes", credential.MaxCodes))
	issued := int64(d.uvarint("issued at", uint64(maxUnix-Epoch.Unix())))
	validity := int64(d.uvarint("validity", maxUnix))
	c.Signature = d.bytes(ed25519.SignatureSize, "credential signature")
	counter := d.uvarint("counter", otp.MaxCounter-1)
	c.IssuedAt = time.Unix(Epoch.Unix()+issued, 0).UTC()
	c.ExpiresAt = time.Unix(Epoch.Unix()+issued+validity, 0).UTC()
	issuedStep := otp.StepAt(c.IssuedAt)
	stepOff := d.uvarint("step", maxStep(issuedStep, uint64(validity))+StepSlack-issuedStep)
	code := d.bytes(4, "code")
	offer := d.bytes(int(d.uvarint("offer length", MaxOfferLen)), "offer")
	signedLen := len(body) - len(d.b)
	sig := d.bytes(ed25519.SignatureSize, "device signature")
	tag := d.bytes(macSize, "MAC")
	if d.err == nil && len(d.b) != 0 {
		d.fail("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return nil, d.err
	}
	var ok bool
	if c.Currency, ok = unpackCurrency(binary.BigEndian.Uint16(cur)); !ok {
		return nil, fmt.Errorf("%w: currency value %d", ErrMalformed, binary.BigEndian.Uint16(cur))
	}
	// The canonical encoding, parsed strictly, validates every credential field and is what the
	// server compares with the credential it issued.
	credBytes := c.Marshal()
	if c, err = credential.Parse(credBytes); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	p := &Payload{
		Version:         Version,
		UserID:          c.UserID,
		AuthorizationID: c.AuthorizationID,
		Counter:         uint32(counter),
		Step:            issuedStep + stepOff - StepSlack,
		Code:            binary.BigEndian.Uint32(code),
		Credential:      c,
		CredentialBytes: credBytes,
		DeviceSignature: sig,
		MAC:             tag,
		signed:          body[:signedLen],
	}
	if len(offer) > 0 {
		p.Offer = offer
	}
	if p.Code >= otp.MaxCode {
		return nil, fmt.Errorf("%w: code has more than %d digits", ErrMalformed, otp.Digits)
	}
	return p, nil
}
