package admin

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/stillpay/stillpay/server/lift"
	"github.com/stillpay/stillpay/shared/protocol"
)

// Merchant token paths (admin API).
const (
	PathMerchantTokens      = "/v1/admin/merchant-tokens"        // POST issue (or rotate), GET list
	PathMerchantTokenRevoke = "/v1/admin/merchant-tokens/revoke" // POST
)

// MerchantTokenRequest issues a merchant API token. With Replaces set it rotates: the new token is
// issued and the named one revoked, in that order, so the merchant is never without a token.
type MerchantTokenRequest struct {
	MerchantID string `json:"merchant_id"`
	Name       string `json:"name,omitempty"`
	Replaces   string `json:"replaces,omitempty"`
}

// MerchantToken describes a token (never its secret).
type MerchantToken struct {
	ID         string    `json:"id"`
	MerchantID string    `json:"merchant_id"`
	Name       string    `json:"name,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// MerchantTokenIssued is the answer to an issue: the secret, shown once.
type MerchantTokenIssued struct {
	MerchantToken
	Token    string `json:"token"`
	Replaced string `json:"replaced,omitempty"`
}

// MerchantTokens is the listing.
type MerchantTokens struct {
	Tokens []MerchantToken `json:"tokens"`
}

// MerchantTokenRevocation names a token to revoke.
type MerchantTokenRevocation struct {
	ID string `json:"id"`
}

// CampaignReport is a campaign's conversion report: counts only, never accounts.
type CampaignReport struct {
	Campaign  protocol.Campaign `json:"campaign"`
	Targeted  int               `json:"targeted"`
	HeldOut   int               `json:"held_out"` // holdout members (lift.Report.Holdout has their figures)
	Delivered int               `json:"delivered"`
	Opened    int               `json:"opened"`
	Acked     int               `json:"acknowledged"`
	Redeemed  int               `json:"redeemed"`
	// WindowEnd is where the measurement stops: the campaign's end, or now while it runs.
	WindowEnd time.Time `json:"window_end"`
	lift.Report
}

// IssueMerchantToken issues (or, with Replaces, rotates) a merchant API token.
func (c *Client) IssueMerchantToken(ctx context.Context, req MerchantTokenRequest) (MerchantTokenIssued, error) {
	var out MerchantTokenIssued
	return out, c.do(ctx, http.MethodPost, PathMerchantTokens, nil, req, &out)
}

// MerchantTokens lists tokens, of one merchant when merchantID is set.
func (c *Client) MerchantTokens(ctx context.Context, merchantID string) (MerchantTokens, error) {
	var out MerchantTokens
	q := url.Values{}
	if merchantID != "" {
		q.Set("merchant_id", merchantID)
	}
	return out, c.do(ctx, http.MethodGet, PathMerchantTokens, q, nil, &out)
}

// RevokeMerchantToken revokes a token.
func (c *Client) RevokeMerchantToken(ctx context.Context, id string) (MerchantToken, error) {
	var out MerchantToken
	return out, c.do(ctx, http.MethodPost, PathMerchantTokenRevoke, nil, MerchantTokenRevocation{ID: id}, &out)
}

// The merchant API uses the same client with a merchant token in Token.

// CreateCampaign screens customers and sends the offer (or only counts, with DryRun).
func (c *Client) CreateCampaign(ctx context.Context, req protocol.CampaignRequest) (protocol.Campaign, error) {
	var out protocol.Campaign
	return out, c.do(ctx, http.MethodPost, protocol.PathMerchantCampaigns, nil, req, &out)
}

// Campaigns lists the merchant's campaigns.
func (c *Client) Campaigns(ctx context.Context) (protocol.CampaignList, error) {
	var out protocol.CampaignList
	return out, c.do(ctx, http.MethodGet, protocol.PathMerchantCampaigns, nil, nil, &out)
}

// Campaign shows one campaign.
func (c *Client) Campaign(ctx context.Context, id string) (protocol.Campaign, error) {
	var out protocol.Campaign
	return out, c.do(ctx, http.MethodGet, protocol.PathMerchantCampaign+url.PathEscape(id), nil, nil, &out)
}

// CancelCampaign cancels a campaign.
func (c *Client) CancelCampaign(ctx context.Context, id string) (protocol.Campaign, error) {
	var out protocol.Campaign
	return out, c.do(ctx, http.MethodPost, protocol.PathMerchantCampaign+url.PathEscape(id)+"/cancel", nil, nil, &out)
}

// CampaignReport fetches the conversion report.
func (c *Client) CampaignReport(ctx context.Context, id string) (CampaignReport, error) {
	var out CampaignReport
	return out, c.do(ctx, http.MethodGet, protocol.PathMerchantCampaign+url.PathEscape(id)+"/report", nil, nil, &out)
}

// CampaignChart fetches the report's SVG chart.
func (c *Client) CampaignChart(ctx context.Context, id string) ([]byte, error) {
	var out rawBody
	err := c.do(ctx, http.MethodGet, protocol.PathMerchantCampaign+url.PathEscape(id)+"/report", url.Values{"format": {"svg"}}, nil, &out)
	return out, err
}

// rawBody takes an answer that is not JSON as it is (Client.do hands it the bytes).
type rawBody []byte
