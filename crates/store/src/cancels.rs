//! Cancelling stored orders, as storage functions the order domain composes in one
//! transaction: lock the wallet's live orders a selection names, close one. Only the wallet's
//! own `OPEN` and `PARTIALLY_FILLED` orders are ever touched.

use std::collections::HashMap;

use sqlx::Row;
use types::{MarketKey, OrderHash, OrderStatus, Outcome, Side, Timestamp, Wallet, Wei};

use crate::balances::Asset;
use crate::error::{parse_col, StoreError};
use crate::hash_index::{order_key, order_key_or_no_row, OrderKey};
use crate::orders::{from_row, OrderRecord, COLUMNS};
use crate::tx::Tx;

/// Which of the wallet's live orders to cancel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancelSelection {
    /// These orders (unknown ones, other wallets' and closed ones are skipped).
    Hashes(Vec<OrderHash>),
    /// Every live order matching all the given criteria; none given = all of them.
    Matching {
        market: Option<MarketKey>,
        /// The order's own outcome, as placed.
        outcome: Option<Outcome>,
        /// The order's own side, as placed.
        side: Option<Side>,
    },
}

/// Spelt as the predicate of the index on a wallet's live orders, so that it is used.
const LIVE: &str = crate::orders::LIVE_STATUSES;

/// A live order as a cancel sees it: what it holds reserved, of which asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiveOrder {
    pub hash: OrderHash,
    pub asset: Asset,
    pub reserved: Wei,
}

/// Locks and returns the wallet's live orders the selection names, ordered by hash (the lock
/// order every writer follows: orders by hash, then balances by (wallet, asset)).
pub async fn lock_live_orders(
    tx: &mut Tx<'_>,
    wallet: Wallet,
    selection: &CancelSelection,
) -> Result<Vec<LiveOrder>, StoreError> {
    let mut sql = format!(
        "SELECT order_hash, side, token_id, reserved FROM orders WHERE wallet = $1 AND {LIVE}"
    );
    let mut n = 1;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    match selection {
        CancelSelection::Hashes(hashes) => {
            let list: Vec<String> = hashes.iter().map(|_| next()).collect();
            sql.push_str(&format!(" AND order_hash IN ({})", list.join(",")));
        }
        CancelSelection::Matching {
            market,
            outcome,
            side,
        } => {
            if market.is_some() {
                let (c, ch) = (next(), next());
                sql.push_str(&format!(" AND condition_id = {c} AND chain_id = {ch}"));
            }
            if outcome.is_some() {
                sql.push_str(&format!(" AND outcome = {}", next()));
            }
            if side.is_some() {
                sql.push_str(&format!(" AND side = {}", next()));
            }
        }
    }
    // One lock order for every writer: orders by hash, then balances by (wallet, asset).
    sql.push_str(" ORDER BY order_hash");
    sql.push_str(tx.backend().for_update());

    let mut query = sqlx::query(&sql).bind(wallet.to_string());
    match selection {
        CancelSelection::Hashes(hashes) => {
            for h in hashes {
                query = query.bind(h.to_string());
            }
        }
        CancelSelection::Matching {
            market,
            outcome,
            side,
        } => {
            if let Some(m) = market {
                query = query
                    .bind(m.condition_id.to_string())
                    .bind(m.chain_id.0 as i64);
            }
            if let Some(o) = outcome {
                query = query.bind(i64::from(o.as_u8()));
            }
            if let Some(s) = side {
                query = query.bind(s.as_str());
            }
        }
    }
    let rows = query.fetch_all(&mut *tx.inner).await?;
    let mut live = Vec::with_capacity(rows.len());
    for row in &rows {
        let side: Side = parse_col(&row.try_get::<String, _>("side")?, "side")?;
        live.push(LiveOrder {
            hash: parse_col(&row.try_get::<String, _>("order_hash")?, "order_hash")?,
            asset: match side {
                Side::Buy => Asset::Collateral,
                Side::Sell => Asset::Token(parse_col(
                    &row.try_get::<String, _>("token_id")?,
                    "token_id",
                )?),
            },
            reserved: parse_col(&row.try_get::<String, _>("reserved")?, "reserved")?,
        });
    }

    Ok(live)
}

/// Locks and returns the wallet's order with this hash, whatever its status; `None` when the
/// wallet has none. An unknown hash and another wallet's take the same path (see
/// `order_key_or_no_row`).
pub async fn lock_order(
    tx: &mut Tx<'_>,
    wallet: Wallet,
    hash: &OrderHash,
) -> Result<Option<OrderRecord>, StoreError> {
    let key = order_key_or_no_row(tx.hash_index(), hash);
    let backend = tx.backend();
    let sql = format!(
        "SELECT {COLUMNS} FROM orders WHERE {} AND wallet = $2{}",
        key.condition("$1"),
        backend.for_update()
    );
    let row = key
        .bind(sqlx::query(&sql))
        .bind(wallet.to_string())
        .fetch_optional(&mut *tx.inner)
        .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    from_row(&row).map(Some)
}

/// The status of each of the wallet's orders among `hashes`. A hash the wallet has no order
/// with, unknown or another wallet's, is absent: the two take the same path. At most a few
/// hundred hashes (one statement).
pub async fn order_statuses(
    tx: &mut Tx<'_>,
    wallet: Wallet,
    hashes: &[OrderHash],
) -> Result<HashMap<OrderHash, OrderStatus>, StoreError> {
    // A hash the embedded index does not know still runs the statement, with a key that names
    // no row: an unknown hash and another wallet's take the same time.
    let keys: Vec<OrderKey> = hashes
        .iter()
        .map(|h| order_key_or_no_row(tx.hash_index(), h))
        .collect();
    let Some(first) = keys.first() else {
        return Ok(HashMap::new());
    };
    let backend = tx.backend();
    let mut sql = "SELECT order_hash, status FROM orders WHERE wallet = ".to_owned();
    backend.push_placeholders(&mut sql, 1, 1);
    sql.push_str(&format!(" AND {} IN (", first.column()));
    backend.push_placeholders(&mut sql, 2, keys.len());
    sql.push(')');
    let mut query = sqlx::query(&sql).bind(wallet.to_string());
    for key in &keys {
        query = key.bind(query);
    }
    let mut statuses = HashMap::with_capacity(keys.len());
    for row in query.fetch_all(&mut *tx.inner).await? {
        statuses.insert(
            parse_col(&row.try_get::<String, _>("order_hash")?, "order_hash")?,
            parse_col(&row.try_get::<String, _>("status")?, "status")?,
        );
    }
    Ok(statuses)
}

/// Closes a live order: `CANCELLED`, nothing reserved any more. A closed one is left as it is.
pub async fn cancel_live_order(
    tx: &mut Tx<'_>,
    hash: &OrderHash,
    now: Timestamp,
) -> Result<(), StoreError> {
    let key = order_key(tx.hash_index(), hash)
        .ok_or_else(|| StoreError::Corrupt(format!("order {hash} is stored but not indexed")))?;
    close(tx, &key, now).await
}

async fn close(tx: &mut Tx<'_>, key: &OrderKey, now: Timestamp) -> Result<(), StoreError> {
    let sql = format!(
        "UPDATE orders SET status = $1, reserved = '0', updated_at = $2 WHERE {} AND {LIVE}",
        key.condition("$3")
    );
    let query = sqlx::query(&sql)
        .bind(OrderStatus::Cancelled.as_str())
        .bind(now.0);
    key.bind(query).execute(&mut *tx.inner).await?;
    Ok(())
}
