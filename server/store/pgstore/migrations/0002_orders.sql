-- stillpay schema, version 2: flow 2 orders. The record is the store.Order JSON; the columns beside it
-- are its keys and indexes. An order's payment is a row of txns (key: terminal id, order id).
CREATE SEQUENCE order_seqs;

CREATE TABLE orders (
    id                text   PRIMARY KEY,
    terminal_id       text   NOT NULL,
    terminal_order_id text   NOT NULL,
    seq               bigint NOT NULL UNIQUE,
    state             text   NOT NULL,
    record            jsonb  NOT NULL,
    UNIQUE (terminal_id, terminal_order_id)
);
CREATE INDEX orders_by_terminal ON orders (terminal_id, seq);
