-- Flow 3 screening at scale (docs/benchmarks.md, "Screening"): the activity index becomes covering, so
-- screening reads one merchant's approved, not voided payments by index-only scans with the customer
-- and the amount; the frequency cap reads recent offer messages by time in one grouped scan.

DROP INDEX txns_activity;
CREATE INDEX txns_activity ON txns (merchant_id, approved_at, user_id, amount_minor)
    WHERE kind = 'payment' AND status = 'approved' AND NOT tombstone AND voided_by = '';

CREATE INDEX offer_messages_by_time ON offer_messages (created_at);
