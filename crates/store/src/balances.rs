//! The balance ledger: available and reserved amounts per wallet and asset.
//!
//! Amounts are uint256 in base units, stored as decimal text and added in Rust, so the
//! arithmetic is exact on both dialects. Every change runs read-lock-write in one transaction.

use std::fmt;

use sqlx::Row;
use types::{Timestamp, TokenId, Wallet, Wei};

use crate::error::{parse_col, StoreError};
use crate::Store;

/// What a balance is held in: the market-wide collateral, or one outcome token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Asset {
    Collateral,
    Token(TokenId),
}

impl fmt::Display for Asset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Asset::Collateral => f.write_str("collateral"),
            Asset::Token(t) => fmt::Display::fmt(t, f),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Balance {
    pub available: Wei,
    pub reserved: Wei,
}

impl Store {
    /// Adds `amount` to the wallet's available balance of `asset` and returns the new balance.
    pub async fn credit_balance(
        &self,
        wallet: Wallet,
        asset: Asset,
        amount: Wei,
        now: Timestamp,
    ) -> Result<Balance, StoreError> {
        let mut tx = self.write.begin().await?;
        let (wallet_s, asset_s) = (wallet.to_string(), asset.to_string());
        sqlx::query(
            "INSERT INTO balances (wallet, asset, available, reserved, updated_at) \
             VALUES ($1, $2, '0', '0', $3) ON CONFLICT (wallet, asset) DO NOTHING",
        )
        .bind(&wallet_s)
        .bind(&asset_s)
        .bind(now.0)
        .execute(&mut *tx)
        .await?;
        let sql = format!(
            "SELECT available, reserved FROM balances WHERE wallet = $1 AND asset = $2{}",
            self.backend.for_update()
        );
        let row = sqlx::query(&sql)
            .bind(&wallet_s)
            .bind(&asset_s)
            .fetch_one(&mut *tx)
            .await?;
        let current = Balance {
            available: parse_col(&row.try_get::<String, _>("available")?, "available")?,
            reserved: parse_col(&row.try_get::<String, _>("reserved")?, "reserved")?,
        };
        let Some(available) = current.available.checked_add(amount) else {
            tx.rollback().await?;
            return Err(StoreError::BalanceOutOfRange);
        };
        let updated = Balance {
            available,
            ..current
        };
        sqlx::query(
            "UPDATE balances SET available = $1, updated_at = $2 WHERE wallet = $3 AND asset = $4",
        )
        .bind(updated.available.to_string())
        .bind(now.0)
        .bind(&wallet_s)
        .bind(&asset_s)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
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
