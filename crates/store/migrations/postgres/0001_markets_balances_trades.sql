-- Markets, the balance ledger and public trade prints.
-- Amounts are decimal TEXT (uint256 does not fit a SQL integer); times are Unix milliseconds.
CREATE TABLE markets (
    condition_id TEXT NOT NULL,
    chain_id BIGINT NOT NULL,
    question TEXT NOT NULL,
    status TEXT NOT NULL,
    yes_token_id TEXT NOT NULL,
    yes_decimals BIGINT NOT NULL,
    no_token_id TEXT NOT NULL,
    no_decimals BIGINT NOT NULL,
    collateral_token TEXT NOT NULL,
    ctf_exchange_address TEXT NOT NULL,
    conditional_tokens_address TEXT NOT NULL,
    fee_rate_bps BIGINT NOT NULL,
    min_order_size BIGINT NOT NULL,
    end_date BIGINT,
    summary TEXT NOT NULL,
    rules TEXT NOT NULL,
    translations TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (condition_id, chain_id)
);
CREATE INDEX markets_updated_at ON markets (updated_at);

CREATE TABLE balances (
    wallet TEXT NOT NULL,
    asset TEXT NOT NULL,
    available TEXT NOT NULL,
    reserved TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (wallet, asset)
);

CREATE TABLE trades (
    trade_id TEXT NOT NULL PRIMARY KEY,
    condition_id TEXT NOT NULL,
    chain_id BIGINT NOT NULL,
    price_ticks BIGINT NOT NULL,
    size_hundredths BIGINT NOT NULL,
    taker_side TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX trades_by_market ON trades (condition_id, chain_id, created_at DESC, trade_id DESC);
