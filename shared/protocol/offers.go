package protocol

import (
	"encoding/json"
	"time"
)

// Flow 3 (targeted offers) paths. See docs/api.md, "Offers".
const (
	// Merchant API (Authorization: Bearer <merchant token>).
	PathMerchantCampaigns = "/v1/merchant/campaigns"  // POST create (screens and sends), GET list
	PathMerchantCampaign  = "/v1/merchant/campaigns/" // + {id}: GET; + {id}/cancel: POST; + {id}/report: GET (?format=svg)
	// Wallet API (Authorization: Bearer <session token>).
	PathMessages      = "/v1/messages"       // GET ?wait=30s&all=1: the inbox (long-poll)
	PathMessagesAck   = "/v1/messages/ack"   // POST: acknowledge (or mark opened)
	PathOfferSettings = "/v1/offer-settings" // GET, PUT
)

// Offer limits.
const (
	MaxMessagesWait     = 30 * time.Second // below the server's 60 s write timeout
	DefaultCampaignDays = 14
	MaxCampaignDays     = 90
	MaxMerchantTokenLen = 64
)

// Flow 3 problem codes.
const (
	CodeAudienceTooSmall  Code = "audience_too_small" // 422: fewer matched customers than the minimum
	CodeInvalidConditions Code = "invalid_conditions" // 400: the screening conditions do not decode
	CodeCampaignNotFound  Code = "campaign_not_found" // 404 (another merchant's campaign too)
	CodeOfferInvalid      Code = "offer_invalid"      // 400/402: bad, tampered or foreign offer token
	CodeOfferExpired      Code = "offer_expired"      // offer token outside its validity
	CodeOfferAlreadyUsed  Code = "offer_already_redeemed"
	CodeDiscountTooLarge  Code = "discount_too_large" // 400: a discount rule worth more than allowed
)

// OfferRule is a campaign's discount: percent (Value in basis points, 1000 = 10%) or fixed (Value in
// minor units), with an optional minimum spend and maximum discount in minor units.
type OfferRule struct {
	Kind        string `json:"kind"`
	Value       int64  `json:"value"`
	MinSpend    int64  `json:"min_spend,omitempty"`
	MaxDiscount int64  `json:"max_discount,omitempty"`
}

// CampaignRequest is what a merchant submits. Conditions are decoded strictly (server/screen).
type CampaignRequest struct {
	Title      string          `json:"title"`
	Text       string          `json:"text"`
	Conditions json.RawMessage `json:"conditions"`
	Discount   OfferRule       `json:"discount"`
	Days       int             `json:"days,omitempty"`       // validity and measurement window; default 14
	HoldoutBP  *int            `json:"holdout_bp,omitempty"` // holdout share in basis points; default 1000 (10%)
	DryRun     bool            `json:"dry_run,omitempty"`    // screen and count only
}

// Campaign is the merchant's view of a campaign: counts, never accounts.
type Campaign struct {
	ID          string          `json:"id"`
	MerchantID  string          `json:"merchant_id"`
	Title       string          `json:"title"`
	Text        string          `json:"text"`
	Conditions  json.RawMessage `json:"conditions"`
	Discount    OfferRule       `json:"discount"`
	Currency    string          `json:"currency"`
	HoldoutBP   int             `json:"holdout_bp"`
	StartsAt    time.Time       `json:"starts_at"`
	EndsAt      time.Time       `json:"ends_at"`
	State       string          `json:"state"`
	Matched     int             `json:"matched"`
	Targeted    int             `json:"targeted"`
	Holdout     int             `json:"holdout"`
	CreatedAt   time.Time       `json:"created_at"`
	CancelledAt time.Time       `json:"cancelled_at,omitzero"`
	DryRun      bool            `json:"dry_run,omitempty"`
}

// CampaignList is GET /v1/merchant/campaigns.
type CampaignList struct {
	Campaigns []Campaign `json:"campaigns"`
}

// Message is one service message in a wallet's inbox.
type Message struct {
	ID          string    `json:"id"`
	CampaignID  string    `json:"campaign_id"`
	MerchantID  string    `json:"merchant_id"`
	Title       string    `json:"title"`
	Text        string    `json:"text"`
	Offer       []byte    `json:"offer"` // the signed offer token (shared/offer), base64 in JSON
	OfferID     string    `json:"offer_id"`
	CreatedAt   time.Time `json:"created_at"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	OpenedAt    time.Time `json:"opened_at,omitzero"`
	AckedAt     time.Time `json:"acked_at,omitzero"`
}

// Inbox is GET /v1/messages.
type Inbox struct {
	Messages []Message `json:"messages"`
}

// AckRequest acknowledges messages (they stop being sent) or, with Opened, records that they were
// opened. Repeating it is harmless.
type AckRequest struct {
	IDs    []string `json:"ids"`
	Opened bool     `json:"opened,omitempty"`
}

// AckResponse says how many messages changed.
type AckResponse struct {
	Changed int `json:"changed"`
}

// OfferSettings is a customer's choice: offers on or off (off by default) and the merchants they
// never want offers from.
type OfferSettings struct {
	Offers  bool     `json:"offers"`
	OptOuts []string `json:"opt_outs"`
}
