//! Market states, outcomes and order sides.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Only `Open` trades; every other state refuses new orders.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MarketStatus {
    Open,
    Closed,
    Resolved,
    Paused,
    Seeding,
}

impl MarketStatus {
    pub const ALL: [MarketStatus; 5] = [
        MarketStatus::Open,
        MarketStatus::Closed,
        MarketStatus::Resolved,
        MarketStatus::Paused,
        MarketStatus::Seeding,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MarketStatus::Open => "OPEN",
            MarketStatus::Closed => "CLOSED",
            MarketStatus::Resolved => "RESOLVED",
            MarketStatus::Paused => "PAUSED",
            MarketStatus::Seeding => "SEEDING",
        }
    }

    pub fn trades(self) -> bool {
        self == MarketStatus::Open
    }
}

impl FromStr for MarketStatus {
    type Err = ();
    /// Any case, as the list filter of the contract allows.
    fn from_str(s: &str) -> Result<Self, ()> {
        MarketStatus::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s))
            .ok_or(())
    }
}

impl fmt::Display for MarketStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A binary market's outcome: 1 = YES, 0 = NO (a JSON integer on the wire).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub enum Outcome {
    No,
    Yes,
}

impl Outcome {
    pub fn as_u8(self) -> u8 {
        match self {
            Outcome::No => 0,
            Outcome::Yes => 1,
        }
    }

    pub fn from_u8(v: u8) -> Option<Outcome> {
        match v {
            0 => Some(Outcome::No),
            1 => Some(Outcome::Yes),
            _ => None,
        }
    }
}

impl Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(self.as_u8())
    }
}

impl<'de> Deserialize<'de> for Outcome {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = u8::deserialize(d)?;
        Outcome::from_u8(v).ok_or_else(|| serde::de::Error::custom("must be 0 (NO) or 1 (YES)"))
    }
}

/// The side of an order: BUY (0 in the signed struct) or SELL (1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }

    pub fn as_u8(self) -> u8 {
        match self {
            Side::Buy => 0,
            Side::Sell => 1,
        }
    }
}

impl FromStr for Side {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "BUY" => Ok(Side::Buy),
            "SELL" => Ok(Side::Sell),
            _ => Err(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_filter_accepts_any_case() {
        assert_eq!("open".parse::<MarketStatus>(), Ok(MarketStatus::Open));
        assert_eq!(
            "Resolved".parse::<MarketStatus>(),
            Ok(MarketStatus::Resolved)
        );
        assert!("LIVE".parse::<MarketStatus>().is_err());
        assert_eq!(
            serde_json::to_string(&MarketStatus::Seeding).unwrap(),
            "\"SEEDING\""
        );
    }

    #[test]
    fn outcome_is_a_json_integer() {
        assert_eq!(serde_json::to_string(&Outcome::Yes).unwrap(), "1");
        assert_eq!(serde_json::from_str::<Outcome>("0").unwrap(), Outcome::No);
        assert!(serde_json::from_str::<Outcome>("2").is_err());
        assert!(serde_json::from_str::<Outcome>("\"1\"").is_err());
    }
}
