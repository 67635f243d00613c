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

/// Answers one request with `status` and `reply`; returns the base URL and the request head.
fn serve_once(status: &'static str, reply: &'static str) -> (String, thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = sock.read(&mut chunk).unwrap();
            assert!(n > 0);
            buf.extend_from_slice(&chunk[..n]);
        }
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
            reply.len()
        );
        sock.write_all(response.as_bytes()).unwrap();
        String::from_utf8_lossy(&buf).into_owned()
    });
    (url, handle)
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
