package store

import (
	"context"
	"time"

	"github.com/stillpay/stillpay/server/screen"
)

// Offers is the state of flow 3 (targeted offers, docs/offers.md): merchant API tokens, customers'
// offer settings, the screening query, campaigns with their frozen audience, and the per-customer
// service messages (the inbox). It is embedded in Store.
type Offers interface {
	// CreateMerchantToken stores a merchant API token by the hash of its secret (the secret is never
	// stored). ErrNotFound for an unknown merchant, ErrExists for a taken id or hash.
	CreateMerchantToken(ctx context.Context, t MerchantToken) error
	// GetMerchantToken finds a token by hash (revoked ones too: the caller checks RevokedAt).
	GetMerchantToken(ctx context.Context, hash []byte) (MerchantToken, error)
	// ListMerchantTokens lists a merchant's tokens (all merchants' when merchantID is ""), by id.
	ListMerchantTokens(ctx context.Context, merchantID string) ([]MerchantToken, error)
	// RevokeMerchantToken marks a token revoked; revoking twice keeps the first time.
	RevokeMerchantToken(ctx context.Context, id string, at time.Time) (MerchantToken, error)

	// GetOfferSettings returns a user's settings; a user who never set them gets the default (not
	// opted in), not an error. ErrNotFound for an unknown user.
	GetOfferSettings(ctx context.Context, userID string) (OfferSettings, error)
	// PutOfferSettings replaces a user's settings.
	PutOfferSettings(ctx context.Context, s OfferSettings) error

	// Screen returns, sorted, the ids of the users who opted in to offers, did not opt out of
	// q.MerchantID, received fewer than q.CapCount offer messages in (q.Now − q.CapWindow, q.Now], and
	// match q.Set at q.Now (screen.Set.Eval is the reference every store agrees with).
	Screen(ctx context.Context, q ScreenQuery) ([]string, error)

	// LaunchCampaign stores a campaign, its members (treatment and holdout) and one message per
	// treatment member, atomically. ErrExists for a taken campaign or message id.
	LaunchCampaign(ctx context.Context, c Campaign, members []CampaignMember, msgs []OfferMessage) error
	GetCampaign(ctx context.Context, id string) (Campaign, error)
	// ListCampaigns lists a merchant's campaigns by id (p pages).
	ListCampaigns(ctx context.Context, merchantID string, p Page) ([]Campaign, error)
	// CancelCampaign marks a campaign cancelled; its messages stay, their tokens stop being honoured
	// online. Cancelling twice keeps the first time.
	CancelCampaign(ctx context.Context, id string, at time.Time) (Campaign, error)
	// CampaignMembers returns every member of a campaign, by user id.
	CampaignMembers(ctx context.Context, campaignID string) ([]CampaignMember, error)
	// CampaignMessages returns every message of a campaign, by user id.
	CampaignMessages(ctx context.Context, campaignID string) ([]OfferMessage, error)

	// ListMessages returns a user's messages oldest first: unacknowledged ones only unless all is set;
	// at most limit (0: DefaultPageSize). Every message returned without DeliveredAt gets it set to now.
	ListMessages(ctx context.Context, userID string, all bool, limit int, now time.Time) ([]OfferMessage, error)
	// MarkMessages sets OpenedAt or AckedAt (mark) of the user's messages ids that do not have it yet
	// and returns how many changed. Ids of other users' messages or unknown ids are ignored, so an
	// acknowledgement may be repeated (at-least-once delivery).
	MarkMessages(ctx context.Context, userID string, ids []string, mark MessageMark, at time.Time) (int, error)

	// MerchantActivity returns the approved payments at a merchant with ApprovedAt in [from, to), by
	// time (the per-merchant activity index; reports read it).
	MerchantActivity(ctx context.Context, merchantID string, from, to time.Time) ([]Activity, error)
}

// Offer bounds.
const (
	MaxOptOuts = 200 // per-merchant opt-outs one user keeps
	// MaxCampaignMembers bounds one campaign's audience (one atomic write).
	MaxCampaignMembers = 2_000_000
	MaxMessageIDs      = 100 // ids in one MarkMessages call
	MaxTitleLen        = 80
	MaxTextLen         = 500
)

// MerchantToken is a merchant's API credential.
type MerchantToken struct {
	ID         string    `json:"id"`
	MerchantID string    `json:"merchant_id"`
	Hash       []byte    `json:"hash"` // SHA-256 of the secret
	Name       string    `json:"name,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// OfferSettings is a customer's choice about offers. Off by default.
type OfferSettings struct {
	UserID    string    `json:"user_id"`
	OptedIn   bool      `json:"opted_in"`
	OptOuts   []string  `json:"opt_outs,omitempty"` // merchant ids, sorted, at most MaxOptOuts
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// ScreenQuery is one screening.
type ScreenQuery struct {
	MerchantID string
	Set        screen.Set
	Now        time.Time
	CapCount   int           // at most this many offers per CapWindow; 0 means no cap
	CapWindow  time.Duration // the frequency cap's window
}

// CampaignState is where a campaign is.
type CampaignState string

// Campaign states.
const (
	CampaignActive    CampaignState = "active"
	CampaignCancelled CampaignState = "cancelled"
)

// Campaign is a merchant's screened offer.
type Campaign struct {
	ID          string        `json:"id"`
	MerchantID  string        `json:"merchant_id"`
	Title       string        `json:"title"`
	Text        string        `json:"text"`
	Conditions  screen.Set    `json:"conditions"`
	Currency    string        `json:"currency"`
	RuleKind    string        `json:"rule_kind"` // "percent" (Value in basis points) or "fixed" (minor units)
	RuleValue   int64         `json:"rule_value"`
	MinSpend    int64         `json:"min_spend"`
	MaxDiscount int64         `json:"max_discount"`
	HoldoutBP   int           `json:"holdout_bp"`  // holdout share in basis points
	HoldoutKey  []byte        `json:"holdout_key"` // the HMAC key of the assignment (server/lift.InHoldout); never shown to merchants
	StartsAt    time.Time     `json:"starts_at"`
	EndsAt      time.Time     `json:"ends_at"`
	State       CampaignState `json:"state"`
	Matched     int           `json:"matched"`
	Targeted    int           `json:"targeted"`
	Holdout     int           `json:"holdout"`
	CreatedAt   time.Time     `json:"created_at"`
	CancelledAt time.Time     `json:"cancelled_at,omitzero"`
}

// CampaignMember is one matched account and its group.
type CampaignMember struct {
	CampaignID string `json:"campaign_id"`
	UserID     string `json:"user_id"`
	Holdout    bool   `json:"holdout"`
}

// OfferMessage is the dedicated service message to one target account.
type OfferMessage struct {
	ID          string    `json:"id"`
	UserID      string    `json:"user_id"`
	CampaignID  string    `json:"campaign_id"`
	MerchantID  string    `json:"merchant_id"`
	Title       string    `json:"title"`
	Text        string    `json:"text"`
	Token       []byte    `json:"token"`    // shared/offer encoding
	TokenID     string    `json:"token_id"` // hex
	CreatedAt   time.Time `json:"created_at"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	OpenedAt    time.Time `json:"opened_at,omitzero"`
	AckedAt     time.Time `json:"acked_at,omitzero"`
}

// MessageMark is what MarkMessages records.
type MessageMark string

// Message marks.
const (
	MarkOpened MessageMark = "opened"
	MarkAcked  MessageMark = "acked"
)

// Activity is one approved payment in the per-merchant activity index.
type Activity struct {
	UserID string    `json:"user_id"`
	At     time.Time `json:"at"` // ApprovedAt: when the customer paid
	Minor  int64     `json:"minor"`
	Seq    uint64    `json:"seq"`
}
