package pushtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// ErrVAPID is returned for an Authorization header that is not a valid VAPID authorization.
var ErrVAPID = errors.New("pushtest: bad VAPID authorization")

// Claims are the VAPID JWT's claims (RFC 8292 section 2).
type Claims struct {
	Aud string `json:"aud"`
	Exp int64  `json:"exp"`
	Sub string `json:"sub"`
}

// VerifyVAPID checks an Authorization header "vapid t=<JWT>, k=<key>" (RFC 8292 section 3): the JWT
// is ES256 signed by k, its aud is wantAud, it expires after now and within 24 hours, and its sub is
// a mailto: or https: contact. It returns k (unpadded base64url) and the claims.
func VerifyVAPID(header, wantAud string, now time.Time) (string, Claims, error) {
	var tok, key string
	rest, ok := strings.CutPrefix(header, "vapid ")
	if !ok {
		return "", Claims{}, fmt.Errorf("%w: scheme", ErrVAPID)
	}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			tok = v
		case "k":
			key = v
		}
	}
	pub, err := base64.RawURLEncoding.DecodeString(key)
	if err != nil {
		return "", Claims{}, fmt.Errorf("%w: k: %w", ErrVAPID, err)
	}
	pk, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), pub)
	if err != nil {
		return "", Claims{}, fmt.Errorf("%w: k: %w", ErrVAPID, err)
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", Claims{}, fmt.Errorf("%w: t is not a JWT", ErrVAPID)
	}
	var head struct{ Alg, Typ string }
	if err := decodePart(parts[0], &head); err != nil || head.Alg != "ES256" {
		return "", Claims{}, fmt.Errorf("%w: JWT header %+v %v", ErrVAPID, head, err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return "", Claims{}, fmt.Errorf("%w: signature", ErrVAPID)
	}
	h := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(pk, h[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return "", Claims{}, fmt.Errorf("%w: signature does not verify with k", ErrVAPID)
	}
	var c Claims
	if err := decodePart(parts[1], &c); err != nil {
		return "", Claims{}, fmt.Errorf("%w: claims: %w", ErrVAPID, err)
	}
	switch exp := time.Unix(c.Exp, 0); {
	case c.Aud != wantAud:
		return "", c, fmt.Errorf("%w: aud %q, want %q", ErrVAPID, c.Aud, wantAud)
	case !exp.After(now) || exp.After(now.Add(24*time.Hour)):
		return "", c, fmt.Errorf("%w: exp %v not within 24 h of %v", ErrVAPID, exp, now)
	case !strings.HasPrefix(c.Sub, "mailto:") && !strings.HasPrefix(c.Sub, "https:"):
		return "", c, fmt.Errorf("%w: sub %q", ErrVAPID, c.Sub)
	}
	return key, c, nil
}

func decodePart(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
