package front

import (
	"context"
	"time"

	"github.com/stillpay/stillpay/server/store"
)

// The listings: the page size every store uses (store.PageSize: DefaultPageSize for 0 or less, at
// most MaxPageSize) is set here, so a driver takes Limit as it comes.

// ListMerchants sets the page size.
func (f *Front) ListMerchants(ctx context.Context, p store.Page) ([]store.Merchant, error) {
	p.Limit = store.PageSize(p.Limit)
	return f.engine.ListMerchants(ctx, p)
}

// ListTerminals sets the page size.
func (f *Front) ListTerminals(ctx context.Context, flt store.TerminalFilter) ([]store.Terminal, error) {
	flt.Limit = store.PageSize(flt.Limit)
	return f.engine.ListTerminals(ctx, flt)
}

// ListUsers sets the page size.
func (f *Front) ListUsers(ctx context.Context, p store.Page) ([]store.User, error) {
	p.Limit = store.PageSize(p.Limit)
	return f.engine.ListUsers(ctx, p)
}

// ListAccounts sets the page size.
func (f *Front) ListAccounts(ctx context.Context, flt store.AccountFilter) ([]store.Account, error) {
	flt.Limit = store.PageSize(flt.Limit)
	return f.engine.ListAccounts(ctx, flt)
}

// ListEntries sets the page size.
func (f *Front) ListEntries(ctx context.Context, flt store.EntryFilter) ([]store.Entry, error) {
	flt.Limit = store.PageSize(flt.Limit)
	return f.engine.ListEntries(ctx, flt)
}

// ListAuthorizations sets the page size.
func (f *Front) ListAuthorizations(ctx context.Context, flt store.AuthorizationFilter) ([]store.Authorization, error) {
	flt.Limit = store.PageSize(flt.Limit)
	return f.engine.ListAuthorizations(ctx, flt)
}

// ListOrders sets the page size.
func (f *Front) ListOrders(ctx context.Context, flt store.OrderFilter) ([]store.Order, error) {
	flt.Limit = store.PageSize(flt.Limit)
	return f.engine.ListOrders(ctx, flt)
}

// ListCampaigns sets the page size.
func (f *Front) ListCampaigns(ctx context.Context, merchantID string, p store.Page) ([]store.Campaign, error) {
	p.Limit = store.PageSize(p.Limit)
	return f.engine.ListCampaigns(ctx, merchantID, p)
}

// ListMessages sets the page size.
func (f *Front) ListMessages(ctx context.Context, userID string, all bool, limit int, now time.Time) ([]store.OfferMessage, error) {
	return f.engine.ListMessages(ctx, userID, all, store.PageSize(limit), now)
}
