-- Every accepted order writes one entry into each index of `orders`, inside the acceptance
-- transaction that the order's response waits for, so each index is paid for on the hot path.
-- A wallet's orders of one market are listed by walking orders_by_wallet and filtering on the
-- market, which needs no index of its own.
DROP INDEX orders_by_wallet_market;
