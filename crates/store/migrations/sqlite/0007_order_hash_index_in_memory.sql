-- The embedded store keeps its order-hash index in memory (store::hash_index): a B-tree keyed
-- by the hash put every accepted order in a random leaf, about one 4 KiB page written to the
-- WAL (and copied again by a checkpoint) per order. SQLite cannot drop a primary key, so the
-- table is rebuilt without one, every row keeping its rowid (the index's row locator).
CREATE TABLE orders_rebuilt (
    order_hash TEXT NOT NULL,
    wallet TEXT NOT NULL,
    condition_id TEXT NOT NULL,
    chain_id BIGINT NOT NULL,
    token_id TEXT NOT NULL,
    outcome BIGINT NOT NULL,
    side TEXT NOT NULL,
    order_type TEXT NOT NULL,
    price_ticks BIGINT NOT NULL,
    size_hundredths BIGINT NOT NULL,
    remaining_hundredths BIGINT NOT NULL,
    status TEXT NOT NULL,
    salt TEXT NOT NULL,
    maker TEXT NOT NULL,
    signer TEXT NOT NULL,
    taker TEXT NOT NULL,
    maker_amount TEXT NOT NULL,
    taker_amount TEXT NOT NULL,
    expiration TEXT NOT NULL,
    -- The expiration as Unix seconds when it is non-zero and fits, for expiry sweeps.
    expires_at BIGINT,
    nonce TEXT NOT NULL,
    fee_rate_bps BIGINT NOT NULL,
    signature_type BIGINT NOT NULL,
    signature TEXT NOT NULL,
    book_added_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    reserved TEXT NOT NULL DEFAULT '0'
);
INSERT INTO orders_rebuilt (rowid, order_hash, wallet, condition_id, chain_id, token_id, outcome, side, order_type, price_ticks, size_hundredths, remaining_hundredths, status, salt, maker, signer, taker, maker_amount, taker_amount, expiration, expires_at, nonce, fee_rate_bps, signature_type, signature, book_added_at, created_at, updated_at, reserved)
    SELECT rowid, order_hash, wallet, condition_id, chain_id, token_id, outcome, side, order_type, price_ticks, size_hundredths, remaining_hundredths, status, salt, maker, signer, taker, maker_amount, taker_amount, expiration, expires_at, nonce, fee_rate_bps, signature_type, signature, book_added_at, created_at, updated_at, reserved FROM orders;
DROP TABLE orders;
ALTER TABLE orders_rebuilt RENAME TO orders;
-- The indexes of migrations 0002, 0003 and 0005, which went with the old table.
CREATE INDEX orders_by_wallet ON orders (wallet, created_at DESC, order_hash DESC);
CREATE INDEX orders_live_by_market ON orders (condition_id, chain_id, created_at)
    WHERE status IN ('OPEN', 'PARTIALLY_FILLED');
CREATE INDEX orders_live_by_expiry ON orders (expires_at)
    WHERE expires_at IS NOT NULL AND status IN ('OPEN', 'PARTIALLY_FILLED');
CREATE INDEX orders_live_by_wallet ON orders (wallet, created_at)
    WHERE status IN ('OPEN', 'PARTIALLY_FILLED');
