//! Strings read from a deserializer without copying them when the input allows it.
//!
//! `Cow<str>`'s own `Deserialize` always allocates (serde only borrows a `Cow` field marked
//! `#[serde(borrow)]` in a derive); ids and amounts parse their text at once and drop it, so
//! borrowing from the request body saves an allocation per field.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserializer, Error, Visitor};

/// The next value as a string: borrowed from the input when it holds the text as is (no
/// escapes), owned otherwise. Refuses anything else exactly as `String` does.
pub fn borrowed_str<'de, D: Deserializer<'de>>(d: D) -> Result<Cow<'de, str>, D::Error> {
    d.deserialize_string(CowStrVisitor)
}

struct CowStrVisitor;

impl<'de> Visitor<'de> for CowStrVisitor {
    type Value = Cow<'de, str>;

    /// `String`'s wording, which the API's error messages have always carried.
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_borrowed_str<E: Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E: Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn visit_string<E: Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }

    fn visit_bytes<E: Error>(self, v: &[u8]) -> Result<Self::Value, E> {
        match std::str::from_utf8(v) {
            Ok(s) => Ok(Cow::Owned(s.to_owned())),
            Err(_) => Err(E::invalid_value(serde::de::Unexpected::Bytes(v), &self)),
        }
    }

    fn visit_byte_buf<E: Error>(self, v: Vec<u8>) -> Result<Self::Value, E> {
        match String::from_utf8(v) {
            Ok(s) => Ok(Cow::Owned(s)),
            Err(e) => Err(E::invalid_value(
                serde::de::Unexpected::Bytes(&e.into_bytes()),
                &self,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrows_plain_text_and_owns_escaped_text() {
        let mut de = serde_json::Deserializer::from_str(r#""abc""#);
        assert!(matches!(
            borrowed_str(&mut de).unwrap(),
            Cow::Borrowed("abc")
        ));
        let mut de = serde_json::Deserializer::from_str(r#""a\u0062c""#);
        assert!(matches!(borrowed_str(&mut de).unwrap(), Cow::Owned(s) if s == "abc"));
    }

    #[test]
    fn refuses_other_types_in_strings_words() {
        for input in ["1", "null", "[]", "{}", "true"] {
            let mine = borrowed_str(&mut serde_json::Deserializer::from_str(input))
                .unwrap_err()
                .to_string();
            let strings = serde_json::from_str::<String>(input)
                .unwrap_err()
                .to_string();
            assert_eq!(mine, strings);
            let value: serde_json::Value = serde_json::from_str(input).unwrap();
            let mine = borrowed_str(&value).unwrap_err().to_string();
            let strings = String::deserialize(&value).unwrap_err().to_string();
            assert_eq!(mine, strings);
        }
    }

    use serde::Deserialize;
}
