-- Every index of `orders` is written inside the acceptance transaction that each order's
-- response waits for, and no query reads this one yet: nothing lists the live orders of a
-- market (the matching engine, which will, adds the index its queries need). On PostgreSQL it
-- was about 2.3 µs of server CPU per accepted order (docs/orders.md, "PostgreSQL's acceptance
-- statement takes arrays").
DROP INDEX orders_live_by_market;
