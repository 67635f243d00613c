//! Requests the HTTP parser rejects: an envelope where possible, never an ERROR log line.
//!
//! actix-http answers a request it cannot parse by itself, before any of the gateway's code
//! runs, with an empty body; what the gateway controls is the log and the count of them.

use std::time::Duration;

use super::raw_http::{addr, loopback, Conn};
use crate::harness::{metric_sample, Gateway};

/// Malformed requests and the status actix answers each with.
fn malformed() -> Vec<(&'static str, Vec<u8>, u16)> {
    let mut many_headers = b"GET /v1/markets HTTP/1.1\r\nHost: gateway\r\n".to_vec();
    for i in 0..200 {
        many_headers.extend_from_slice(format!("x-h{i}: v\r\n").as_bytes());
    }
    many_headers.extend_from_slice(b"\r\n");
    let mut huge_header = b"GET /v1/markets HTTP/1.1\r\nHost: gateway\r\nx-big: ".to_vec();
    huge_header.extend(std::iter::repeat_n(b'a', 256 * 1024));
    huge_header.extend_from_slice(b"\r\n\r\n");
    vec![
        ("too many headers", many_headers, 431),
        ("a header over the head limit", huge_header, 431),
        (
            "Content-Length with Transfer-Encoding",
            b"POST /v1/orders HTTP/1.1\r\nHost: gateway\r\nContent-Length: 5\r\n\
              Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                .to_vec(),
            400,
        ),
        (
            "two different Content-Lengths",
            b"POST /v1/orders HTTP/1.1\r\nHost: gateway\r\nContent-Length: 2\r\n\
              Content-Length: 3\r\n\r\n{}"
                .to_vec(),
            400,
        ),
        (
            "a path that is not UTF-8",
            b"GET /v1/markets/\xff\xfe HTTP/1.1\r\nHost: gateway\r\n\r\n".to_vec(),
            400,
        ),
    ]
}

#[tokio::test]
async fn requests_the_parser_refuses_get_a_4xx_and_no_error_log_line() {
    let gw = Gateway::start(&[]).await;
    let to = addr(&gw);
    let forms = malformed();
    // Repeated: a client must not be able to write to the log at will.
    for _ in 0..10 {
        for (what, request, status) in &forms {
            let mut conn = Conn::open(loopback(1), to).await.expect("connect");
            // The server may close before it has read a large request; the answer still comes.
            let _ = conn.send(request).await;
            let r = conn
                .response()
                .await
                .unwrap_or_else(|| panic!("{what}: no answer"));
            assert_eq!(r.status, *status, "{what}: {r:?}");
            assert!(
                conn.closed_within(Duration::from_secs(3)).await,
                "{what}: the connection stayed open"
            );
        }
    }
    let metrics = gw.get("/metrics").await.text;
    assert_eq!(
        metric_sample::<u64>(
            &metrics,
            r#"http_connection_errors_total{kind="head_too_large"}"#
        ),
        Some(20),
        "{metrics}"
    );
    assert_eq!(
        metric_sample::<u64>(
            &metrics,
            r#"http_connection_errors_total{kind="malformed_request"}"#
        ),
        Some(30),
        "{metrics}"
    );
    // The gateway is still serving, and nothing was logged at ERROR.
    assert_eq!(gw.get("/health").await.status, 200);
    let logs = gw.logs();
    let errors: Vec<&str> = logs.lines().filter(|l| l.contains(" ERROR ")).collect();
    assert!(errors.is_empty(), "ERROR lines: {errors:#?}");
}

#[tokio::test]
async fn a_path_that_decodes_to_invalid_utf8_gets_the_envelope() {
    let gw = Gateway::start(&[]).await;
    let to = addr(&gw);
    let mut conn = Conn::open(loopback(1), to).await.expect("connect");
    // Percent-encoded, the bytes pass the parser and reach the router.
    let r = conn.get("/v1/markets/%FF%FE").await.expect("an answer");
    r.assert_envelope(400, "VALIDATION_ERROR");
    let r = conn.get("/%FF%FE/%C0").await.expect("an answer");
    r.assert_envelope(404, "NOT_FOUND");
    let logs = gw.logs();
    assert!(!logs.contains(" ERROR "), "{logs}");
}
