//! Migrations embedded in the binary, one list per dialect.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::backend::Backend;

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
