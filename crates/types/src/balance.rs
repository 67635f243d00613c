//! A wallet's balance of one asset in the internal ledger: what it may spend and what its open
//! orders hold reserved.

use std::fmt;
use std::str::FromStr;

use crate::ids::ParseIdError;
use crate::{TokenId, Wei};

/// The collateral's decimals (18 on BNB Smart Chain, docs/api.md 1.2). Balances and amounts
/// count base units and never need it; messages that show an amount in whole units do.
pub const COLLATERAL_DECIMALS: u8 = 18;

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

/// The text [`Asset`]'s `Display` writes: `collateral`, or a token id's decimal digits.
impl FromStr for Asset {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Asset, ParseIdError> {
        match s {
            "collateral" => Ok(Asset::Collateral),
            token => token.parse().map(Asset::Token),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Balance {
    pub available: Wei,
    pub reserved: Wei,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::U256;

    #[test]
    fn an_asset_reads_back_what_it_writes() {
        for asset in [Asset::Collateral, Asset::Token(TokenId(U256::MAX))] {
            assert_eq!(asset.to_string().parse::<Asset>(), Ok(asset));
        }
        for bad in ["", "Collateral", "0x01", "-1"] {
            assert!(bad.parse::<Asset>().is_err(), "{bad}");
        }
    }
}
