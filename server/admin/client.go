package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stillpay/stillpay/server/store"
	"github.com/stillpay/stillpay/shared/keyfile"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/shared/tlsca"
)

// maxTokenFile bounds what LoadToken reads.
const maxTokenFile = 4 << 10

// maxAnswerBytes bounds an admin answer the client reads; listings are paged far below this.
const maxAnswerBytes = 64 << 20

// MinTokenLen is the shortest admin token accepted, in characters: 32 hex characters are 128 bits.
// settlementd makes 64 hex characters (256 bits) on first start.
const MinTokenLen = 32

// Errors of LoadToken.
var (
	// ErrNoToken is returned when the token file is empty.
	ErrNoToken = errors.New("admin: the token file is empty")
	// ErrWeakToken is returned for a token shorter than MinTokenLen or with characters other than
	// printable ASCII: a guessable token would open the operator API.
	ErrWeakToken = errors.New("admin: the token is too weak")
)

// LoadToken reads the admin token from a 0600 file (refusing one that others can read, one that is
// empty, and one shorter than MinTokenLen).
func LoadToken(path string) (string, error) {
	raw, err := keyfile.ReadSecret(path, maxTokenFile)
	if err != nil {
		return "", fmt.Errorf("admin: token: %w", err)
	}
	tok := strings.TrimSpace(string(raw))
	if tok == "" {
		return "", fmt.Errorf("%w: %s", ErrNoToken, path)
	}
	if err := CheckToken(tok); err != nil {
		return "", fmt.Errorf("%w (%s)", err, path)
	}
	return tok, nil
}

// CheckToken refuses a token shorter than MinTokenLen characters or holding anything but printable
// ASCII without spaces.
func CheckToken(tok string) error {
	if len(tok) < MinTokenLen {
		return fmt.Errorf("%w: %d characters, at least %d are required (e.g. 64 hex characters: openssl rand -hex 32)", ErrWeakToken, len(tok), MinTokenLen)
	}
	for i := 0; i < len(tok); i++ {
		if tok[i] <= ' ' || tok[i] >= 0x7f {
			return fmt.Errorf("%w: only printable ASCII without spaces", ErrWeakToken)
		}
	}
	return nil
}

// Client calls the admin API.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	Token   string
	HTTP    *http.Client // nil means a client with DefaultTimeout
}

// DefaultTimeout bounds one admin call (a backup of a large store takes a while).
const DefaultTimeout = 2 * time.Minute

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: DefaultTimeout}
}

// do sends in (nil for none) and decodes the answer into out. A non-2xx answer is returned as a
// *protocol.Problem.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, in, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("admin: encode: %w", err)
		}
		body = bytes.NewReader(raw)
	}
	u := strings.TrimRight(c.BaseURL, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.httpClient().Do(req)
	if tlsca.Untrusted(err) {
		return fmt.Errorf("admin: %s %s: %w", method, path, tlsca.Explain(err, "pass --ca-file with the CA that signed it (or SETTLEMENTD_CA_FILE)"))
	}
	if err != nil {
		return fmt.Errorf("admin: %s %s: %w (is settlementd running there?)", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return fmt.Errorf("admin: %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		p, err := protocol.ParseProblem(resp.StatusCode, raw)
		if err != nil {
			return fmt.Errorf("admin: %s %s: HTTP %d: %.200s", method, path, resp.StatusCode, raw)
		}
		return p
	}
	if out == nil {
		return nil
	}
	if rb, ok := out.(*rawBody); ok {
		*rb = raw
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("admin: %s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// AddMerchant creates a merchant.
func (c *Client) AddMerchant(ctx context.Context, req MerchantRequest) (store.Merchant, error) {
	var m store.Merchant
	return m, c.do(ctx, http.MethodPost, PathMerchants, nil, req, &m)
}

// AddTerminal creates a terminal and returns its one-time enrollment code.
func (c *Client) AddTerminal(ctx context.Context, req TerminalRequest) (TerminalCreated, error) {
	var t TerminalCreated
	return t, c.do(ctx, http.MethodPost, PathTerminals, nil, req, &t)
}

// ReissueEnrollCode issues a new one-time enrollment code for an existing terminal; redeeming it
// replaces the terminal's key.
func (c *Client) ReissueEnrollCode(ctx context.Context, terminalID string) (TerminalCreated, error) {
	var t TerminalCreated
	path := strings.Replace(PathTerminalEnrollCode, "{id}", url.PathEscape(terminalID), 1)
	return t, c.do(ctx, http.MethodPost, path, nil, nil, &t)
}

// ListMerchants pages through the merchants by id.
func (c *Client) ListMerchants(ctx context.Context, f ListFilter) ([]store.Merchant, error) {
	var out struct {
		Merchants []store.Merchant `json:"merchants"`
	}
	return out.Merchants, c.do(ctx, http.MethodGet, PathMerchants, f.values(), nil, &out)
}

// ListTerminals pages through the terminals by id (of one merchant with f.MerchantID).
func (c *Client) ListTerminals(ctx context.Context, f ListFilter) ([]store.Terminal, error) {
	var out struct {
		Terminals []store.Terminal `json:"terminals"`
	}
	return out.Terminals, c.do(ctx, http.MethodGet, PathTerminals, f.values(), nil, &out)
}

// ListUsers pages through the users by id.
func (c *Client) ListUsers(ctx context.Context, f ListFilter) ([]User, error) {
	var out struct {
		Users []User `json:"users"`
	}
	return out.Users, c.do(ctx, http.MethodGet, PathUsers, f.values(), nil, &out)
}

// AddUser creates a wallet user.
func (c *Client) AddUser(ctx context.Context, req UserRequest) (User, error) {
	var u User
	return u, c.do(ctx, http.MethodPost, PathUsers, nil, req, &u)
}

// AddAccount creates a funding account with an opening balance.
func (c *Client) AddAccount(ctx context.Context, req AccountRequest) (Balance, error) {
	var b Balance
	return b, c.do(ctx, http.MethodPost, PathAccounts, nil, req, &b)
}

// ListFilter narrows a listing; empty fields are not sent.
type ListFilter struct {
	OwnerID         string
	Kind            string
	UserID          string
	AccountID       string
	TerminalID      string
	MerchantID      string
	AuthorizationID string
	AfterID         string
	BeforeSeq       uint64 // transactions: the next page starts below this seq (0: the newest)
	Limit           int
}

func (f ListFilter) values() url.Values {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("owner_id", f.OwnerID)
	set("kind", f.Kind)
	set("user_id", f.UserID)
	set("account_id", f.AccountID)
	set("terminal_id", f.TerminalID)
	set("merchant_id", f.MerchantID)
	set("authorization_id", f.AuthorizationID)
	set("after_id", f.AfterID)
	if f.BeforeSeq > 0 {
		q.Set("before_seq", fmt.Sprint(f.BeforeSeq))
	}
	if f.Limit > 0 {
		q.Set("limit", fmt.Sprint(f.Limit))
	}
	return q
}

// Balances lists accounts and balances.
func (c *Client) Balances(ctx context.Context, f ListFilter) (Balances, error) {
	var b Balances
	return b, c.do(ctx, http.MethodGet, PathAccounts, f.values(), nil, &b)
}

// Transactions lists terminal transactions, newest first.
func (c *Client) Transactions(ctx context.Context, f ListFilter) (Transactions, error) {
	var t Transactions
	return t, c.do(ctx, http.MethodGet, PathTransactions, f.values(), nil, &t)
}

// Authorizations lists first approvals.
func (c *Client) Authorizations(ctx context.Context, f ListFilter) (Authorizations, error) {
	var a Authorizations
	return a, c.do(ctx, http.MethodGet, PathAuthorizations, f.values(), nil, &a)
}

// Revoke revokes a terminal or an authorization.
func (c *Client) Revoke(ctx context.Context, kind, id string) (Revoked, error) {
	var r Revoked
	return r, c.do(ctx, http.MethodPost, PathRevocations, nil, RevocationRequest{Kind: kind, ID: id}, &r)
}

// Unlock clears a user's or terminal's failed-code counters.
func (c *Client) Unlock(ctx context.Context, kind store.SubjectKind, id string) error {
	return c.do(ctx, http.MethodPost, PathUnlock, nil, UnlockRequest{Kind: kind, ID: id}, nil)
}

// Check runs the ledger check on the server.
func (c *Client) Check(ctx context.Context) (CheckReport, error) {
	var r CheckReport
	return r, c.do(ctx, http.MethodPost, PathCheck, nil, nil, &r)
}

// RotateKey makes a new server signing key current.
func (c *Client) RotateKey(ctx context.Context) (protocol.ServerKey, error) {
	var k protocol.ServerKey
	return k, c.do(ctx, http.MethodPost, PathRotateKey, nil, nil, &k)
}

// Import sends a terminal's signed export file to be applied as its batches.
func (c *Client) Import(ctx context.Context, e protocol.Export) (ImportResult, error) {
	var r ImportResult
	return r, c.do(ctx, http.MethodPost, PathImports, nil, e, &r)
}

// Backup downloads the server's backup archive (embedded store and key files) into w and returns its
// size. The archive may be cut short if the server failed while writing it: verify it
// (server/backup.Verify) before keeping it.
func (c *Client) Backup(ctx context.Context, w io.Writer) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.BaseURL, "/")+PathBackup, nil)
	if err != nil {
		return 0, fmt.Errorf("admin: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	hc := *c.httpClient()
	hc.Timeout = 0 // a large store takes long; ctx bounds it
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("admin: GET %s: %w (is settlementd running there?)", PathBackup, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
		p, err := protocol.ParseProblem(resp.StatusCode, raw)
		if err != nil {
			return 0, fmt.Errorf("admin: GET %s: HTTP %d: %.200s", PathBackup, resp.StatusCode, raw)
		}
		return 0, p
	}
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("admin: GET %s: %w", PathBackup, err)
	}
	return n, nil
}
