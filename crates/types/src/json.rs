//! Request bodies parsed strictly, with the failing field named in the error.
//!
//! The contract (docs/api.md 1.3, "Request bodies"): a body is one JSON value with nothing after
//! it but whitespace, a field that is present has its type (`null` is not "absent"), and text
//! holds no NUL. Every body of the API is an object. A lenient reading here is how a malformed
//! request became a wider action (`{"order_hashes": null}` read as `{}`, "cancel everything"),
//! so each rule is enforced in this one module: [`parse_json`] for the body as a whole,
//! [`non_null`] for optional fields.

use serde::de::{Deserialize, Deserializer, Error};
use serde_json::error::Category;
use serde_json::Value;
use serde_path_to_error::Segment;

use crate::error::InvalidField;

/// What an optional field that is present as `null` is told.
const NULL_FIELD: &str = "must not be null (leave the field out instead)";
const NUL_TEXT: &str = "must not contain a NUL character";

/// Parses a request body into `T`, naming the failing field (or the position, for a syntax
/// error) in the error.
///
/// Refused: anything but one JSON object followed only by whitespace; any string (value or key)
/// holding a NUL character, which PostgreSQL cannot store in text.
pub fn parse_json<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, InvalidField> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(not_an_object(bytes));
    }
    // Tracking the path costs an allocation per key; only a refused body needs it, so it is
    // parsed again with tracking then (the same bytes fail the same way). Checking UTF-8 once
    // for the whole body is cheaper than string by string; a body that is not UTF-8 takes the
    // byte parser, whose errors (and positions) it has always had.
    let parsed = match std::str::from_utf8(bytes) {
        Ok(text) => whole_value(&mut serde_json::Deserializer::from_str(text)),
        Err(_) => whole_value(&mut serde_json::Deserializer::from_slice(bytes)),
    };
    let value = parsed.map_err(|_| parse_json_error::<T>(bytes))?;
    check_no_nul(bytes)?;
    Ok(value)
}

/// The refusal of a body that does not start with `{`: text that is not JSON at all is also
/// told where it stops being JSON (`not json`: `expected ident at line 1 column 2`).
fn not_an_object(bytes: &[u8]) -> InvalidField {
    const NOT_AN_OBJECT: &str = "must be a JSON object";
    let blank = bytes.iter().all(u8::is_ascii_whitespace);
    match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        Err(e) if !blank => {
            InvalidField::new("body", format!("{NOT_AN_OBJECT}; this is not JSON: {e}"))
        }
        _ => InvalidField::new("body", NOT_AN_OBJECT),
    }
}

/// `deserialize_with` for an optional field: absent is `None` (with `#[serde(default)]`),
/// present must be a `T`; `null` is refused, never read as absent.
pub fn non_null<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    match Option::<T>::deserialize(d)? {
        Some(value) => Ok(Some(value)),
        None => Err(D::Error::custom(NULL_FIELD)),
    }
}

/// Refuses text holding a NUL character (for text that does not come through [`parse_json`]).
pub fn check_text(field: &'static str, text: &str) -> Result<(), InvalidField> {
    if text.contains('\0') {
        return Err(InvalidField::new(field, NUL_TEXT));
    }
    Ok(())
}

/// One value and then only whitespace.
fn whole_value<'de, R: serde_json::de::Read<'de>, T: Deserialize<'de>>(
    de: &mut serde_json::Deserializer<R>,
) -> Result<T, serde_json::Error> {
    let value = T::deserialize(&mut *de)?;
    de.end()?;
    Ok(value)
}

/// The error of a body that does not parse as `T`, with the path of the failing field.
fn parse_json_error<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> InvalidField {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => tracked_error(e),
        Ok(_) => match de.end() {
            // serde_json says where the extra data starts: "trailing characters at line 1 column 3".
            Err(e) => InvalidField::new("body", e),
            // Unreachable: the untracked parse of the same bytes failed.
            Ok(()) => InvalidField::new("body", "is not valid JSON for this request"),
        },
    }
}

/// A tracked parse's error as the envelope words it: the path of the innermost field known
/// (or `body`) and serde's message. Text that is not JSON keeps serde's position
/// (`body: key must be a string at line 1 column 2`): it is what finds the typo. A value of
/// the wrong type, in a field the path names, does not need it.
fn tracked_error(e: serde_path_to_error::Error<serde_json::Error>) -> InvalidField {
    let path = known_path(e.path());
    let inner = e.into_inner();
    let not_json = !matches!(inner.classify(), Category::Data);
    let msg = inner.to_string();
    if path.is_empty() {
        return InvalidField::new("body", msg);
    }
    let msg = match msg.rfind(" at line ") {
        Some(i) if !not_json => msg[..i].to_string(),
        _ => msg,
    };
    InvalidField::new(path, msg)
}

/// The path as `serde_path_to_error` writes it (`tokens[1].decimals`), up to the first segment
/// it could not name: a key not read yet, which it writes `?` (`{orders: [` failed at `?`).
/// Empty when no field is known.
fn known_path(path: &serde_path_to_error::Path) -> String {
    let mut known = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => known.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !known.is_empty() {
                    known.push('.');
                }
                known.push_str(key);
            }
            Segment::Unknown => break,
        }
    }
    known
}

/// Refuses a body with a NUL in any string, naming where.
///
/// A NUL can only reach a string through the escape `\u0000` (JSON refuses raw control
/// characters in strings), so a body without a backslash, which is nearly every body, costs one
/// scan; any other is read as a tree to find the string.
fn check_no_nul(bytes: &[u8]) -> Result<(), InvalidField> {
    if !bytes.contains(&b'\\') {
        return Ok(());
    }
    // The body has already parsed as one value; a failure here cannot happen, and would mean
    // there is no string to refuse.
    let Ok(tree) = serde_json::from_slice::<Value>(bytes) else {
        return Ok(());
    };
    match nul_path(&tree, &mut String::new()) {
        Some(path) if path.is_empty() => Err(InvalidField::new("body", NUL_TEXT)),
        Some(path) => Err(InvalidField::new(path, NUL_TEXT)),
        None => Ok(()),
    }
}

/// The path (as `serde_path_to_error` writes it: `tokens[1].token_id`) of the first string or
/// key holding a NUL; a key's own path is its object's.
fn nul_path(value: &Value, path: &mut String) -> Option<String> {
    match value {
        Value::String(s) if s.contains('\0') => Some(path.clone()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = nul_path(item, path);
            path.truncate(len);
            found
        }),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                return Some(path.clone());
            }
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(key);
            let found = nul_path(item, path);
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Body<'a> {
        name: std::borrow::Cow<'a, str>,
        items: Vec<u8>,
    }

    /// The tracked byte parse alone, the reference the fast path must agree with.
    fn tracked<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, InvalidField> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let value = serde_path_to_error::deserialize(&mut de).map_err(tracked_error)?;
        de.end().map_err(|e| InvalidField::new("body", e))?;
        Ok(value)
    }

    #[test]
    fn parses_and_refuses_exactly_as_the_tracked_byte_parse() {
        let bodies: &[&[u8]] = &[
            br#"{"name": "a", "items": [1, 2]}"#,
            br#" {"name": "a\u0062", "items": []}  "#,
            br#"{"name": "a", "items": [1, 300]}"#,
            br#"{"name": 5, "items": []}"#,
            br#"{"items": []}"#,
            br#"{"name": "a", "items": [1,]}"#,
            b"{\"name\": \"\xff\", \"items\": []}",
            b"{\"name\": \"a\", \"items\": []}\xff",
            br#"{"name": "a", "items": []} trailing"#,
            br#"{"name": "a", "items": []}{}"#,
            b"{",
        ];
        for body in bodies {
            let fast = parse_json::<Body<'_>>(body);
            let reference = tracked::<Body<'_>>(body);
            assert_eq!(fast, reference, "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn a_body_is_one_object_and_nothing_after_it() {
        for body in [
            &b"{\"name\": \"a\", \"items\": []} {}"[..],
            b"{\"name\": \"a\", \"items\": []}x",
            b"{\"name\": \"a\", \"items\": []},",
        ] {
            let err = parse_json::<Body<'_>>(body).unwrap_err();
            assert_eq!(err.field, "body", "{}", String::from_utf8_lossy(body));
            assert!(
                err.reason
                    .starts_with("trailing characters at line 1 column "),
                "{err}"
            );
        }
        for body in [&b""[..], b"  ", b"null", b"[]", b"[\"a\", [1]]", b"\"{}\""] {
            let err = parse_json::<Body<'_>>(body).unwrap_err();
            assert_eq!(err.to_string(), "body: must be a JSON object");
        }
        for (body, position) in [
            (&b"\xfe{}"[..], "expected value at line 1 column 1"),
            (b"not json", "expected ident at line 1 column 2"),
            (b"[1, 2", "EOF while parsing a list at line 1 column 5"),
            (b"\n 'a'", "expected value at line 2 column 2"),
        ] {
            let err = parse_json::<Body<'_>>(body).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("body: must be a JSON object; this is not JSON: {position}")
            );
        }
        assert!(parse_json::<Body<'_>>(b" \n{\"name\": \"a\", \"items\": []}\r\n\t ").is_ok());
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Nest {
        name: String,
        items: Vec<Leaf>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Leaf {
        a: u8,
    }

    #[test]
    fn text_that_is_not_json_names_the_position_and_the_innermost_field_known() {
        let cases: &[(&[u8], &str)] = &[
            (
                b"{orders: [",
                "body: key must be a string at line 1 column 2",
            ),
            (b"{,}", "body: key must be a string at line 1 column 2"),
            (b"{", "body: EOF while parsing an object at line 1 column 1"),
            (
                br#"{"name": "a" "items": []}"#,
                "body: expected `,` or `}` at line 1 column 14",
            ),
            (
                br#"{"name": "a", "#,
                "body: EOF while parsing a value at line 1 column 14",
            ),
            (
                br#"{"name": "a", "items": [{"a": 1}, {a: 1}]}"#,
                "items[1]: key must be a string at line 1 column 36",
            ),
            (
                br#"{"name": "a", "items": [{"a": 1}, {"a" 1}]}"#,
                "items[1]: expected `:` at line 1 column 40",
            ),
            (
                br#"{"name": "a", "items": [{"a": "#,
                "items[0].a: EOF while parsing a value at line 1 column 30",
            ),
            (
                br#"{"name": x}"#,
                "name: expected value at line 1 column 10",
            ),
            (
                br#"{"name": "a", "items": [{"a": 1},]}"#,
                "items: trailing comma at line 1 column 34",
            ),
            // A value of the wrong type: the field says where.
            (
                br#"{"name": "a", "items": [{"a": 1.5}]}"#,
                "items[0].a: invalid type: floating point `1.5`, expected u8",
            ),
            (
                br#"{"name": "a", "items": [{"b": 1}]}"#,
                "items[0]: missing field `a`",
            ),
        ];
        for (body, message) in cases {
            let err = parse_json::<Nest>(body).unwrap_err();
            assert_eq!(
                err.to_string(),
                *message,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[derive(Debug, serde::Deserialize)]
    struct Optional {
        #[serde(default, deserialize_with = "non_null")]
        hashes: Option<Vec<String>>,
        #[serde(default, deserialize_with = "non_null")]
        side: Option<String>,
    }

    #[test]
    fn a_present_field_must_have_its_type_and_null_is_not_absent() {
        let parsed: Optional = parse_json(b"{}").unwrap();
        assert_eq!((parsed.hashes, parsed.side), (None, None));
        let parsed: Optional = parse_json(br#"{"hashes": ["a"], "side": "BUY"}"#).unwrap();
        assert_eq!(parsed.hashes, Some(vec!["a".to_owned()]));
        assert_eq!(parsed.side.as_deref(), Some("BUY"));
        let err = parse_json::<Optional>(br#"{"hashes": null}"#).unwrap_err();
        assert_eq!(err.to_string(), format!("hashes: {NULL_FIELD}"));
        let err = parse_json::<Optional>(br#"{"hashes": ["a"], "side": null}"#).unwrap_err();
        assert_eq!(err.field, "side");
        let err = parse_json::<Optional>(br#"{"hashes": [null]}"#).unwrap_err();
        assert_eq!(err.field, "hashes[0]");
    }

    #[test]
    fn text_with_a_nul_is_refused_naming_where() {
        #[derive(Debug, serde::Deserialize)]
        struct Nested {
            #[allow(dead_code)]
            a: Value,
        }
        let cases: &[(&[u8], &str)] = &[
            (br#"{"a": "x\u0000"}"#, "a"),
            (br#"{"a": {"b": [1, "ok", "\u0000"]}}"#, "a.b[2]"),
            (br#"{"a": {"k\u0000": 1}}"#, "a"),
        ];
        for (body, field) in cases {
            let err = parse_json::<Nested>(body).unwrap_err();
            assert_eq!(err.to_string(), format!("{field}: {NUL_TEXT}"));
        }
        // An escaped backslash followed by `u0000` is text, not a NUL.
        assert!(parse_json::<Nested>(br#"{"a": "\\u0000 \" \n"}"#).is_ok());
        assert!(check_text("sub", "did:privy:a\0").is_err());
        assert!(check_text("sub", "did:privy:a").is_ok());
    }
}
