//! The operators' changes (docs/api.md 10, `/admin/v1/...`): create and change markets, credit
//! balances. The gateway registers their routes only when `FS_ADMIN_TOKEN` is set and checks
//! the token before anything here runs.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use store::balances::Asset;
use store::markets::{MarketChange, MarketRecord, TokenSpec, Translation};
use store::StoreError;
use types::balance::COLLATERAL_DECIMALS;
use types::json::non_null;
use types::{
    ChainId, ConditionId, ContractAddress, InvalidField, MarketKey, MarketStatus, Outcome, Size,
    Timestamp, TokenId, Wallet, Wei,
};

use crate::error::MarketDataError;
use crate::params::{self, MarketQuery};
use crate::service::MarketData;
use crate::views::TICK_SIZE;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenInput {
    outcome: Outcome,
    token_id: TokenId,
    decimals: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateMarket {
    condition_id: ConditionId,
    chain_id: ChainId,
    question: String,
    status: String,
    tokens: Vec<TokenInput>,
    collateral_token: ContractAddress,
    ctf_exchange_address: ContractAddress,
    conditional_tokens_address: ContractAddress,
    fee_rate_bps: u32,
    min_order_size: Size,
    tick_size: String,
    /// Absent or `""`: no end date.
    #[serde(default, deserialize_with = "non_null")]
    end_date: Option<String>,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    rules: String,
    #[serde(default)]
    translations: BTreeMap<String, Translation>,
}

fn parse_status(raw: &str) -> Result<MarketStatus, InvalidField> {
    params::status(Some(raw))?.ok_or_else(|| InvalidField::new("status", "is required"))
}

fn check_translations(t: &BTreeMap<String, Translation>) -> Result<(), InvalidField> {
    for lang in t.keys() {
        let valid = (2..=8).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
        if !valid || lang == "en" {
            return Err(InvalidField::new(
                "translations",
                format!("{lang:?} is not a language code (2 to 8 lower-case letters, not en)"),
            ));
        }
    }
    Ok(())
}

/// Sizes have two decimals, so `size * 10^decimals` is an integer only from 2 decimals up;
/// 36 keeps every amount far inside uint256.
pub(crate) const DECIMALS: std::ops::RangeInclusive<u8> = 2..=36;

impl CreateMarket {
    fn into_record(self, now: Timestamp) -> Result<MarketRecord, InvalidField> {
        // `chain_id` is in range by its type, and text holds no NUL (`parse_json`).
        let question = self.question.trim();
        if question.is_empty() || question.chars().count() > 1000 {
            return Err(InvalidField::new(
                "question",
                "must be 1 to 1000 characters",
            ));
        }
        let status = parse_status(&self.status)?;
        let [a, b] = <[TokenInput; 2]>::try_from(self.tokens).map_err(|_| {
            InvalidField::new(
                "tokens",
                "must hold exactly two tokens, outcomes 1 (YES) and 0 (NO)",
            )
        })?;
        let (yes, no) = match (a.outcome, b.outcome) {
            (Outcome::Yes, Outcome::No) => (a, b),
            (Outcome::No, Outcome::Yes) => (b, a),
            _ => {
                return Err(InvalidField::new(
                    "tokens",
                    "must hold one token of outcome 1 and one of outcome 0",
                ))
            }
        };
        if yes.token_id == no.token_id {
            return Err(InvalidField::new(
                "tokens",
                "the two outcomes need different token_id values",
            ));
        }
        for t in [&yes, &no] {
            if !DECIMALS.contains(&t.decimals) {
                return Err(InvalidField::new("tokens.decimals", "must be from 2 to 36"));
            }
        }
        // A YES + NO pair is worth one unit of collateral in the signed amounts' base units,
        // so a mint or a merge needs both outcomes on one scale (docs/engine.md, "Amounts").
        if yes.decimals != no.decimals {
            return Err(InvalidField::new(
                "tokens.decimals",
                "must be the same for both outcomes",
            ));
        }
        if self.fee_rate_bps > 10_000 {
            return Err(InvalidField::new("fee_rate_bps", "must be from 0 to 10000"));
        }
        if self.min_order_size == Size::ZERO {
            return Err(InvalidField::new(
                "min_order_size",
                "must be greater than 0",
            ));
        }
        if self.tick_size != TICK_SIZE {
            return Err(InvalidField::new(
                "tick_size",
                "must be \"0.01\", the only tick size supported",
            ));
        }
        let end_date = match self.end_date.as_deref() {
            None | Some("") => None,
            Some(s) => Some(
                Timestamp::parse_rfc3339(s)
                    .ok_or_else(|| InvalidField::new("end_date", "must be an RFC 3339 time"))?,
            ),
        };
        check_translations(&self.translations)?;
        Ok(MarketRecord {
            condition_id: self.condition_id,
            chain_id: self.chain_id,
            question: question.to_owned(),
            status,
            yes: TokenSpec {
                token_id: yes.token_id,
                decimals: yes.decimals,
            },
            no: TokenSpec {
                token_id: no.token_id,
                decimals: no.decimals,
            },
            collateral_token: self.collateral_token,
            ctf_exchange_address: self.ctf_exchange_address,
            conditional_tokens_address: self.conditional_tokens_address,
            fee_rate_bps: self.fee_rate_bps,
            min_order_size: self.min_order_size,
            end_date,
            summary: self.summary,
            rules: self.rules,
            translations: self.translations,
            created_at: now,
            updated_at: now,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateMarket {
    #[serde(default, deserialize_with = "non_null")]
    chain_id: Option<ChainId>,
    #[serde(default, deserialize_with = "non_null")]
    status: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    translations: Option<BTreeMap<String, Translation>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreditBalance {
    wallet: Wallet,
    asset: String,
    /// Read as it came: its refusal names the asset's decimals, known only once `asset` is.
    amount: serde_json::Value,
}

/// How a credited asset counts: its name in messages, what its whole units are called, and
/// its decimals.
struct Units {
    name: String,
    whole: &'static str,
    decimals: u8,
}

impl Units {
    /// A refusal of the amount an operator can act on: amounts are raw base units, and this is
    /// what 1.5 whole units are in them (`amount: must be a whole number of base units
    /// (collateral has 18 decimals: 1.5 collateral is "1500000000000000000")`).
    fn refuse(&self, reason: &str) -> InvalidField {
        let Units {
            name,
            whole,
            decimals,
        } = self;
        // 1.5 whole units: 15 followed by decimals - 1 zeros.
        let example = match decimals.checked_sub(1) {
            Some(zeros) => format!("1.5 {whole} is \"15{}\"", "0".repeat(usize::from(zeros))),
            None => "a base unit is a whole one".to_owned(),
        };
        InvalidField::new(
            "amount",
            format!("{reason} ({name} has {decimals} decimals: {example})"),
        )
    }

    /// The amount to credit, in base units: a decimal string of digits, above 0, at most
    /// 2^256-1.
    fn amount(&self, amount: &serde_json::Value) -> Result<Wei, InvalidField> {
        let serde_json::Value::String(text) = amount else {
            return Err(self.refuse("must be a string holding a whole number of base units"));
        };
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.refuse("must be a whole number of base units"));
        }
        let amount: Wei = text
            .parse()
            .map_err(|_| self.refuse("must be at most 2^256-1 base units"))?;
        if amount == Wei::ZERO {
            return Err(self.refuse("must be greater than 0"));
        }
        Ok(amount)
    }
}

#[derive(Serialize)]
pub struct BalanceView {
    wallet: Wallet,
    asset: String,
    available: Wei,
    reserved: Wei,
}

impl MarketData {
    /// Creates a market and returns it and its JSON, as `GET /v1/markets/{condition_id}` shows it.
    pub async fn create_market(
        &self,
        request: CreateMarket,
    ) -> Result<(MarketRecord, String), MarketDataError> {
        let record = request.into_record(Timestamp::now())?;
        let key = MarketKey {
            condition_id: record.condition_id,
            chain_id: record.chain_id,
        };
        if let Some(other) = [record.yes.token_id, record.no.token_id]
            .iter()
            .find_map(|t| self.catalog.market_of_token(t))
        {
            if other.key() != key {
                return Err(MarketDataError::TokenTaken);
            }
        }
        match self.store.insert_market(&record).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Err(MarketDataError::MarketExists),
            Err(e) => return Err(e.into()),
        }
        tracing::info!(condition_id = %key.condition_id, chain_id = %key.chain_id, "market created");
        self.catalog.apply(vec![record.clone()]);
        Ok((record, self.written_market_json(&key)?))
    }

    /// Changes a market's status or translations and returns it and its JSON.
    pub async fn update_market(
        &self,
        path_condition_id: &str,
        q: &MarketQuery,
        request: UpdateMarket,
    ) -> Result<(MarketRecord, String), MarketDataError> {
        let condition_id = params::condition_id(path_condition_id)?;
        let chain_id = match (q.chain_id.as_deref(), request.chain_id) {
            (Some(raw), from_body) => {
                let from_query = params::chain_id(Some(raw))?;
                if from_body.is_some_and(|b| b != from_query) {
                    return Err(InvalidField::new(
                        "chain_id",
                        "differs between the query and the body",
                    )
                    .into());
                }
                from_query
            }
            (None, Some(c)) => c,
            (None, None) => return Err(InvalidField::new("chain_id", "is required").into()),
        };
        let status = request.status.as_deref().map(parse_status).transpose()?;
        if let Some(t) = &request.translations {
            check_translations(t)?;
        }
        if status.is_none() && request.translations.is_none() {
            return Err(InvalidField::new(
                "body",
                "nothing to change: send status or translations",
            )
            .into());
        }
        let change = MarketChange {
            status,
            translations: request.translations,
        };
        let updated = self
            .store
            .update_market(&condition_id, chain_id, &change, Timestamp::now())
            .await?
            .ok_or(MarketDataError::MarketNotFound)?;
        tracing::info!(%condition_id, %chain_id, status = %updated.status, "market updated");
        self.catalog.apply(vec![updated.clone()]);
        let json = self.written_market_json(&MarketKey {
            condition_id,
            chain_id,
        })?;
        Ok((updated, json))
    }

    /// Adds to a wallet's available balance of collateral or of a market's token.
    pub async fn credit_balance(
        &self,
        request: CreditBalance,
    ) -> Result<BalanceView, MarketDataError> {
        // The conditional-tokens contract of the token's market, which backs it.
        let mut backing = None;
        let (asset, units) = if request.asset == "collateral" {
            let units = Units {
                name: "collateral".to_owned(),
                whole: "collateral",
                decimals: COLLATERAL_DECIMALS,
            };
            (Asset::Collateral, units)
        } else {
            let token: TokenId = request
                .asset
                .parse()
                .map_err(|_| InvalidField::new("asset", "must be \"collateral\" or a token_id"))?;
            let market = self.catalog.market_of_token(&token);
            backing = market
                .as_ref()
                .map(|m| Wallet(m.record.conditional_tokens_address.address()));
            let decimals = market.and_then(|market| {
                [&market.record.yes, &market.record.no]
                    .into_iter()
                    .find(|t| t.token_id == token)
                    .map(|t| t.decimals)
            });
            let Some(decimals) = decimals else {
                return Err(InvalidField::new("asset", "is not a token of any market").into());
            };
            let units = Units {
                name: format!("token_id {token}"),
                whole: "tokens",
                decimals,
            };
            (Asset::Token(token), units)
        };
        let amount = units.amount(&request.amount)?;
        // Outcome tokens exist on chain only as halves of pairs whose collateral the
        // conditional-tokens contract holds. The ledger never sees that collateral, so it records
        // one unit of it on the contract per token credited: a merge of credited tokens then
        // finds the collateral it frees (docs/engine.md, "The ledger and the chain").
        let mut credits = vec![(request.wallet, asset, amount)];
        if let Some(contract) = backing {
            credits.push((contract, Asset::Collateral, amount));
        }
        let balance = match self
            .store
            .credit_balances(&credits, Timestamp::now())
            .await
            .map(|b| b.get(&(request.wallet, asset)).copied().unwrap_or_default())
        {
            Err(StoreError::BalanceOutOfRange) => {
                return Err(units
                    .refuse("would take the balance beyond 2^256-1 base units")
                    .into())
            }
            other => other?,
        };
        tracing::info!(wallet = %request.wallet, %asset, %amount, "balance credited");
        Ok(BalanceView {
            wallet: request.wallet,
            asset: asset.to_string(),
            available: balance.available,
            reserved: balance.reserved,
        })
    }

    /// The JSON of a market this instance has just written (and so holds in its catalog).
    fn written_market_json(&self, key: &MarketKey) -> Result<String, MarketDataError> {
        let entry = self
            .catalog
            .get(key)
            .ok_or(MarketDataError::CatalogMissing(*key))?;
        Ok(self.market_json(&entry, None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::json::parse_json;

    #[test]
    fn a_missing_or_null_amount_is_refused_naming_it() {
        let missing =
            br#"{"wallet": "0x1111111111111111111111111111111111111111", "asset": "collateral"}"#;
        let err = parse_json::<CreditBalance>(missing).err().unwrap();
        assert!(
            err.to_string().starts_with("body: missing field `amount`"),
            "{err}"
        );
        let null = br#"{"wallet": "0x1111111111111111111111111111111111111111", "asset": "collateral", "amount": null}"#;
        let parsed = parse_json::<CreditBalance>(null).ok().unwrap();
        let units = Units {
            name: "collateral".to_owned(),
            whole: "collateral",
            decimals: COLLATERAL_DECIMALS,
        };
        assert!(units
            .amount(&parsed.amount)
            .unwrap_err()
            .to_string()
            .starts_with("amount: must be a string holding a whole number of base units"));
    }

    #[test]
    fn the_example_is_one_and_a_half_whole_units_in_base_units() {
        for (decimals, example) in [(2, "150"), (6, "1500000"), (18, "1500000000000000000")] {
            let units = Units {
                name: "token_id 7".to_owned(),
                whole: "tokens",
                decimals,
            };
            assert_eq!(
                units
                    .refuse("must be a whole number of base units")
                    .to_string(),
                format!(
                    "amount: must be a whole number of base units (token_id 7 has {decimals} \
                     decimals: 1.5 tokens is \"{example}\")"
                )
            );
        }
    }
}
