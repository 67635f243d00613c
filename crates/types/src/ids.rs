//! Identifiers parsed once at the edge: wallets, markets, tokens, orders.
//!
//! Hex is accepted in any case and always rendered lower-case, as the contract requires.

use std::fmt;
use std::str::FromStr;

use alloy_primitives::{Address, B256, U256};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// Why a textual id was refused; the caller adds the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseIdError(pub &'static str);

fn strip_0x(s: &str) -> Option<&str> {
    s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))
}

/// Each byte's value as a hex digit, or `INVALID`: one lookup per character.
const INVALID: u8 = 0xff;
const HEX_VALUES: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};

fn parse_fixed_hex<const N: usize>(s: &str, what: &'static str) -> Result<[u8; N], ParseIdError> {
    let hex = strip_0x(s).ok_or(ParseIdError(what))?;
    if hex.len() != N * 2 {
        return Err(ParseIdError(what));
    }
    let mut out = [0u8; N];
    for (byte, pair) in out.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        let hi = HEX_VALUES[usize::from(pair[0])];
        let lo = HEX_VALUES[usize::from(pair[1])];
        if hi == INVALID || lo == INVALID {
            return Err(ParseIdError(what));
        }
        *byte = (hi << 4) | lo;
    }
    Ok(out)
}

/// `0x` + lower-case hex of up to 32 bytes, on the stack: ids are rendered once per order in
/// every response, so this avoids an allocation and a formatting call per byte.
struct LowerHex {
    buf: [u8; 2 + 64],
    len: usize,
}

impl LowerHex {
    fn new(bytes: &[u8]) -> LowerHex {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut buf = [0u8; 66];
        buf[0] = b'0';
        buf[1] = b'x';
        let bytes = &bytes[..bytes.len().min(32)];
        for (pair, b) in buf[2..].chunks_exact_mut(2).zip(bytes) {
            pair[0] = DIGITS[usize::from(b >> 4)];
            pair[1] = DIGITS[usize::from(b & 0xf)];
        }
        LowerHex {
            buf,
            len: 2 + 2 * bytes.len(),
        }
    }

    fn as_str(&self) -> &str {
        // Only ASCII was written; the fallback is unreachable.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default()
    }
}

fn write_lower_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    f.write_str(LowerHex::new(bytes).as_str())
}

/// Serializes a hex id as one JSON string, without going through `Display`.
fn serialize_lower_hex<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(LowerHex::new(bytes).as_str())
}

macro_rules! string_serde {
    ($ty:ty, $expecting:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = crate::text::borrowed_str(d)?;
                s.parse().map_err(|_| de::Error::custom($expecting))
            }
        }
    };
}

macro_rules! hex_serde {
    ($ty:ty, $expecting:literal) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                serialize_lower_hex(self.0.as_slice(), s)
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = crate::text::borrowed_str(d)?;
                s.parse().map_err(|_| de::Error::custom($expecting))
            }
        }
    };
}

macro_rules! address_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Address);

        impl $name {
            pub const ZERO: $name = $name(Address::ZERO);

            pub fn address(&self) -> Address {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_fixed_hex::<20>(s, "must be 0x followed by 40 hex characters")
                    .map(|b| $name(Address::from(b)))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_lower_hex(f, self.0.as_slice())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
        hex_serde!($name, "must be 0x followed by 40 hex characters");
    };
}

address_id!(
    /// An EVM address that owns funds and signs orders.
    Wallet
);
address_id!(
    /// A contract's address: the CTF exchange, the conditional tokens, the collateral token.
    ContractAddress
);

macro_rules! b256_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub B256);

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_fixed_hex::<32>(s, "must be 0x followed by 64 hex characters")
                    .map(|b| $name(B256::from(b)))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_lower_hex(f, self.0.as_slice())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }
        hex_serde!($name, "must be 0x followed by 64 hex characters");
    };
}

b256_id!(
    /// A market's condition id on the conditional tokens contract.
    ConditionId
);
b256_id!(
    /// The EIP-712 digest of a signed order: the order's id.
    OrderHash
);

/// An ERC-1155 outcome token id, a uint256 written in decimal.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenId(pub U256);

impl FromStr for TokenId {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_decimal_u256(s)
            .map(TokenId)
            .ok_or(ParseIdError("must be a decimal integer up to 2^256-1"))
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
string_serde!(TokenId, "must be a decimal integer up to 2^256-1");

/// Parses a plain decimal uint256: digits only, no sign, no exponent, no leading `+`.
pub fn parse_decimal_u256(s: &str) -> Option<U256> {
    if s.is_empty() || s.len() > 78 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // 19 digits at a time fit a u64: a few wide multiplications instead of one per digit.
    const CHUNK: usize = 19;
    const CHUNK_BASE: u64 = 10_000_000_000_000_000_000;
    let head = match s.len() % CHUNK {
        0 => CHUNK,
        n => n,
    };
    let mut value = U256::from(parse_digits(&s[..head]));
    let mut rest = &s[head..];
    while !rest.is_empty() {
        let (chunk, tail) = rest.split_at(CHUNK);
        value = value
            .checked_mul(U256::from(CHUNK_BASE))?
            .checked_add(U256::from(parse_digits(chunk)))?;
        rest = tail;
    }
    Some(value)
}

/// At most 19 ASCII digits, already checked.
fn parse_digits(digits: &str) -> u64 {
    digits.bytes().fold(0, |n, d| n * 10 + u64::from(d - b'0'))
}

/// An EVM chain id (56 for BNB Smart Chain): a positive integer below 2^63, so that it fits
/// the database's signed 64-bit column. Parsed text and JSON outside that range are refused.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize)]
#[serde(transparent)]
pub struct ChainId(pub u64);

/// Why a chain id was refused; the caller adds the field name.
pub const CHAIN_ID_RANGE: &str = "must be a positive integer below 2^63";

impl ChainId {
    /// The largest chain id: 2^63 - 1, the largest a BIGINT holds.
    pub const MAX: u64 = i64::MAX as u64;

    /// `n` when it is a chain id (1 to 2^63 - 1).
    pub fn new(n: u64) -> Option<ChainId> {
        (1..=ChainId::MAX).contains(&n).then_some(ChainId(n))
    }
}

impl<'de> Deserialize<'de> for ChainId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u64::deserialize(d)?;
        ChainId::new(n).ok_or_else(|| de::Error::custom(CHAIN_ID_RANGE))
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for ChainId {
    type Err = ParseIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseIdError(CHAIN_ID_RANGE));
        }
        s.parse::<u64>()
            .ok()
            .and_then(ChainId::new)
            .ok_or(ParseIdError(CHAIN_ID_RANGE))
    }
}

/// A market's key: a condition on one chain.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct MarketKey {
    pub condition_id: ConditionId,
    pub chain_id: ChainId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wallet_accepts_any_case_and_renders_lower_case() {
        let w: Wallet = "0xAbCdEF0123456789abcdef0123456789ABCDEF01"
            .parse()
            .unwrap();
        assert_eq!(w.to_string(), "0xabcdef0123456789abcdef0123456789abcdef01");
        assert_eq!(
            serde_json::to_string(&w).unwrap(),
            "\"0xabcdef0123456789abcdef0123456789abcdef01\""
        );
    }

    #[test]
    fn malformed_hex_ids_are_refused() {
        for bad in ["", "0x", "abcd", "0x123", &format!("0x{}", "g".repeat(40))] {
            assert!(bad.parse::<Wallet>().is_err(), "{bad}");
        }
        assert!(format!("0x{}", "a".repeat(63))
            .parse::<ConditionId>()
            .is_err());
        assert!(format!("0X{}", "A".repeat(64))
            .parse::<ConditionId>()
            .is_ok());
        // A non-ASCII character must not slip through a byte-length check.
        assert!(format!("0x{}é", "a".repeat(62))
            .parse::<ConditionId>()
            .is_err());
    }

    #[test]
    fn token_ids_are_exact_up_to_u256_max() {
        let max = U256::MAX.to_string();
        assert_eq!(max.parse::<TokenId>().unwrap().to_string(), max);
        let over = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        assert!(over.parse::<TokenId>().is_err());
        for bad in ["", "-1", "+1", "1e3", "0x10", " 1"] {
            assert!(bad.parse::<TokenId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn decimal_u256_agrees_with_the_digit_by_digit_parse() {
        let mut samples: Vec<String> = (1..=78).map(|n| "9".repeat(n)).collect();
        samples.extend((1..=78).map(|n| format!("1{}", "0".repeat(n - 1))));
        samples.extend((1..=78).map(|n| "0".repeat(n)));
        samples.push(U256::MAX.to_string());
        samples.push(format!("0{}", &U256::MAX.to_string()[1..]));
        samples.push(format!("{}0", U256::MAX));
        samples.push("12345678901234567890123456789012345678901234567890".to_owned());
        for s in &samples {
            let digit_by_digit = (s.len() <= 78)
                .then(|| U256::from_str_radix(s, 10).ok())
                .flatten();
            assert_eq!(parse_decimal_u256(s), digit_by_digit, "{s}");
        }
    }

    #[test]
    fn hex_ids_render_lower_case_whatever_their_length() {
        let c = ConditionId(B256::repeat_byte(0xab));
        assert_eq!(c.to_string(), format!("0x{}", "ab".repeat(32)));
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            format!("\"0x{}\"", "ab".repeat(32))
        );
        assert_eq!(Wallet::ZERO.to_string(), format!("0x{}", "0".repeat(40)));
    }

    #[test]
    fn chain_id_must_be_positive_and_below_2_63() {
        assert_eq!("56".parse::<ChainId>().unwrap(), ChainId(56));
        let max = "9223372036854775807";
        assert_eq!(max.parse::<ChainId>().unwrap(), ChainId(i64::MAX as u64));
        for bad in [
            "0",
            "",
            "-56",
            "5.6",
            "9223372036854775808",
            "9999999999999999999",
            "99999999999999999999",
        ] {
            assert!(bad.parse::<ChainId>().is_err(), "{bad}");
        }
        assert_eq!(
            serde_json::from_str::<ChainId>(max).unwrap().0,
            ChainId::MAX
        );
        for bad in [
            "0",
            "9223372036854775808",
            "18446744073709551615",
            "-1",
            "\"56\"",
            "null",
        ] {
            assert!(serde_json::from_str::<ChainId>(bad).is_err(), "{bad}");
        }
        let err = serde_json::from_str::<ChainId>("9223372036854775808").unwrap_err();
        assert!(err.to_string().starts_with(CHAIN_ID_RANGE), "{err}");
    }
}
