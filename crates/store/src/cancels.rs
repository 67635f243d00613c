//! Cancelling a wallet's live orders: status `CANCELLED` and the remaining reservation back to
//! the available balance, in one transaction. Only the wallet's own `OPEN` and
//! `PARTIALLY_FILLED` orders are ever touched.

use std::collections::BTreeMap;

use sqlx::Row;
use types::{MarketKey, OrderHash, OrderStatus, Outcome, Side, Timestamp, Wallet, Wei};

use crate::balances::{release, Asset};
use crate::error::{parse_col, StoreError};
use crate::hash_index::OrderKey;
use crate::orders::{from_row, OrderRecord, COLUMNS};
use crate::tx::Tx;
use crate::Store;

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

impl Store {
    /// Cancels the selected live orders of `wallet`; returns the hashes actually cancelled, in
    /// the order given (by hash) or oldest first (by filter).
    pub async fn cancel_orders(
        &self,
        wallet: Wallet,
        selection: &CancelSelection,
        now: Timestamp,
    ) -> Result<Vec<OrderHash>, StoreError> {
        if matches!(selection, CancelSelection::Hashes(h) if h.is_empty()) {
            return Ok(Vec::new());
        }
        let mut writer = self.write_connection().await?;
        let mut tx = writer.begin().await?;
        match cancel_in(&mut tx, self, wallet, selection, now).await {
            Ok(cancelled) => {
                tx.commit().await?;
                Ok(cancelled)
            }
            Err(e) => {
                tx.rollback().await;
                Err(e)
            }
        }
    }

    /// Cancels one order of `wallet` if it is live. Returns the order as it was before, or
    /// `None` when the wallet has no order with this hash; a closed order is left unchanged.
    pub async fn cancel_order(
        &self,
        wallet: Wallet,
        hash: &OrderHash,
        now: Timestamp,
    ) -> Result<Option<OrderRecord>, StoreError> {
        let mut writer = self.write_connection().await?;
        let mut tx = writer.begin().await?;
        match cancel_one_in(&mut tx, self, wallet, hash, now).await {
            Ok(found) => {
                tx.commit().await?;
                Ok(found)
            }
            Err(e) => {
                tx.rollback().await;
                Err(e)
            }
        }
    }
}

struct Live {
    hash: OrderHash,
    asset: Asset,
    reserved: Wei,
}

async fn cancel_in(
    tx: &mut Tx<'_>,
    store: &Store,
    wallet: Wallet,
    selection: &CancelSelection,
    now: Timestamp,
) -> Result<Vec<OrderHash>, StoreError> {
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
    sql.push_str(store.backend().for_update());

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
        live.push(Live {
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

    let mut releases: BTreeMap<(Wallet, Asset), Wei> = BTreeMap::new();
    for order in &live {
        let key = store.order_key(&order.hash).ok_or_else(|| {
            StoreError::Corrupt(format!("order {} is stored but not indexed", order.hash))
        })?;
        close(tx, &key, now).await?;
        let total = releases.entry((wallet, order.asset)).or_default();
        *total = total
            .checked_add(order.reserved)
            .ok_or(StoreError::BalanceOutOfRange)?;
    }
    releases.retain(|_, amount| !amount.0.is_zero());
    if !releases.is_empty() {
        release(tx, &releases, now).await?;
    }

    let cancelled: Vec<OrderHash> = match selection {
        CancelSelection::Hashes(hashes) => {
            let mut out: Vec<OrderHash> = Vec::with_capacity(live.len());
            for h in hashes {
                if live.iter().any(|l| l.hash == *h) && !out.contains(h) {
                    out.push(*h);
                }
            }
            out
        }
        CancelSelection::Matching { .. } => live.iter().map(|l| l.hash).collect(),
    };
    Ok(cancelled)
}

async fn cancel_one_in(
    tx: &mut Tx<'_>,
    store: &Store,
    wallet: Wallet,
    hash: &OrderHash,
    now: Timestamp,
) -> Result<Option<OrderRecord>, StoreError> {
    let Some(key) = store.order_key(hash) else {
        return Ok(None);
    };
    let backend = store.backend();
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
    let order = from_row(&row)?;
    if order.status.is_live() {
        close(tx, &key, now).await?;
        if !order.reserved.0.is_zero() {
            let amount = BTreeMap::from([((wallet, order.reserved_asset()), order.reserved)]);
            release(tx, &amount, now).await?;
        }
    }
    Ok(Some(order))
}

/// `CANCELLED`, nothing reserved any more.
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
