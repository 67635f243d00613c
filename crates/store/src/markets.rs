//! The `markets` table: one row per (condition_id, chain_id), both outcome tokens inline.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;
use types::{ChainId, ConditionId, ContractAddress, MarketStatus, Size, Timestamp, TokenId};

use crate::error::{parse_col, stored_key_text, StoreError, UnreadableRow};
use crate::Store;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenSpec {
    pub token_id: TokenId,
    pub decimals: u8,
}

/// A market's text in another language; the default text is English.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Translation {
    pub summary: String,
    pub rules: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketRecord {
    pub condition_id: ConditionId,
    pub chain_id: ChainId,
    pub question: String,
    pub status: MarketStatus,
    pub yes: TokenSpec,
    pub no: TokenSpec,
    pub collateral_token: ContractAddress,
    pub ctf_exchange_address: ContractAddress,
    pub conditional_tokens_address: ContractAddress,
    pub fee_rate_bps: u32,
    pub min_order_size: Size,
    pub end_date: Option<Timestamp>,
    pub summary: String,
    pub rules: String,
    /// Keyed by language code (`cn`).
    pub translations: BTreeMap<String, Translation>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What an operator may change after creation.
#[derive(Clone, Debug, Default)]
pub struct MarketChange {
    pub status: Option<MarketStatus>,
    pub translations: Option<BTreeMap<String, Translation>>,
}

const COLUMNS: &str = "condition_id, chain_id, question, status, yes_token_id, yes_decimals, \
    no_token_id, no_decimals, collateral_token, ctf_exchange_address, conditional_tokens_address, \
    fee_rate_bps, min_order_size, end_date, summary, rules, translations, created_at, updated_at";

fn from_row(row: &AnyRow) -> Result<MarketRecord, StoreError> {
    let text = |c: &str| -> Result<String, StoreError> { Ok(row.try_get::<String, _>(c)?) };
    let int = |c: &str| -> Result<i64, StoreError> { Ok(row.try_get::<i64, _>(c)?) };
    let small = |c: &str, max: i64| -> Result<i64, StoreError> {
        let v = int(c)?;
        if (0..=max).contains(&v) {
            Ok(v)
        } else {
            Err(StoreError::Corrupt(format!("{c} = {v}")))
        }
    };
    let chain_id = int("chain_id")?;
    let chain_id = u64::try_from(chain_id)
        .ok()
        .and_then(ChainId::new)
        .ok_or_else(|| StoreError::Corrupt(format!("chain_id = {chain_id}")))?;
    let translations: BTreeMap<String, Translation> = serde_json::from_str(&text("translations")?)
        .map_err(|e| StoreError::Corrupt(format!("translations: {e}")))?;
    Ok(MarketRecord {
        condition_id: parse_col(&text("condition_id")?, "condition_id")?,
        chain_id,
        question: text("question")?,
        status: parse_col(&text("status")?, "status")?,
        yes: TokenSpec {
            token_id: parse_col(&text("yes_token_id")?, "yes_token_id")?,
            decimals: small("yes_decimals", 77)? as u8,
        },
        no: TokenSpec {
            token_id: parse_col(&text("no_token_id")?, "no_token_id")?,
            decimals: small("no_decimals", 77)? as u8,
        },
        collateral_token: parse_col(&text("collateral_token")?, "collateral_token")?,
        ctf_exchange_address: parse_col(&text("ctf_exchange_address")?, "ctf_exchange_address")?,
        conditional_tokens_address: parse_col(
            &text("conditional_tokens_address")?,
            "conditional_tokens_address",
        )?,
        fee_rate_bps: small("fee_rate_bps", 10_000)? as u32,
        min_order_size: Size::from_hundredths(small("min_order_size", i64::MAX)? as u64),
        end_date: row.try_get::<Option<i64>, _>("end_date")?.map(Timestamp),
        summary: text("summary")?,
        rules: text("rules")?,
        translations,
        created_at: Timestamp(int("created_at")?),
        updated_at: Timestamp(int("updated_at")?),
    })
}

fn translations_json(t: &BTreeMap<String, Translation>) -> String {
    // A map of strings always serializes.
    serde_json::to_string(t).unwrap_or_else(|_| "{}".to_owned())
}

impl Store {
    /// Inserts a new market; `StoreError::Conflict` when one with the same key exists.
    pub async fn insert_market(&self, m: &MarketRecord) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO markets ({COLUMNS}) VALUES \
             ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)"
        );
        let result = sqlx::query(&sql)
            .bind(m.condition_id.to_string())
            .bind(m.chain_id.0 as i64)
            .bind(&m.question)
            .bind(m.status.as_str())
            .bind(m.yes.token_id.to_string())
            .bind(i64::from(m.yes.decimals))
            .bind(m.no.token_id.to_string())
            .bind(i64::from(m.no.decimals))
            .bind(m.collateral_token.to_string())
            .bind(m.ctf_exchange_address.to_string())
            .bind(m.conditional_tokens_address.to_string())
            .bind(i64::from(m.fee_rate_bps))
            .bind(m.min_order_size.hundredths() as i64)
            .bind(m.end_date.map(|t| t.0))
            .bind(&m.summary)
            .bind(&m.rules)
            .bind(translations_json(&m.translations))
            .bind(m.created_at.0)
            .bind(m.updated_at.0)
            .execute(self.write_connection().await?.connection())
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if StoreError::is_unique_violation(&e) => Err(StoreError::Conflict),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn market(
        &self,
        condition_id: &ConditionId,
        chain_id: ChainId,
    ) -> Result<Option<MarketRecord>, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM markets WHERE condition_id = $1 AND chain_id = $2");
        let row = sqlx::query(&sql)
            .bind(condition_id.to_string())
            .bind(chain_id.0 as i64)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Applies an operator's change; `None` when no such market exists.
    pub async fn update_market(
        &self,
        condition_id: &ConditionId,
        chain_id: ChainId,
        change: &MarketChange,
        now: Timestamp,
    ) -> Result<Option<MarketRecord>, StoreError> {
        let mut writer = self.write_connection().await?;
        let mut tx = writer.begin().await?;
        let sql = format!(
            "SELECT {COLUMNS} FROM markets WHERE condition_id = $1 AND chain_id = $2{}",
            self.backend().for_update()
        );
        let Some(row) = sqlx::query(&sql)
            .bind(condition_id.to_string())
            .bind(chain_id.0 as i64)
            .fetch_optional(&mut *tx.inner)
            .await?
        else {
            // Explicitly, so the connection never idles in a transaction holding locks.
            tx.rollback().await;
            return Ok(None);
        };
        let mut market = from_row(&row)?;
        if let Some(status) = change.status {
            market.status = status;
        }
        if let Some(t) = &change.translations {
            market.translations.extend(t.clone());
        }
        // Strictly increasing, so a reader polling by `updated_at` never misses this change
        // even when two changes land in the same millisecond.
        market.updated_at = Timestamp(now.0.max(market.updated_at.0 + 1));
        sqlx::query(
            "UPDATE markets SET status = $1, translations = $2, updated_at = $3 \
             WHERE condition_id = $4 AND chain_id = $5",
        )
        .bind(market.status.as_str())
        .bind(translations_json(&market.translations))
        .bind(market.updated_at.0)
        .bind(condition_id.to_string())
        .bind(chain_id.0 as i64)
        .execute(&mut *tx.inner)
        .await?;
        tx.commit().await?;
        Ok(Some(market))
    }

    /// Markets changed at or after `since` (all of them for `Timestamp(0)`), oldest change
    /// first. A row that does not read back is set aside in [`ChangedMarkets::unreadable`]
    /// instead of failing the whole read: one bad row must not keep every market (and the
    /// gateway's start) hostage.
    pub async fn markets_changed_since(
        &self,
        since: Timestamp,
    ) -> Result<ChangedMarkets, StoreError> {
        let sql =
            format!("SELECT {COLUMNS} FROM markets WHERE updated_at >= $1 ORDER BY updated_at");
        let rows = sqlx::query(&sql)
            .bind(since.0)
            .fetch_all(&self.read)
            .await?;
        let mut changed = ChangedMarkets::default();
        for row in &rows {
            match from_row(row) {
                Ok(market) => changed.markets.push(market),
                Err(e) => {
                    changed
                        .unreadable
                        .push(UnreadableRow::new("markets", market_row_key(row), &e))
                }
            }
        }
        Ok(changed)
    }
}

/// What [`Store::markets_changed_since`] read.
#[derive(Debug, Default, PartialEq)]
pub struct ChangedMarkets {
    pub markets: Vec<MarketRecord>,
    pub unreadable: Vec<UnreadableRow>,
}

/// A market's key as [`UnreadableRow::key`] writes it, to recognise the row once it reads.
pub fn market_row_key_of(market: &MarketRecord) -> String {
    format!(
        "condition_id={} chain_id={}",
        stored_key_text(&market.condition_id.to_string()),
        market.chain_id
    )
}

/// The key of a market row as stored, whatever its columns hold.
fn market_row_key(row: &AnyRow) -> String {
    let condition_id = row
        .try_get::<String, _>("condition_id")
        .map(|c| stored_key_text(&c))
        .unwrap_or_else(|_| "?".to_owned());
    let chain_id = match row.try_get::<i64, _>("chain_id") {
        Ok(n) => n.to_string(),
        Err(_) => row
            .try_get::<String, _>("chain_id")
            .map(|c| stored_key_text(&c))
            .unwrap_or_else(|_| "?".to_owned()),
    };
    format!("condition_id={condition_id} chain_id={chain_id}")
}
