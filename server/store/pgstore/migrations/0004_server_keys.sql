-- Server signing keys announced to every instance sharing this database (server/keysync). The private
-- key is sealed with the instances' seal key, which is not in the database.
CREATE TABLE server_keys (
    key_id       text        PRIMARY KEY,
    created_at   timestamptz NOT NULL,
    sealed       bytea       NOT NULL,
    endorsed_by  text        NOT NULL DEFAULT '',
    endorsement  bytea       NULL,
    current_from timestamptz NOT NULL
);
