package wallet

import (
	"errors"
	"fmt"
	"github.com/stillpay/stillpay/shared/clock"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// Errors. Test with errors.Is; server refusals are *protocol.Problem (errors.As).
var (
	ErrNotLoggedIn          = errors.New("wallet: not logged in (run: wallet login)")
	ErrSessionExpired       = errors.New("wallet: session expired (run: wallet login)")
	ErrNotAuthorized        = errors.New("wallet: no authorization (run: wallet authorize)")
	ErrAuthorizationExpired = errors.New("wallet: authorization expired (run: wallet authorize)")
	ErrNoCodesLeft          = errors.New("wallet: no offline codes left (run: wallet authorize)")
	ErrAuthorizationRevoked = errors.New("wallet: authorization revoked (run: wallet authorize)")
	ErrCorruptState         = errors.New("wallet: state file is corrupt")
	ErrInvalidRequest       = errors.New("wallet: invalid request")
	ErrServerURL            = errors.New("wallet: invalid server URL")
	ErrBadResponse          = errors.New("wallet: server answer is not acceptable")
)

// HomeEnv names the environment variable that overrides the default home directory.
const HomeEnv = "STILLPAY_WALLET_HOME"

// DefaultHome is $STILLPAY_WALLET_HOME, or ~/.stillpay-wallet.
func DefaultHome() (string, error) {
	if h := os.Getenv(HomeEnv); h != "" {
		return h, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("wallet: no home directory (set %s or --home): %w", HomeEnv, err)
	}
	return filepath.Join(home, ".stillpay-wallet"), nil
}

// DefaultHTTPTimeout bounds one call to the server when Config.HTTPClient is nil.
const DefaultHTTPTimeout = 30 * time.Second

// Config builds a Wallet. Store is required; the rest have defaults.
type Config struct {
	Store      Store
	HTTPClient *http.Client // default: DefaultHTTPTimeout
	Clock      clock.Clock  // default: clock.Real
	Logger     *slog.Logger // default: discards
}

// Wallet is the phone's logic. Its methods are safe to call from one goroutine at a time; the
// stored counter is what protects codes across processes (see NextCode).
type Wallet struct {
	store Store
	http  *http.Client
	clock clock.Clock
	log   *slog.Logger
}

// New returns a wallet over cfg.Store.
func New(cfg Config) *Wallet {
	w := &Wallet{store: cfg.Store, http: cfg.HTTPClient, clock: clock.Or(cfg.Clock), log: cfg.Logger}
	if w.http == nil {
		w.http = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	return w
}

// Open returns a wallet whose state lives in the directory home.
func Open(home string, logger *slog.Logger) *Wallet {
	return New(Config{Store: DirStore{Home: home}, Logger: logger})
}

// Status reports the stored authorization: limits, codes left, expiry.
func (w *Wallet) Status() (Status, error) {
	a, err := w.store.LoadAuthorization()
	if err != nil {
		return Status{}, err
	}
	return a.status(w.clock.Now()), nil
}
