package push

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/stillpay/stillpay/server/store"
)

// Sender defaults.
const (
	// MaxAttempts bounds the tries of one notification to one subscription (the first and the
	// retries): a push service that keeps failing costs at most this many requests per message.
	MaxAttempts       = 4
	DefaultRetryDelay = 2 * time.Second // before the first retry; doubled before each next one
	DefaultQueue      = 256             // launched campaigns waiting to be announced
	DefaultWorkers    = 4               // subscriptions sent to at once
	DefaultTTL        = 24 * time.Hour  // how long a push service keeps an undelivered message
	requestTimeout    = 30 * time.Second
)

// ErrConfig is returned by New for a missing key or contact.
var ErrConfig = errors.New("push: bad configuration")

// ErrQueueFull is returned by Enqueue when the queue is full or the sender closed: those notices
// are dropped (the wallet still finds the messages in its inbox).
var ErrQueueFull = errors.New("push: queue full or closed")

// Subscriptions is what the sender needs of the store.
type Subscriptions interface {
	ListPushSubscriptions(ctx context.Context, userID string) ([]store.PushSubscription, error)
	DeletePushSubscription(ctx context.Context, userID, endpoint string) error
}

// Config is what a Sender needs.
type Config struct {
	Store Subscriptions
	VAPID *VAPID
	// Contact is the operator's contact for push services (the VAPID "sub" claim): "mailto:ops@…"
	// or an https URL.
	Contact    string
	Client     *http.Client  // nil: a client with a 30 s timeout that follows no redirect
	Log        *slog.Logger  // nil discards
	RetryDelay time.Duration // zero: DefaultRetryDelay
	TTL        time.Duration // zero: DefaultTTL
	Queue      int           // zero: DefaultQueue
	Workers    int           // zero: DefaultWorkers
}

// Notice announces one offer message to its user's browsers.
type Notice struct {
	UserID    string
	MessageID string
	Merchant  string // the merchant's name
	Title     string // the campaign's title
}

// Payload is the JSON a browser's service worker receives, decrypted: display text and the message
// id, never the offer token or anything else secret.
type Payload struct {
	Type      string `json:"type"` // "offer"
	Title     string `json:"title"`
	Body      string `json:"body"`
	Merchant  string `json:"merchant"` // so the service worker can word the title in the browser's language
	MessageID string `json:"message_id"`
}

// Sender delivers notices in the background. Start it, Enqueue from anywhere, Close on shutdown.
type Sender struct {
	cfg     Config
	contact string // as webpush-go takes it: the address without "mailto:", or the https URL
	log     *slog.Logger
	batches chan []Notice

	mu     sync.RWMutex // guards closed against sends on a closed channel
	closed bool
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New checks cfg and builds a Sender.
func New(cfg Config) (*Sender, error) {
	if cfg.Store == nil || cfg.VAPID == nil {
		return nil, fmt.Errorf("%w: Store and VAPID are required", ErrConfig)
	}
	contact, err := vapidSubject(cfg.Contact)
	if err != nil {
		return nil, err
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: requestTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if cfg.RetryDelay <= 0 {
		cfg.RetryDelay = DefaultRetryDelay
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.Workers <= 0 {
		cfg.Workers = DefaultWorkers
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Sender{cfg: cfg, contact: contact, log: log, batches: make(chan []Notice, cfg.Queue), cancel: func() {}}, nil
}

// vapidSubject checks the contact and strips "mailto:", which webpush-go adds back itself.
func vapidSubject(c string) (string, error) {
	switch {
	case strings.HasPrefix(c, "mailto:") && strings.Contains(c, "@") && !strings.ContainsAny(c, " \t\r\n"):
		return strings.TrimPrefix(c, "mailto:"), nil
	case strings.HasPrefix(c, "https://"):
		if u, err := url.Parse(c); err == nil && u.Host != "" {
			return c, nil
		}
	}
	return "", fmt.Errorf("%w: the push contact %q is not mailto:address or an https URL", ErrConfig, c)
}

// PublicKey is the VAPID public key browsers subscribe with.
func (s *Sender) PublicKey() string { return s.cfg.VAPID.PublicKey() }

// Start runs the workers until ctx ends or Close.
func (s *Sender) Start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	notices := make(chan Notice)
	s.wg.Add(1 + s.cfg.Workers)
	go func() {
		defer s.wg.Done()
		defer close(notices)
		for {
			select {
			case <-ctx.Done():
				return
			case b := <-s.batches:
				for _, n := range b {
					select {
					case notices <- n:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	}()
	for range s.cfg.Workers {
		go func() {
			defer s.wg.Done()
			for n := range notices {
				s.deliver(ctx, n)
			}
		}()
	}
}

// Enqueue hands a campaign's notices to the sender without waiting.
func (s *Sender) Enqueue(batch []Notice) error {
	if len(batch) == 0 {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrQueueFull
	}
	select {
	case s.batches <- batch:
		return nil
	default:
		s.log.Warn("push: queue full, notices dropped", "notices", len(batch))
		return ErrQueueFull
	}
}

// Close stops the sender: queued notices are dropped, sends in flight are cancelled, and Close
// returns when every worker has stopped.
func (s *Sender) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// deliver sends one notice to each of its user's subscriptions.
func (s *Sender) deliver(ctx context.Context, n Notice) {
	subs, err := s.cfg.Store.ListPushSubscriptions(ctx, n.UserID)
	if err != nil {
		s.log.Warn("push: list subscriptions", "user_id", n.UserID, "err", err)
		return
	}
	if len(subs) == 0 {
		return
	}
	payload, err := json.Marshal(Payload{Type: "offer", Title: "New offer from " + n.Merchant, Body: n.Title, Merchant: n.Merchant, MessageID: n.MessageID})
	if err != nil {
		return
	}
	for _, sub := range subs {
		s.send(ctx, n, sub, payload)
	}
}

// send tries one subscription up to MaxAttempts times.
func (s *Sender) send(ctx context.Context, n Notice, sub store.PushSubscription, payload []byte) {
	host := hostOf(sub.Endpoint)
	delay := s.cfg.RetryDelay
	for attempt := 1; ; attempt++ {
		status, err := s.post(ctx, sub, payload)
		switch {
		case err == nil && status >= 200 && status < 300:
			s.log.Debug("push: sent", "user_id", n.UserID, "message_id", n.MessageID, "push_host", host, "attempt", attempt)
			return
		case err == nil && (status == http.StatusNotFound || status == http.StatusGone):
			// The browser unsubscribed or the subscription expired: forget it.
			if derr := s.cfg.Store.DeletePushSubscription(context.WithoutCancel(ctx), sub.UserID, sub.Endpoint); derr != nil {
				s.log.Warn("push: delete expired subscription", "user_id", n.UserID, "push_host", host, "err", derr)
				return
			}
			s.log.Info("push: subscription gone, deleted", "user_id", n.UserID, "push_host", host, "status", status)
			return
		case ctx.Err() != nil:
			return
		case err == nil && status != http.StatusTooManyRequests && status < 500:
			s.log.Warn("push: refused", "user_id", n.UserID, "message_id", n.MessageID, "push_host", host, "status", status)
			return
		case attempt >= MaxAttempts:
			s.log.Warn("push: giving up", "user_id", n.UserID, "message_id", n.MessageID, "push_host", host,
				"attempts", attempt, "status", status, "err", err)
			return
		}
		s.log.Debug("push: retrying", "user_id", n.UserID, "push_host", host, "attempt", attempt, "status", status, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// post makes one request; err is a network failure, whose text names no path or key.
func (s *Sender) post(ctx context.Context, sub store.PushSubscription, payload []byte) (int, error) {
	resp, err := webpush.SendNotificationWithContext(ctx, payload, &webpush.Subscription{Endpoint: sub.Endpoint,
		Keys: webpush.Keys{P256dh: base64.RawURLEncoding.EncodeToString(sub.P256dh), Auth: base64.RawURLEncoding.EncodeToString(sub.Auth)}},
		&webpush.Options{HTTPClient: s.cfg.Client, Subscriber: s.contact, TTL: int(s.cfg.TTL / time.Second), Urgency: webpush.UrgencyNormal,
			VAPIDPublicKey: s.cfg.VAPID.PublicKey(), VAPIDPrivateKey: s.cfg.VAPID.privateKey()})
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error's text holds the endpoint
		}
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// hostOf is the push service's host, what logs may say of an endpoint.
func hostOf(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil {
		return u.Host
	}
	return "?"
}
