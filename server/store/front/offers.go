package front

import (
	"context"
	"time"

	"github.com/stillpay/stillpay/server/ledger"
	"github.com/stillpay/stillpay/server/store"
)

// CreateMerchantToken checks and normalises t (ledger.PrepareMerchantToken).
func (f *Front) CreateMerchantToken(ctx context.Context, t store.MerchantToken) error {
	t, err := ledger.PrepareMerchantToken(t)
	if err != nil {
		return err
	}
	return f.engine.CreateMerchantToken(ctx, t)
}

// PutOfferSettings checks and normalises v (ledger.PrepareOfferSettings).
func (f *Front) PutOfferSettings(ctx context.Context, v store.OfferSettings) error {
	v, err := ledger.PrepareOfferSettings(v)
	if err != nil {
		return err
	}
	return f.engine.PutOfferSettings(ctx, v)
}

// LaunchCampaign checks and normalises the campaign, its members and its messages
// (ledger.PrepareCampaign).
func (f *Front) LaunchCampaign(ctx context.Context, c store.Campaign, members []store.CampaignMember, msgs []store.OfferMessage) error {
	c, msgs, err := ledger.PrepareCampaign(c, members, msgs)
	if err != nil {
		return err
	}
	return f.engine.LaunchCampaign(ctx, c, members, msgs)
}

// Screen checks the query (ledger.ValidScreenQuery).
func (f *Front) Screen(ctx context.Context, q store.ScreenQuery) ([]string, error) {
	if err := ledger.ValidScreenQuery(q); err != nil {
		return nil, err
	}
	return f.engine.Screen(ctx, q)
}

// MarkMessages checks the ids and the mark (ledger.ValidMark).
func (f *Front) MarkMessages(ctx context.Context, userID string, ids []string, mark store.MessageMark, at time.Time) (int, error) {
	if err := ledger.ValidMark(ids, mark); err != nil {
		return 0, err
	}
	return f.engine.MarkMessages(ctx, userID, ids, mark, at)
}

// PutPushSubscription checks and normalises p (ledger.PreparePushSubscription).
func (f *Front) PutPushSubscription(ctx context.Context, p store.PushSubscription) error {
	p, err := ledger.PreparePushSubscription(p)
	if err != nil {
		return err
	}
	return f.engine.PutPushSubscription(ctx, p)
}
