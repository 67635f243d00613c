//! Prices as integer ticks, sizes as integer hundredths of a share, amounts as U256 base units.
//!
//! Nothing here is ever a float: decimal strings from the wire are parsed digit by digit.

use std::fmt;
use std::str::FromStr;

use alloy_primitives::U256;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use crate::ids::parse_decimal_u256;

/// Why a decimal string was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("must be a decimal string such as \"0.55\"")]
    Malformed,
    #[error("has more than 2 decimals")]
    TooManyDecimals,
    #[error("is out of range")]
    OutOfRange,
}

/// Parses `digits[.digits]` into hundredths, refusing more than two decimals.
/// Trailing zeros count as decimals: the contract says "at most 2 decimals", literally.
fn parse_hundredths(s: &str, max_integer_digits: usize) -> Result<u64, DecimalError> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || (s.contains('.') && frac.is_empty()) {
        return Err(DecimalError::Malformed);
    }
    if frac.len() > 2 {
        return Err(DecimalError::TooManyDecimals);
    }
    let int = int.trim_start_matches('0');
    if int.len() > max_integer_digits {
        return Err(DecimalError::OutOfRange);
    }
    let whole: u64 = if int.is_empty() {
        0
    } else {
        int.parse().map_err(|_| DecimalError::Malformed)?
    };
    let mut cents: u64 = 0;
    for (i, b) in frac.bytes().enumerate() {
        cents += u64::from(b - b'0') * if i == 0 { 10 } else { 1 };
    }
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(cents))
        .ok_or(DecimalError::OutOfRange)
}

/// `whole.cc` of a count of hundredths, on the stack: prices and sizes are rendered for every
/// order of every response, and `write!` costs several formatting calls for each.
struct HundredthsText {
    // u64::MAX hundredths is 18 integer digits, a point and 2 decimals.
    buf: [u8; 24],
    start: usize,
}

impl HundredthsText {
    fn new(v: u64) -> HundredthsText {
        let mut buf = [0u8; 24];
        let mut i = buf.len();
        let cents = v % 100;
        let mut put = |i: &mut usize, b: u8| {
            *i -= 1;
            buf[*i] = b;
        };
        put(&mut i, b'0' + (cents % 10) as u8);
        put(&mut i, b'0' + (cents / 10) as u8);
        put(&mut i, b'.');
        let mut whole = v / 100;
        loop {
            put(&mut i, b'0' + (whole % 10) as u8);
            whole /= 10;
            if whole == 0 {
                break;
            }
        }
        HundredthsText { buf, start: i }
    }

    fn as_str(&self) -> &str {
        // Only ASCII digits and a point were written; the fallback is unreachable.
        std::str::from_utf8(&self.buf[self.start..]).unwrap_or_default()
    }
}

fn write_hundredths(f: &mut fmt::Formatter<'_>, v: u64) -> fmt::Result {
    f.write_str(HundredthsText::new(v).as_str())
}

/// A price in ticks of 0.01: 1 (0.01) ..= 100 (1.00).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Ticks(u8);

impl Ticks {
    pub const MIN: Ticks = Ticks(1);
    pub const MAX: Ticks = Ticks(100);

    pub fn new(ticks: u8) -> Option<Ticks> {
        (1..=100).contains(&ticks).then_some(Ticks(ticks))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// The same price seen from the other outcome: `1 - p`. Defined for 1..=99 only.
    pub fn complement(self) -> Option<Ticks> {
        Ticks::new(100 - self.0)
    }
}

impl FromStr for Ticks {
    type Err = DecimalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let h = parse_hundredths(s, 3)?;
        u8::try_from(h)
            .ok()
            .and_then(Ticks::new)
            .ok_or(DecimalError::OutOfRange)
    }
}

impl fmt::Display for Ticks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hundredths(f, u64::from(self.0))
    }
}

impl Serialize for Ticks {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(HundredthsText::new(u64::from(self.0)).as_str())
    }
}

impl<'de> Deserialize<'de> for Ticks {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = crate::text::borrowed_str(d)?;
        s.parse().map_err(|e: DecimalError| de::Error::custom(e))
    }
}

/// A size in hundredths of a share (at most 2 decimals on the wire).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct Size(u64);

impl Size {
    pub const ZERO: Size = Size(0);

    pub fn from_hundredths(h: u64) -> Size {
        Size(h)
    }

    pub fn hundredths(self) -> u64 {
        self.0
    }
}

impl FromStr for Size {
    type Err = DecimalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // 15 integer digits keeps hundredths far inside u64.
        parse_hundredths(s, 15).map(Size)
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hundredths(f, self.0)
    }
}

impl Serialize for Size {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(HundredthsText::new(self.0).as_str())
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = crate::text::borrowed_str(d)?;
        s.parse().map_err(|e: DecimalError| de::Error::custom(e))
    }
}

/// An amount in raw base units (wei for 18-decimal collateral), exact up to 2^256-1.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct Wei(pub U256);

impl Wei {
    pub const ZERO: Wei = Wei(U256::ZERO);

    pub fn checked_add(self, other: Wei) -> Option<Wei> {
        self.0.checked_add(other.0).map(Wei)
    }

    pub fn checked_sub(self, other: Wei) -> Option<Wei> {
        self.0.checked_sub(other.0).map(Wei)
    }

    /// The amount in whole units of an asset with `decimals`, exactly: `5500000000000000000`
    /// with 18 decimals is `5.50`, `2035000000000000000` is `2.035`, `1` is
    /// `0.000000000000000001`. Trailing zeros after the second decimal are dropped, so a reader
    /// sees every base unit there is and at least two decimals, as prices and sizes show.
    pub fn in_whole_units(self, decimals: u8) -> String {
        whole_units(&self.0.to_string(), decimals)
    }
}

/// A count of base units, given as its decimal digits, in whole units of an asset with
/// `decimals`, exactly as [`Wei::in_whole_units`] shows it: for counts that a `Wei` cannot hold
/// (a balance's available and reserved parts added together).
pub fn whole_units(digits: &str, decimals: u8) -> String {
    let decimals = usize::from(decimals);
    // Left-pad so that there is at least one integer digit before the point.
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let kept = fraction.trim_end_matches('0');
    format!("{whole}.{kept:0<2}")
}

impl FromStr for Wei {
    type Err = DecimalError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_decimal_u256(s)
            .map(Wei)
            .ok_or(DecimalError::Malformed)
    }
}

impl fmt::Display for Wei {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Wei {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Wei {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = crate::text::borrowed_str(d)?;
        s.parse()
            .map_err(|_| de::Error::custom("must be a decimal integer string up to 2^256-1"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hundredths_render_as_whole_point_two_digits() {
        let mut samples: Vec<u64> = (0..=1_000).collect();
        samples.extend([12_345, 99_999_999, u64::MAX - 1, u64::MAX]);
        for v in samples {
            let expected = format!("{}.{:02}", v / 100, v % 100);
            assert_eq!(Size::from_hundredths(v).to_string(), expected);
            assert_eq!(
                serde_json::to_string(&Size::from_hundredths(v)).unwrap(),
                format!("\"{expected}\"")
            );
        }
        assert_eq!(serde_json::to_string(&Ticks::MAX).unwrap(), "\"1.00\"");
        assert_eq!(Ticks::MIN.to_string(), "0.01");
    }

    #[test]
    fn prices_parse_to_ticks_exactly() {
        assert_eq!("0.01".parse::<Ticks>().unwrap().get(), 1);
        assert_eq!("0.5".parse::<Ticks>().unwrap().get(), 50);
        assert_eq!("1".parse::<Ticks>().unwrap().get(), 100);
        assert_eq!("1.00".parse::<Ticks>().unwrap().get(), 100);
        assert_eq!("0.55".parse::<Ticks>().unwrap().to_string(), "0.55");
        let t: Ticks = serde_json::from_str("\"0.55\"").unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"0.55\"");
        assert!(serde_json::from_str::<Ticks>("\"0.555\"").is_err());
        assert!(serde_json::from_str::<Ticks>("0.55").is_err());
    }

    #[test]
    fn sub_tick_and_out_of_range_prices_are_refused_not_rounded() {
        assert_eq!("0.555".parse::<Ticks>(), Err(DecimalError::TooManyDecimals));
        assert_eq!("0.500".parse::<Ticks>(), Err(DecimalError::TooManyDecimals));
        assert_eq!("0".parse::<Ticks>(), Err(DecimalError::OutOfRange));
        assert_eq!("1.01".parse::<Ticks>(), Err(DecimalError::OutOfRange));
        assert_eq!("1000".parse::<Ticks>(), Err(DecimalError::OutOfRange));
        for bad in ["", ".5", "5.", "-0.5", "0,5", "1e-2", " 0.5", "0x1"] {
            assert_eq!(bad.parse::<Ticks>(), Err(DecimalError::Malformed), "{bad}");
        }
    }

    #[test]
    fn sizes_are_hundredths() {
        assert_eq!("10".parse::<Size>().unwrap().hundredths(), 1000);
        assert_eq!("0.05".parse::<Size>().unwrap().hundredths(), 5);
        assert_eq!("12.3".parse::<Size>().unwrap().to_string(), "12.30");
        assert_eq!("1.234".parse::<Size>(), Err(DecimalError::TooManyDecimals));
        assert_eq!(
            "1234567890123456".parse::<Size>(),
            Err(DecimalError::OutOfRange)
        );
    }

    #[test]
    fn whole_units_are_exact_with_at_least_two_decimals() {
        let e18 = |s: &str| Wei(parse_decimal_u256(s).unwrap());
        assert_eq!(e18("5500000000000000000").in_whole_units(18), "5.50");
        assert_eq!(e18("2035000000000000000").in_whole_units(18), "2.035");
        assert_eq!(e18("3200000000000000000").in_whole_units(18), "3.20");
        assert_eq!(e18("1").in_whole_units(18), "0.000000000000000001");
        assert_eq!(Wei::ZERO.in_whole_units(18), "0.00");
        assert_eq!(e18("100000000000000000000").in_whole_units(18), "100.00");
        assert_eq!(e18("204").in_whole_units(2), "2.04");
        assert_eq!(e18("7").in_whole_units(0), "7.00");
        assert_eq!(e18("75").in_whole_units(1), "7.50");
        assert_eq!(
            Wei(U256::MAX).in_whole_units(36),
            "115792089237316195423570985008687907853269.984665640564039457584007913129639935"
        );
    }

    #[test]
    fn whole_units_take_counts_beyond_u256() {
        let beyond = format!("{}0", U256::MAX);
        assert_eq!(
            whole_units(&beyond, 18),
            "1157920892373161954235709850086879078532699846656405640394575.84007913129639935"
        );
        assert_eq!(whole_units("0", 6), "0.00");
    }

    #[test]
    fn wei_round_trips_u256_max() {
        let max = U256::MAX.to_string();
        let w: Wei = serde_json::from_str(&format!("\"{max}\"")).unwrap();
        assert_eq!(serde_json::to_string(&w).unwrap(), format!("\"{max}\""));
        assert!(serde_json::from_str::<Wei>("\"1.5\"").is_err());
        assert!(serde_json::from_str::<Wei>("15").is_err());
    }
}
