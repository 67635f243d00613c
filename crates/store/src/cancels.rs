//! What a cancel reads before it asks the matchers: which markets the wallet's named orders
//! are in, and their statuses. The cancel itself is the matcher's (engine), which alone
//! changes a booked order.

use std::collections::HashMap;

use sqlx::Row;
use types::{MarketKey, OrderHash, OrderStatus, Outcome, Side, Wallet};

use crate::error::{market_key_col, parse_col, StoreError};
use crate::hash_index::{order_key_or_no_row, OrderKey};
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
    /// The market and status of each of the wallet's orders among `hashes`. A hash the wallet
    /// has no order with, unknown or another wallet's, is absent: the two take the same path
    /// and the same time. At most a few hundred hashes (one statement).
    pub async fn orders_among(
        &self,
        wallet: Wallet,
        hashes: &[OrderHash],
    ) -> Result<HashMap<OrderHash, (MarketKey, OrderStatus)>, StoreError> {
        // A hash the embedded index does not know still runs the statement, with a key that
        // names no row: an unknown hash and another wallet's take the same time.
        let keys: Vec<OrderKey> = hashes
            .iter()
            .map(|h| order_key_or_no_row(self.hash_index(), h))
            .collect();
        let Some(first) = keys.first() else {
            return Ok(HashMap::new());
        };
        let backend = self.backend();
        let mut sql =
            "SELECT order_hash, condition_id, chain_id, status FROM orders WHERE wallet = "
                .to_owned();
        backend.push_placeholders(&mut sql, 1, 1);
        sql.push_str(&format!(" AND {} IN (", first.column()));
        backend.push_placeholders(&mut sql, 2, keys.len());
        sql.push(')');
        let mut query = sqlx::query(&sql).bind(wallet.to_string());
        for key in &keys {
            query = key.bind(query);
        }
        let mut found = HashMap::with_capacity(keys.len());
        for row in query.fetch_all(&self.read).await? {
            found.insert(
                parse_col(&row.try_get::<String, _>("order_hash")?, "order_hash")?,
                (
                    market_key_col(&row)?,
                    parse_col(&row.try_get::<String, _>("status")?, "status")?,
                ),
            );
        }
        Ok(found)
    }

    /// The markets the wallet has live orders in.
    pub async fn live_markets_of(&self, wallet: Wallet) -> Result<Vec<MarketKey>, StoreError> {
        let sql = format!(
            "SELECT DISTINCT condition_id, chain_id FROM orders WHERE wallet = $1 AND {LIVE}"
        );
        let rows = sqlx::query(&sql)
            .bind(wallet.to_string())
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(market_key_col).collect()
    }
}
