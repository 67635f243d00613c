-- A wallet's orders are indexed in two parts, live and closed, instead of all of them plus
-- the live ones again: an accepted order is always live, so its acceptance, whose response
-- waits for the transaction, writes one wallet index entry instead of two (docs/orders.md,
-- "A leaner acceptance statement"). An order that leaves the book moves from one part to the
-- other with the new row version its status change writes anyway. Listings read the part
-- their statuses fall in, or both merged (store::orders::orders_page), and name the
-- predicate as written here, so that either database may use the index.
DROP INDEX orders_by_wallet;
DROP INDEX orders_live_by_wallet;
CREATE INDEX orders_live_by_wallet ON orders (wallet, created_at DESC, order_hash DESC)
    WHERE status IN ('OPEN', 'PARTIALLY_FILLED');
CREATE INDEX orders_closed_by_wallet ON orders (wallet, created_at DESC, order_hash DESC)
    WHERE status IN ('MATCHED', 'FILLED', 'MATCH_FAILED', 'CANCELLED', 'EXPIRED');
