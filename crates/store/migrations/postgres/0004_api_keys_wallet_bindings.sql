-- API keys (section 2.2) and the Privy user -> wallet bindings (section 2.1).
-- Secrets are never stored: secret_hash is the hex HMAC-SHA256 of the secret under the server's
-- pepper. permissions is a comma-separated list (read,trade). Times are Unix milliseconds.
CREATE TABLE api_keys (
    key_id TEXT NOT NULL PRIMARY KEY,
    wallet TEXT NOT NULL,
    name TEXT,
    permissions TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    expires_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_keys_by_wallet ON api_keys (wallet, created_at);

-- One row per wallet that ever created a key: locked while a key is created, so two concurrent
-- creations cannot both pass the live-key limit.
CREATE TABLE api_key_owners (
    wallet TEXT NOT NULL PRIMARY KEY,
    updated_at BIGINT NOT NULL
);

CREATE TABLE privy_wallet_bindings (
    sub TEXT NOT NULL PRIMARY KEY,
    wallet TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
