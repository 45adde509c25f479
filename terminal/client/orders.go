package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/stillpay/stillpay/shared/protocol"
)

// CreateOrder asks the server for a merchant-presented order (flow 2). A missing answer is retried
// with the identical body up to MaxSendAttempts times: the server creates one order per terminal
// order id, so a retry answers the same order. It returns the order (state pending, or its current
// state on a replay); a *protocol.Problem when the server refused the request; an
// *UnreachableError when no answer came.
func (c *Client) CreateOrder(ctx context.Context, req protocol.OrderRequest) (protocol.Order, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return protocol.Order{}, fmt.Errorf("client: %w", err)
	}
	a, err := c.send(ctx, protocol.PathOrders, body, MaxSendAttempts)
	if err != nil {
		return protocol.Order{}, err
	}
	o, err := orderAnswer(a, http.StatusCreated, http.StatusOK)
	if err == nil && o.TerminalOrderID != req.TerminalOrderID {
		err = fmt.Errorf("%w: order for %q, asked for %q", ErrBadAnswer, o.TerminalOrderID, req.TerminalOrderID)
	}
	return o, err
}

// Order returns the order's state. With wait > 0 it is a long poll: the server holds the answer
// while the order is pending, until it changes or wait ends (at most protocol.MaxOrderWait); the
// exchange is allowed wait plus the client's timeout. It is sent once: the caller asks again.
func (c *Client) Order(ctx context.Context, orderID string, wait time.Duration) (protocol.Order, error) {
	path := protocol.OrderPath(url.PathEscape(orderID))
	wait = min(max(wait, 0), protocol.MaxOrderWait)
	if wait > 0 {
		path += "?wait=" + wait.String()
	}
	a, err := c.doWithin(ctx, wait+c.opt.Timeout, http.MethodGet, path, nil, true)
	if err != nil {
		return protocol.Order{}, &UnreachableError{Attempts: 1, MaybeSent: a.sent, Err: err}
	}
	if retryable(a) {
		return protocol.Order{}, &UnreachableError{Attempts: 1, MaybeSent: true, Err: fmt.Errorf("HTTP %d", a.status)}
	}
	o, err := orderAnswer(a, http.StatusOK)
	if err == nil && o.OrderID != orderID {
		err = fmt.Errorf("%w: answer for order %q, asked about %q", ErrBadAnswer, o.OrderID, orderID)
	}
	return o, err
}

// CancelOrder cancels a pending order, retried like CreateOrder (cancelling twice answers the same).
// A paid or expired order is refused with a *protocol.Problem (order_already_paid, order_expired):
// ask Order for its state.
func (c *Client) CancelOrder(ctx context.Context, orderID string) (protocol.Order, error) {
	a, err := c.send(ctx, protocol.OrderCancelPath(url.PathEscape(orderID)), nil, MaxSendAttempts)
	if err != nil {
		return protocol.Order{}, err
	}
	o, err := orderAnswer(a, http.StatusOK)
	if err == nil && o.OrderID != orderID {
		err = fmt.Errorf("%w: answer for order %q, asked about %q", ErrBadAnswer, o.OrderID, orderID)
	}
	return o, err
}

// orderAnswer decodes an order from an answer with one of the ok statuses, or its problem.
func orderAnswer(a attempt, ok ...int) (protocol.Order, error) {
	good := false
	for _, s := range ok {
		good = good || a.status == s
	}
	if !good {
		return protocol.Order{}, problem(a)
	}
	o, err := decode[protocol.Order](a)
	if err != nil {
		return o, err
	}
	if !strings.HasPrefix(o.OrderID, protocol.OrderIDPrefix) {
		return o, fmt.Errorf("%w: order id %q", ErrBadAnswer, o.OrderID)
	}
	switch o.State {
	case protocol.OrderPending, protocol.OrderPaid, protocol.OrderExpired, protocol.OrderCancelled:
	default:
		return o, fmt.Errorf("%w: order state %q", ErrBadAnswer, o.State)
	}
	return o, nil
}

// OrderFeed returns this terminal's orders with seq above after, oldest first (at most
// protocol.MaxOrderFeedLimit). With wait > 0 an empty answer is held until an order appears or wait
// ends. It is sent once: the caller asks again. Sticker payments reach the lane this way.
func (c *Client) OrderFeed(ctx context.Context, after uint64, wait time.Duration) (protocol.OrderFeed, error) {
	wait = min(max(wait, 0), protocol.MaxOrderWait)
	path := fmt.Sprintf("%s?after=%d", protocol.PathOrders, after)
	if wait > 0 {
		path += "&wait=" + wait.String()
	}
	a, err := c.doWithin(ctx, wait+c.opt.Timeout, http.MethodGet, path, nil, true)
	if err != nil {
		return protocol.OrderFeed{}, &UnreachableError{Attempts: 1, MaybeSent: a.sent, Err: err}
	}
	if retryable(a) {
		return protocol.OrderFeed{}, &UnreachableError{Attempts: 1, MaybeSent: true, Err: fmt.Errorf("HTTP %d", a.status)}
	}
	if a.status != http.StatusOK {
		return protocol.OrderFeed{}, problem(a)
	}
	feed, err := decode[protocol.OrderFeed](a)
	if err != nil {
		return feed, err
	}
	for _, o := range feed.Orders {
		if o.Seq <= after || o.Seq > feed.Next {
			return feed, fmt.Errorf("%w: order seq %d outside (%d, %d]", ErrBadAnswer, o.Seq, after, feed.Next)
		}
	}
	return feed, nil
}

// Sticker returns the lane's static QR code (a sticker for the counter; the customer enters the
// amount).
func (c *Client) Sticker(ctx context.Context) (protocol.Sticker, error) {
	a, err := c.get(ctx, protocol.PathTerminalStick, true)
	if err != nil {
		return protocol.Sticker{}, err
	}
	return decode[protocol.Sticker](a)
}
