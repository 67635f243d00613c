//! `fs-cli` as a bot's script runs it: JSON on stdout, errors on stderr, exit codes, and
//! secrets never printed.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::thread;

const KEY: &str = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const ADDRESS: &str = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23";

fn fs_cli(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fs-cli"));
    for var in [
        "FS_API_URL",
        "FS_API_KEY",
        "FS_API_SECRET",
        "FS_PRIVATE_KEY",
        "FS_JWT",
    ] {
        cmd.env_remove(var);
    }
    cmd.args(args).envs(env.iter().copied()).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The head and body of each request a test server saw.
type Seen = Vec<(String, Vec<u8>)>;

/// Answers one request per reply, in order (one connection each); returns the base URL and,
/// per request, its head and body.
fn serve(replies: Vec<(&'static str, String)>) -> (String, thread::JoinHandle<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = thread::spawn(move || {
        let mut seen = Vec::new();
        for (status, reply) in replies {
            let (mut sock, _) = listener.accept().unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let head_end = loop {
                let n = sock.read(&mut chunk).unwrap();
                assert!(n > 0);
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
            };
            let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
            let length = head
                .lines()
                .filter_map(|l| l.split_once(':'))
                .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.trim().parse::<usize>().unwrap())
                .unwrap_or(0);
            let mut body = buf[head_end..].to_vec();
            while body.len() < length {
                let n = sock.read(&mut chunk).unwrap();
                assert!(n > 0);
                body.extend_from_slice(&chunk[..n]);
            }
            let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                reply.len()
            );
            sock.write_all(response.as_bytes()).unwrap();
            seen.push((head, body));
        }
        seen
    });
    (url, handle)
}

fn serve_once(status: &'static str, reply: &'static str) -> (String, thread::JoinHandle<String>) {
    let (url, handle) = serve(vec![(status, reply.to_owned())]);
    let head = thread::spawn(move || handle.join().unwrap().remove(0).0);
    (url, head)
}

#[test]
fn wallet_prints_the_address_and_never_the_key() {
    let out = fs_cli(&["wallet"], &[("FS_PRIVATE_KEY", KEY)]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["wallet"], ADDRESS);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!all.contains(&KEY[2..20]));
}

#[test]
fn a_bad_or_missing_private_key_fails_on_stderr_without_echoing_it() {
    let bad = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f36231z";
    let out = fs_cli(&["wallet"], &[("FS_PRIVATE_KEY", bad)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(err.starts_with("error: FS_PRIVATE_KEY: "), "{err}");
    assert!(!err.contains(&bad[2..20]), "{err}");

    let out = fs_cli(&["wallet"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("FS_PRIVATE_KEY"));
}

#[test]
fn an_api_error_exits_non_zero_with_the_code_and_sends_the_key_pair() {
    let (url, server) = serve_once(
        "401 Unauthorized",
        r#"{"status_code":401,"code":"AUTH_REVOKED","message":"API key revoked","correlation_id":"cid-1"}"#,
    );
    let out = fs_cli(
        &["orders", "--status", "all"],
        &[
            ("FS_API_URL", &url),
            ("FS_API_KEY", "fs_key_k"),
            ("FS_API_SECRET", "fs_secret_s3cr3t"),
        ],
    );
    let head = server.join().unwrap().to_ascii_lowercase();
    assert!(head.starts_with("get /v1/orders?status=all "), "{head}");
    assert!(head.contains("fs-api-key: fs_key_k\r\n"), "{head}");
    assert!(
        head.contains("fs-api-secret: fs_secret_s3cr3t\r\n"),
        "{head}"
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    assert!(
        err.contains("AUTH_REVOKED") && err.contains("cid-1"),
        "{err}"
    );
    assert!(!err.contains("s3cr3t"), "{err}");
}

#[test]
fn markets_prints_the_page_as_json() {
    let (url, server) = serve_once(
        "200 OK",
        r#"{"data":[],"next_cursor":null,"has_more":false}"#,
    );
    let out = fs_cli(&["markets", "--status", "open"], &[("FS_API_URL", &url)]);
    let head = server.join().unwrap();
    assert!(head.starts_with("GET /v1/markets?status=OPEN "), "{head}");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"data": [], "next_cursor": null, "has_more": false})
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = fs_cli(&["order", "place", "--price", "0.555"], &[]);
    assert_eq!(out.status.code(), Some(2));
}

const CONDITION: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";
const EXCHANGE: &str = "0x5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c";

fn market_json() -> String {
    serde_json::json!({"condition_id": CONDITION, "chain_id": 56, "status": "OPEN",
        "question": "Will it rain?",
        "tokens": [{"token_id": "1001", "outcome": 1, "decimals": 18},
                   {"token_id": "1002", "outcome": 0, "decimals": 6}],
        "fee_rate_bps": 25, "min_order_size": "1.00",
        "ctf_exchange_address": EXCHANGE})
    .to_string()
}

/// The whole `order place` path: the market is fetched, the order signed with FS_PRIVATE_KEY
/// and posted; the gateway's own pipeline accepts the posted item, and an inline refusal
/// makes the command exit 3 with the results on stdout.
#[test]
fn order_place_signs_an_order_the_server_pipeline_accepts() {
    use alloy_primitives::{Address, U256};
    use signing::eip712::{domain_separator, order_digest, recover_signer, Order};
    use types::{ChainId, ContractAddress};

    let refused = r#"{"results":[{"error":{"code":"INSUFFICIENT_BALANCE","message":"Not enough collateral"}}]}"#;
    let (url, server) = serve(vec![
        ("200 OK", market_json()),
        ("200 OK", refused.to_owned()),
    ]);
    let out = fs_cli(
        &[
            "order",
            "place",
            "--condition-id",
            CONDITION,
            "--chain-id",
            "56",
            "--outcome",
            "no",
            "--side",
            "sell",
            "--price",
            "0.35",
            "--size",
            "12.5",
            "--idempotency-key",
            "k-1",
        ],
        &[
            ("FS_API_URL", &url),
            ("FS_API_KEY", "fs_key_k"),
            ("FS_API_SECRET", "fs_secret_s"),
            ("FS_PRIVATE_KEY", KEY),
        ],
    );
    let seen = server.join().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        printed["results"][0]["error"]["code"],
        "INSUFFICIENT_BALANCE"
    );

    let (market_head, _) = &seen[0];
    assert!(
        market_head.starts_with(&format!("GET /v1/markets/{CONDITION}?chain_id=56 ")),
        "{market_head}"
    );
    let (post_head, body) = &seen[1];
    assert!(post_head.starts_with("POST /v1/orders "), "{post_head}");
    assert!(
        post_head
            .to_ascii_lowercase()
            .contains("fs-idempotency-key: k-1\r\n"),
        "{post_head}"
    );
    let body: serde_json::Value = serde_json::from_slice(body).unwrap();
    let item = &body["orders"][0];
    assert_eq!(item["side"], "SELL");
    assert_eq!(item["token_id"], "1002");
    assert_eq!(item["maker_amount"], "12500000"); // 12.5 shares of a 6-decimal token
    assert_eq!(item["taker_amount"], "4375000"); // floor(12500000 * 35 / 100)

    // The item is signed by the key over exactly these fields (the gateway's own hashing).
    let field = |name: &str| -> U256 { item[name].as_str().unwrap().parse().unwrap() };
    let address = |name: &str| -> Address { item[name].as_str().unwrap().parse().unwrap() };
    let order = Order {
        salt: field("salt"),
        maker: address("maker"),
        signer: address("signer"),
        taker: address("taker"),
        tokenId: field("token_id"),
        makerAmount: field("maker_amount"),
        takerAmount: field("taker_amount"),
        expiration: field("expiration"),
        nonce: field("nonce"),
        feeRateBps: U256::from(item["fee_rate_bps"].as_u64().unwrap()),
        side: 1,
        signatureType: 0,
    };
    let separator = domain_separator(ChainId(56), EXCHANGE.parse::<ContractAddress>().unwrap());
    let digest = order_digest(separator, &order);
    let signature = alloy_primitives::hex::decode(item["signature"].as_str().unwrap()).unwrap();
    assert_eq!(
        recover_signer(&digest.0, &signature).unwrap(),
        ADDRESS.parse::<Address>().unwrap()
    );
}

/// A request a command must send: method, path and, for a POST with one, its JSON body.
type Request = (&'static str, String, Option<serde_json::Value>);

/// `order get`, `order cancel`, `order cancel-all` (all, and one market's) and
/// `order cancel-onchain`: each sends its route's request with the key pair, and prints the
/// answer as JSON on stdout.
#[test]
fn order_get_and_the_cancel_commands_send_their_requests_and_print_the_answers() {
    let hash = format!("0x{}", "0f".repeat(32));
    let other = format!("0x{}", "e1".repeat(32));
    let order = serde_json::json!({
        "order_hash": hash, "condition_id": CONDITION, "chain_id": 56, "side": "BUY",
        "outcome": 1, "order_type": "LIMIT", "price": "0.55", "size": "10.00",
        "remaining_size": "10.00", "status": "OPEN", "token_id": "1001", "fee_rate_bps": 25,
        "expiration": "0", "book_added_at": null, "created_at": "2026-11-24T10:00:00.000Z",
        "updated_at": "2026-11-24T10:00:00.000Z"
    });
    let cancelled = serde_json::json!({
        "cancelled_count": 2, "order_hashes": [hash, other], "not_cancelled": {}
    });
    let none = serde_json::json!({"cancelled_count": 0, "order_hashes": [], "not_cancelled": {}});
    let onchain = serde_json::json!({
        "order_hash": hash, "chain_id": 56, "to": EXCHANGE, "data": "0xa6dfcf86"
    });
    let on_market = format!("--condition-id={CONDITION}");
    let post_cancel = |body| ("POST", "/v1/orders/cancel".to_owned(), Some(body));
    let commands: Vec<(Vec<&str>, Request, &serde_json::Value)> = vec![
        (
            vec!["order", "get", &hash],
            ("GET", format!("/v1/orders/{hash}"), None),
            &order,
        ),
        (
            vec!["order", "cancel", &hash, &other],
            post_cancel(serde_json::json!({"order_hashes": [hash, other]})),
            &cancelled,
        ),
        (
            vec!["order", "cancel-all"],
            post_cancel(serde_json::json!({})),
            &none,
        ),
        (
            vec!["order", "cancel-all", &on_market, "--chain-id", "56"],
            post_cancel(serde_json::json!({"condition_id": CONDITION, "chain_id": 56})),
            &none,
        ),
        (
            vec!["order", "cancel-onchain", &hash],
            ("POST", format!("/v1/orders/{hash}/cancel-onchain"), None),
            &onchain,
        ),
    ];
    for (args, (method, path, body), reply) in commands {
        let (url, server) = serve(vec![("200 OK", reply.to_string())]);
        let out = fs_cli(
            &args,
            &[
                ("FS_API_URL", &url),
                ("FS_API_KEY", "fs_key_k"),
                ("FS_API_SECRET", "fs_secret_s"),
            ],
        );
        let (head, sent) = server.join().unwrap().remove(0);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert!(
            head.starts_with(&format!("{method} {path} HTTP/1.1\r\n")),
            "{args:?}: {head}"
        );
        let head = head.to_ascii_lowercase();
        assert!(
            head.contains("fs-api-key: fs_key_k\r\n"),
            "{args:?}: {head}"
        );
        assert!(
            head.contains("fs-api-secret: fs_secret_s\r\n"),
            "{args:?}: {head}"
        );
        if let Some(body) = body {
            let sent: serde_json::Value = serde_json::from_slice(&sent).unwrap();
            assert_eq!(sent, body, "{args:?}");
        }
        let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(&printed, reply, "{args:?}");
    }
}

/// `order cancel` prints the answer as JSON on stdout and, on stderr, one `<hash>: <REASON>`
/// line for each hash it did not cancel; the command still succeeds.
#[test]
fn order_cancel_prints_why_each_hash_was_not_cancelled() {
    let (done, gone, foreign) = (
        format!("0x{}", "0f".repeat(32)),
        format!("0x{}", "a1".repeat(32)),
        format!("0x{}", "b2".repeat(32)),
    );
    let reply = serde_json::json!({
        "cancelled_count": 1,
        "order_hashes": [done],
        "not_cancelled": {gone.clone(): "ORDER_ALREADY_CANCELLED", foreign.clone(): "ORDER_NOT_FOUND"}
    });
    let (url, server) = serve(vec![("200 OK", reply.to_string())]);
    let out = fs_cli(
        &["order", "cancel", &done, &gone, &foreign],
        &[
            ("FS_API_URL", &url),
            ("FS_API_KEY", "fs_key_k"),
            ("FS_API_SECRET", "fs_secret_s"),
        ],
    );
    server.join().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, reply);
    assert_eq!(
        text(&out.stderr),
        format!("{gone}: ORDER_ALREADY_CANCELLED\n{foreign}: ORDER_NOT_FOUND\n")
    );
}

/// A local URL where nothing listens: a port the OS gave out, closed again.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// Runs `fs-cli markets` against `url` and returns its stderr, after checking the exit code of
/// a failed request and that nothing reached stdout.
fn unreachable(url: &str, env: &[(&str, &str)]) -> String {
    let mut all = vec![("FS_API_URL", url)];
    all.extend_from_slice(env);
    let out = fs_cli(&["markets"], &all);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    text(&out.stderr)
}

#[test]
fn a_closed_port_is_reported_as_connection_refused_with_the_url() {
    let url = closed_port_url();
    let err = unreachable(&url, &[]);
    assert_eq!(
        err.trim_end(),
        format!(
            "error: cannot reach {url} (connection refused): is the gateway running? \
             Set FS_API_URL to its address"
        )
    );
}

#[test]
fn a_host_that_does_not_resolve_is_reported_as_such_with_the_url() {
    // RFC 2606: `.invalid` never resolves, with or without a network.
    let url = "http://fs-gateway.invalid:8080";
    let err = unreachable(url, &[]);
    assert!(
        err.starts_with(&format!(
            "error: cannot reach {url} (could not resolve host fs-gateway.invalid): "
        )),
        "{err}"
    );
    assert!(err.contains("FS_API_URL"), "{err}");
}

#[test]
fn a_gateway_that_never_answers_times_out_after_fs_timeout_secs() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    // Accepts the connection and reads the request, but never answers.
    let silent = thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        while matches!(sock.read(&mut buf), Ok(n) if n > 0) {}
    });
    let err = unreachable(&url, &[("FS_TIMEOUT_SECS", "1")]);
    assert!(
        err.starts_with(&format!(
            "error: cannot reach {url} (timed out after 1 s): "
        )),
        "{err}"
    );
    assert!(err.contains("FS_TIMEOUT_SECS"), "{err}");
    silent.join().unwrap();
}

#[test]
fn https_to_a_plain_http_port_is_reported_as_a_failed_tls_handshake() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    // A plain HTTP server: it answers the TLS ClientHello with an HTTP response.
    let plain = thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let _ = sock.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        let mut buf = [0u8; 4096];
        while matches!(sock.read(&mut buf), Ok(n) if n > 0) {}
    });
    let err = unreachable(&url, &[]);
    assert!(
        err.starts_with(&format!(
            "error: cannot reach {url} (TLS handshake failed: "
        )),
        "{err}"
    );
    assert!(err.contains("check FS_API_URL's scheme"), "{err}");
    plain.join().unwrap();
}

#[test]
fn fs_timeout_secs_out_of_range_is_refused_naming_the_variable() {
    for bad in ["0", "3601", "1.5", "soon"] {
        let out = fs_cli(
            &["markets"],
            &[("FS_API_URL", &closed_port_url()), ("FS_TIMEOUT_SECS", bad)],
        );
        assert_eq!(out.status.code(), Some(1), "{bad}");
        let err = text(&out.stderr);
        assert!(
            err.starts_with("error: FS_TIMEOUT_SECS: ") && err.contains("1 to 3600"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn help_lists_every_environment_variable_with_its_default() {
    let out = fs_cli(&["--help"], &[]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    let line = |var: &str| {
        help.lines()
            .find(|l| l.trim_start().starts_with(&format!("{var} ")))
            .unwrap_or_else(|| panic!("{var} is not listed in:\n{help}"))
            .to_owned()
    };
    assert!(line("FS_API_URL").ends_with("[default: http://127.0.0.1:8080]"));
    for var in ["FS_API_KEY", "FS_API_SECRET", "FS_JWT", "FS_PRIVATE_KEY"] {
        assert!(line(var).ends_with("[default: unset]"), "{}", line(var));
    }
    assert!(line("FS_TIMEOUT_SECS").ends_with("[default: 30]"));
}

/// `fs-cli orders` says in its help that it lists open orders unless told otherwise, and asks
/// for exactly those.
#[test]
fn orders_help_shows_the_default_status_and_orders_sends_it() {
    let out = fs_cli(&["orders", "--help"], &[]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    let status = help
        .lines()
        .find(|l| l.trim_start().starts_with("--status"))
        .unwrap_or_else(|| panic!("no --status in:\n{help}"));
    assert!(status.contains("[default: open]"), "{status}");

    let (url, server) = serve_once(
        "200 OK",
        r#"{"data":[],"next_cursor":null,"has_more":false}"#,
    );
    let out = fs_cli(&["orders"], &[("FS_API_URL", &url), ("FS_JWT", "a.b.c")]);
    let head = server.join().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(head.starts_with("GET /v1/orders?status=open "), "{head}");
}

#[test]
fn version_prints_the_package_version() {
    let out = fs_cli(&["--version"], &[]);
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout).trim_end(),
        format!("fs-cli {}", env!("CARGO_PKG_VERSION"))
    );
}
