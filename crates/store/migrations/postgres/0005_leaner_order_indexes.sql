-- Every accepted order writes one entry into each index of `orders`, inside the acceptance
-- transaction that the order's response waits for, so each index is paid for on the hot path.
-- A wallet's orders of one market are listed by walking orders_by_wallet and filtering on the
-- market, which needs no index of its own.
DROP INDEX orders_by_wallet_market;

-- Hashes, addresses and asset ids are lowercase hex or decimal ASCII: the "C" collation orders
-- them byte by byte, as SQLite does, instead of through the database's locale (strcoll on
-- every B-tree comparison was a visible share of an order insert). Lock order of balances is
-- defined in this collation (store::balances::lock_balances).
ALTER TABLE orders
    ALTER COLUMN order_hash TYPE TEXT COLLATE "C",
    ALTER COLUMN wallet TYPE TEXT COLLATE "C",
    ALTER COLUMN condition_id TYPE TEXT COLLATE "C";
ALTER TABLE balances
    ALTER COLUMN wallet TYPE TEXT COLLATE "C",
    ALTER COLUMN asset TYPE TEXT COLLATE "C";
ALTER TABLE idempotency_keys
    ALTER COLUMN wallet TYPE TEXT COLLATE "C",
    ALTER COLUMN idempotency_key TYPE TEXT COLLATE "C";
