-- What each order still holds reserved, in base units of the asset its side spends
-- (collateral for BUY, its outcome token for SELL): set to maker_amount on acceptance, consumed by
-- fills, returned to the wallet's available balance by a cancel or an expiry. Orders stored
-- before this migration reserved nothing.
ALTER TABLE orders ADD COLUMN reserved TEXT NOT NULL DEFAULT '0';
-- Cancels by filter or "all of a wallet's open orders" read only that wallet's live orders.
CREATE INDEX orders_live_by_wallet ON orders (wallet, created_at)
    WHERE status IN ('OPEN', 'PARTIALLY_FILLED');
