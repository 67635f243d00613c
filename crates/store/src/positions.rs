//! The `positions` table: each wallet's cost basis and realised profit per outcome token. The
//! size held is the wallet's balance of the token; the matcher keeps these two figures in the
//! batch that moves the tokens.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};
use types::balance::{Asset, Balance};
use types::{MarketKey, Outcome, Timestamp, TokenId, Wallet, Wei, I256};

use crate::balances::wallet_balances;
use crate::error::{market_key_col, parse_col, StoreError};
use crate::tx::Tx;
use crate::{Backend, Store};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PositionRecord {
    pub wallet: Wallet,
    pub token_id: TokenId,
    pub market: MarketKey,
    pub outcome: Outcome,
    /// The collateral paid for the tokens still held, in base units.
    pub cost: Wei,
    /// Proceeds of sales less the cost of what was sold, in base units of collateral.
    pub realized_pnl: I256,
}

/// Reads (and on PostgreSQL locks) the positions of these (wallet, token) pairs; a pair with
/// no row is absent.
pub async fn lock_positions(
    tx: &mut Tx<'_>,
    pairs: &[(Wallet, TokenId)],
) -> Result<HashMap<(Wallet, TokenId), PositionRecord>, StoreError> {
    let backend = tx.backend();
    let mut found = HashMap::with_capacity(pairs.len());
    for chunk in pairs.chunks(500) {
        let mut sql = String::from(
            "SELECT wallet, token_id, condition_id, chain_id, outcome, cost, realized_pnl \
             FROM positions WHERE (wallet, token_id) IN (",
        );
        backend.push_rows(&mut sql, chunk.len(), 2);
        sql.push(')');
        sql.push_str(backend.for_update());
        let mut query = sqlx::query(&sql);
        for (w, t) in chunk {
            query = query.bind(w.to_string()).bind(t.to_string());
        }
        for row in query.fetch_all(&mut *tx.inner).await? {
            let record = position_from_row(&row)?;
            found.insert((record.wallet, record.token_id), record);
        }
    }
    Ok(found)
}

/// Writes positions, creating the rows that did not exist.
pub async fn write_positions(
    tx: &mut Tx<'_>,
    positions: &[PositionRecord],
    now: Timestamp,
) -> Result<(), StoreError> {
    let backend = tx.backend();
    for chunk in positions.chunks(200) {
        let mut sql = String::from(
            "INSERT INTO positions (wallet, token_id, condition_id, chain_id, outcome, cost, \
             realized_pnl, updated_at) VALUES ",
        );
        backend.push_rows(&mut sql, chunk.len(), 8);
        sql.push_str(
            " ON CONFLICT (wallet, token_id) DO UPDATE SET cost = excluded.cost, \
             realized_pnl = excluded.realized_pnl, updated_at = excluded.updated_at",
        );
        let mut query = sqlx::query(&sql);
        for p in chunk {
            query = query
                .bind(p.wallet.to_string())
                .bind(p.token_id.to_string())
                .bind(p.market.condition_id.to_string())
                .bind(p.market.chain_id.0 as i64)
                .bind(i64::from(p.outcome.as_u8()))
                .bind(p.cost.to_string())
                .bind(p.realized_pnl.to_string())
                .bind(now.0);
        }
        query.execute(&mut *tx.inner).await?;
    }
    Ok(())
}

/// What a wallet holds, read at one moment: its balances and its positions rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Holdings {
    /// Every asset the wallet has a balance row of (collateral and tokens, of every market).
    pub balances: Vec<(Asset, Balance)>,
    /// Its positions rows, of one market when asked.
    pub positions: Vec<PositionRecord>,
}

impl Store {
    /// The wallet's balances (all assets) and its positions rows (of `market` when given).
    ///
    /// Both are read in one read-only snapshot: the matcher changes a token balance and the
    /// position's cost in one transaction, and a size from after a fill beside a cost from
    /// before it would show a wrong average price. SQLite's read transaction is a snapshot from
    /// its first read on; PostgreSQL's default gives each statement its own, so the
    /// transaction asks for REPEATABLE READ.
    pub async fn holdings(
        &self,
        wallet: Wallet,
        market: Option<&MarketKey>,
    ) -> Result<Holdings, StoreError> {
        let mut tx = self.read.begin().await?;
        if self.backend() == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let balances = wallet_balances(&mut tx, wallet).await?;
        let positions = wallet_positions(&mut tx, wallet, market).await?;
        tx.commit().await?;
        Ok(Holdings {
            balances,
            positions,
        })
    }
}

/// The wallet's positions rows, of one market when asked, by market then token.
async fn wallet_positions(
    conn: &mut AnyConnection,
    wallet: Wallet,
    market: Option<&MarketKey>,
) -> Result<Vec<PositionRecord>, StoreError> {
    let mut sql = String::from(
        "SELECT wallet, token_id, condition_id, chain_id, outcome, cost, realized_pnl \
         FROM positions WHERE wallet = $1",
    );
    if market.is_some() {
        sql.push_str(" AND condition_id = $2 AND chain_id = $3");
    }
    sql.push_str(" ORDER BY condition_id, chain_id, token_id");
    let mut query = sqlx::query(&sql).bind(wallet.to_string());
    if let Some(m) = market {
        query = query
            .bind(m.condition_id.to_string())
            .bind(m.chain_id.0 as i64);
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter().map(position_from_row).collect()
}

pub(crate) fn position_from_row(row: &sqlx::any::AnyRow) -> Result<PositionRecord, StoreError> {
    let text = |c: &str| -> Result<String, StoreError> { Ok(row.try_get::<String, _>(c)?) };
    let outcome = row.try_get::<i64, _>("outcome")?;
    let pnl = text("realized_pnl")?;
    Ok(PositionRecord {
        wallet: parse_col(&text("wallet")?, "wallet")?,
        token_id: parse_col(&text("token_id")?, "token_id")?,
        market: market_key_col(row)?,
        outcome: u8::try_from(outcome)
            .ok()
            .and_then(Outcome::from_u8)
            .ok_or_else(|| StoreError::Corrupt(format!("outcome = {outcome}")))?,
        cost: parse_col(&text("cost")?, "cost")?,
        realized_pnl: I256::from_dec_str(&pnl)
            .map_err(|_| StoreError::Corrupt(format!("realized_pnl = {pnl:?}")))?,
    })
}
