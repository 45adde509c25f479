package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/agent"
	"github.com/stillpay/stillpay/terminal/config"
	"github.com/stillpay/stillpay/terminal/queue"
)

// ErrAgentDown: nothing answers on the local API address.
var ErrAgentDown = errors.New("posagent is not running (no answer on the local API)")

// Client talks to a running agent.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// NewClient returns a client for the listen address of the config ("host:port" or "unix:/path").
func NewClient(addr string) *Client {
	tr := &http.Transport{Proxy: nil}
	base := "http://" + addr
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}
		base = "http://posagent"
	}
	return &Client{base: base, http: &http.Client{Transport: tr}}
}

// ClientFor returns a client for the config's local API, with its token if one is configured.
func ClientFor(cfg config.LocalAPI) (*Client, error) {
	c := NewClient(cfg.Listen)
	if cfg.TokenFile != "" {
		tok, err := LoadToken(cfg.TokenFile)
		if err != nil {
			return nil, err
		}
		c = c.WithToken(tok)
	}
	return c, nil
}

// WithToken returns a copy of c that sends "Authorization: Bearer token".
func (c *Client) WithToken(token string) *Client {
	cc := *c
	cc.token = token
	return &cc
}

func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	// Every request other than GET is JSON, with or without a body: the API refuses any other
	// content type (a browser cannot send it cross-site without a preflight).
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return fmt.Errorf("%w: %v", ErrAgentDown, err)
		}
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		if p, err := protocol.ParseProblem(resp.StatusCode, data); err == nil {
			return p
		}
		return fmt.Errorf("local API: HTTP %d", resp.StatusCode)
	}
	if out == nil {
		return nil
	}
	if s, ok := out.(*string); ok {
		*s = string(data)
		return nil
	}
	return json.Unmarshal(data, out)
}

// StartSale starts a sale.
func (c *Client) StartSale(ctx context.Context, req StartSaleRequest) (agent.SaleView, error) {
	var v agent.SaleView
	err := c.call(ctx, http.MethodPost, PathSales, req, &v)
	return v, err
}

// Sale returns a sale; with wait > 0 it long-polls until the state differs from known.
func (c *Client) Sale(ctx context.Context, id string, wait time.Duration, known string) (agent.SaleView, error) {
	var v agent.SaleView
	err := c.call(ctx, http.MethodGet, viewPath(PathSales, id, wait, known), nil, &v)
	return v, err
}

// viewPath is the path of one sale or order under base; with wait > 0, a long poll until the state
// differs from known.
func viewPath(base, id string, wait time.Duration, known string) string {
	path := base + "/" + url.PathEscape(id)
	if wait > 0 {
		path += "?wait=" + wait.String() + "&state=" + url.QueryEscape(known)
	}
	return path
}

// WaitFinal follows a sale until it is final or ctx ends; onChange sees every new state.
func (c *Client) WaitFinal(ctx context.Context, v agent.SaleView, onChange func(agent.SaleView)) (agent.SaleView, error) {
	return followView(ctx, v, func(v agent.SaleView) (string, string) { return v.ID, v.State },
		func(v agent.SaleView) bool { return v.Final }, c.Sale, onChange)
}

// followView long-polls a sale or an order (get) until done, calling onChange at every new state.
func followView[V any](ctx context.Context, v V, key func(V) (id, state string), done func(V) bool,
	get func(context.Context, string, time.Duration, string) (V, error), onChange func(V)) (V, error) {
	for !done(v) {
		id, state := key(v)
		next, err := get(ctx, id, 30*time.Second, state)
		if err != nil {
			return v, err
		}
		if _, now := key(next); now != state && onChange != nil {
			onChange(next)
		}
		v = next
	}
	return v, nil
}

// Cancel cancels a sale waiting for its code.
func (c *Client) Cancel(ctx context.Context, id string) (agent.SaleView, error) {
	var v agent.SaleView
	err := c.call(ctx, http.MethodPost, PathSales+"/"+url.PathEscape(id)+"/cancel", nil, &v)
	return v, err
}

// SubmitCode hands a typed code to a waiting sale.
func (c *Client) SubmitCode(ctx context.Context, id, code string) error {
	return c.call(ctx, http.MethodPost, PathSales+"/"+url.PathEscape(id)+"/code", CodeRequest{Code: code}, nil)
}

// Reprint prints an approved sale's receipt again. A receipt that was sent but not confirmed by the
// printer is refused (problem CodeReprintUnconfirmed) unless confirm says the cashier checked that
// it did not print.
func (c *Client) Reprint(ctx context.Context, id string, confirm bool) (ReprintResponse, error) {
	var r ReprintResponse
	var body any
	if confirm {
		body = ReprintRequest{Confirm: true}
	}
	err := c.call(ctx, http.MethodPost, PathSales+"/"+url.PathEscape(id)+"/reprint", body, &r)
	return r, err
}

// Receipt returns an approved sale's receipt text.
func (c *Client) Receipt(ctx context.Context, id string) (string, error) {
	var s string
	err := c.call(ctx, http.MethodGet, PathSales+"/"+url.PathEscape(id)+"/receipt", nil, &s)
	return s, err
}

// Recent returns the last n sales.
func (c *Client) Recent(ctx context.Context, n int) ([]agent.SaleView, error) {
	var vs []agent.SaleView
	err := c.call(ctx, http.MethodGet, fmt.Sprintf("%s?limit=%d", PathSales, n), nil, &vs)
	return vs, err
}

// Status returns the agent's health.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var s Status
	err := c.call(ctx, http.MethodGet, PathStatus, nil, &s)
	return s, err
}

// Queue lists queue records in state ("" = queued and refused, "all").
func (c *Client) Queue(ctx context.Context, state string) ([]QueueItem, error) {
	var items []QueueItem
	err := c.call(ctx, http.MethodGet, PathQueue+"?state="+url.QueryEscape(state), nil, &items)
	return items, err
}

// QueueItem shows one record.
func (c *Client) QueueItem(ctx context.Context, id string) (QueueItem, error) {
	var it QueueItem
	err := c.call(ctx, http.MethodGet, PathQueue+"/"+url.PathEscape(id), nil, &it)
	return it, err
}

// Retry puts a refused item back into the outbox.
func (c *Client) Retry(ctx context.Context, id string) (QueueItem, error) {
	var it QueueItem
	err := c.call(ctx, http.MethodPost, PathQueue+"/"+url.PathEscape(id)+"/retry", nil, &it)
	return it, err
}

// Export returns the signed export of the outbox.
func (c *Client) Export(ctx context.Context) (protocol.Export, error) {
	var e protocol.Export
	err := c.call(ctx, http.MethodPost, PathExport, nil, &e)
	return e, err
}

// Prune asks the agent to apply its retention rule now; dryRun only counts.
func (c *Client) Prune(ctx context.Context, dryRun bool) (queue.PruneResult, error) {
	var res queue.PruneResult
	err := c.call(ctx, http.MethodPost, PathPrune+"?dry_run="+strconv.FormatBool(dryRun), nil, &res)
	return res, err
}

// Metrics returns the /metrics text.
func (c *Client) Metrics(ctx context.Context) (string, error) {
	var s string
	err := c.call(ctx, http.MethodGet, PathMetrics, nil, &s)
	return s, err
}
