//! Migrations embedded in the binary, one list per dialect.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::dialect::Backend;

/// (version, description, SQLite script, PostgreSQL script)
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "markets balances trades",
        include_str!("../migrations/sqlite/0001_markets_balances_trades.sql"),
        include_str!("../migrations/postgres/0001_markets_balances_trades.sql"),
    ),
    (
        2,
        "orders idempotency keys",
        include_str!("../migrations/sqlite/0002_orders_idempotency.sql"),
        include_str!("../migrations/postgres/0002_orders_idempotency.sql"),
    ),
    (
        3,
        "order reservations",
        include_str!("../migrations/sqlite/0003_order_reservations.sql"),
        include_str!("../migrations/postgres/0003_order_reservations.sql"),
    ),
    (
        4,
        "api keys wallet bindings",
        include_str!("../migrations/sqlite/0004_api_keys_wallet_bindings.sql"),
        include_str!("../migrations/postgres/0004_api_keys_wallet_bindings.sql"),
    ),
    (
        5,
        "leaner order indexes",
        include_str!("../migrations/sqlite/0005_leaner_order_indexes.sql"),
        include_str!("../migrations/postgres/0005_leaner_order_indexes.sql"),
    ),
    (
        6,
        "acceptance conflict",
        include_str!("../migrations/sqlite/0006_acceptance_conflict.sql"),
        include_str!("../migrations/postgres/0006_acceptance_conflict.sql"),
    ),
    (
        7,
        "order hash index in memory",
        include_str!("../migrations/sqlite/0007_order_hash_index_in_memory.sql"),
        include_str!("../migrations/postgres/0007_order_hash_index_in_memory.sql"),
    ),
    (
        8,
        "no live by market index",
        include_str!("../migrations/sqlite/0008_no_live_by_market_index.sql"),
        include_str!("../migrations/postgres/0008_no_live_by_market_index.sql"),
    ),
    (
        9,
        "orders by wallet live and closed",
        include_str!("../migrations/sqlite/0009_orders_by_wallet_live_and_closed.sql"),
        include_str!("../migrations/postgres/0009_orders_by_wallet_live_and_closed.sql"),
    ),
    (
        10,
        "matching engine",
        include_str!("../migrations/sqlite/0010_matching_engine.sql"),
        include_str!("../migrations/postgres/0010_matching_engine.sql"),
    ),
];

pub(crate) fn migrator(backend: Backend) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|&(version, description, sqlite, postgres)| {
            let sql = match backend {
                Backend::Sqlite => sqlite,
                Backend::Postgres => postgres,
            };
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                Cow::Borrowed(sql),
                false,
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
    use sqlx::Row;

    use super::*;
    use crate::hash_index::HashIndex;

    /// Migration 7 rebuilds SQLite's `orders` without its primary key: rows written under the
    /// old table keep their rowids, the hash index finds them, and only the secondary indexes
    /// are left (three after migration 8).
    #[tokio::test]
    async fn orders_stored_before_the_rebuild_keep_their_rows() {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/gw.db?mode=rwc", dir.path().display());
        let pool = AnyPoolOptions::new()
            .max_connections(1)
            .connect_with(AnyConnectOptions::from_str(&url).unwrap())
            .await
            .unwrap();
        let mut before = migrator(Backend::Sqlite);
        before.migrations = Cow::Owned(before.migrations[..6].to_vec());
        before.run(&pool).await.unwrap();
        let hash = format!("0x{}", "ab".repeat(32));
        sqlx::query(
            "INSERT INTO orders (rowid, order_hash, wallet, condition_id, chain_id, token_id, \
             outcome, side, order_type, price_ticks, size_hundredths, remaining_hundredths, \
             status, salt, maker, signer, taker, maker_amount, taker_amount, expiration, nonce, \
             fee_rate_bps, signature_type, signature, created_at, updated_at, reserved) \
             VALUES (41, $1, 'w', 'c', 56, '1', 1, 'BUY', 'GTC', 50, 100, 100, 'OPEN', '1', \
             'w', 'w', 't', '5', '10', '0', '0', 0, 0, '0x', 1, 1, '5')",
        )
        .bind(&hash)
        .execute(&pool)
        .await
        .unwrap();

        migrator(Backend::Sqlite).run(&pool).await.unwrap();
        let index = HashIndex::load(&pool, None).await.unwrap();
        assert_eq!(index.row(&hash.parse().unwrap()), Some(41));
        let reserved: String = sqlx::query("SELECT reserved FROM orders WHERE rowid = 41")
            .fetch_one(&pool)
            .await
            .unwrap()
            .get(0);
        assert_eq!(reserved, "5");
        let indexes: Vec<String> = sqlx::query(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders' \
             ORDER BY name",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
        assert_eq!(
            indexes,
            [
                "orders_closed_by_wallet",
                "orders_live_by_expiry",
                "orders_live_by_wallet"
            ]
        );
        pool.close().await;
    }
}
