-- stillpay schema, version 1. Portable SQL: runs on PostgreSQL (>= 13) and CockroachDB (>= 23.1).
-- Times are timestamptz at microsecond precision, money is bigint minor units, ids are text.
-- Strings the Go types keep as "" are NOT NULL DEFAULT ''; optional times and bytes are NULL.

CREATE TABLE merchants (
    id             text        PRIMARY KEY,
    name           text        NOT NULL DEFAULT '',
    currency       text        NOT NULL,
    account_id     text        NOT NULL,
    receipt_header jsonb       NOT NULL,
    created_at     timestamptz NOT NULL
);

CREATE TABLE terminals (
    id                text        PRIMARY KEY,
    merchant_id       text        NOT NULL REFERENCES merchants (id),
    name              text        NOT NULL DEFAULT '',
    state             text        NOT NULL,
    enroll_code_hash  bytea       NOT NULL UNIQUE,
    enroll_expires_at timestamptz NULL,
    public_key        bytea       NULL,
    hostname          text        NOT NULL DEFAULT '',
    version           text        NOT NULL DEFAULT '',
    limits            jsonb       NOT NULL,
    created_at        timestamptz NOT NULL,
    enrolled_at       timestamptz NULL,
    revoked_at        timestamptz NULL
);
CREATE INDEX terminals_by_merchant ON terminals (merchant_id, id);

CREATE TABLE users (
    id            text        PRIMARY KEY,
    name          text        NOT NULL DEFAULT '',
    password_hash text        NOT NULL,
    created_at    timestamptz NOT NULL
);

CREATE TABLE sessions (
    token_hash bytea       PRIMARY KEY,
    user_id    text        NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- balance is the truth for an account; the journal (entries + entry_legs) must sum to it (Check).
CREATE TABLE accounts (
    id         text        PRIMARY KEY,
    kind       text        NOT NULL,
    currency   text        NOT NULL,
    owner_id   text        NOT NULL DEFAULT '',
    balance    bigint      NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT accounts_not_negative CHECK (kind = 'system' OR balance >= 0)
);
CREATE INDEX accounts_by_owner ON accounts (owner_id, id);

-- Entry ids and txn sequence numbers come from sequences: unique and increasing in allocation order,
-- with gaps where a transaction rolled back (see docs/scaling.md).
CREATE SEQUENCE entry_ids;
CREATE SEQUENCE txn_seqs;

CREATE TABLE entries (
    id       bigint      PRIMARY KEY,
    kind     text        NOT NULL,
    currency text        NOT NULL,
    ref      text        NOT NULL DEFAULT '',
    at       timestamptz NOT NULL
);

CREATE TABLE entry_legs (
    entry_id   bigint NOT NULL,
    idx        int    NOT NULL,
    account_id text   NOT NULL,
    delta      bigint NOT NULL,
    PRIMARY KEY (entry_id, idx)
);

CREATE TABLE authorizations (
    id                text        PRIMARY KEY,
    user_id           text        NOT NULL,
    account_id        text        NOT NULL,
    hold_account_id   text        NOT NULL,
    currency          text        NOT NULL,
    cap_per_payment   bigint      NOT NULL,
    max_codes         int         NOT NULL,
    hold_minor        bigint      NOT NULL,
    device_public_key bytea       NOT NULL,
    sealed_secret     bytea       NOT NULL,
    credential        bytea       NULL,
    key_id            text        NOT NULL DEFAULT '',
    created_at        timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    revoked_at        timestamptz NULL,
    used_codes        int         NOT NULL DEFAULT 0,
    replayed_codes    int         NOT NULL DEFAULT 0,
    released_minor    bigint      NOT NULL DEFAULT 0,
    hold_closed_at    timestamptz NULL,
    -- closes_at is the expiry, or the revocation when earlier: what Sweep orders by.
    closes_at         timestamptz NOT NULL
);
CREATE INDEX authorizations_by_user ON authorizations (user_id, id);
CREATE INDEX authorizations_by_account ON authorizations (account_id, id);
CREATE INDEX authorizations_open ON authorizations (closes_at) WHERE hold_closed_at IS NULL;

-- counter is the uint64 code counter stored by its bit pattern.
CREATE TABLE used_codes (
    authorization_id text        NOT NULL,
    counter          bigint      NOT NULL,
    terminal_id      text        NOT NULL,
    terminal_txn_id  text        NOT NULL,
    at               timestamptz NOT NULL,
    PRIMARY KEY (authorization_id, counter)
);

-- One row per idempotency key: the stored outcome (immutable) and the state later ops change
-- (refunded_minor, voided_by, voided_at). A terminal's txns list in its own txn id order (the primary
-- key); the other listings by seq.
CREATE TABLE txns (
    terminal_id      text        NOT NULL,
    terminal_txn_id  text        NOT NULL,
    seq              bigint      NOT NULL UNIQUE,
    kind             text        NOT NULL,
    status           text        NOT NULL,
    code             text        NOT NULL DEFAULT '',
    message          text        NOT NULL DEFAULT '',
    offline          boolean     NOT NULL DEFAULT false,
    amount_minor     bigint      NOT NULL DEFAULT 0,
    currency         text        NOT NULL DEFAULT '',
    merchant_id      text        NOT NULL DEFAULT '',
    user_id          text        NOT NULL DEFAULT '',
    account_id       text        NOT NULL DEFAULT '',
    authorization_id text        NOT NULL DEFAULT '',
    code_counter     bigint      NOT NULL DEFAULT 0,
    target_txn_id    text        NOT NULL DEFAULT '',
    reference        text        NOT NULL DEFAULT '',
    approval_id      text        NOT NULL DEFAULT '',
    approval_code    text        NOT NULL DEFAULT '',
    key_id           text        NOT NULL DEFAULT '',
    approved_at      timestamptz NULL,
    settled_at       timestamptz NULL,
    entry_id         bigint      NOT NULL DEFAULT 0,
    request_hash     bytea       NULL,
    tombstone        boolean     NOT NULL DEFAULT false,
    refunded_minor   bigint      NOT NULL DEFAULT 0,
    voided_by        text        NOT NULL DEFAULT '',
    voided_at        timestamptz NULL,
    PRIMARY KEY (terminal_id, terminal_txn_id)
);
CREATE INDEX txns_by_merchant ON txns (merchant_id, seq);
CREATE INDEX txns_by_user ON txns (user_id, seq);
CREATE INDEX txns_by_authorization ON txns (authorization_id, seq);

CREATE TABLE nonces (
    terminal_id text        NOT NULL,
    nonce       text        NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (terminal_id, nonce)
);
CREATE INDEX nonces_by_expiry ON nonces (expires_at);

-- times is a JSON array of RFC 3339 timestamps, oldest first (at most store.MaxFailureTimes);
-- last_at is the newest, so Sweep can forget subjects with nothing left to count.
CREATE TABLE code_failures (
    kind      text        NOT NULL,
    id        text        NOT NULL,
    times     jsonb       NOT NULL,
    day       text        NOT NULL DEFAULT '',
    day_count int         NOT NULL DEFAULT 0,
    last_at   timestamptz NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX code_failures_by_last ON code_failures (last_at);
