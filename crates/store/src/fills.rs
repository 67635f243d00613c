//! The `fills` table: one row per side of a trade, written in the matcher's batch transaction.
//!
//! `(market, seq, n)` is the primary key, so a batch replayed after a crash cannot add a fill
//! twice; `fill_id` and `trade_id` are derived from it by the engine.

use std::fmt;
use std::str::FromStr;

use sqlx::any::AnyRow;
use sqlx::Row;
use types::{MarketKey, OrderHash, Outcome, Price, Side, Size, Timestamp, TokenId, Wallet, Wei};

use crate::error::{market_key_col, parse_col, StoreError};
use crate::tx::Tx;
use crate::Store;

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

/// The sort key of the last fill a page returned (newest first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FillCursor {
    pub created_at: Timestamp,
    pub fill_id: String,
}

/// What a read of `fills` selects, in the order [`fill_from_row`] reads it.
const SELECTED: &str = "condition_id, chain_id, seq, n, fill_id, trade_id, order_hash, wallet, \
    token_id, outcome, side, price_ticks, size_hundredths, tokens, collateral, fee, role, status, \
    created_at";

impl Store {
    /// Up to `limit` of the wallet's fills, of one market when asked, newest first (creation
    /// time, then `fill_id`), strictly after `after`.
    ///
    /// It walks the wallet's index (`fills_by_wallet`) from the cursor and filters the market
    /// on the way: a wallet trades few markets, so a page rarely reads far past its rows.
    pub async fn fills_page(
        &self,
        wallet: Wallet,
        market: Option<&MarketKey>,
        after: Option<&FillCursor>,
        limit: u32,
    ) -> Result<Vec<FillRecord>, StoreError> {
        let mut sql = format!("SELECT {SELECTED} FROM fills WHERE wallet = $1");
        let mut next = 2;
        if market.is_some() {
            sql.push_str(" AND condition_id = $2 AND chain_id = $3");
            next = 4;
        }
        if after.is_some() {
            sql.push_str(&format!(
                " AND (created_at < ${next} OR (created_at = ${next} AND fill_id < ${}))",
                next + 1
            ));
            next += 2;
        }
        sql.push_str(&format!(
            " ORDER BY created_at DESC, fill_id DESC LIMIT ${next}"
        ));
        let mut query = sqlx::query(&sql).bind(wallet.to_string());
        if let Some(m) = market {
            query = query
                .bind(m.condition_id.to_string())
                .bind(m.chain_id.0 as i64);
        }
        if let Some(c) = after {
            query = query.bind(c.created_at.0).bind(c.fill_id.as_str());
        }
        let rows = query.bind(i64::from(limit)).fetch_all(&self.read).await?;
        rows.iter().map(fill_from_row).collect()
    }
}

fn fill_from_row(row: &AnyRow) -> Result<FillRecord, StoreError> {
    let text = |c: &str| -> Result<String, StoreError> { Ok(row.try_get::<String, _>(c)?) };
    let int = |c: &str| -> Result<i64, StoreError> { Ok(row.try_get::<i64, _>(c)?) };
    let corrupt = |c: &str, v: i64| StoreError::Corrupt(format!("{c} = {v}"));
    let (seq, n) = (int("seq")?, int("n")?);
    let (outcome, ticks, size) = (
        int("outcome")?,
        int("price_ticks")?,
        int("size_hundredths")?,
    );
    Ok(FillRecord {
        market: market_key_col(row)?,
        seq: u64::try_from(seq).map_err(|_| corrupt("seq", seq))?,
        n: u32::try_from(n).map_err(|_| corrupt("n", n))?,
        fill_id: text("fill_id")?,
        trade_id: text("trade_id")?,
        order_hash: parse_col(&text("order_hash")?, "order_hash")?,
        wallet: parse_col(&text("wallet")?, "wallet")?,
        token_id: parse_col(&text("token_id")?, "token_id")?,
        outcome: u8::try_from(outcome)
            .ok()
            .and_then(Outcome::from_u8)
            .ok_or_else(|| corrupt("outcome", outcome))?,
        side: parse_col(&text("side")?, "side")?,
        price: u8::try_from(ticks)
            .ok()
            .and_then(Price::new)
            .ok_or_else(|| corrupt("price_ticks", ticks))?,
        size: Size::from_hundredths(
            u64::try_from(size).map_err(|_| corrupt("size_hundredths", size))?,
        ),
        tokens: parse_col(&text("tokens")?, "tokens")?,
        collateral: parse_col(&text("collateral")?, "collateral")?,
        fee: parse_col(&text("fee")?, "fee")?,
        role: parse_col(&text("role")?, "role")?,
        status: parse_col(&text("status")?, "status")?,
        created_at: Timestamp(int("created_at")?),
    })
}
