package localapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/stillpay/stillpay/terminal/agent"
)

// callFor is call for an answer of type T.
func callFor[T any](ctx context.Context, c *Client, method, path string, in any) (T, error) {
	var v T
	err := c.call(ctx, method, path, in, &v)
	return v, err
}

func orderPath(id, action string) string { return PathOrders + "/" + url.PathEscape(id) + action }

// StartOrder starts a merchant-presented order.
func (c *Client) StartOrder(ctx context.Context, req StartOrderRequest) (agent.OrderView, error) {
	return callFor[agent.OrderView](ctx, c, http.MethodPost, PathOrders, req)
}

// Order returns an order; with wait > 0 it long-polls until the state differs from known.
func (c *Client) Order(ctx context.Context, id string, wait time.Duration, known string) (agent.OrderView, error) {
	return callFor[agent.OrderView](ctx, c, http.MethodGet, viewPath(PathOrders, id, wait, known), nil)
}

// WaitOrderDone follows an order until its outcome is known and printed, or ctx ends; onChange sees
// every new state.
func (c *Client) WaitOrderDone(ctx context.Context, v agent.OrderView, onChange func(agent.OrderView)) (agent.OrderView, error) {
	return followView(ctx, v, func(v agent.OrderView) (string, string) { return v.ID, v.State },
		func(v agent.OrderView) bool { return v.Final && v.Reported }, c.Order, onChange)
}

// CancelOrder asks for an order to be cancelled; the server has the last word (follow the order).
func (c *Client) CancelOrder(ctx context.Context, id string) (agent.OrderView, error) {
	return callFor[agent.OrderView](ctx, c, http.MethodPost, orderPath(id, "/cancel"), nil)
}

// ReprintOrder prints the order's QR slip (pending) or receipt (final) again.
func (c *Client) ReprintOrder(ctx context.Context, id string) (ReprintResponse, error) {
	return callFor[ReprintResponse](ctx, c, http.MethodPost, orderPath(id, "/reprint"), nil)
}

// OrderReceipt returns the text of the order's slip as printed.
func (c *Client) OrderReceipt(ctx context.Context, id string) (string, error) {
	return callFor[string](ctx, c, http.MethodGet, orderPath(id, "/receipt"), nil)
}

// RecentOrders returns the last n orders, newest first.
func (c *Client) RecentOrders(ctx context.Context, n int) ([]agent.OrderView, error) {
	return callFor[[]agent.OrderView](ctx, c, http.MethodGet, fmt.Sprintf("%s?limit=%d", PathOrders, n), nil)
}

// PrintSticker prints the lane's static QR code for the counter.
func (c *Client) PrintSticker(ctx context.Context) (StickerResponse, error) {
	return callFor[StickerResponse](ctx, c, http.MethodPost, PathStickerPrint, nil)
}
