package push

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"

	"github.com/stillpay/stillpay/shared/keyfile"
)

// VAPIDKeyFile is the key's file name in settlementd's data directory (mode 0600, next to seal.key).
const VAPIDKeyFile = "vapid.key"

// vapidKeySize is a P-256 private scalar.
const vapidKeySize = 32

// VAPID is the server's application-server key pair (RFC 8292): the private half signs each push
// request's JWT, the public half is what browsers subscribe with (applicationServerKey). Its
// String and LogValue never show the private key.
type VAPID struct {
	priv *ecdh.PrivateKey
}

// LoadOrCreateVAPID reads the key at path, creating a random one (mode 0600) the first time.
func LoadOrCreateVAPID(path string) (*VAPID, error) {
	raw, err := keyfile.ReadSecret(path, vapidKeySize)
	if errors.Is(err, keyfile.ErrNotFound) {
		k, gerr := ecdh.P256().GenerateKey(rand.Reader)
		if gerr != nil {
			return nil, fmt.Errorf("push: vapid key: %w", gerr)
		}
		if err := keyfile.WriteSecret(path, k.Bytes()); err != nil {
			return nil, fmt.Errorf("push: vapid key: %w", err)
		}
		return &VAPID{priv: k}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("push: vapid key: %w", err)
	}
	return NewVAPID(raw)
}

// NewVAPID makes the key pair from a 32-byte P-256 private scalar.
func NewVAPID(scalar []byte) (*VAPID, error) {
	k, err := ecdh.P256().NewPrivateKey(scalar)
	if err != nil {
		return nil, fmt.Errorf("push: vapid key: %w", err)
	}
	return &VAPID{priv: k}, nil
}

// PublicKey is the uncompressed public point, unpadded base64url (GET /v1/push/key).
func (v *VAPID) PublicKey() string {
	return base64.RawURLEncoding.EncodeToString(v.priv.PublicKey().Bytes())
}

// privateKey is the scalar as webpush-go takes it.
func (v *VAPID) privateKey() string { return base64.RawURLEncoding.EncodeToString(v.priv.Bytes()) }

// String shows the public key only.
func (v *VAPID) String() string { return "vapid:" + v.PublicKey() }

// LogValue shows the public key only.
func (v *VAPID) LogValue() slog.Value { return slog.StringValue(v.String()) }
