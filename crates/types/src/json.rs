//! JSON bodies parsed strictly, with the failing field named in the error.

use crate::error::InvalidField;

/// Parses JSON into `T`, naming the failing field in the error.
pub fn parse_json<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, InvalidField> {
    // Tracking the path costs an allocation per key; only a refused body needs it, so it is
    // parsed again with tracking then (the same bytes fail the same way). Like the tracked
    // parse, this one does not look past the end of the value. Checking UTF-8 once for the
    // whole body is cheaper than string by string; a body that is not UTF-8 takes the byte
    // parser, whose errors (and positions) it has always had.
    let parsed = match std::str::from_utf8(bytes) {
        Ok(text) => T::deserialize(&mut serde_json::Deserializer::from_str(text)),
        Err(_) => T::deserialize(&mut serde_json::Deserializer::from_slice(bytes)),
    };
    parsed.map_err(|_| parse_json_error::<T>(bytes))
}

/// The error of a body that does not parse as `T`, with the path of the failing field.
fn parse_json_error<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> InvalidField {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let e = match serde_path_to_error::deserialize::<_, T>(de) {
        Err(e) => e,
        // Unreachable: the untracked parse of the same bytes failed.
        Ok(_) => return InvalidField::new("body", "is not valid JSON for this request"),
    };
    tracked_error(e)
}

/// A tracked parse's error as the envelope words it: the failing field's path and serde's
/// message.
fn tracked_error(e: serde_path_to_error::Error<serde_json::Error>) -> InvalidField {
    let path = e.path().to_string();
    let msg = e.into_inner().to_string();
    // serde_json appends the position; the field path says more to a client.
    let msg = match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg,
    };
    let field = if path == "." || path.is_empty() {
        "body".to_owned()
    } else {
        path
    };
    InvalidField::new(field, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Body<'a> {
        name: std::borrow::Cow<'a, str>,
        items: Vec<u8>,
    }

    /// The parse before the untracked fast path: always tracked, always from bytes.
    fn tracked<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, InvalidField> {
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(de).map_err(tracked_error)
    }

    #[test]
    fn parses_and_refuses_exactly_as_the_tracked_byte_parse() {
        let bodies: &[&[u8]] = &[
            br#"{"name": "a", "items": [1, 2]}"#,
            br#"{"name": "a\u0062", "items": []} trailing"#,
            br#"{"name": "a", "items": [1, 300]}"#,
            br#"{"name": 5, "items": []}"#,
            br#"{"items": []}"#,
            br#"{"name": "a", "items": [1,]}"#,
            b"{\"name\": \"\xff\", \"items\": []}",
            b"{\"name\": \"a\", \"items\": []}\xff",
            b"\xfe{}",
            b"",
            b"[",
        ];
        for body in bodies {
            let fast = parse_json::<Body<'_>>(body);
            let reference = tracked::<Body<'_>>(body);
            assert_eq!(fast, reference, "{}", String::from_utf8_lossy(body));
        }
    }
}
