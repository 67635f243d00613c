//! Configuration (README.md, "Configuration"): a bad setting stops start-up with one line naming
//! it; no file is fine.

use std::time::Duration;

use serde_json::json;

use crate::harness::{assert_envelope, market_body, Exited, Gateway, Launch, ADMIN_TOKEN};

/// Starts a gateway expected to refuse its configuration; returns how it ended.
async fn refused(env: &[(&str, &str)], args: &[&str]) -> Exited {
    match Gateway::try_start(env, args).await {
        Ok(gw) => panic!(
            "the gateway started with {env:?} {args:?}; log:\n{}",
            gw.logs()
        ),
        Err(exited) => exited,
    }
}

/// Exit non-zero, quickly, with exactly one stderr line `error: config: ...` naming `setting`.
#[track_caller]
fn assert_config_error(exited: &Exited, setting: &str) {
    assert!(!exited.status.success(), "exit status {}", exited.status);
    assert!(
        exited.status.code().is_some(),
        "killed by a signal: {}",
        exited.status
    );
    assert!(
        exited.elapsed < Duration::from_secs(5),
        "took {:?} to refuse its configuration",
        exited.elapsed
    );
    let lines: Vec<&str> = exited.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one stderr line, got:\n{}", exited.stderr);
    assert!(
        lines[0].starts_with("error: config:"),
        "stderr line {:?}",
        lines[0]
    );
    assert!(
        lines[0].contains(setting),
        "{:?} does not name {setting}",
        lines[0]
    );
    assert!(!exited.stderr.contains("panicked"), "{}", exited.stderr);
}

#[tokio::test]
async fn bad_http_addr_stops_start_up_naming_it() {
    let exited = refused(&[("FS_HTTP_ADDR", "nonsense")], &[]).await;
    assert_config_error(&exited, "FS_HTTP_ADDR");
    assert_eq!(exited.status.code(), Some(2));
}

#[tokio::test]
async fn short_api_key_pepper_stops_start_up_naming_it() {
    let exited = refused(&[("FS_API_KEY_PEPPER", "short")], &[]).await;
    assert_config_error(&exited, "FS_API_KEY_PEPPER");
}

#[tokio::test]
async fn short_admin_token_stops_start_up_without_printing_it() {
    let exited = refused(&[("FS_ADMIN_TOKEN", "tiny-secret")], &[]).await;
    assert_config_error(&exited, "FS_ADMIN_TOKEN");
    assert!(!exited.stderr.contains("tiny-secret"), "{}", exited.stderr);
}

#[tokio::test]
async fn other_bad_settings_stop_start_up_naming_them() {
    for (name, value) in [
        ("DATABASE_URL", "mysql://localhost/db"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("FS_DEV_MODE", "maybe"),
        ("FS_JWT_LEEWAY_SECS", "forever"),
        ("FS_LOG_FORMAT", "xml"),
    ] {
        let exited = refused(&[(name, value)], &[]).await;
        assert_config_error(&exited, name);
    }
}

#[tokio::test]
async fn unknown_key_in_a_config_file_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("gateway.toml");
    std::fs::write(&path, "http_addr = \"127.0.0.1:0\"\nno_such_key = 1\n").expect("write");
    let path = path.to_str().expect("utf-8 path");
    let exited = refused(&[], &["--config", path]).await;
    assert_config_error(&exited, "no_such_key");
}

#[tokio::test]
async fn bad_value_in_a_config_file_names_the_key_and_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("gateway.toml");
    std::fs::write(&path, "jwt_leeway_secs = 9999\n").expect("write");
    let path = path.to_str().expect("utf-8 path");
    let exited = refused(&[], &["--config", path]).await;
    assert_config_error(&exited, "jwt_leeway_secs");
    assert_config_error(&exited, path);
}

#[tokio::test]
async fn missing_explicit_config_file_stops_start_up() {
    let exited = refused(&[], &["--config", "/nonexistent/gateway.toml"]).await;
    assert_config_error(&exited, "/nonexistent/gateway.toml");
}

#[tokio::test]
async fn no_config_file_at_all_is_fine() {
    // The working directory is empty: no config/default.toml.
    let gw = Gateway::start(&[]).await;
    assert!(!gw.dir().join("config").exists());
    let r = gw.get("/ready").await;
    assert_eq!(r.status, 200, "{}", r.text);
    // The default database is created under the working directory.
    assert!(
        gw.dir().join("data").is_dir(),
        "no data/ in the working directory"
    );
}

#[tokio::test]
async fn default_config_file_is_read_from_the_working_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir(dir.path().join("config")).expect("mkdir");
    std::fs::write(
        dir.path().join("config/default.toml"),
        format!("admin_token = \"{ADMIN_TOKEN}\"\n"),
    )
    .expect("write");
    let gw = Gateway::launch(Launch::env(&[]).dir(dir)).await;
    let r = gw.admin_post("/admin/v1/markets", &market_body(1)).await;
    assert_eq!(r.status, 201, "admin_token from the file: {}", r.text);
}

#[tokio::test]
async fn environment_overrides_the_config_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("gateway.toml");
    std::fs::write(
        &path,
        "dev_mode = false\nadmin_token = \"file-token-0123456789\"\n",
    )
    .expect("write");
    let path = path.to_str().expect("utf-8 path").to_owned();
    let gw = Gateway::launch(
        Launch::env(&[("FS_DEV_MODE", "true"), ("FS_ADMIN_TOKEN", ADMIN_TOKEN)])
            .args(&["--config", &path]),
    )
    .await;
    let r = gw.get("/v1/markets").await;
    assert_eq!(
        r.body["data"].as_array().map(Vec::len),
        Some(1),
        "dev mode from the env"
    );
    let r = gw.admin_post("/admin/v1/markets", &market_body(1)).await;
    assert_eq!(r.status, 201, "admin token from the env: {}", r.text);
    let r = gw
        .send(
            gw.request(reqwest::Method::POST, "/admin/v1/balances")
                .bearer_auth("file-token-0123456789")
                .json(
                    &json!({"wallet": "0x1111111111111111111111111111111111111111",
                              "asset": "collateral", "amount": "1"}),
                ),
        )
        .await;
    assert_envelope(&r, 401, "AUTH_INVALID", "");
}

#[test]
fn version_prints_the_package_version_and_exits_0() {
    for flag in ["--version", "-V"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gateway"))
            .arg(flag)
            .env_clear()
            .output()
            .expect("run gateway");
        assert!(out.status.success(), "{flag}: {}", out.status);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim_end(),
            format!("gateway {}", env!("CARGO_PKG_VERSION")),
            "{flag}"
        );
    }
}
