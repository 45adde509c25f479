package bench

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/otp"
	"github.com/stillpay/stillpay/shared/payload"
	"github.com/stillpay/stillpay/shared/protocol"
)

// ErrNoCodesLeft is returned when a simulated wallet has used all its codes.
var ErrNoCodesLeft = errors.New("bench: no codes left in this authorization")

// Wallet is a simulated phone holding one authorization; it makes payment codes as the wallet package
// does (payload.Build with otp.PaymentCode), without touching disk.
type Wallet struct {
	Auth protocol.AuthorizationResponse
	Key  ed25519.PrivateKey

	mu   sync.Mutex
	next uint32
}

// Login opens a wallet session for user.
func Login(ctx context.Context, c *http.Client, baseURL, user, password string) (string, error) {
	var resp protocol.SessionResponse
	if err := postJSON(ctx, c, baseURL+protocol.PathSessions, "", protocol.SessionRequest{UserID: user, Password: password}, &resp); err != nil {
		return "", err
	}
	return resp.Token, nil
}

// Authorize asks for a first approval on account with a fresh device key.
func Authorize(ctx context.Context, c *http.Client, baseURL, token, account string, capPerPayment money.Amount, codes int, ttl time.Duration) (*Wallet, error) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	var resp protocol.AuthorizationResponse
	req := protocol.AuthorizationRequest{AccountID: account, DevicePublicKey: pub, CapPerPayment: capPerPayment, MaxCodes: codes, TTLSeconds: int64(ttl / time.Second)}
	if err := postJSON(ctx, c, baseURL+protocol.PathAuthorizations, token, req, &resp); err != nil {
		return nil, err
	}
	return &Wallet{Auth: resp, Key: priv}, nil
}

// Code makes the next code's payload text, valid at now.
func (w *Wallet) Code(now time.Time) (string, error) {
	w.mu.Lock()
	c := w.next
	if int(c) >= w.Auth.MaxCodes {
		w.mu.Unlock()
		return "", ErrNoCodesLeft
	}
	w.next++
	w.mu.Unlock()
	return w.CodeAt(c, now)
}

// CodeAt makes the payload for a given counter (tests use it to replay or tamper).
func (w *Wallet) CodeAt(counter uint32, now time.Time) (string, error) {
	step := otp.StepAt(now)
	return payload.Build(payload.Spec{Credential: w.Auth.Credential, Secret: w.Auth.Secret, Counter: counter, Step: step,
		Code: otp.PaymentCode(w.Auth.Secret, step, counter), DeviceKey: w.Key})
}

// CodesLeft is how many codes the wallet can still make.
func (w *Wallet) CodesLeft() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.Auth.MaxCodes - int(w.next)
}

func postJSON(ctx context.Context, c *http.Client, url, bearer string, in, out any) error {
	raw, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	ans, err := send(c, req)
	if err != nil {
		return err
	}
	if p := ans.Problem(); p != nil {
		return p
	}
	return ans.Decode(out)
}
