-- Flow 3, targeted offers (docs/offers.md): merchant categories, merchant API tokens, offer settings,
-- campaigns with their frozen audience, per-customer offer messages, and the activity index screening
-- and reports read (one merchant's approved payments by time).

ALTER TABLE merchants ADD COLUMN mcc text NOT NULL DEFAULT '';
CREATE INDEX merchants_by_mcc ON merchants (mcc, id);

CREATE INDEX txns_activity ON txns (merchant_id, approved_at) WHERE kind = 'payment' AND status = 'approved';

CREATE TABLE merchant_tokens (
    id          text        PRIMARY KEY,
    merchant_id text        NOT NULL REFERENCES merchants (id),
    hash        bytea       NOT NULL UNIQUE,
    name        text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz NULL
);
CREATE INDEX merchant_tokens_by_merchant ON merchant_tokens (merchant_id, id);

-- opt_outs: merchant ids, sorted. Only opted-in rows are screening candidates.
CREATE TABLE offer_settings (
    user_id    text        PRIMARY KEY REFERENCES users (id),
    opted_in   boolean     NOT NULL,
    opt_outs   text[]      NOT NULL DEFAULT '{}',
    updated_at timestamptz NULL
);
CREATE INDEX offer_settings_opted_in ON offer_settings (user_id) WHERE opted_in;

-- doc is the whole store.Campaign (JSON); the columns are what queries select by.
CREATE TABLE campaigns (
    id          text  PRIMARY KEY,
    merchant_id text  NOT NULL REFERENCES merchants (id),
    doc         jsonb NOT NULL
);
CREATE INDEX campaigns_by_merchant ON campaigns (merchant_id, id);

CREATE TABLE campaign_members (
    campaign_id text    NOT NULL,
    user_id     text    NOT NULL,
    holdout     boolean NOT NULL,
    PRIMARY KEY (campaign_id, user_id)
);

-- doc is the whole store.OfferMessage (JSON, marks included).
CREATE TABLE offer_messages (
    id          text        PRIMARY KEY,
    user_id     text        NOT NULL,
    campaign_id text        NOT NULL,
    created_at  timestamptz NOT NULL,
    doc         jsonb       NOT NULL
);
CREATE INDEX offer_messages_by_user ON offer_messages (user_id, created_at, id);
CREATE INDEX offer_messages_by_campaign ON offer_messages (campaign_id, user_id);
