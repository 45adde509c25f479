package bench

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/stillpay/stillpay/shared/money"
	"github.com/stillpay/stillpay/shared/order"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Payer is a simulated online phone paying flow 2 orders: a wallet session, the account to pay from
// and a device key, making confirmations as shared/order says.
type Payer struct {
	BaseURL string
	HTTP    *http.Client
	Token   string
	Account string
	Key     ed25519.PrivateKey
}

// NewPayer logs user in and makes a fresh device key.
func NewPayer(ctx context.Context, c *http.Client, baseURL, user, password, account string) (*Payer, error) {
	tok, err := Login(ctx, c, baseURL, user, password)
	if err != nil {
		return nil, err
	}
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	return &Payer{BaseURL: baseURL, HTTP: c, Token: tok, Account: account, Key: priv}, nil
}

// ConfirmRequest reads an order's MPM text (not verified: the server checks) and makes the signed
// confirmation of it.
func (p *Payer) ConfirmRequest(mpm string) (string, protocol.OrderConfirmRequest, error) {
	s, err := order.Decode(mpm)
	if err != nil {
		return "", protocol.OrderConfirmRequest{}, err
	}
	c, err := order.ConfirmationFor(s, s.ID, p.Account, s.Amount)
	if err != nil {
		return "", protocol.OrderConfirmRequest{}, err
	}
	sig, err := c.Sign(p.Key)
	if err != nil {
		return "", protocol.OrderConfirmRequest{}, err
	}
	return s.ID, protocol.OrderConfirmRequest{AccountID: p.Account, MerchantID: c.MerchantID, Amount: c.Amount,
		OrderSignatureSHA256: c.OrderSignatureSHA256[:], DevicePublicKey: p.Key.Public().(ed25519.PublicKey), Signature: sig}, nil
}

// StaticRequest makes the request paying a sticker amount with the phone's payment id.
func (p *Payer) StaticRequest(sticker, paymentID string, amount money.Amount) (protocol.StaticOrderRequest, error) {
	s, err := order.Decode(sticker)
	if err != nil {
		return protocol.StaticOrderRequest{}, err
	}
	c, err := order.ConfirmationFor(s, protocol.StaticOrderID(s.ID, paymentID), p.Account, amount)
	if err != nil {
		return protocol.StaticOrderRequest{}, err
	}
	sig, err := c.Sign(p.Key)
	if err != nil {
		return protocol.StaticOrderRequest{}, err
	}
	return protocol.StaticOrderRequest{Sticker: sticker, PaymentID: paymentID, AccountID: p.Account, Amount: amount,
		OrderSignatureSHA256: c.OrderSignatureSHA256[:], DevicePublicKey: p.Key.Public().(ed25519.PublicKey), Signature: sig}, nil
}

// Confirm posts a confirmation of order id.
func (p *Payer) Confirm(ctx context.Context, id string, req protocol.OrderConfirmRequest) (Answer, error) {
	return p.post(ctx, protocol.OrderConfirmPath(id), req)
}

// PayStatic posts a sticker payment.
func (p *Payer) PayStatic(ctx context.Context, req protocol.StaticOrderRequest) (Answer, error) {
	return p.post(ctx, protocol.PathStaticOrders, req)
}

func (p *Payer) post(ctx context.Context, path string, body any) (Answer, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return Answer{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(p.BaseURL, "/")+path, bytes.NewReader(raw))
	if err != nil {
		return Answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+p.Token)
	c := p.HTTP
	if c == nil {
		c = http.DefaultClient
	}
	return send(c, req)
}

// CreateOrder asks the server for an order as posagent does.
func (t *Terminal) CreateOrder(ctx context.Context, req protocol.OrderRequest) (protocol.Order, error) {
	ans, err := t.Post(ctx, protocol.PathOrders, req)
	if err != nil {
		return protocol.Order{}, err
	}
	if p := ans.Problem(); p != nil {
		return protocol.Order{}, p
	}
	var o protocol.Order
	if err := ans.Decode(&o); err != nil {
		return protocol.Order{}, fmt.Errorf("bench: order answer: %w", err)
	}
	return o, nil
}
