//! Placing signed orders on a keep-alive connection, each answer checked byte by byte.

use std::net::SocketAddr;
use std::time::Duration;

use client::SignedOrder;
use serde::Serialize;

use crate::common::Connection;
use crate::wallets::ApiKey;

/// An answer slower than this means a stalled server, not a slow one.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Serialize)]
struct PlaceBody<'a> {
    orders: &'a [SignedOrder],
}

/// The body of a `POST /v1/orders` request placing `orders`.
pub fn body(orders: &[SignedOrder]) -> Vec<u8> {
    serde_json::to_vec(&PlaceBody { orders }).expect("orders serialize")
}

/// A `POST /v1/orders` request's line and headers with `key`, up to and including
/// `Content-Length: `.
pub fn head(addr: SocketAddr, key: &ApiKey) -> Vec<u8> {
    format!(
        "POST /v1/orders HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{}Content-Length: ",
        key.headers()
    )
    .into_bytes()
}

/// Why a request did not have all its orders accepted.
pub enum Failure {
    Io(String),
    Status(u16, String),
    Results(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Io(e) => write!(f, "transport: {e}"),
            Failure::Status(status, body) => write!(f, "status {status}, not 200: {body}"),
            Failure::Results(what) => write!(f, "results: {what}"),
        }
    }
}

/// The connection in `slot`, opened first when there is none.
pub async fn connection(
    slot: &mut Option<Connection>,
    addr: SocketAddr,
) -> std::io::Result<&mut Connection> {
    match slot {
        Some(conn) => Ok(conn),
        None => Ok(slot.insert(Connection::open(addr).await?)),
    }
}

/// Writes a `POST /v1/orders` request into `out`: `head` (the request line and headers up to
/// and including `Content-Length: `), the length, and `body`.
pub fn write_request(out: &mut Vec<u8>, head: &[u8], body: &[u8]) {
    out.clear();
    out.extend_from_slice(head);
    out.extend_from_slice(format!("{}\r\n\r\n", body.len()).as_bytes());
    out.extend_from_slice(body);
}

/// Sends `request` and checks its answer against `needles` (`"order_hash":"0x..."` of each
/// order, in item order): the number of orders accepted. After a `Failure::Io` the connection
/// is in an unknown state and must be dropped.
pub async fn place(
    conn: &mut Connection,
    request: &[u8],
    needles: &[Vec<u8>],
) -> Result<u64, Failure> {
    match tokio::time::timeout(RESPONSE_TIMEOUT, conn.exchange(request)).await {
        Ok(Ok(response)) => check(response.status, response.body, needles),
        Ok(Err(e)) => Err(Failure::Io(e.to_string())),
        Err(_) => Err(Failure::Io("no response".to_owned())),
    }
}

/// `"order_hash":"0x..."`, as the gateway renders an accepted order.
pub fn needle(hash: &types::OrderHash) -> Vec<u8> {
    format!("\"order_hash\":\"{hash}\"").into_bytes()
}

/// A 200 whose results are the request's orders, in item order, each `OPEN`: the number of
/// orders accepted. A byte scan rather than a JSON parse, so the client stays cheap.
fn check(status: u16, body: &[u8], needles: &[Vec<u8>]) -> Result<u64, Failure> {
    let excerpt = || String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
    if status != 200 {
        return Err(Failure::Status(status, excerpt()));
    }
    if find(body, b"\"error\"").is_some() {
        return Err(Failure::Results(format!(
            "an order was refused: {}",
            excerpt()
        )));
    }
    let mut from = 0;
    for (i, needle) in needles.iter().enumerate() {
        match find(&body[from..], needle) {
            Some(at) => from += at + needle.len(),
            None => {
                return Err(Failure::Results(format!(
                    "item {i} is not the request's order {i}: {}",
                    excerpt()
                )))
            }
        }
    }
    let open = count(body, b"\"status\":\"OPEN\"");
    if open != needles.len() {
        return Err(Failure::Results(format!(
            "{open} OPEN of {} orders: {}",
            needles.len(),
            excerpt()
        )));
    }
    Ok(open as u64)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    let mut n = 0;
    let mut from = 0;
    while let Some(at) = find(&haystack[from..], needle) {
        n += 1;
        from += at + needle.len();
    }
    n
}
