//! Operators' routes (section 4): create and change markets, credit balances.
//!
//! Registered only when `FS_ADMIN_TOKEN` is set; the token is compared in constant time.

use std::collections::BTreeMap;
use std::future::{ready, Ready};

use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use store::balances::Asset;
use store::markets::{MarketChange, MarketRecord, TokenSpec, Translation};
use store::StoreError;
use subtle::ConstantTimeEq;
use types::http::ValidJson;
use types::{
    ApiError, ChainId, ConditionId, ContractAddress, ErrorCode, MarketKey, MarketStatus, Outcome,
    Secret, Size, Timestamp, TokenId, Wallet, Wei,
};

use crate::params::{self, MarketQuery};
use crate::routes::MarketData;
use crate::views::TICK_SIZE;

/// The operators' bearer token, as app data.
pub struct AdminToken(pub Secret<String>);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/admin/v1/markets").route(web::post().to(create_market)))
        .service(
            web::resource("/admin/v1/markets/{condition_id}").route(web::patch().to(update_market)),
        )
        .service(web::resource("/admin/v1/balances").route(web::post().to(credit_balance)));
}

/// Proof that the request carried the admin token. Declared first in each handler, so a
/// caller without the token learns nothing from body validation.
pub struct Admin;

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Ready<Result<Admin, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(check_admin(req))
    }
}

fn check_admin(req: &HttpRequest) -> Result<Admin, ApiError> {
    let Some(expected) = req.app_data::<web::Data<AdminToken>>() else {
        return Err(ApiError::not_found("Not found"));
    };
    let Some(header) = req.headers().get(actix_web::http::header::AUTHORIZATION) else {
        return Err(ApiError::new(
            ErrorCode::AuthMissing,
            "Authorization: Bearer <admin token> is required",
        ));
    };
    // The scheme name is case-insensitive (RFC 9110 11.1).
    let presented = header
        .to_str()
        .ok()
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .unwrap_or("");
    let expected = expected.0.expose().as_bytes();
    if presented.is_empty() || !bool::from(presented.as_bytes().ct_eq(expected)) {
        return Err(ApiError::new(ErrorCode::AuthInvalid, "Invalid admin token"));
    }
    Ok(Admin)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenInput {
    outcome: Outcome,
    token_id: TokenId,
    decimals: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateMarket {
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
    end_date: Option<String>,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    rules: String,
    #[serde(default)]
    translations: BTreeMap<String, Translation>,
}

fn parse_status(raw: &str) -> Result<MarketStatus, ApiError> {
    params::status(Some(raw))?.ok_or_else(|| ApiError::validation("status", "is required"))
}

fn check_translations(t: &BTreeMap<String, Translation>) -> Result<(), ApiError> {
    for lang in t.keys() {
        let valid = (2..=8).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
        if !valid || lang == "en" {
            return Err(ApiError::validation(
                "translations",
                format!("{lang:?} is not a language code (2 to 8 lower-case letters, not en)"),
            ));
        }
    }
    Ok(())
}

/// Sizes have two decimals, so `size * 10^decimals` is an integer only from 2 decimals up;
/// 36 keeps every amount far inside uint256.
const DECIMALS: std::ops::RangeInclusive<u8> = 2..=36;

impl CreateMarket {
    fn into_record(self, now: Timestamp) -> Result<MarketRecord, ApiError> {
        if self.chain_id.0 == 0 {
            return Err(ApiError::validation(
                "chain_id",
                "must be a positive integer",
            ));
        }
        let question = self.question.trim();
        if question.is_empty() || question.chars().count() > 1000 {
            return Err(ApiError::validation(
                "question",
                "must be 1 to 1000 characters",
            ));
        }
        let status = parse_status(&self.status)?;
        let [a, b] = <[TokenInput; 2]>::try_from(self.tokens).map_err(|_| {
            ApiError::validation(
                "tokens",
                "must hold exactly two tokens, outcomes 1 (YES) and 0 (NO)",
            )
        })?;
        let (yes, no) = match (a.outcome, b.outcome) {
            (Outcome::Yes, Outcome::No) => (a, b),
            (Outcome::No, Outcome::Yes) => (b, a),
            _ => {
                return Err(ApiError::validation(
                    "tokens",
                    "must hold one token of outcome 1 and one of outcome 0",
                ))
            }
        };
        if yes.token_id == no.token_id {
            return Err(ApiError::validation(
                "tokens",
                "the two outcomes need different token_id values",
            ));
        }
        for t in [&yes, &no] {
            if !DECIMALS.contains(&t.decimals) {
                return Err(ApiError::validation(
                    "tokens.decimals",
                    "must be from 2 to 36",
                ));
            }
        }
        if self.fee_rate_bps > 10_000 {
            return Err(ApiError::validation(
                "fee_rate_bps",
                "must be from 0 to 10000",
            ));
        }
        if self.min_order_size == Size::ZERO {
            return Err(ApiError::validation(
                "min_order_size",
                "must be greater than 0",
            ));
        }
        if self.tick_size != TICK_SIZE {
            return Err(ApiError::validation(
                "tick_size",
                "must be \"0.01\", the only tick size supported",
            ));
        }
        let end_date = match self.end_date.as_deref() {
            None | Some("") => None,
            Some(s) => Some(
                Timestamp::parse_rfc3339(s)
                    .ok_or_else(|| ApiError::validation("end_date", "must be an RFC 3339 time"))?,
            ),
        };
        check_translations(&self.translations)?;
        Ok(MarketRecord {
            condition_id: self.condition_id,
            chain_id: self.chain_id,
            question: question.to_string(),
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

fn market_response(
    md: &MarketData,
    status: actix_web::http::StatusCode,
    key: &MarketKey,
) -> Result<HttpResponse, ApiError> {
    let entry = md.catalog.get(key).ok_or_else(ApiError::internal)?;
    let mut body = String::new();
    body.push_str(entry.prefix(None));
    crate::views::close_market_with_ticker(&mut body, &md.books.get(key).ticker());
    Ok(HttpResponse::build(status)
        .insert_header(actix_web::http::header::ContentType::json())
        .body(body))
}

async fn create_market(
    _: Admin,
    md: web::Data<MarketData>,
    body: ValidJson<CreateMarket>,
) -> Result<HttpResponse, ApiError> {
    let record = body.0.into_record(Timestamp::now())?;
    let key = MarketKey {
        condition_id: record.condition_id,
        chain_id: record.chain_id,
    };
    if let Some(other) = [record.yes.token_id, record.no.token_id]
        .iter()
        .find_map(|t| md.catalog.market_of_token(t))
    {
        if other.key() != key {
            return Err(ApiError::validation(
                "tokens",
                "a token_id already belongs to another market",
            ));
        }
    }
    match md.store.insert_market(&record).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            return Err(ApiError::new(
                ErrorCode::ValidationError,
                "condition_id: a market with this condition_id and chain_id already exists",
            ))
        }
        Err(e) => return Err(e.into()),
    }
    tracing::info!(condition_id = %key.condition_id, chain_id = %key.chain_id, "market created");
    md.catalog.apply(vec![record]);
    market_response(&md, actix_web::http::StatusCode::CREATED, &key)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateMarket {
    chain_id: Option<ChainId>,
    status: Option<String>,
    translations: Option<BTreeMap<String, Translation>>,
}

async fn update_market(
    _: Admin,
    md: web::Data<MarketData>,
    path: web::Path<String>,
    q: web::Query<MarketQuery>,
    body: ValidJson<UpdateMarket>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let condition_id = params::condition_id(&path)?;
    let chain_id = match (q.chain_id.as_deref(), body.chain_id) {
        (Some(raw), from_body) => {
            let from_query = params::chain_id(Some(raw))?;
            if from_body.is_some_and(|b| b != from_query) {
                return Err(ApiError::validation(
                    "chain_id",
                    "differs between the query and the body",
                ));
            }
            from_query
        }
        (None, Some(c)) if c.0 > 0 => c,
        (None, Some(_)) => {
            return Err(ApiError::validation(
                "chain_id",
                "must be a positive integer",
            ))
        }
        (None, None) => return Err(ApiError::validation("chain_id", "is required")),
    };
    let status = body.status.as_deref().map(parse_status).transpose()?;
    if let Some(t) = &body.translations {
        check_translations(t)?;
    }
    if status.is_none() && body.translations.is_none() {
        return Err(ApiError::validation(
            "body",
            "nothing to change: send status or translations",
        ));
    }
    let change = MarketChange {
        status,
        translations: body.translations,
    };
    let updated = md
        .store
        .update_market(&condition_id, chain_id, &change, Timestamp::now())
        .await?
        .ok_or_else(|| ApiError::not_found("No market with this condition_id on this chain_id"))?;
    tracing::info!(%condition_id, %chain_id, status = %updated.status, "market updated");
    md.catalog.apply(vec![updated]);
    market_response(
        &md,
        actix_web::http::StatusCode::OK,
        &MarketKey {
            condition_id,
            chain_id,
        },
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreditBalance {
    wallet: Wallet,
    asset: String,
    amount: Wei,
}

#[derive(Serialize)]
struct BalanceView {
    wallet: Wallet,
    asset: String,
    available: Wei,
    reserved: Wei,
}

async fn credit_balance(
    _: Admin,
    md: web::Data<MarketData>,
    body: ValidJson<CreditBalance>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let asset = if body.asset == "collateral" {
        Asset::Collateral
    } else {
        let token: TokenId = body
            .asset
            .parse()
            .map_err(|_| ApiError::validation("asset", "must be \"collateral\" or a token_id"))?;
        if md.catalog.market_of_token(&token).is_none() {
            return Err(ApiError::validation(
                "asset",
                "is not a token of any market",
            ));
        }
        Asset::Token(token)
    };
    if body.amount == Wei::ZERO {
        return Err(ApiError::validation("amount", "must be greater than 0"));
    }
    let balance = match md
        .store
        .credit_balance(body.wallet, asset, body.amount, Timestamp::now())
        .await
    {
        Err(StoreError::BalanceOutOfRange) => {
            return Err(ApiError::validation(
                "amount",
                "would take the balance beyond 2^256-1",
            ))
        }
        other => other?,
    };
    tracing::info!(wallet = %body.wallet, %asset, amount = %body.amount, "balance credited");
    Ok(HttpResponse::Ok().json(BalanceView {
        wallet: body.wallet,
        asset: asset.to_string(),
        available: balance.available,
        reserved: balance.reserved,
    }))
}
