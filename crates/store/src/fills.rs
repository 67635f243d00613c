//! The `fills` table: one row per side of a trade, written in the matcher's batch transaction.
//!
//! `(market, seq, n)` is the primary key, so a batch replayed after a crash cannot add a fill
//! twice; `fill_id` and `trade_id` are derived from it by the engine.

use std::fmt;
use std::str::FromStr;

use types::{MarketKey, OrderHash, Outcome, Price, Side, Size, Timestamp, TokenId, Wallet, Wei};

use crate::error::StoreError;
use crate::tx::Tx;

/// Whose order was resting (the maker) and whose arrived (the taker).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FillRole {
    Maker,
    Taker,
}

impl FillRole {
    pub fn as_str(self) -> &'static str {
        match self {
            FillRole::Maker => "MAKER",
            FillRole::Taker => "TAKER",
        }
    }
}

/// Where a fill is in settlement: `MATCHED` until its settlement is known, then `CONFIRMED` or
/// `FAILED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FillStatus {
    Matched,
    Confirmed,
    Failed,
}

impl FillStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FillStatus::Matched => "MATCHED",
            FillStatus::Confirmed => "CONFIRMED",
            FillStatus::Failed => "FAILED",
        }
    }
}

macro_rules! text_enum {
    ($t:ty, $name:literal, [$($v:ident),*]) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $(if s == <$t>::$v.as_str() {
                    return Ok(<$t>::$v);
                })*
                Err(format!("not a {}: {s:?}", $name))
            }
        }
    };
}
text_enum!(FillRole, "fill role", [Maker, Taker]);
text_enum!(FillStatus, "fill status", [Matched, Confirmed, Failed]);

/// One side of a trade, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FillRecord {
    pub market: MarketKey,
    /// The matcher batch that made it.
    pub seq: u64,
    /// Its place in the batch.
    pub n: u32,
    pub fill_id: String,
    /// Shared by the two sides of one trade; the trade print's id.
    pub trade_id: String,
    pub order_hash: OrderHash,
    pub wallet: Wallet,
    pub token_id: TokenId,
    pub outcome: Outcome,
    /// The order's own side.
    pub side: Side,
    /// The execution price in the order's own outcome terms.
    pub price: Price,
    pub size: Size,
    /// Base units of the outcome token the fill moved.
    pub tokens: Wei,
    /// What it paid (BUY) or received (SELL) before its fee, base units of collateral.
    pub collateral: Wei,
    /// In what it receives: tokens for a BUY, collateral for a SELL.
    pub fee: Wei,
    pub role: FillRole,
    pub status: FillStatus,
    pub created_at: Timestamp,
}

const FILL_COLUMNS: usize = 19;

/// Inserts fills in a few statements.
pub async fn insert_fills(tx: &mut Tx<'_>, fills: &[FillRecord]) -> Result<(), StoreError> {
    let backend = tx.backend();
    // 19 parameters a row: well under either dialect's limit per statement.
    for chunk in fills.chunks(200) {
        let mut sql = String::from(
            "INSERT INTO fills (condition_id, chain_id, seq, n, fill_id, trade_id, order_hash, \
             wallet, token_id, outcome, side, price_ticks, size_hundredths, tokens, collateral, \
             fee, role, status, created_at) VALUES ",
        );
        backend.push_rows(&mut sql, chunk.len(), FILL_COLUMNS);
        let mut query = sqlx::query(&sql);
        for f in chunk {
            query = query
                .bind(f.market.condition_id.to_string())
                .bind(f.market.chain_id.0 as i64)
                .bind(f.seq as i64)
                .bind(i64::from(f.n))
                .bind(f.fill_id.clone())
                .bind(f.trade_id.clone())
                .bind(f.order_hash.to_string())
                .bind(f.wallet.to_string())
                .bind(f.token_id.to_string())
                .bind(i64::from(f.outcome.as_u8()))
                .bind(f.side.as_str())
                .bind(i64::from(f.price.get()))
                .bind(f.size.hundredths() as i64)
                .bind(f.tokens.to_string())
                .bind(f.collateral.to_string())
                .bind(f.fee.to_string())
                .bind(f.role.as_str())
                .bind(f.status.as_str())
                .bind(f.created_at.0);
        }
        query.execute(&mut *tx.inner).await?;
    }
    Ok(())
}
