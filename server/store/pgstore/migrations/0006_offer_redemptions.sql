-- Flow 3 redemption at the POS: each offer token id is redeemed at most once (the primary key), in
-- the same transaction as the payment that redeems it. doc is the whole store.Redemption (JSON).
CREATE TABLE offer_redemptions (
    token_id    text  PRIMARY KEY,
    merchant_id text  NOT NULL,
    doc         jsonb NOT NULL
);
CREATE INDEX offer_redemptions_by_merchant ON offer_redemptions (merchant_id, token_id);
