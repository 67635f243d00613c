//! The order routes' inputs as the domain takes them: a placement body, a cancel selection,
//! an idempotency key, list filters. The gateway reads them off the request; the rules of what
//! a valid one is live here.

use std::str::FromStr;

use serde::Deserialize;
use types::json::{non_null, parse_json};
use types::{ChainId, ConditionId, InvalidField, MarketKey, OrderHash, OrderStatus, Outcome, Side};

use crate::error::ServiceError;
use crate::wire::WireItem;
use store::cancels::CancelSelection;

pub use crate::error::{MAX_CANCEL_HASHES, MAX_ORDERS_PER_REQUEST};

/// The header that carries a client's idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "fs-idempotency-key";

/// The body of `POST /v1/orders`; the items borrow their strings from the body.
#[derive(Deserialize)]
pub struct PlaceBody<'a> {
    #[serde(borrow)]
    pub orders: Vec<WireItem<'a>>,
}

/// Parses a `POST /v1/orders` body and checks the batch size (1..=15 items).
pub fn parse_place_body(body: &[u8]) -> Result<PlaceBody<'_>, ServiceError> {
    let parsed: PlaceBody<'_> = parse_json(body)?;
    if parsed.orders.is_empty() {
        return Err(InvalidField::new("orders", "must hold at least one order").into());
    }
    if parsed.orders.len() > MAX_ORDERS_PER_REQUEST {
        return Err(ServiceError::TooManyOrders);
    }
    Ok(parsed)
}

/// A client's idempotency key as sent: 1..=128 printable ASCII characters.
pub fn idempotency_key(raw: &[u8]) -> Result<&str, InvalidField> {
    std::str::from_utf8(raw)
        .ok()
        .filter(|k| (1..=128).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            InvalidField::new(
                IDEMPOTENCY_HEADER,
                "must be 1 to 128 printable ASCII characters",
            )
        })
}

/// The `status` of `GET /v1/orders`: a group of lifecycle states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StatusGroup {
    /// OPEN + PARTIALLY_FILLED (the default).
    #[default]
    Open,
    /// MATCHED + FILLED.
    Filled,
    /// CANCELLED + EXPIRED + MATCH_FAILED.
    Cancelled,
    All,
}

impl StatusGroup {
    pub fn statuses(self) -> Vec<OrderStatus> {
        use OrderStatus::*;
        match self {
            StatusGroup::Open => vec![Open, PartiallyFilled],
            StatusGroup::Filled => vec![Matched, Filled],
            StatusGroup::Cancelled => vec![Cancelled, Expired, MatchFailed],
            // No status filter at all.
            StatusGroup::All => Vec::new(),
        }
    }
}

/// `open`, `filled`, `cancelled` or `all`, in any case.
impl FromStr for StatusGroup {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.to_ascii_lowercase().as_str() {
            "open" => Ok(StatusGroup::Open),
            "filled" => Ok(StatusGroup::Filled),
            "cancelled" => Ok(StatusGroup::Cancelled),
            "all" => Ok(StatusGroup::All),
            _ => Err(()),
        }
    }
}

/// The `status` filter of `GET /v1/orders`; `open` when absent or empty.
pub fn status_group(raw: Option<&str>) -> Result<StatusGroup, InvalidField> {
    match raw {
        None | Some("") => Ok(StatusGroup::default()),
        Some(s) => s
            .parse()
            .map_err(|_| InvalidField::new("status", "must be open, filled, cancelled or all")),
    }
}

/// The market filter of `GET /v1/orders`: both of `condition_id` and `chain_id`, or neither.
pub fn market_filter(
    condition_id: Option<&str>,
    chain_id: Option<&str>,
) -> Result<Option<MarketKey>, InvalidField> {
    match (condition_id, chain_id) {
        (None, None) => Ok(None),
        (Some(c), Some(n)) => Ok(Some(MarketKey {
            condition_id: c
                .parse()
                .map_err(|e| InvalidField::new("condition_id", e))?,
            chain_id: n.parse().map_err(|e| InvalidField::new("chain_id", e))?,
        })),
        (Some(_), None) => Err(InvalidField::new(
            "chain_id",
            "is required with condition_id",
        )),
        (None, Some(_)) => Err(InvalidField::new(
            "condition_id",
            "is required with chain_id",
        )),
    }
}

/// An order hash from a path.
pub fn order_hash(raw: &str) -> Result<OrderHash, InvalidField> {
    raw.parse().map_err(|e| InvalidField::new("order_hash", e))
}

/// The body of `POST /v1/orders/cancel`: hashes, or a filter (`{}` is every open order).
///
/// Every field is optional and none may be `null`: a field the parse read as absent would
/// widen the selection, up to every open order.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    #[serde(default, deserialize_with = "non_null")]
    order_hashes: Option<Vec<OrderHash>>,
    #[serde(default, deserialize_with = "non_null")]
    condition_id: Option<ConditionId>,
    #[serde(default, deserialize_with = "non_null")]
    chain_id: Option<ChainId>,
    #[serde(default, deserialize_with = "non_null")]
    outcome: Option<Outcome>,
    #[serde(default, deserialize_with = "non_null")]
    side: Option<Side>,
}

impl CancelBody {
    /// Parses the body; a body is required, so `{}` must be said, never implied.
    pub fn parse(body: &[u8]) -> Result<CancelSelection, ServiceError> {
        let selection = parse_json::<CancelBody>(body)?.selection()?;
        // "Everything" only from the very body that says it: whatever a future field or
        // parser change might read as absent, it never becomes a cancel-all.
        if is_everything(&selection) && !is_empty_object(body) {
            return Err(
                InvalidField::new("body", "cancelling every open order takes exactly {}").into(),
            );
        }
        Ok(selection)
    }

    fn selection(self) -> Result<CancelSelection, ServiceError> {
        let filtered = self.condition_id.is_some()
            || self.chain_id.is_some()
            || self.outcome.is_some()
            || self.side.is_some();
        if let Some(hashes) = self.order_hashes {
            if filtered {
                return Err(
                    InvalidField::new("order_hashes", "cannot be combined with a filter").into(),
                );
            }
            if hashes.len() > MAX_CANCEL_HASHES {
                return Err(ServiceError::TooManyHashes);
            }
            return Ok(CancelSelection::Hashes(hashes));
        }
        let market = match (self.condition_id, self.chain_id) {
            (None, None) => None,
            (Some(condition_id), Some(chain_id)) => Some(MarketKey {
                condition_id,
                chain_id,
            }),
            (Some(_), None) => {
                return Err(InvalidField::new("chain_id", "is required with condition_id").into())
            }
            (None, Some(_)) => {
                return Err(InvalidField::new("condition_id", "is required with chain_id").into())
            }
        };
        Ok(CancelSelection::Matching {
            market,
            outcome: self.outcome,
            side: self.side,
        })
    }
}

/// Whether the selection is every open order of the caller.
fn is_everything(selection: &CancelSelection) -> bool {
    matches!(
        selection,
        CancelSelection::Matching {
            market: None,
            outcome: None,
            side: None
        }
    )
}

/// `{}`, with any JSON whitespace around and inside.
fn is_empty_object(body: &[u8]) -> bool {
    let mut significant = body
        .iter()
        .filter(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    significant.next() == Some(&b'{')
        && significant.next() == Some(&b'}')
        && significant.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_groups_are_the_contracts() {
        use OrderStatus::*;
        assert_eq!("open".parse(), Ok(StatusGroup::Open));
        assert_eq!("FILLED".parse(), Ok(StatusGroup::Filled));
        assert_eq!(StatusGroup::default(), StatusGroup::Open);
        assert_eq!(StatusGroup::Open.statuses(), vec![Open, PartiallyFilled]);
        assert_eq!(StatusGroup::Filled.statuses(), vec![Matched, Filled]);
        assert_eq!(
            StatusGroup::Cancelled.statuses(),
            vec![Cancelled, Expired, MatchFailed]
        );
        assert!(StatusGroup::All.statuses().is_empty());
        assert!("closed".parse::<StatusGroup>().is_err());
    }

    fn refusal(body: &str) -> String {
        match CancelBody::parse(body.as_bytes()) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{body} was accepted"),
        }
    }

    #[test]
    fn only_the_empty_object_cancels_everything() {
        for body in ["{}", " { } ", "\n{\r\n\t}\n"] {
            let selection = CancelBody::parse(body.as_bytes()).unwrap();
            assert!(is_everything(&selection), "{body:?}");
        }
        for (body, field) in [
            (r#"{"order_hashes": null}"#, "order_hashes: "),
            (r#"{"side": null}"#, "side: "),
            (r#"{"outcome": null}"#, "outcome: "),
            (
                r#"{"condition_id": null, "chain_id": null}"#,
                "condition_id: ",
            ),
            (r#"{"market": null}"#, "market: "),
            ("{} {}", "body: trailing characters"),
            ("{}x", "body: trailing characters"),
            ("[]", "body: must be a JSON object"),
            ("null", "body: must be a JSON object"),
            ("", "body: must be a JSON object"),
        ] {
            let message = refusal(body);
            assert!(message.starts_with(field), "{body}: {message}");
        }
        assert!(!is_empty_object(b"{\"side\": \"BUY\"}"));
        assert!(!is_empty_object(b"{}}"));
    }

    #[test]
    fn a_filter_or_hashes_is_never_everything() {
        let hash = format!("0x{}", "ab".repeat(32));
        let selection =
            CancelBody::parse(format!(r#"{{"order_hashes": ["{hash}"]}}"#).as_bytes()).unwrap();
        assert!(matches!(selection, CancelSelection::Hashes(h) if h.len() == 1));
        let selection = CancelBody::parse(br#"{"side": "BUY"}"#).unwrap();
        assert!(!is_everything(&selection));
        let selection = CancelBody::parse(br#"{"order_hashes": []}"#).unwrap();
        assert!(matches!(selection, CancelSelection::Hashes(h) if h.is_empty()));
    }
}
