//! Errors (docs/api.md 1.4): every non-2xx response is the envelope, on every route, with the
//! correlation id.

use reqwest::{Method, RequestBuilder};
use serde_json::json;

use crate::harness::{assert_envelope, is_generated_id, market_body, Gateway, ADMIN_TOKEN};
use crate::trading::{dev_gateway, Trader};

fn admin_env() -> [(&'static str, &'static str); 1] {
    [("FS_ADMIN_TOKEN", ADMIN_TOKEN)]
}

#[tokio::test]
async fn unknown_route_is_404_in_the_envelope() {
    let gw = Gateway::start(&[]).await;
    for path in ["/v1/no-such-route", "/", "/v1/markets/0xabc/nothing-here"] {
        let r = gw.get(path).await;
        assert_envelope(&r, 404, "NOT_FOUND", "");
    }
    let r = gw.post("/v1/no-such-route", &json!({})).await;
    assert_envelope(&r, 404, "NOT_FOUND", "");
}

#[tokio::test]
async fn method_not_allowed_is_405_with_an_allow_header() {
    let gw = Gateway::start(&[]).await;
    for (method, path) in [
        (Method::POST, "/v1/markets"),
        (Method::DELETE, "/v1/markets/0xabc"),
        (Method::PUT, "/health"),
    ] {
        let r = gw
            .send(
                gw.request(method.clone(), path)
                    .header("content-type", "application/json")
                    .body("{}"),
            )
            .await;
        assert_envelope(&r, 405, "METHOD_NOT_ALLOWED", "");
        let allow = r
            .header("allow")
            .unwrap_or_else(|| panic!("{method} {path}: no Allow header"));
        assert!(allow.contains("GET"), "{method} {path}: Allow is {allow:?}");
    }
}

#[tokio::test]
async fn malformed_json_on_an_admin_post_is_400_validation_error() {
    let gw = Gateway::start(&admin_env()).await;
    for body in ["{\"condition_id\": ", "not json", "", "[1,2"] {
        let r = gw
            .send(
                gw.request(Method::POST, "/admin/v1/markets")
                    .bearer_auth(ADMIN_TOKEN)
                    .header("content-type", "application/json")
                    .body(body),
            )
            .await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", "");
    }
}

#[tokio::test]
async fn wrong_json_type_is_400_naming_the_field() {
    let gw = Gateway::start(&admin_env()).await;
    let mut body = market_body(1);
    body["fee_rate_bps"] = json!("zero");
    let r = gw.admin_post("/admin/v1/markets", &body).await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "fee_rate_bps");
    let mut body = market_body(1);
    body["tokens"][1]["decimals"] = json!(-1);
    let r = gw.admin_post("/admin/v1/markets", &body).await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "tokens[1].decimals");
}

#[tokio::test]
async fn wrong_content_type_is_400_naming_content_type() {
    let gw = Gateway::start(&admin_env()).await;
    let body = market_body(1).to_string();
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut rb = gw
            .request(Method::POST, "/admin/v1/markets")
            .bearer_auth(ADMIN_TOKEN)
            .body(body.clone());
        if let Some(ct) = content_type {
            rb = rb.header("content-type", ct);
        }
        let r = gw.send(rb).await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", "content-type");
    }
    // Any charset parameter is fine.
    let r = gw
        .send(
            gw.request(Method::POST, "/admin/v1/markets")
                .bearer_auth(ADMIN_TOKEN)
                .header("content-type", "application/json; charset=utf-8")
                .body(body),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[tokio::test]
async fn body_over_1_mib_is_413_payload_too_large() {
    let gw = Gateway::start(&admin_env()).await;
    // Valid JSON, one byte over the limit: a string padded inside the question.
    let mut body = market_body(1);
    body["question"] = json!("");
    let overhead = body.to_string().len();
    body["question"] = json!("q".repeat((1 << 20) + 1 - overhead));
    let text = body.to_string();
    assert_eq!(text.len(), (1 << 20) + 1);
    let r = gw
        .send(
            gw.request(Method::POST, "/admin/v1/markets")
                .bearer_auth(ADMIN_TOKEN)
                .header("content-type", "application/json")
                .body(text),
        )
        .await;
    assert_envelope(&r, 413, "PAYLOAD_TOO_LARGE", "");
    // The market was not created, and the gateway still answers.
    let r = gw.get("/v1/markets").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["data"], json!([]));
}

#[tokio::test]
async fn body_of_exactly_1_mib_is_not_refused_for_its_size() {
    let gw = Gateway::start(&admin_env()).await;
    // Exactly at the limit: read and parsed, then refused for what it says (the question is too long).
    let mut body = market_body(1);
    body["question"] = json!("");
    let overhead = body.to_string().len();
    body["question"] = json!("q".repeat((1 << 20) - overhead));
    let text = body.to_string();
    assert_eq!(text.len(), 1 << 20);
    let r = gw
        .send(
            gw.request(Method::POST, "/admin/v1/markets")
                .bearer_auth(ADMIN_TOKEN)
                .header("content-type", "application/json")
                .body(text),
        )
        .await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "question");
}

#[tokio::test]
async fn bad_query_string_is_400_validation_error() {
    let gw = Gateway::start(&[]).await;
    let r = gw.get("/v1/markets?status=OPEN&status=PAUSED").await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "status");
    let r = gw.get("/v1/markets?limit=1&limit=2").await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "limit");
}

#[tokio::test]
async fn correlation_id_is_echoed_when_sent() {
    let gw = Gateway::start(&[]).await;
    let id = "client-req_42.a:b";
    // On a success...
    let r = gw.get_with("/health", &[("x-correlation-id", id)]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.correlation_id(), id);
    // ...and on an error, in the header and the body.
    let r = gw
        .get_with("/v1/no-such-route", &[("x-correlation-id", id)])
        .await;
    assert_envelope(&r, 404, "NOT_FOUND", "");
    assert_eq!(r.body["correlation_id"], id);
}

#[tokio::test]
async fn correlation_id_is_generated_when_absent() {
    let gw = Gateway::start(&[]).await;
    let mut seen = Vec::new();
    for path in ["/health", "/v1/markets", "/ready", "/metrics", "/v1/nope"] {
        let r = gw.get(path).await;
        let id = r.correlation_id().to_owned();
        assert!(is_generated_id(&id), "{path}: generated id {id:?}");
        if r.status >= 400 {
            assert_eq!(r.body["correlation_id"], id.as_str());
        }
        seen.push(id);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5, "every request gets its own id");
}

#[tokio::test]
async fn unsafe_correlation_id_is_replaced() {
    let gw = Gateway::start(&[]).await;
    let too_long = "a".repeat(129);
    for unsafe_id in [
        "a b",
        "say \"hi\"",
        "x'y",
        "a\tb",
        "{json}",
        too_long.as_str(),
    ] {
        let r = gw
            .get_with("/v1/nope", &[("x-correlation-id", unsafe_id)])
            .await;
        assert_envelope(&r, 404, "NOT_FOUND", "");
        let id = r.correlation_id();
        assert_ne!(id, unsafe_id);
        assert!(is_generated_id(id), "{unsafe_id:?} replaced by {id:?}");
    }
    // 128 safe characters are still echoed.
    let longest = "b".repeat(128);
    let r = gw
        .get_with("/health", &[("x-correlation-id", &longest)])
        .await;
    assert_eq!(r.correlation_id(), longest);
}

/// Sends a raw HTTP/1.1 request with a chunked body of `body_len` bytes; returns what came back.
/// Reads while writing, so an early answer (before the body is sent) is not lost.
async fn raw_chunked_post(addr: &str, path: &str, headers: &str, body_len: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n{headers}\r\n"
    );
    let writer = tokio::spawn(async move {
        wr.write_all(head.as_bytes()).await?;
        // A JSON string, so the body is valid JSON until the size limit.
        let chunk = vec![b'a'; 64 * 1024];
        let mut sent = 0;
        wr.write_all(b"1\r\n\"\r\n").await?;
        while sent < body_len {
            let n = chunk.len().min(body_len - sent);
            wr.write_all(format!("{n:x}\r\n").as_bytes()).await?;
            wr.write_all(&chunk[..n]).await?;
            wr.write_all(b"\r\n").await?;
            sent += n;
        }
        wr.write_all(b"1\r\n\"\r\n0\r\n\r\n").await?;
        Ok::<_, std::io::Error>(())
    });
    let mut out = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no complete answer within 10 s");
    writer.abort();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn chunked_body_over_1_mib_is_413_payload_too_large() {
    let gw = Gateway::start(&admin_env()).await;
    let addr = gw.base_url.trim_start_matches("http://").to_owned();
    let headers = format!(
        "Authorization: Bearer {ADMIN_TOKEN}\r\nContent-Type: application/json\r\nx-correlation-id: chunky-1\r\n"
    );
    let answer = raw_chunked_post(&addr, "/admin/v1/markets", &headers, 2 << 20).await;
    let status_line = answer.lines().next().unwrap_or("");
    assert!(
        status_line.starts_with("HTTP/1.1 413"),
        "status line {status_line:?}"
    );
    let json_start = answer.find('{').expect("a JSON body");
    let json_end = answer.rfind('}').expect("a JSON body");
    let body: serde_json::Value =
        serde_json::from_str(&answer[json_start..=json_end]).expect("JSON envelope");
    assert_eq!(
        body,
        json!({"status_code": 413, "code": "PAYLOAD_TOO_LARGE",
               "message": body["message"], "correlation_id": "chunky-1"})
    );
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(answer
        .to_ascii_lowercase()
        .contains("x-correlation-id: chunky-1"));
    // The gateway is unharmed.
    assert_eq!(gw.get("/health").await.status, 200);
}

/// How a test request proves who sends it.
type Auth<'a> = dyn Fn(RequestBuilder) -> RequestBuilder + 'a;

/// A body that is not JSON is refused naming where it stops being JSON, and the innermost field
/// known when there is one, on every route that reads a body: never `?`, the mark
/// `serde_path_to_error` writes for a key not read yet.
#[tokio::test]
async fn a_body_that_is_not_json_names_the_position_on_every_route() {
    let gw = dev_gateway().await;
    let trader = Trader::new(&gw, "not-json").await;
    let admin = |rb: RequestBuilder| rb.bearer_auth(ADMIN_TOKEN);
    let keyed = |rb: RequestBuilder| trader.keyed(rb);
    let jwt = |rb: RequestBuilder| rb.bearer_auth(&trader.jwt);
    let everywhere = [
        (
            "{orders: [",
            "body: key must be a string at line 1 column 2",
        ),
        ("{\"", "body: EOF while parsing a string at line 1 column 2"),
        ("{\n  ,\n}", "body: key must be a string at line 2 column 3"),
        (
            "not json",
            "body: must be a JSON object; this is not JSON: expected ident at line 1 column 2",
        ),
    ];
    let routes: [(&str, &Auth<'_>, &str, &str); 5] = [
        (
            "/admin/v1/markets",
            &admin,
            r#"{"tokens": [{"outcome": }]}"#,
            "tokens[0].outcome: expected value at line 1 column 25",
        ),
        (
            "/admin/v1/balances",
            &admin,
            r#"{"asset": "collateral", "amount": "1" "wallet": ""}"#,
            "body: expected `,` or `}` at line 1 column 39",
        ),
        (
            "/v1/auth/api-keys",
            &jwt,
            r#"{"permissions": ["read" "trade"]}"#,
            "permissions: expected `,` or `]` at line 1 column 25",
        ),
        (
            "/v1/orders",
            &keyed,
            r#"{"orders": [{price: 1}]}"#,
            "orders[0]: key must be a string at line 1 column 14",
        ),
        (
            "/v1/orders/cancel",
            &keyed,
            r#"{"order_hashes": [}"#,
            "order_hashes[0]: expected value at line 1 column 19",
        ),
    ];
    for (path, auth, nested, nested_message) in routes {
        for (body, message) in everywhere.iter().copied().chain([(nested, nested_message)]) {
            let rb = gw
                .request(Method::POST, path)
                .header("content-type", "application/json")
                .body(body.to_owned());
            let r = gw.send(auth(rb)).await;
            assert_envelope(&r, 400, "VALIDATION_ERROR", "");
            let got = r.body["message"].as_str().unwrap_or_default();
            assert_eq!(got, message, "{path} {body:?}");
            assert!(got.contains(" line ") && got.contains(" column "), "{got}");
            assert!(!got.starts_with('?') && !got.contains("?:"), "{got}");
        }
    }
}
