-- Web wallet push subscriptions (docs/wallet.md, "Web Push"): a customer's browsers' RFC 8030
-- endpoints with their RFC 8291 keys; at most store.MaxPushSubscriptions per user (the oldest go).
CREATE TABLE push_subscriptions (
    user_id    text        NOT NULL REFERENCES users (id),
    endpoint   text        NOT NULL,
    p256dh     bytea       NOT NULL,
    auth       bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, endpoint)
);
