//! Privy user (`sub`) to wallet bindings: the wallet last resolved for each user.

use sqlx::Row;
use types::{Timestamp, Wallet};

use crate::error::{parse_col, StoreError};
use crate::Store;

impl Store {
    pub async fn wallet_binding(&self, sub: &str) -> Result<Option<Wallet>, StoreError> {
        let row = sqlx::query("SELECT wallet FROM privy_wallet_bindings WHERE sub = $1")
            .bind(sub)
            .fetch_optional(&self.read)
            .await?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(parse_col(
                &row.try_get::<String, _>("wallet")?,
                "wallet",
            )?)),
        }
    }

    /// Records (or replaces) the user's wallet.
    pub async fn bind_wallet(
        &self,
        sub: &str,
        wallet: Wallet,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO privy_wallet_bindings (sub, wallet, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (sub) DO UPDATE SET wallet = excluded.wallet, updated_at = excluded.updated_at",
        )
        .bind(sub)
        .bind(wallet.to_string())
        .bind(now.0)
        .execute(self.write_connection().await?.connection())
        .await?;
        Ok(())
    }
}
