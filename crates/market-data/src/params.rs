//! Query and path parameters of the market routes, validated with the field named in each error.

use serde::Deserialize;
use types::cursor::parse_limit;
use types::{ChainId, ConditionId, Cursor, InvalidField, MarketKey, MarketStatus, Timestamp};

use crate::catalog::ListPosition;

/// Every query parameter a market route reads, as raw text; unknown ones are ignored.
#[derive(Deserialize, Default)]
pub struct MarketQuery {
    pub chain_id: Option<String>,
    pub status: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<String>,
}

pub fn condition_id(raw: &str) -> Result<ConditionId, InvalidField> {
    raw.parse()
        .map_err(|e| InvalidField::new("condition_id", e))
}

pub fn chain_id(raw: Option<&str>) -> Result<ChainId, InvalidField> {
    match raw {
        None | Some("") => Err(InvalidField::new("chain_id", "is required")),
        Some(s) => s.parse().map_err(|e| InvalidField::new("chain_id", e)),
    }
}

pub fn market_key(path_condition_id: &str, q: &MarketQuery) -> Result<MarketKey, InvalidField> {
    Ok(MarketKey {
        condition_id: condition_id(path_condition_id)?,
        chain_id: chain_id(q.chain_id.as_deref())?,
    })
}

pub fn status(raw: Option<&str>) -> Result<Option<MarketStatus>, InvalidField> {
    raw.filter(|s| !s.is_empty())
        .map(|s| {
            s.parse().map_err(|_| {
                InvalidField::new(
                    "status",
                    "must be one of OPEN, CLOSED, RESOLVED, PAUSED, SEEDING",
                )
            })
        })
        .transpose()
}

pub fn limit(q: &MarketQuery) -> Result<u32, InvalidField> {
    parse_limit(q.limit.as_deref(), 20)
}

fn cursor_error() -> InvalidField {
    InvalidField::new("cursor", "is not a cursor this API returned")
}

pub fn list_position(raw: Option<&str>) -> Result<Option<ListPosition>, InvalidField> {
    let Some(raw) = raw else { return Ok(None) };
    let c = Cursor::decode(raw, 3)?;
    let p = c.parts();
    Ok(Some(ListPosition {
        created_at: Timestamp(p[0].parse().map_err(|_| cursor_error())?),
        key: MarketKey {
            condition_id: p[1].parse().map_err(|_| cursor_error())?,
            chain_id: p[2].parse().map_err(|_| cursor_error())?,
        },
    }))
}

pub fn encode_list_position(pos: &ListPosition) -> String {
    Cursor::new([
        pos.created_at.0.to_string(),
        pos.key.condition_id.to_string(),
        pos.key.chain_id.to_string(),
    ])
    .encode()
}

pub fn trade_position(
    raw: Option<&str>,
) -> Result<Option<store::trades::TradeCursor>, InvalidField> {
    let Some(raw) = raw else { return Ok(None) };
    let c = Cursor::decode(raw, 2)?;
    let p = c.parts();
    Ok(Some(store::trades::TradeCursor {
        created_at: Timestamp(p[0].parse().map_err(|_| cursor_error())?),
        trade_id: p[1].clone(),
    }))
}

pub fn encode_trade_position(c: &store::trades::TradeCursor) -> String {
    Cursor::new([c.created_at.0.to_string(), c.trade_id.clone()]).encode()
}
