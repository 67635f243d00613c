//! An order's type (docs/api.md 6.1) and its lifecycle states (docs/api.md 6.7, "Lifecycle").

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// `LIMIT` rests until filled or cancelled, `GTD` until its expiration, `MARKET` fills what it
/// can at once and cancels the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum OrderType {
    #[default]
    Limit,
    Gtd,
    Market,
}

impl OrderType {
    pub const ALL: [OrderType; 3] = [OrderType::Limit, OrderType::Gtd, OrderType::Market];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderType::Limit => "LIMIT",
            OrderType::Gtd => "GTD",
            OrderType::Market => "MARKET",
        }
    }
}

impl FromStr for OrderType {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        OrderType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or(())
    }
}

impl fmt::Display for OrderType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// OPEN → PARTIALLY_FILLED → MATCHED (matched off-chain, settlement pending) → FILLED |
/// MATCH_FAILED; or CANCELLED; or EXPIRED.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OrderStatus {
    Open,
    PartiallyFilled,
    Matched,
    Filled,
    MatchFailed,
    Cancelled,
    Expired,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::Open,
        OrderStatus::PartiallyFilled,
        OrderStatus::Matched,
        OrderStatus::Filled,
        OrderStatus::MatchFailed,
        OrderStatus::Cancelled,
        OrderStatus::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Open => "OPEN",
            OrderStatus::PartiallyFilled => "PARTIALLY_FILLED",
            OrderStatus::Matched => "MATCHED",
            OrderStatus::Filled => "FILLED",
            OrderStatus::MatchFailed => "MATCH_FAILED",
            OrderStatus::Cancelled => "CANCELLED",
            OrderStatus::Expired => "EXPIRED",
        }
    }

    /// On the book: it can still trade and be cancelled.
    pub fn is_live(self) -> bool {
        matches!(self, OrderStatus::Open | OrderStatus::PartiallyFilled)
    }
}

impl FromStr for OrderStatus {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        OrderStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or(())
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_wire_names() {
        for st in OrderStatus::ALL {
            assert_eq!(st.as_str().parse::<OrderStatus>(), Ok(st));
            assert_eq!(
                serde_json::to_string(&st).unwrap(),
                format!("\"{}\"", st.as_str())
            );
        }
        assert_eq!(
            OrderStatus::ALL.iter().filter(|s| s.is_live()).count(),
            2,
            "only OPEN and PARTIALLY_FILLED are on the book"
        );
    }

    #[test]
    fn order_type_defaults_to_limit_and_is_upper_case_on_the_wire() {
        assert_eq!(OrderType::default(), OrderType::Limit);
        for t in OrderType::ALL {
            assert_eq!(t.as_str().parse::<OrderType>(), Ok(t));
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{t}\""));
        }
        assert!(serde_json::from_str::<OrderType>("\"limit\"").is_err());
    }
}
