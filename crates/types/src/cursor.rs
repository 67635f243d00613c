//! Opaque pagination cursors and the `limit` parameter shared by every list.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::InvalidField;

const VERSION: &str = "v1";
const SEP: char = '\u{1f}';

/// A position in a list: the sort key of the last item a page returned.
///
/// Encoded as base64url so clients treat it as opaque; anything that does not decode to the
/// expected number of parts is a 400 naming `cursor`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor(Vec<String>);

impl Cursor {
    pub fn new<I: IntoIterator<Item = String>>(parts: I) -> Cursor {
        Cursor(parts.into_iter().collect())
    }

    pub fn parts(&self) -> &[String] {
        &self.0
    }

    pub fn encode(&self) -> String {
        let mut raw = String::from(VERSION);
        for p in &self.0 {
            raw.push(SEP);
            raw.push_str(p);
        }
        URL_SAFE_NO_PAD.encode(raw)
    }

    pub fn decode(s: &str, expected_parts: usize) -> Result<Cursor, InvalidField> {
        let bad = || InvalidField::new("cursor", "is not a cursor this API returned");
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
        let raw = String::from_utf8(bytes).map_err(|_| bad())?;
        // Parts reach SQL as text, and PostgreSQL refuses a NUL in text (a 500, not a 400).
        if raw.contains('\0') {
            return Err(bad());
        }
        let mut it = raw.split(SEP);
        if it.next() != Some(VERSION) {
            return Err(bad());
        }
        let parts: Vec<String> = it.map(str::to_owned).collect();
        if parts.len() != expected_parts {
            return Err(bad());
        }
        Ok(Cursor(parts))
    }
}

/// Page size: 1..=100, default 20 unless a route says otherwise.
pub fn parse_limit(raw: Option<&str>, default: u32) -> Result<u32, InvalidField> {
    match raw {
        None => Ok(default),
        Some(s) => match s.parse::<u32>() {
            Ok(n @ 1..=100) => Ok(n),
            _ => Err(InvalidField::new(
                "limit",
                "must be an integer from 1 to 100",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor::new(["1700000000000".to_owned(), "0xabc".to_owned()]);
        assert_eq!(Cursor::decode(&c.encode(), 2).unwrap(), c);
        for bad in ["", "!!!", "djE", "bm9wZQ", &c.encode()[1..]] {
            let err = Cursor::decode(bad, 2).unwrap_err();
            assert_eq!(err.field, "cursor", "{bad}");
        }
        assert!(Cursor::decode(&c.encode(), 3).is_err());
        let nul = Cursor::new(["1700000000000".to_owned(), "0xabc\0".to_owned()]);
        assert!(Cursor::decode(&nul.encode(), 2).is_err());
    }

    #[test]
    fn limit_bounds() {
        assert_eq!(parse_limit(None, 20).unwrap(), 20);
        assert_eq!(parse_limit(Some("100"), 20).unwrap(), 100);
        for bad in ["0", "101", "-1", "ten", ""] {
            assert!(parse_limit(Some(bad), 20).is_err(), "{bad}");
        }
    }
}
