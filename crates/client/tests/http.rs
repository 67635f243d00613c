//! The SDK against a one-shot HTTP server on a free local port: the headers and bodies it
//! sends, and how it reads the gateway's answers and error envelopes.

use std::time::Duration;

use client::{
    Client, ClientError, ConnectionFailure, Credentials, OrderBuilder, OrderSpec, OrdersQuery,
    StatusFilter,
};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use types::{ChainId, ConditionId, ErrorCode, OrderHash, Outcome, Side};

/// One request as the server received it.
#[derive(Debug)]
struct Captured {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Captured {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// Accepts one connection, records the request, answers `status` with `reply`.
async fn serve_once(
    status: &'static str,
    extra_headers: &'static str,
    reply: String,
) -> (String, JoinHandle<Captured>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            let n = sock.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed before the request head");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap().split(' ');
        let method = request_line.next().unwrap().to_owned();
        let target = request_line.next().unwrap().to_owned();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(0);
        let mut body = buf[head_end..].to_vec();
        while body.len() < length {
            let n = sock.read(&mut chunk).await.unwrap();
            assert!(n > 0, "connection closed before the body");
            body.extend_from_slice(&chunk[..n]);
        }
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n{extra_headers}\r\n{reply}",
            reply.len()
        );
        sock.write_all(response.as_bytes()).await.unwrap();
        sock.shutdown().await.unwrap();
        Captured {
            method,
            target,
            headers,
            body,
        }
    });
    (url, task)
}

async fn captured(task: JoinHandle<Captured>) -> Captured {
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("the server saw a request")
        .unwrap()
}

fn hash_hex(byte: &str) -> String {
    format!("0x{}", byte.repeat(32))
}

fn api_key_client(url: &str) -> Client {
    Client::new(url, Credentials::api_key("fs_key_abc", "fs_secret_xyz")).unwrap()
}

fn signed_order() -> client::SignedOrder {
    let key = client::PrivateKey::from_bytes([7u8; 32]).unwrap();
    let market = client::MarketInfo {
        condition_id: hash_hex("11").parse().unwrap(),
        chain_id: ChainId(56),
        tokens: vec![client::TokenInfo {
            token_id: "1001".parse().unwrap(),
            outcome: Outcome::Yes,
            decimals: 18,
        }],
        fee_rate_bps: 0,
        ctf_exchange_address: format!("0x{}", "5c".repeat(20)).parse().unwrap(),
    };
    let spec = OrderSpec::limit(
        Outcome::Yes,
        Side::Buy,
        "0.55".parse().unwrap(),
        "10".parse().unwrap(),
    );
    OrderBuilder::new(&key, &market).build(&spec).unwrap()
}

#[tokio::test]
async fn place_orders_sends_the_key_pair_json_and_the_idempotency_key() {
    let order = signed_order();
    let reply = json!({"results": [{
        "order_hash": order.hash, "condition_id": hash_hex("11"), "chain_id": 56,
        "status": "OPEN", "price": "0.55", "size": "10.00", "remaining_size": "10.00",
        "fills": [], "book_added_at": null, "created_at": "2026-11-23T20:00:00.000Z"
    }]});
    let (url, server) = serve_once("200 OK", "", reply.to_string()).await;
    let resp = api_key_client(&url)
        .place_orders(std::slice::from_ref(&order), Some("batch-42"))
        .await
        .unwrap();
    let req = captured(server).await;
    assert_eq!(req.method, "POST");
    assert_eq!(req.target, "/v1/orders");
    assert_eq!(req.header("fs-api-key"), Some("fs_key_abc"));
    assert_eq!(req.header("fs-api-secret"), Some("fs_secret_xyz"));
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.header("fs-idempotency-key"), Some("batch-42"));
    assert_eq!(req.header("authorization"), None);
    assert_eq!(
        req.json(),
        json!({ "orders": [serde_json::to_value(&order).unwrap()] })
    );
    assert_eq!(resp.body.refused(), 0);
    match &resp.body.results[0] {
        client::OrderResult::Accepted(o) => assert_eq!(o.order_hash, order.hash),
        other => panic!("expected an accepted order, got {other:?}"),
    }
}

#[tokio::test]
async fn without_an_idempotency_key_no_such_header_is_sent() {
    let (url, server) = serve_once("200 OK", "", r#"{"results":[]}"#.to_owned()).await;
    api_key_client(&url)
        .place_orders(&[signed_order()], None)
        .await
        .unwrap();
    assert_eq!(captured(server).await.header("fs-idempotency-key"), None);
}

#[tokio::test]
async fn an_error_envelope_becomes_the_typed_api_error() {
    let reply = json!({"status_code": 401, "code": "AUTH_INVALID",
        "message": "Unknown API key or wrong secret", "correlation_id": "corr-77"});
    let (url, server) = serve_once(
        "401 Unauthorized",
        "x-correlation-id: corr-77\r\n",
        reply.to_string(),
    )
    .await;
    let err = api_key_client(&url)
        .get_order(hash_hex("ab").parse().unwrap())
        .await
        .unwrap_err();
    let req = captured(server).await;
    assert_eq!(
        (req.method.as_str(), req.target.as_str()),
        ("GET", &*format!("/v1/orders/{}", hash_hex("ab")))
    );
    assert_eq!(err.error_code(), Some(ErrorCode::AuthInvalid));
    assert_eq!(err.correlation_id(), Some("corr-77"));
    assert!(
        matches!(&err, ClientError::Api { status: 401, message, .. } if message == "Unknown API key or wrong secret"),
        "{err:?}"
    );
}

#[tokio::test]
async fn rate_limits_carry_retry_after() {
    let reply = json!({"status_code": 429, "code": "RATE_LIMITED",
        "message": "Too many requests; retry later", "correlation_id": "c1"});
    let (url, server) = serve_once(
        "429 Too Many Requests",
        "retry-after: 2\r\n",
        reply.to_string(),
    )
    .await;
    let err = api_key_client(&url).cancel_all().await.unwrap_err();
    captured(server).await;
    assert!(
        matches!(
            err,
            ClientError::Api {
                status: 429,
                retry_after: Some(2),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_jwt_is_sent_as_a_bearer_token() {
    let reply = json!({"data": [], "next_cursor": null, "has_more": false});
    let (url, server) = serve_once("200 OK", "", reply.to_string()).await;
    let api = Client::new(&url, Credentials::jwt("header.payload.sig")).unwrap();
    let query = OrdersQuery {
        condition_id: Some(hash_hex("11").parse().unwrap()),
        chain_id: Some(ChainId(56)),
        status: Some(StatusFilter::All),
        ..OrdersQuery::default()
    };
    let page = api.list_orders(&query).await.unwrap();
    let req = captured(server).await;
    assert!(page.data.is_empty() && !page.has_more);
    assert_eq!(
        req.header("authorization"),
        Some("Bearer header.payload.sig")
    );
    assert_eq!(req.header("fs-api-key"), None);
    assert_eq!(
        req.target,
        format!(
            "/v1/orders?condition_id={}&chain_id=56&status=all",
            hash_hex("11")
        )
    );
}

#[tokio::test]
async fn cancels_send_the_contracts_bodies() {
    let h1: OrderHash = hash_hex("01").parse().unwrap();
    let reply = json!({"cancelled_count": 1, "order_hashes": [h1]}).to_string();
    let cond: ConditionId = hash_hex("11").parse().unwrap();

    let h2: OrderHash = hash_hex("02").parse().unwrap();
    let answered = json!({
        "cancelled_count": 1, "order_hashes": [h1], "not_cancelled": {h2.to_string(): "ORDER_NOT_FOUND"}
    });
    let (url, server) = serve_once("200 OK", "", answered.to_string()).await;
    let resp = api_key_client(&url).cancel_orders(&[h1, h2]).await.unwrap();
    let req = captured(server).await;
    assert_eq!(
        (req.method.as_str(), req.target.as_str()),
        ("POST", "/v1/orders/cancel")
    );
    assert_eq!(
        req.json(),
        json!({"order_hashes": [hash_hex("01"), hash_hex("02")]})
    );
    assert_eq!((resp.cancelled_count, resp.order_hashes), (1, vec![h1]));
    assert_eq!(
        resp.not_cancelled,
        std::collections::BTreeMap::from([(h2, "ORDER_NOT_FOUND".to_owned())])
    );

    // An answer without `not_cancelled` (an older gateway) still reads.
    let (url, server) = serve_once("200 OK", "", reply.clone()).await;
    let all = api_key_client(&url).cancel_all().await.unwrap();
    assert_eq!(captured(server).await.json(), json!({}));
    assert!(all.not_cancelled.is_empty());

    let (url, server) = serve_once("200 OK", "", reply).await;
    api_key_client(&url)
        .cancel_market(cond, ChainId(97))
        .await
        .unwrap();
    assert_eq!(
        captured(server).await.json(),
        json!({"condition_id": hash_hex("11"), "chain_id": 97})
    );

    let onchain = json!({"order_hash": h1, "chain_id": 56,
        "to": format!("0x{}", "5c".repeat(20)), "data": "0xdeadbeef"});
    let (url, server) = serve_once("200 OK", "", onchain.to_string()).await;
    let resp = api_key_client(&url).cancel_onchain(h1).await.unwrap();
    let req = captured(server).await;
    assert_eq!(
        req.target,
        format!("/v1/orders/{}/cancel-onchain", hash_hex("01"))
    );
    assert_eq!(resp.data, "0xdeadbeef");
}

#[tokio::test]
async fn market_data_needs_no_credentials_and_trading_does() {
    let market = json!({"condition_id": hash_hex("11"), "chain_id": 56, "status": "OPEN",
        "tokens": [{"token_id": "1001", "outcome": 1, "decimals": 18},
                   {"token_id": "1002", "outcome": 0, "decimals": 18}],
        "fee_rate_bps": 0, "min_order_size": "1.00",
        "ctf_exchange_address": format!("0x{}", "5c".repeat(20)), "question": "?"});
    let (url, server) = serve_once("200 OK", "", market.to_string()).await;
    let api = Client::new(&url, Credentials::none()).unwrap();
    let m = api
        .market(hash_hex("11").parse().unwrap(), ChainId(56))
        .await
        .unwrap();
    let req = captured(server).await;
    assert_eq!(
        req.target,
        format!("/v1/markets/{}?chain_id=56", hash_hex("11"))
    );
    assert_eq!(req.header("fs-api-key"), None);
    assert_eq!(
        m.info().token(Outcome::No).unwrap().token_id.to_string(),
        "1002"
    );

    let err = api.cancel_all().await.unwrap_err();
    assert!(matches!(err, ClientError::MissingCredentials), "{err:?}");
}

#[tokio::test]
async fn a_non_envelope_error_keeps_its_status_and_body() {
    let (url, server) = serve_once("502 Bad Gateway", "", "upstream down".to_owned()).await;
    let err = api_key_client(&url).cancel_all().await.unwrap_err();
    captured(server).await;
    assert!(
        matches!(&err, ClientError::UnexpectedStatus { status: 502, body } if body == "upstream down"),
        "{err:?}"
    );
}

/// The cause and the base URL of an `Unreachable` error, or a panic naming what came instead.
fn unreachable_cause(err: ClientError, base: &str) -> ConnectionFailure {
    match err {
        ClientError::Unreachable { url, cause, .. } => {
            assert_eq!(url, base);
            cause
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
}

/// A library user gets the cause of a failed connection as a value, not only as text: refused,
/// a name that does not resolve, a silent server past the client's own timeout.
#[tokio::test]
async fn an_unreachable_gateway_is_typed_with_its_cause_and_base_url() {
    let closed = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let err = api_key_client(&closed).cancel_all().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("cannot reach {closed} (connection refused)")
    );
    assert_eq!(unreachable_cause(err, &closed), ConnectionFailure::Refused);

    let invalid = "http://fs-gateway.invalid:8080";
    let err = api_key_client(invalid).cancel_all().await.unwrap_err();
    assert_eq!(
        unreachable_cause(err, invalid),
        ConnectionFailure::Dns {
            host: "fs-gateway.invalid".to_owned()
        }
    );

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        while matches!(sock.read(&mut buf).await, Ok(n) if n > 0) {}
    });
    let api = api_key_client(&silent)
        .with_timeout(Duration::from_millis(300))
        .unwrap();
    let err = api.cancel_all().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("cannot reach {silent} (timed out after 300 ms)")
    );
    assert_eq!(
        unreachable_cause(err, &silent),
        ConnectionFailure::TimedOut(Duration::from_millis(300))
    );
    server.await.unwrap();

    assert!(matches!(
        api_key_client(&silent).with_timeout(Duration::ZERO),
        Err(ClientError::Invalid { .. })
    ));
}
