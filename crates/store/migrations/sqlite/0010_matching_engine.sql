-- The matching engine (docs/engine.md).
--
-- An accepted order is handed to its market's matcher by its own row, in the acceptance
-- transaction: a live order (OPEN, PARTIALLY_FILLED) with no book_priority has not been
-- processed yet. The matcher sets book_priority when the order rests (a rebuilt book restores
-- that order, never creation time), and keeps filled_notional, the exact sum of
-- hundredths * ticks over its fills, from which its rounding continues (engine::core::amounts).
ALTER TABLE orders ADD COLUMN book_priority BIGINT;
ALTER TABLE orders ADD COLUMN filled_notional TEXT NOT NULL DEFAULT '0';
-- Filled never exceeds size. SQLite cannot add a table constraint to an existing table.
CREATE TRIGGER orders_filled_within_size BEFORE UPDATE OF remaining_hundredths ON orders
WHEN NEW.remaining_hundredths < 0 OR NEW.remaining_hundredths > NEW.size_hundredths
BEGIN
    SELECT RAISE(ABORT, 'orders_filled_within_size: filled would exceed size');
END;

-- The market's sequence: the seq of the last matcher batch committed. Every batch advances it
-- by one with a compare-and-set (UPDATE ... WHERE last_seq = the seq it started from), the
-- fence that keeps a second writer of the market from committing a second history.
ALTER TABLE markets ADD COLUMN last_seq BIGINT NOT NULL DEFAULT 0;

-- One row per side of a trade. (market, seq, n) is unique, so a replayed batch cannot add a
-- fill twice; fill_id and trade_id are derived from it. price_ticks and side are the order's
-- own (its outcome's terms); tokens are the base units of its outcome token the fill moved,
-- collateral what it paid (BUY) or received (SELL) before its fee; fee is in what it receives
-- (tokens for a BUY, collateral for a SELL).
CREATE TABLE fills (
    condition_id TEXT NOT NULL,
    chain_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    n BIGINT NOT NULL,
    fill_id TEXT NOT NULL,
    trade_id TEXT NOT NULL,
    order_hash TEXT NOT NULL,
    wallet TEXT NOT NULL,
    token_id TEXT NOT NULL,
    outcome BIGINT NOT NULL,
    side TEXT NOT NULL,
    price_ticks BIGINT NOT NULL,
    size_hundredths BIGINT NOT NULL,
    tokens TEXT NOT NULL,
    collateral TEXT NOT NULL,
    fee TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (condition_id, chain_id, seq, n)
);
-- GET /v1/fills: a wallet's fills, newest first (a market filter walks it and filters).
CREATE INDEX fills_by_wallet ON fills (wallet, created_at DESC, fill_id DESC);

-- What each matcher batch published, in the market's gapless seq: the table is the truth the
-- in-process fan-out (and later a stream per market) is fed from. events is a JSON array.
CREATE TABLE market_events (
    condition_id TEXT NOT NULL,
    chain_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    events TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (condition_id, chain_id, seq)
);

-- A wallet's cost basis and realised profit per outcome token; the size held is its balance
-- (available + reserved). cost is the collateral paid for the tokens still held and
-- realized_pnl a signed amount, both in base units of collateral.
CREATE TABLE positions (
    wallet TEXT NOT NULL,
    token_id TEXT NOT NULL,
    condition_id TEXT NOT NULL,
    chain_id BIGINT NOT NULL,
    outcome BIGINT NOT NULL,
    cost TEXT NOT NULL,
    realized_pnl TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (wallet, token_id)
);
