//! The balance ledger: available and reserved amounts per wallet and asset.
//!
//! Amounts are uint256 in base units, stored as decimal text and added in Rust, so the
//! arithmetic is exact on both dialects. Every change runs read-lock-write in one transaction.

use std::collections::{BTreeMap, HashMap};

use sqlx::{AnyConnection, Row};
use types::{Timestamp, Wallet, Wei};

use crate::error::{parse_col, StoreError};
use crate::tx::Tx;
use crate::{Backend, Store};

pub use types::balance::{Asset, Balance};

impl Store {
    /// Adds `amount` to the wallet's available balance of `asset` and returns the new balance.
    pub async fn credit_balance(
        &self,
        wallet: Wallet,
        asset: Asset,
        amount: Wei,
        now: Timestamp,
    ) -> Result<Balance, StoreError> {
        let balances = self
            .credit_balances(&[(wallet, asset, amount)], now)
            .await?;
        Ok(balances.get(&(wallet, asset)).copied().unwrap_or_default())
    }

    /// Adds each amount to its wallet's available balance of its asset, all in one transaction
    /// (none when one would exceed 2^256-1), and returns the new balances.
    pub async fn credit_balances(
        &self,
        credits: &[(Wallet, Asset, Wei)],
        now: Timestamp,
    ) -> Result<BTreeMap<(Wallet, Asset), Balance>, StoreError> {
        let mut conn = self.write_connection().await?;
        let mut tx = conn.begin().await?;
        let pairs: Vec<(Wallet, Asset)> = credits.iter().map(|(w, a, _)| (*w, *a)).collect();
        // Rows first, so that two credits of a new balance lock one row instead of both
        // inserting it (the second would overwrite the first).
        for (wallet, asset) in &pairs {
            if let Err(e) = ensure_balance_row(&mut tx, *wallet, *asset, now).await {
                tx.rollback().await;
                return Err(e);
            }
        }
        let found = match lock_balances(&mut tx, &pairs).await {
            Ok(found) => found,
            Err(e) => {
                tx.rollback().await;
                return Err(e);
            }
        };
        let mut updated: BTreeMap<(Wallet, Asset), Balance> = BTreeMap::new();
        for (wallet, asset, amount) in credits {
            let current = updated
                .get(&(*wallet, *asset))
                .or_else(|| found.get(&(*wallet, *asset)))
                .copied()
                .unwrap_or_default();
            let Some(available) = current.available.checked_add(*amount) else {
                tx.rollback().await;
                return Err(StoreError::BalanceOutOfRange);
            };
            updated.insert(
                (*wallet, *asset),
                Balance {
                    available,
                    ..current
                },
            );
        }
        let result = write_balances(&mut tx, &updated, now).await;
        tx.finish(result).await?;
        Ok(updated)
    }

    /// The wallet's balance of `asset`; zero when it never held any.
    pub async fn balance(&self, wallet: Wallet, asset: Asset) -> Result<Balance, StoreError> {
        let row = sqlx::query(
            "SELECT available, reserved FROM balances WHERE wallet = $1 AND asset = $2",
        )
        .bind(wallet.to_string())
        .bind(asset.to_string())
        .fetch_optional(&self.read)
        .await?;
        match row {
            None => Ok(Balance::default()),
            Some(row) => Ok(Balance {
                available: parse_col(&row.try_get::<String, _>("available")?, "available")?,
                reserved: parse_col(&row.try_get::<String, _>("reserved")?, "reserved")?,
            }),
        }
    }
}

/// Locks and reads the balances of every pair in one statement; a pair the wallet never held
/// is absent from the answer.
///
/// On PostgreSQL the rows are locked in the order of their `(wallet, asset)` text under the
/// "C" collation, whatever order `pairs` has: every writer that locks several balances goes
/// through here, so two of them never wait on each other in opposite orders.
pub async fn lock_balances(
    tx: &mut Tx<'_>,
    pairs: &[(Wallet, Asset)],
) -> Result<HashMap<(Wallet, Asset), Balance>, StoreError> {
    let backend = tx.backend();
    let mut found = HashMap::with_capacity(pairs.len());
    // Two parameters per pair: well under either dialect's limit per statement.
    for chunk in pairs.chunks(500) {
        let keys: Vec<(String, String)> = chunk
            .iter()
            .map(|(w, a)| (w.to_string(), a.to_string()))
            .collect();
        let mut sql = String::from(
            "SELECT wallet, asset, available, reserved FROM balances WHERE (wallet, asset) IN (",
        );
        backend.push_rows(&mut sql, keys.len(), 2);
        sql.push(')');
        if backend == Backend::Postgres {
            // Both columns are in the "C" collation (migration 0005).
            sql.push_str(" ORDER BY wallet, asset");
        }
        sql.push_str(backend.for_update());
        let mut query = sqlx::query(&sql);
        for (w, a) in &keys {
            query = query.bind(w.as_str()).bind(a.as_str());
        }
        let by_text: HashMap<(&str, &str), (Wallet, Asset)> = keys
            .iter()
            .zip(chunk)
            .map(|((w, a), pair)| ((w.as_str(), a.as_str()), *pair))
            .collect();
        for row in query.fetch_all(&mut *tx.inner).await? {
            let (w, a) = (
                row.try_get::<String, _>("wallet")?,
                row.try_get::<String, _>("asset")?,
            );
            let pair = by_text.get(&(w.as_str(), a.as_str())).ok_or_else(|| {
                StoreError::Corrupt(format!("balance row {w} {a} was not asked for"))
            })?;
            let balance = Balance {
                available: parse_col(&row.try_get::<String, _>("available")?, "available")?,
                reserved: parse_col(&row.try_get::<String, _>("reserved")?, "reserved")?,
            };
            tx.note_balance(*pair, balance);
            found.insert(*pair, balance);
        }
    }
    Ok(found)
}

/// Writes balances locked by [`lock_balances`] in the same transaction, creating rows the
/// wallets had none of, in one statement per few hundred pairs.
pub async fn write_balances(
    tx: &mut Tx<'_>,
    balances: &BTreeMap<(Wallet, Asset), Balance>,
    now: Timestamp,
) -> Result<(), StoreError> {
    let backend = tx.backend();
    let rows: Vec<_> = balances.iter().collect();
    for chunk in rows.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO balances (wallet, asset, available, reserved, updated_at) VALUES ",
        );
        backend.push_rows(&mut sql, chunk.len(), 5);
        sql.push_str(
            " ON CONFLICT (wallet, asset) DO UPDATE SET available = excluded.available, \
             reserved = excluded.reserved, updated_at = excluded.updated_at",
        );
        let mut query = sqlx::query(&sql);
        for ((wallet, asset), balance) in chunk {
            query = query
                .bind(wallet.to_string())
                .bind(asset.to_string())
                .bind(balance.available.to_string())
                .bind(balance.reserved.to_string())
                .bind(now.0);
        }
        query.execute(&mut *tx.inner).await?;
    }
    for (pair, balance) in balances {
        tx.note_balance(*pair, *balance);
    }
    Ok(())
}

/// Creates the wallet's zero balance row of `asset` when missing, so that it can be locked.
pub async fn ensure_balance_row(
    tx: &mut Tx<'_>,
    wallet: Wallet,
    asset: Asset,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO balances (wallet, asset, available, reserved, updated_at) \
         VALUES ($1, $2, '0', '0', $3) ON CONFLICT (wallet, asset) DO NOTHING",
    )
    .bind(wallet.to_string())
    .bind(asset.to_string())
    .bind(now.0)
    .execute(&mut *tx.inner)
    .await?;
    Ok(())
}

/// Every balance row of the wallet, collateral and tokens, in the order of their asset text.
pub(crate) async fn wallet_balances(
    conn: &mut AnyConnection,
    wallet: Wallet,
) -> Result<Vec<(Asset, Balance)>, StoreError> {
    let rows = sqlx::query(
        "SELECT asset, available, reserved FROM balances WHERE wallet = $1 ORDER BY asset",
    )
    .bind(wallet.to_string())
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                parse_col(&row.try_get::<String, _>("asset")?, "asset")?,
                Balance {
                    available: parse_col(&row.try_get::<String, _>("available")?, "available")?,
                    reserved: parse_col(&row.try_get::<String, _>("reserved")?, "reserved")?,
                },
            ))
        })
        .collect()
}
