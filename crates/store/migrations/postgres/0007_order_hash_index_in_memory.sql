-- Nothing on PostgreSQL: several instances share the database, so the order-hash primary key
-- stays (the embedded store's index moved to memory: store::hash_index).
SELECT 1;
