-- Accepted orders and the idempotency keys of POST /v1/orders.
-- Every signed field and the signature are kept: a restart rebuilds the books from them and
-- cancel-onchain re-encodes the signed struct. uint256 values are decimal TEXT, signatures
-- 0x-hex TEXT, sizes hundredths of a share, prices ticks, times Unix milliseconds.
CREATE TABLE orders (
    order_hash TEXT NOT NULL PRIMARY KEY,
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
    updated_at BIGINT NOT NULL
);
-- GET /v1/orders: one wallet's orders, newest first, optionally for one market.
CREATE INDEX orders_by_wallet ON orders (wallet, created_at DESC, order_hash DESC);
CREATE INDEX orders_by_wallet_market ON orders (wallet, condition_id, chain_id, created_at DESC, order_hash DESC);
-- Book rebuild at start-up and GTD expiry: only live orders.
CREATE INDEX orders_live_by_market ON orders (condition_id, chain_id, created_at)
    WHERE status IN ('OPEN', 'PARTIALLY_FILLED');
CREATE INDEX orders_live_by_expiry ON orders (expires_at)
    WHERE expires_at IS NOT NULL AND status IN ('OPEN', 'PARTIALLY_FILLED');

-- A key is scoped to the wallet that sent it. `response` is NULL while the first request is
-- still being answered.
CREATE TABLE idempotency_keys (
    wallet TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (wallet, idempotency_key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
