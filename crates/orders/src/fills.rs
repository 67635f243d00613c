//! `GET /v1/fills`: a wallet's fills, newest first, a page at a time.
//!
//! A page asks the store for one row more than its limit: that row's presence is `has_more`,
//! and the last row shown is the cursor, so a full last page never sends a client to an empty
//! one (docs/api.md 1.8).

use store::fills::{FillCursor, FillRecord};
use store::Store;
use types::{Cursor, MarketKey, Timestamp, Wallet};

use crate::error::ServiceError;
use crate::views::{FillView, FillsPage};

/// The parsed query of `GET /v1/fills`.
#[derive(Clone, Debug, Default)]
pub struct FillsQuery {
    pub market: Option<MarketKey>,
    /// As the client sent it (opaque).
    pub cursor: Option<String>,
    /// 1..=100 (`types::cursor::parse_limit`, default 20).
    pub limit: u32,
}

/// One page of the wallet's fills.
pub async fn fills_page(
    store: &Store,
    wallet: Wallet,
    query: &FillsQuery,
) -> Result<FillsPage, ServiceError> {
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let limit = query.limit.clamp(1, 100);
    let rows = store
        .fills_page(wallet, query.market.as_ref(), after.as_ref(), limit + 1)
        .await?;
    Ok(FillsPage::of(rows, limit, encode_cursor, |r| {
        FillView::from(r)
    }))
}

fn encode_cursor(f: &FillRecord) -> String {
    Cursor::new([f.created_at.0.to_string(), f.fill_id.clone()]).encode()
}

fn decode_cursor(s: &str) -> Result<FillCursor, ServiceError> {
    let cursor = Cursor::decode(s, 2).map_err(|_| ServiceError::InvalidCursor)?;
    match cursor.parts() {
        [created_at, fill_id] if !fill_id.is_empty() => Ok(FillCursor {
            created_at: Timestamp(
                created_at
                    .parse()
                    .map_err(|_| ServiceError::InvalidCursor)?,
            ),
            fill_id: fill_id.clone(),
        }),
        _ => Err(ServiceError::InvalidCursor),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_garbage_is_refused() {
        let c = Cursor::new(["1700000000000".to_owned(), "fill-42".to_owned()]);
        let decoded = decode_cursor(&c.encode()).expect("a cursor this API returns");
        assert_eq!(decoded.created_at, Timestamp(1_700_000_000_000));
        assert_eq!(decoded.fill_id, "fill-42");
        for bad in [
            "nope".to_owned(),
            Cursor::new(["x".to_owned(), "fill-42".to_owned()]).encode(),
            Cursor::new(["1700000000000".to_owned(), String::new()]).encode(),
            Cursor::new(["1700000000000".to_owned()]).encode(),
        ] {
            assert!(
                matches!(decode_cursor(&bad), Err(ServiceError::InvalidCursor)),
                "{bad}"
            );
        }
    }
}
