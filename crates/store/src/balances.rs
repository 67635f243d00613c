//! The balance ledger: available and reserved amounts per wallet and asset.
//!
//! Amounts are uint256 in base units, stored as decimal text and added in Rust, so the
//! arithmetic is exact on both dialects. Every change runs read-lock-write in one transaction.

use std::fmt;

use sqlx::{Any, Row, Transaction};
use types::{Timestamp, TokenId, Wallet, Wei};

use crate::error::{parse_col, StoreError};
use crate::{Backend, Store};

/// What a balance is held in: the market-wide collateral, or one outcome token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

/// The wallet's balance of `asset`, row-locked until the transaction ends; `None` when the
/// wallet never held any.
pub(crate) async fn lock_balance(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    wallet: Wallet,
    asset: Asset,
) -> Result<Option<Balance>, StoreError> {
    let sql = format!(
        "SELECT available, reserved FROM balances WHERE wallet = $1 AND asset = $2{}",
        backend.for_update()
    );
    let row = sqlx::query(&sql)
        .bind(wallet.to_string())
        .bind(asset.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|row| {
        Ok(Balance {
            available: parse_col(&row.try_get::<String, _>("available")?, "available")?,
            reserved: parse_col(&row.try_get::<String, _>("reserved")?, "reserved")?,
        })
    })
    .transpose()
}

/// Creates the wallet's zero balance row of `asset` when missing, so that it can be locked.
pub(crate) async fn ensure_balance_row(
    tx: &mut Transaction<'_, Any>,
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
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes a balance locked by [`lock_balance`] in the same transaction, creating the row when
/// the wallet had none.
pub(crate) async fn write_balance(
    tx: &mut Transaction<'_, Any>,
    wallet: Wallet,
    asset: Asset,
    balance: Balance,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO balances (wallet, asset, available, reserved, updated_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (wallet, asset) DO UPDATE SET \
         available = excluded.available, reserved = excluded.reserved, \
         updated_at = excluded.updated_at",
    )
    .bind(wallet.to_string())
    .bind(asset.to_string())
    .bind(balance.available.to_string())
    .bind(balance.reserved.to_string())
    .bind(now.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Returns `amount` from reserved to available (a cancel or an expiry).
pub(crate) async fn release(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    wallet: Wallet,
    asset: Asset,
    amount: Wei,
    now: Timestamp,
) -> Result<(), StoreError> {
    let current = lock_balance(tx, backend, wallet, asset)
        .await?
        .unwrap_or_default();
    let reserved = current.reserved.checked_sub(amount).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "{wallet} {asset}: releasing {amount} but only {} is reserved",
            current.reserved
        ))
    })?;
    let available = current
        .available
        .checked_add(amount)
        .ok_or(StoreError::BalanceOutOfRange)?;
    write_balance(
        tx,
        wallet,
        asset,
        Balance {
            available,
            reserved,
        },
        now,
    )
    .await
}
