//! Timestamps: milliseconds since the Unix epoch inside, RFC 3339 (UTC, millisecond precision) on the wire.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    pub fn now() -> Timestamp {
        Timestamp(Utc::now().timestamp_millis())
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    /// Parses RFC 3339 with or without fractional seconds; sub-millisecond digits are dropped.
    pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|d| Timestamp(d.timestamp_millis()))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(text) = Rfc3339Millis::new(self.0) {
            return f.write_str(text.as_str());
        }
        match DateTime::<Utc>::from_timestamp_millis(self.0) {
            Some(d) => f.write_str(&d.to_rfc3339_opts(SecondsFormat::Millis, true)),
            None => Err(fmt::Error),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match Rfc3339Millis::new(self.0) {
            Some(text) => s.serialize_str(text.as_str()),
            None => s.collect_str(self),
        }
    }
}

/// RFC 3339 text, as [`Timestamp::parse_rfc3339`] reads it: what a client reads back from the
/// gateway's answers.
impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Rfc3339;
        impl de::Visitor<'_> for Rfc3339 {
            type Value = Timestamp;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an RFC 3339 timestamp")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Timestamp, E> {
                Timestamp::parse_rfc3339(s)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(s), &self))
            }
        }
        d.deserialize_str(Rfc3339)
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` on the stack, exactly as chrono renders it with
/// `SecondsFormat::Millis` and `Z`, for years 0000..=9999 (chrono renders the others with a
/// sign, left to it). Every accepted order carries a timestamp, and chrono's `String` and
/// formatting cost more than the rest of its response item.
struct Rfc3339Millis([u8; 24]);

impl Rfc3339Millis {
    /// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z.
    const FIRST: i64 = -62_167_219_200_000;
    const LAST: i64 = 253_402_300_799_999;

    fn new(millis: i64) -> Option<Rfc3339Millis> {
        if !(Self::FIRST..=Self::LAST).contains(&millis) {
            return None;
        }
        let secs = millis.div_euclid(1000);
        let ms = millis.rem_euclid(1000);
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        let of_day = secs.rem_euclid(86_400);
        let mut buf = *b"0000-00-00T00:00:00.000Z";
        let mut put = |at: usize, value: i64, digits: usize| {
            let mut v = value;
            for i in (at..at + digits).rev() {
                buf[i] = b'0' + (v % 10) as u8;
                v /= 10;
            }
        };
        put(0, year, 4);
        put(5, month, 2);
        put(8, day, 2);
        put(11, of_day / 3600, 2);
        put(14, of_day / 60 % 60, 2);
        put(17, of_day % 60, 2);
        put(20, ms, 3);
        Some(Rfc3339Millis(buf))
    }

    fn as_str(&self) -> &str {
        // Only ASCII was written; the fallback is unreachable.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// (year, month, day) of a day count since 1970-01-01, proleptic Gregorian (H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_parses_rfc3339() {
        let t = Timestamp(1_700_000_000_123);
        assert_eq!(t.to_string(), "2023-11-14T22:13:20.123Z");
        assert_eq!(
            Timestamp::parse_rfc3339("2023-11-14T22:13:20.123Z"),
            Some(t)
        );
        assert_eq!(
            Timestamp::parse_rfc3339("2023-11-14T23:13:20.123456+01:00"),
            Some(t)
        );
        assert_eq!(Timestamp::parse_rfc3339("yesterday"), None);
    }

    #[test]
    fn reads_back_what_it_writes() {
        let t = Timestamp(1_700_000_000_123);
        let text = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Timestamp>(&text).unwrap(), t);
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
        assert!(serde_json::from_str::<Timestamp>("1700000000123").is_err());
    }

    fn chrono_text(millis: i64) -> String {
        DateTime::<Utc>::from_timestamp_millis(millis)
            .unwrap()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    #[test]
    fn renders_like_chrono_over_the_whole_four_digit_range() {
        let mut samples = vec![
            0,
            -1,
            1,
            999,
            1_000,
            1_700_000_000_123,
            951_782_400_000, // 2000-02-29
            4_107_542_399_999,
            Rfc3339Millis::FIRST,
            Rfc3339Millis::LAST,
        ];
        // A prime step crosses every month, leap day and time of day many times.
        let mut t = Rfc3339Millis::FIRST;
        while t <= Rfc3339Millis::LAST {
            samples.push(t);
            t += 7_777_777_777;
        }
        for millis in samples {
            let expected = chrono_text(millis);
            assert_eq!(Timestamp(millis).to_string(), expected, "{millis}");
            assert_eq!(
                serde_json::to_string(&Timestamp(millis)).unwrap(),
                format!("\"{expected}\""),
                "{millis}"
            );
        }
        for millis in [Rfc3339Millis::FIRST - 1, Rfc3339Millis::LAST + 1] {
            assert_eq!(Timestamp(millis).to_string(), chrono_text(millis));
        }
    }
}
