package order

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/stillpay/stillpay/shared/emvqr"
	"github.com/stillpay/stillpay/shared/money"
)

// sigEncoding writes each signature half as 43 characters (URL-safe Base64 without padding: no
// character that needs escaping anywhere).
var sigEncoding = base64.RawURLEncoding

// MPM returns the EMVCo MPM text of a signed order (docs/protocol.md): the QR code's content.
func (s Signed) MPM() (string, error) {
	if err := s.validate(); err != nil {
		return "", err
	}
	if len(s.Signature) != 64 {
		return "", fmt.Errorf("%w: the order is not signed", ErrInvalid)
	}
	o := s.Order
	cur, _ := money.LookupCurrency(o.Amount.Currency) // validate checked both tables
	num, _ := emvqr.CurrencyByAlpha(cur.Code)
	initiation := emvqr.InitiationDynamic
	if o.Static {
		initiation = emvqr.InitiationStatic
	}
	account := []emvqr.Object{emvqr.Prim(emvqr.GUIID, GUI), emvqr.Prim(subOrderID, o.ID), emvqr.Prim(subMerchantID, o.MerchantID)}
	sigTail := []emvqr.Object{emvqr.Prim(emvqr.GUIID, GUI)}
	if !o.ExpiresAt.IsZero() {
		sigTail = append(sigTail, emvqr.Prim(subExpiry, strconv.FormatInt(o.ExpiresAt.Unix(), 10)))
	}
	sigTail = append(sigTail, emvqr.Prim(subSigTail, sigEncoding.EncodeToString(s.Signature[32:])))
	objs := []emvqr.Object{
		emvqr.Prim(emvqr.IDPayloadFormat, emvqr.PayloadFormatV1),
		emvqr.Prim(emvqr.IDInitiation, initiation),
		emvqr.Tmpl(AccountTemplate, account...),
		emvqr.Prim(emvqr.IDMCC, o.MCC),
		emvqr.Prim(emvqr.IDCurrency, num.Numeric),
	}
	if !o.Static {
		objs = append(objs, emvqr.Prim(emvqr.IDAmount, emvqr.FormatAmount(o.Amount.Minor, cur.Exponent)))
	}
	var additional []emvqr.Object
	if o.Reference != "" {
		additional = append(additional, emvqr.Prim(emvqr.AddReferenceLabel, o.Reference))
	}
	additional = append(additional, emvqr.Prim(emvqr.AddTerminalLabel, o.TerminalID))
	objs = append(objs,
		emvqr.Prim(emvqr.IDCountry, o.Country),
		emvqr.Prim(emvqr.IDMerchantName, o.MerchantName),
		emvqr.Prim(emvqr.IDMerchantCity, o.City),
		emvqr.Tmpl(emvqr.IDAdditionalData, additional...),
		emvqr.Tmpl(SignatureTemplate, emvqr.Prim(emvqr.GUIID, GUI), emvqr.Prim(subVersion, strconv.Itoa(FormatVersion)),
			emvqr.Prim(subKeyID, s.KeyID), emvqr.Prim(subSigHead, sigEncoding.EncodeToString(s.Signature[:32]))),
		emvqr.Tmpl(SignatureTail, sigTail...),
	)
	return emvqr.Encode(objs)
}

// Decode reads a stillpay order from MPM text without verifying its signature (Parse does both).
// Errors: ErrMalformed (wrapping the emvqr error for text that is no valid MPM), a
// *NotStillpayError (ErrNotStillpay) for another scheme's valid code, ErrVersion, ErrNonCanonical.
func Decode(text string) (Signed, error) {
	c, err := emvqr.Parse(text)
	if err != nil {
		return Signed{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	acct, ok := c.Template(AccountTemplate)
	if !ok || acct.GUI() != GUI {
		if _, elsewhere := c.AccountByGUI(GUI); elsewhere {
			return Signed{}, fmt.Errorf("%w: the stillpay template is not template %d", ErrNonCanonical, AccountTemplate)
		}
		return Signed{}, &NotStillpayError{Summary: c.Summarize()}
	}
	head, okHead := c.Template(SignatureTemplate)
	tail, okTail := c.Template(SignatureTail)
	if !okHead || !okTail || head.GUI() != GUI || tail.GUI() != GUI {
		return Signed{}, fmt.Errorf("%w: no stillpay signature templates %d and %d", ErrMalformed, SignatureTemplate, SignatureTail)
	}
	if v := head.SubValue(subVersion); v != strconv.Itoa(FormatVersion) {
		return Signed{}, fmt.Errorf("%w: %q", ErrVersion, v)
	}
	s, err := fromCode(c, acct, head, tail)
	if err != nil {
		return Signed{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if again, err := s.MPM(); err != nil || again != text {
		return Signed{}, ErrNonCanonical
	}
	return s, nil
}

// fromCode reads the fields of a stillpay order; validate checks them.
func fromCode(c emvqr.Code, acct, head, tail emvqr.Object) (Signed, error) {
	cur := c.Currency()
	if _, err := money.LookupCurrency(cur.Alpha); err != nil {
		return Signed{}, err
	}
	o := Order{
		ID:           acct.SubValue(subOrderID),
		MerchantID:   acct.SubValue(subMerchantID),
		MerchantName: c.MerchantName(),
		City:         c.MerchantCity(),
		MCC:          c.MCC(),
		Country:      c.Country(),
		TerminalID:   c.Additional(emvqr.AddTerminalLabel),
		Reference:    c.Additional(emvqr.AddReferenceLabel),
		Static:       c.Static(),
		Amount:       money.Amount{Currency: cur.Alpha},
	}
	if !o.Static {
		minor, err := c.AmountMinor()
		if err != nil {
			return Signed{}, err
		}
		o.Amount.Minor = minor
	}
	if e := tail.SubValue(subExpiry); e != "" {
		if len(e) > 12 || !isDigits(e) {
			return Signed{}, fmt.Errorf("expiry %q is not unix seconds", e)
		}
		sec, err := strconv.ParseInt(e, 10, 64)
		if err != nil {
			return Signed{}, err
		}
		o.ExpiresAt = time.Unix(sec, 0).UTC()
	}
	sig := make([]byte, 0, 64)
	for _, half := range []string{head.SubValue(subSigHead), tail.SubValue(subSigTail)} {
		b, err := sigEncoding.DecodeString(half)
		if err != nil || len(b) != 32 {
			return Signed{}, errors.New("signature halves are not 2×32 bytes of URL-safe Base64")
		}
		sig = append(sig, b...)
	}
	s := Signed{Order: o, KeyID: head.SubValue(subKeyID), Signature: sig}
	return s, s.validate()
}
