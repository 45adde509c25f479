package agent

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stillpay/stillpay/hardware/receipt"
	"github.com/stillpay/stillpay/shared/protocol"
	"github.com/stillpay/stillpay/terminal/queue"
)

// ErrNoStickers: the agent was started without a sticker server.
var ErrNoStickers = errors.New("agent: sticker payments are not available on this terminal")

// feedRefusedPause is the pause before asking for the order feed again after the server refused it.
const feedRefusedPause = time.Minute

// StickerServer is the part of the settlement client that sticker payments need
// (terminal/client.Client).
type StickerServer interface {
	OrderFeed(ctx context.Context, after uint64, wait time.Duration) (protocol.OrderFeed, error)
	Sticker(ctx context.Context) (protocol.Sticker, error)
}

// RunStickerFeed takes in the lane's sticker payments until ctx ends. A customer who scans the
// lane's static QR code (the sticker on the counter) enters the amount on the phone; the server
// creates the order already paid, and it appears in the terminal's order feed. Each paid static
// order is verified (the server's signed approval), committed as an order record under the server's
// order id together with the feed's cursor, and its receipt printed once (as for any paid order:
// also after a restart). No answer is retried with the order follower's growing pause.
func (a *Agent) RunStickerFeed(ctx context.Context) {
	if a.opt.Stickers == nil {
		return
	}
	pause := orderRetryMin
	for ctx.Err() == nil {
		var after uint64
		err := a.opt.Store.View(ctx, func(tx queue.Tx) error {
			var err error
			after, err = tx.FeedCursor()
			return err
		})
		var feed protocol.OrderFeed
		if err == nil {
			feed, err = a.opt.Stickers.OrderFeed(ctx, after, OrderPollWait)
		}
		var ids []string
		if err == nil {
			ids, err = a.takeFeed(ctx, after, feed)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			var prob *protocol.Problem
			if errors.As(err, &prob) {
				// The server refuses the feed itself (an older server without it, a revoked lane):
				// asking every few seconds would only fill the log.
				pause = max(pause, feedRefusedPause)
			}
			a.log.Warn("order feed: no usable answer; will ask again", "retry_in", pause, "err", err)
			select {
			case <-time.After(pause):
			case <-ctx.Done():
			}
			pause = min(pause*2, orderRetryMax)
			continue
		}
		pause = orderRetryMin
		for _, id := range ids {
			a.log.Info("sticker payment received", "order", id)
			a.follow(id)
		}
		if len(ids) > 0 {
			a.notify()
		}
	}
}

// takeFeed commits the paid static orders of feed that are not recorded yet, and the feed's cursor,
// in one transaction. It returns the ids of the new records.
func (a *Agent) takeFeed(ctx context.Context, after uint64, feed protocol.OrderFeed) ([]string, error) {
	type paid struct {
		o  protocol.Order
		ap protocol.Approval
	}
	var take []paid
	for _, o := range feed.Orders {
		if o.Kind != protocol.OrderStatic || o.State != protocol.OrderPaid {
			continue // the terminal's own orders are followed by id
		}
		ap, err := a.verifyApproval(ctx, o.Approval, o.OrderID, o.Amount)
		if err != nil {
			return nil, fmt.Errorf("sticker payment %s: the server's approval does not verify: %w", o.OrderID, err)
		}
		take = append(take, paid{o, ap})
	}
	now := a.opt.Clock.Now()
	var ids []string
	err := a.opt.Store.Update(ctx, func(tx queue.Tx) error {
		ids = nil
		if cur, err := tx.FeedCursor(); err != nil || cur != after {
			return fmt.Errorf("order feed cursor moved from %d to %d meanwhile (%v)", after, cur, err)
		}
		for _, p := range take {
			if _, err := tx.Get(p.o.OrderID); err == nil {
				continue // taken in already
			}
			seq, err := tx.NextSeq()
			if err != nil {
				return err
			}
			rec := queue.Record{Seq: seq, TxnID: p.o.OrderID, Kind: queue.KindOrder, State: queue.StatePaid, Amount: p.o.Amount,
				Reference: p.o.Reference, Masked: p.ap.MaskedCustomer, ApprovalCode: p.ap.ApprovalCode, ApprovedAt: p.ap.ApprovedAt,
				Approval: p.o.Approval, CreatedAt: now, UpdatedAt: now,
				Order: &queue.Order{OrderID: p.o.OrderID, Static: true, PaymentID: p.ap.ApprovalID, PaidAt: p.ap.ApprovedAt}}
			if err := tx.Put(rec); err != nil {
				return err
			}
			ids = append(ids, rec.TxnID)
		}
		return tx.SetFeedCursor(max(feed.Next, after))
	})
	return ids, err
}

// PrintSticker prints the lane's static QR code, to stick on the counter: a customer scans it, enters
// the amount in the app and pays; the lane prints the receipt (RunStickerFeed).
func (a *Agent) PrintSticker(ctx context.Context) (protocol.Sticker, string, error) {
	if a.opt.Stickers == nil {
		return protocol.Sticker{}, "", ErrNoStickers
	}
	if a.opt.Printer == nil {
		return protocol.Sticker{}, PrintNoPrinter, ErrNoPrinter
	}
	st, err := a.opt.Stickers.Sticker(ctx)
	if err != nil {
		return st, "", err
	}
	rc := a.receiptHead(false)
	rc.Add(receipt.Rule(), receipt.Center("SCAN TO PAY").Emphasized(), receipt.Center("with the stillpay app"), receipt.Rule(),
		receipt.PhoneQR(st.MPM),
		receipt.Center("Enter the amount on your phone"),
		receipt.Center("and confirm; the till prints"),
		receipt.Center("your receipt."),
		receipt.Center("Lane "+st.TerminalID),
		receipt.Feed(2))
	return st, a.printSlip(ctx, rc).String(), nil
}
