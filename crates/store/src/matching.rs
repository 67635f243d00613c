//! What the matching engine reads and writes: the live orders a book is rebuilt from, each
//! order's progress, the market's events and its fenced sequence. Every write takes the
//! matcher's [`Tx`]: one batch is one transaction (docs/engine.md, "What one batch commits").

use sqlx::Row;
use types::{MarketKey, OrderHash, OrderStatus, Size, Timestamp, Wei};

use crate::error::{parse_col, StoreError};
use crate::hash_index::order_key;
use crate::orders::{from_row, OrderRecord, COLUMNS, LIVE_STATUSES};
use crate::trades::TradePrint;
use crate::tx::Tx;
use crate::Store;

/// A live order as the matcher reloads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveOrder {
    pub record: OrderRecord,
    /// Where it rested; `None` while the matcher has not processed it (the hand-off).
    pub book_priority: Option<u64>,
    /// The exact `hundredths * ticks` of its fills so far.
    pub filled_notional: u128,
}

/// An order's progress after a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderProgress {
    pub hash: OrderHash,
    pub remaining: Size,
    pub status: OrderStatus,
    pub book_priority: Option<u64>,
    /// When it first rested; kept once set.
    pub book_added_at: Option<Timestamp>,
    pub filled_notional: u128,
    /// What it still holds reserved.
    pub reserved: Wei,
}

impl Store {
    /// Every live order of `market` (of every market when `None`), rested ones in the priority
    /// the matcher gave them, then the ones not processed yet in acceptance order (creation
    /// time, then hash: orders of one acceptance group share a millisecond). A row that does not
    /// read back fails the load: a book must not be rebuilt without one of its orders.
    pub async fn live_orders(
        &self,
        market: Option<&MarketKey>,
    ) -> Result<Vec<LiveOrder>, StoreError> {
        let mut sql = format!(
            "SELECT {COLUMNS}, book_priority, filled_notional FROM orders WHERE {LIVE_STATUSES}"
        );
        if market.is_some() {
            sql.push_str(" AND condition_id = $1 AND chain_id = $2");
        }
        // NULL priorities (not processed yet) after every rested order, on both dialects.
        sql.push_str(
            " ORDER BY condition_id, chain_id, CASE WHEN book_priority IS NULL THEN 1 ELSE 0 END, \
             book_priority, created_at, order_hash",
        );
        let mut query = sqlx::query(&sql);
        if let Some(m) = market {
            query = query
                .bind(m.condition_id.to_string())
                .bind(m.chain_id.0 as i64);
        }
        let rows = query.fetch_all(&self.read).await?;
        let mut live = Vec::with_capacity(rows.len());
        for row in &rows {
            let priority = row.try_get::<Option<i64>, _>("book_priority")?;
            live.push(LiveOrder {
                record: from_row(row)?,
                book_priority: priority
                    .map(|p| {
                        u64::try_from(p)
                            .map_err(|_| StoreError::Corrupt(format!("book_priority = {p}")))
                    })
                    .transpose()?,
                filled_notional: parse_col(
                    &row.try_get::<String, _>("filled_notional")?,
                    "filled_notional",
                )?,
            });
        }
        Ok(live)
    }

    /// The seq of the last batch committed for the market; `None` when there is no such market.
    pub async fn market_seq(&self, market: &MarketKey) -> Result<Option<u64>, StoreError> {
        let row =
            sqlx::query("SELECT last_seq FROM markets WHERE condition_id = $1 AND chain_id = $2")
                .bind(market.condition_id.to_string())
                .bind(market.chain_id.0 as i64)
                .fetch_optional(&self.read)
                .await?;
        row.map(|r| {
            let seq = r.try_get::<i64, _>("last_seq")?;
            u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("last_seq = {seq}")))
        })
        .transpose()
    }

    /// The events of a market's batches from `from` on, oldest first, at most `limit`.
    pub async fn market_events(
        &self,
        market: &MarketKey,
        from: u64,
        limit: u32,
    ) -> Result<Vec<(u64, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, events FROM market_events WHERE condition_id = $1 AND chain_id = $2 \
             AND seq >= $3 ORDER BY seq LIMIT $4",
        )
        .bind(market.condition_id.to_string())
        .bind(market.chain_id.0 as i64)
        .bind(from as i64)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let seq = r.try_get::<i64, _>("seq")?;
                Ok((
                    u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("seq = {seq}")))?,
                    r.try_get::<String, _>("events")?,
                ))
            })
            .collect()
    }
}

/// Writes each order's progress. Fails on an order that is not stored, and (the database's
/// check) on one whose remaining size would leave `0..=size`.
pub async fn write_order_progress(
    tx: &mut Tx<'_>,
    orders: &[OrderProgress],
    now: Timestamp,
) -> Result<(), StoreError> {
    for o in orders {
        let key = order_key(tx.hash_index(), &o.hash).ok_or_else(|| {
            StoreError::Corrupt(format!("order {} is stored but not indexed", o.hash))
        })?;
        let sql = format!(
            "UPDATE orders SET remaining_hundredths = $1, status = $2, book_priority = $3, \
             filled_notional = $4, reserved = $5, updated_at = $6, \
             book_added_at = COALESCE(book_added_at, $7) WHERE {}",
            key.condition("$8")
        );
        let done = key
            .bind(
                sqlx::query(&sql)
                    .bind(o.remaining.hundredths() as i64)
                    .bind(o.status.as_str())
                    .bind(o.book_priority.map(|p| p as i64))
                    .bind(o.filled_notional.to_string())
                    .bind(o.reserved.to_string())
                    .bind(now.0)
                    .bind(o.book_added_at.map(|t| t.0)),
            )
            .execute(&mut *tx.inner)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Corrupt(format!(
                "order {} is not stored",
                o.hash
            )));
        }
    }
    Ok(())
}

/// Records a batch's events under its seq.
pub async fn insert_market_events(
    tx: &mut Tx<'_>,
    market: &MarketKey,
    seq: u64,
    events_json: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO market_events (condition_id, chain_id, seq, events, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(market.condition_id.to_string())
    .bind(market.chain_id.0 as i64)
    .bind(seq as i64)
    .bind(events_json)
    .bind(now.0)
    .execute(&mut *tx.inner)
    .await?;
    Ok(())
}

/// Moves the market's sequence from `from` to `from + 1`, or fails with
/// [`StoreError::Fenced`] when it no longer stands at `from`: another writer has committed a
/// batch of this market since this one read its sequence.
pub async fn advance_seq(tx: &mut Tx<'_>, market: &MarketKey, from: u64) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE markets SET last_seq = $1 WHERE condition_id = $2 AND chain_id = $3 \
         AND last_seq = $4",
    )
    .bind((from + 1) as i64)
    .bind(market.condition_id.to_string())
    .bind(market.chain_id.0 as i64)
    .bind(from as i64)
    .execute(&mut *tx.inner)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Fenced {
            market: format!("{} on chain {}", market.condition_id, market.chain_id.0),
            expected: from,
        });
    }
    Ok(())
}

/// Appends public trade prints.
pub async fn insert_trades(tx: &mut Tx<'_>, trades: &[TradePrint]) -> Result<(), StoreError> {
    let backend = tx.backend();
    for chunk in trades.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO trades (trade_id, condition_id, chain_id, price_ticks, size_hundredths, \
             taker_side, created_at) VALUES ",
        );
        backend.push_rows(&mut sql, chunk.len(), 7);
        let mut query = sqlx::query(&sql);
        for t in chunk {
            query = query
                .bind(t.trade_id.clone())
                .bind(t.condition_id.to_string())
                .bind(t.chain_id.0 as i64)
                .bind(i64::from(t.price.get()))
                .bind(t.size.hundredths() as i64)
                .bind(t.taker_side.as_str())
                .bind(t.created_at.0);
        }
        query.execute(&mut *tx.inner).await?;
    }
    Ok(())
}
