//! An item parsed from the body as a `WireItem` answers exactly as the same item parsed as a
//! `serde_json::Value` did: same body-level errors (path, message, position), same typed item,
//! same inline error, whatever the item holds.

use orders::{OrderItem, WireItem};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct ValueBody {
    orders: Vec<Value>,
}

#[derive(Deserialize)]
struct WireBody<'a> {
    #[serde(borrow)]
    orders: Vec<WireItem<'a>>,
}

/// What the contract defined: each item as a `Value`, typed by `OrderItem::from_json`.
fn through_value(body: &str) -> Result<Vec<String>, String> {
    let de = &mut serde_json::Deserializer::from_str(body);
    let parsed: ValueBody =
        serde_path_to_error::deserialize(de).map_err(|e| format!("{}: {}", e.path(), e.inner()))?;
    Ok(parsed
        .orders
        .iter()
        .map(|v| format!("{:?}", OrderItem::from_json(v)))
        .collect())
}

fn through_wire(body: &str) -> Result<Vec<String>, String> {
    let de = &mut serde_json::Deserializer::from_str(body);
    let parsed: WireBody<'_> =
        serde_path_to_error::deserialize(de).map_err(|e| format!("{}: {}", e.path(), e.inner()))?;
    Ok(parsed
        .orders
        .iter()
        .map(|w| format!("{:?}", w.order_item()))
        .collect())
}

fn valid_fields() -> Vec<(&'static str, String)> {
    [
        (
            "condition_id",
            "\"0x1111111111111111111111111111111111111111111111111111111111111111\"",
        ),
        ("chain_id", "56"),
        ("token_id", "\"1001\""),
        ("side", "\"BUY\""),
        ("price", "\"0.55\""),
        ("size", "\"10\""),
        ("order_type", "\"GTD\""),
        ("salt", "\"424242\""),
        ("maker", "\"0x2222222222222222222222222222222222222222\""),
        ("signer", "\"0x2222222222222222222222222222222222222222\""),
        ("taker", "\"0x0000000000000000000000000000000000000000\""),
        ("maker_amount", "\"5500000000000000000\""),
        ("taker_amount", "\"10000000000000000000\""),
        ("expiration", "\"1900000000\""),
        ("nonce", "\"7\""),
        ("fee_rate_bps", "0"),
        ("signature_type", "0"),
        ("signature", &format!("\"0x{}1b\"", "ab".repeat(64))),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect()
}

/// Values of every JSON kind, and strings that some field accepts and others refuse.
const ODD_VALUES: &[&str] = &[
    "\"x\"",
    "\"\"",
    "0",
    "1",
    "-1",
    "-0",
    "1.5",
    "56.0",
    "1e3",
    "18446744073709551616",
    "-9223372036854775809",
    "1e400",
    "true",
    "null",
    "[]",
    "[\"a\", 1]",
    "{}",
    "{\"a\": 1}",
    "{\"BUY\": null}",
    "{\"SELL\": 1}",
    "\"BUY\"",
    "\"buy\"",
    "\"GTD\"",
    "\"\\u0042UY\"",
    "\"\\ud800\"",
    "\"0\"",
    "\"56\"",
    "\"0.5\"",
    "\"0x\"",
    "\"0x00\"",
    "\"0x2222222222222222222222222222222222222222\"",
    "\"0X2222222222222222222222222222222222222222\"",
    "\"1001\"",
];

fn render(fields: &[(&str, String)]) -> String {
    let inner: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("\"{k}\": {v}"))
        .collect();
    format!("{{\"orders\": [{{{}}}]}}", inner.join(", "))
}

fn assert_same(body: &str) {
    assert_eq!(through_wire(body), through_value(body), "body: {body}");
}

#[test]
fn a_valid_item_types_the_same() {
    let body = render(&valid_fields());
    assert!(through_value(&body).unwrap()[0].starts_with("Ok("));
    assert_same(&body);
}

#[test]
fn every_field_with_every_kind_of_value_answers_the_same() {
    for i in 0..valid_fields().len() {
        for odd in ODD_VALUES {
            let mut fields = valid_fields();
            fields[i].1 = odd.to_string();
            assert_same(&render(&fields));
        }
    }
}

#[test]
fn missing_fields_answer_the_same() {
    for i in 0..valid_fields().len() {
        let mut fields = valid_fields();
        fields.remove(i);
        assert_same(&render(&fields));
    }
}

#[test]
fn two_bad_fields_name_the_same_one_in_either_order() {
    let n = valid_fields().len();
    for i in 0..n {
        for j in 0..n {
            let mut fields = valid_fields();
            fields[i].1 = "\"x\"".to_owned();
            fields[j].1 = "true".to_owned();
            assert_same(&render(&fields));
            fields.reverse();
            assert_same(&render(&fields));
        }
    }
}

#[test]
fn a_repeated_key_keeps_its_last_value_as_before() {
    for i in 0..valid_fields().len() {
        for odd in ["\"x\"", "null", "7"] {
            let valid = valid_fields();
            let mut later_bad = valid.clone();
            later_bad.push((valid[i].0, odd.to_owned()));
            assert_same(&render(&later_bad));
            let mut earlier_bad = valid.clone();
            earlier_bad.insert(0, (valid[i].0, odd.to_owned()));
            assert_same(&render(&earlier_bad));
        }
    }
}

#[test]
fn unknown_and_escaped_keys_answer_the_same() {
    for odd in ODD_VALUES {
        let mut fields = valid_fields();
        fields.push(("client_tag", odd.to_string()));
        assert_same(&render(&fields));
    }
    let mut fields = valid_fields();
    fields[4].0 = "pri\\u0063e";
    assert_same(&render(&fields));
}

#[test]
fn items_that_are_not_objects_answer_the_same() {
    for item in ODD_VALUES.iter().filter(|v| !v.starts_with('{')) {
        assert_same(&format!("{{\"orders\": [{item}]}}"));
    }
    let positional: Vec<String> = valid_fields().into_iter().map(|(_, v)| v).collect();
    assert_same(&format!("{{\"orders\": [[{}]]}}", positional.join(", ")));
}

#[test]
fn an_item_that_is_not_an_object_is_refused_without_naming_a_rust_type() {
    let results = through_wire("{\"orders\": [\"x\", [], 1]}").unwrap();
    for r in &results {
        assert!(!r.contains("OrderItem"), "{r}");
        assert!(r.contains("expected an order object"), "{r}");
    }
}

#[test]
fn body_errors_inside_items_answer_the_same() {
    for bad in [
        "{\"orders\": [{\"price\": 1e400}]}",
        "{\"orders\": [{\"a\": {\"b\": [1e400]}}]}",
        "{\"orders\": [{\"price\": \"\\ud800\"}]}",
        "{\"orders\": [{\"price\": \"\\x\"}]}",
        "{\"orders\": [{\"price\" 1}]}",
        "{\"orders\": [{\"price\": 01}]}",
        "{\"orders\": [{\"price\": \"0.5\"},]}",
        "{\"orders\": [{\"price\": \"0.5\"}], \"orders\": []}",
        "{\"orders\": {}}",
        "{\"orders\": [{}] } trailing",
    ] {
        assert_same(bad);
    }
}
