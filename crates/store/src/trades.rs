//! Public trade prints, newest first. The matching engine appends them; market data reads them.

use sqlx::Row;
use types::{ChainId, ConditionId, Price, Side, Size, Timestamp};

use crate::error::{parse_col, StoreError};
use crate::Store;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TradePrint {
    pub trade_id: String,
    pub condition_id: ConditionId,
    pub chain_id: ChainId,
    /// YES terms (0.00 when a NO order at 1.00 was the resting side).
    pub price: Price,
    pub size: Size,
    /// The taker's side, YES terms.
    pub taker_side: Side,
    pub created_at: Timestamp,
}

/// The sort key of the last print a page returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TradeCursor {
    pub created_at: Timestamp,
    pub trade_id: String,
}

impl Store {
    /// Appends one print on its own (the matcher appends its prints inside its batch,
    /// `matching::insert_trades`).
    pub async fn insert_trade(&self, t: &TradePrint) -> Result<(), StoreError> {
        let mut conn = self.write_connection().await?;
        let mut tx = conn.begin().await?;
        let result = crate::matching::insert_trades(&mut tx, std::slice::from_ref(t)).await;
        tx.finish(result).await
    }

    /// Up to `limit` prints of one market, newest first, strictly after `after` when given.
    pub async fn trades_page(
        &self,
        condition_id: &ConditionId,
        chain_id: ChainId,
        after: Option<&TradeCursor>,
        limit: u32,
    ) -> Result<Vec<TradePrint>, StoreError> {
        let base =
            "SELECT trade_id, price_ticks, size_hundredths, taker_side, created_at FROM trades \
                    WHERE condition_id = $1 AND chain_id = $2";
        let order = "ORDER BY created_at DESC, trade_id DESC";
        let sql = match after {
            None => format!("{base} {order} LIMIT $3"),
            Some(_) => format!(
                "{base} AND (created_at < $3 OR (created_at = $3 AND trade_id < $4)) {order} LIMIT $5"
            ),
        };
        let mut query = sqlx::query(&sql)
            .bind(condition_id.to_string())
            .bind(chain_id.0 as i64);
        if let Some(c) = after {
            query = query.bind(c.created_at.0).bind(c.trade_id.clone());
        }
        let query = query.bind(i64::from(limit));
        let rows = query.fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                let ticks: i64 = row.try_get("price_ticks")?;
                let size: i64 = row.try_get("size_hundredths")?;
                Ok(TradePrint {
                    trade_id: row.try_get("trade_id")?,
                    condition_id: *condition_id,
                    chain_id,
                    price: u8::try_from(ticks)
                        .ok()
                        .and_then(Price::new)
                        .ok_or_else(|| StoreError::Corrupt(format!("price_ticks = {ticks}")))?,
                    size: Size::from_hundredths(
                        u64::try_from(size)
                            .map_err(|_| StoreError::Corrupt(format!("size = {size}")))?,
                    ),
                    taker_side: parse_col(&row.try_get::<String, _>("taker_side")?, "taker_side")?,
                    created_at: Timestamp(row.try_get("created_at")?),
                })
            })
            .collect()
    }
}
