//! Input that cannot be stored is refused at the edge (docs/api.md 1.3), and a stored row the
//! gateway cannot read back never stops it from starting: the row is logged with its key,
//! skipped, and listed by `/ready`. Each rule runs on SQLite and on PostgreSQL.

use std::path::Path;

use reqwest::Method;
use serde_json::{json, Value};
use sqlx::Connection;
use test_support::PgSchema;

use crate::harness::{
    assert_envelope, condition_id, market_body, market_path, Gateway, ADMIN_TOKEN,
};
use crate::trading::{Trader, DEV_ENV};

/// Where a test's gateway keeps its data: the default SQLite file in its directory, or a
/// PostgreSQL schema of its own.
struct Db {
    schema: Option<PgSchema>,
}

impl Db {
    fn sqlite() -> Db {
        Db { schema: None }
    }

    /// A schema of its own; fails the test when PostgreSQL is unreachable.
    async fn postgres() -> Db {
        Db {
            schema: Some(PgSchema::create().await),
        }
    }

    /// The gateway's environment: `base` and, on PostgreSQL, its `DATABASE_URL`.
    fn env<'a>(&'a self, base: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut env = base.to_vec();
        if let Some(schema) = &self.schema {
            env.push(("DATABASE_URL", schema.url.as_str()));
        }
        env
    }

    /// A direct connection to the database of the (stopped) gateway that ran in `dir`.
    async fn connect(&self, dir: &Path) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        let url = match &self.schema {
            Some(schema) => schema.url.clone(),
            None => format!("sqlite://{}", dir.join("data/gateway.db").display()),
        };
        sqlx::AnyConnection::connect(&url)
            .await
            .expect("connect to the gateway's database")
    }
}

const ADMIN: [(&str, &str); 1] = [("FS_ADMIN_TOKEN", ADMIN_TOKEN)];

/// 2^63: the `chain_id` the probe stored as -2^63.
const CHAIN_ID_2_63: u64 = 9_223_372_036_854_775_808;

async fn chain_id_beyond_2_63_is_refused_and_nothing_is_stored(db: Db) {
    let env = db.env(&ADMIN);
    let gw = Gateway::start(&env).await;
    let message = "chain_id: must be a positive integer below 2^63";
    for chain_id in [json!(CHAIN_ID_2_63), json!(u64::MAX), json!(0), json!(-1)] {
        let mut body = market_body(1);
        body["chain_id"] = chain_id.clone();
        let r = gw.admin_post("/admin/v1/markets", &body).await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", "chain_id: ");
        if chain_id != json!(-1) {
            assert_envelope(&r, 400, "VALIDATION_ERROR", message);
        }
    }
    // Beyond u64 too, and the other integers of the body, each named.
    let too_big = market_body(1)
        .to_string()
        .replace("\"chain_id\":56", "\"chain_id\":18446744073709551616");
    assert!(too_big.contains("18446744073709551616"));
    let r = gw
        .send(
            gw.request(Method::POST, "/admin/v1/markets")
                .bearer_auth(ADMIN_TOKEN)
                .header("content-type", "application/json")
                .body(too_big),
        )
        .await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "chain_id: ");
    let mut body = market_body(1);
    body["fee_rate_bps"] = json!(4_294_967_296u64);
    let r = gw.admin_post("/admin/v1/markets", &body).await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "fee_rate_bps: ");
    let mut body = market_body(1);
    body["tokens"][0]["decimals"] = json!(256);
    let r = gw.admin_post("/admin/v1/markets", &body).await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "tokens[0].decimals: ");
    let r = gw.get("/v1/markets").await;
    assert_eq!(r.body["data"], json!([]), "nothing was stored: {}", r.text);

    // Where a chain id arrives as text (query strings, the PATCH body), the same range.
    gw.create_market(&market_body(2)).await;
    let cid = condition_id(2);
    let r = gw
        .get(&format!("/v1/markets/{cid}?chain_id={CHAIN_ID_2_63}"))
        .await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", message);
    let r = gw
        .admin_patch(
            &format!("/admin/v1/markets/{cid}?chain_id={CHAIN_ID_2_63}"),
            &json!({"status": "PAUSED"}),
        )
        .await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", message);
    let r = gw
        .admin_patch(
            &format!("/admin/v1/markets/{cid}"),
            &json!({"status": "PAUSED", "chain_id": CHAIN_ID_2_63}),
        )
        .await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", message);
    let r = gw.get("/v1/markets?limit=18446744073709551616").await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", "limit: ");

    // The gateway restarts on what it stored, and has nothing to leave out.
    let restarted = match db.schema {
        Some(_) => {
            drop(gw);
            Gateway::start(&env).await
        }
        None => {
            let stopped = gw.stop();
            assert!(stopped.status.success(), "{}", stopped.logs);
            Gateway::start_in(stopped.dir, &env).await
        }
    };
    let r = restarted.get("/ready").await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["unreadable_rows"], json!([]), "{}", r.text);
    let r = restarted.get(&market_path(&cid, "")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "OPEN", "{}", r.text);
}

#[tokio::test]
async fn a_chain_id_beyond_2_63_is_refused_and_nothing_is_stored() {
    chain_id_beyond_2_63_is_refused_and_nothing_is_stored(Db::sqlite()).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_chain_id_beyond_2_63_is_refused_and_nothing_is_stored_on_postgres() {
    let db = Db::postgres().await;
    chain_id_beyond_2_63_is_refused_and_nothing_is_stored(db).await;
}

async fn an_unreadable_row_never_stops_start_up(db: Db) {
    let env = db.env(&ADMIN);
    let gw = Gateway::start(&env).await;
    for n in 1..=3 {
        gw.create_market(&market_body(n)).await;
    }
    let stopped = gw.stop();
    assert!(stopped.status.success(), "{}", stopped.logs);
    // What the probe's chain_id of 2^63 became, and a status no release ever wrote.
    let mut conn = db.connect(stopped.dir.path()).await;
    sqlx::query("UPDATE markets SET chain_id = $1 WHERE condition_id = $2")
        .bind(i64::MIN)
        .bind(condition_id(2))
        .execute(&mut conn)
        .await
        .expect("plant an out-of-range chain_id");
    sqlx::query("UPDATE markets SET status = 'BOGUS' WHERE condition_id = $1")
        .bind(condition_id(3))
        .execute(&mut conn)
        .await
        .expect("plant an unknown status");
    conn.close().await.expect("close");

    let gw = match db.schema {
        Some(_) => Gateway::start(&env).await,
        None => Gateway::start_in(stopped.dir, &env).await,
    };
    let keys = [
        format!(
            "condition_id=\"{}\" chain_id=-9223372036854775808",
            condition_id(2)
        ),
        format!("condition_id=\"{}\" chain_id=56", condition_id(3)),
    ];
    let logs = gw.logs();
    for key in &keys {
        assert!(
            logs.contains("skipped a stored row that cannot be read back"),
            "{logs}"
        );
        // The log escapes the quotes of the key it prints.
        assert!(
            logs.contains(key) || logs.contains(&key.replace('"', "\\\"")),
            "the log names {key}: {logs}"
        );
    }
    let r = gw.get("/ready").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let listed: Vec<Value> = keys
        .iter()
        .map(|key| json!({"table": "markets", "key": key}))
        .collect();
    let mut reported = r.body["unreadable_rows"]
        .as_array()
        .unwrap_or_else(|| panic!("no unreadable_rows: {}", r.text))
        .clone();
    reported.sort_by_key(|row| row["key"].to_string());
    assert_eq!(reported, listed, "{}", r.text);
    // Everything else is served.
    let r = gw.get("/v1/markets").await;
    let served: Vec<&str> = r.body["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|m| m["condition_id"].as_str())
        .collect();
    assert_eq!(served, [condition_id(1)], "{}", r.text);
}

#[tokio::test]
async fn an_unreadable_market_row_is_logged_skipped_and_listed_by_ready() {
    an_unreadable_row_never_stops_start_up(Db::sqlite()).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn an_unreadable_market_row_is_logged_skipped_and_listed_by_ready_on_postgres() {
    let db = Db::postgres().await;
    an_unreadable_row_never_stops_start_up(db).await;
}

/// A token the dev gateway in `gw` accepts, for `sub`, with the wallet in `linked_accounts`.
pub(super) fn signed_token(gw: &Gateway, sub: &str, wallet: Option<&str>) -> String {
    let key = auth::dev::load_or_create_key(&gw.dir().join(auth::dev::DEV_KEY_PATH))
        .expect("the dev key the gateway created");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    let mut claims = json!({
        "iss": "privy.io",
        "aud": auth::dev::DEV_APP_ID,
        "sub": sub,
        "iat": now,
        "exp": now + 3600,
    });
    if let Some(wallet) = wallet {
        claims["linked_accounts"] = json!([{"type": "wallet", "address": wallet,
            "chain_type": "ethereum", "wallet_client_type": "privy"}]);
    }
    key.sign(Some(auth::dev::DEV_KID), &claims)
        .expect("sign a token")
}

async fn text_with_a_nul_is_refused(db: Db) {
    let env = db.env(&DEV_ENV);
    let gw = Gateway::start(&env).await;
    let trader = Trader::with_permissions(&gw, &env, "nul-text", &["read"]).await;
    let nul = "bot\u{0}name";
    let message = "must not contain a NUL character";

    let r = gw
        .send(
            gw.request(Method::POST, "/v1/auth/api-keys")
                .bearer_auth(&trader.jwt)
                .json(&json!({"name": nul})),
        )
        .await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", &format!("name: {message}"));
    let r = gw
        .send(
            gw.request(
                Method::PATCH,
                &format!("/v1/auth/api-keys/{}", trader.key_id),
            )
            .bearer_auth(&trader.jwt)
            .json(&json!({"name": nul})),
        )
        .await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", &format!("name: {message}"));

    let mut in_translation = market_body(1);
    in_translation["translations"] = json!({"cn": {"summary": nul, "rules": "r"}});
    let mut cases = vec![(in_translation, "translations.cn.summary")];
    for field in ["question", "summary", "rules"] {
        let mut body = market_body(1);
        body[field] = json!(nul);
        cases.push((body, field));
    }
    for (body, field) in cases {
        let r = gw.admin_post("/admin/v1/markets", &body).await;
        assert_envelope(&r, 400, "VALIDATION_ERROR", &format!("{field}: {message}"));
    }
    gw.create_market(&market_body(2)).await;
    let r = gw
        .admin_patch(
            &format!("/admin/v1/markets/{}?chain_id=56", condition_id(2)),
            &json!({"translations": {"cn": {"summary": "s", "rules": nul}}}),
        )
        .await;
    assert_envelope(
        &r,
        400,
        "VALIDATION_ERROR",
        &format!("translations.cn.rules: {message}"),
    );

    // A genuine token whose `sub` holds a NUL: the wallet binding would store it.
    let token = signed_token(&gw, "did:privy:nul\u{0}user", Some(&trader.wallet));
    let r = gw
        .send(
            gw.request(Method::POST, "/v1/auth/api-keys")
                .bearer_auth(&token)
                .json(&json!({})),
        )
        .await;
    assert_envelope(&r, 400, "VALIDATION_ERROR", &format!("sub: {message}"));

    // Nothing was stored: the trader's one key, unrenamed; the one market created.
    let keys = trader.api_keys(&gw).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0]["name"], "nul-text", "{keys:?}");
    let r = gw.get(&market_path(&condition_id(1), "")).await;
    assert_envelope(&r, 404, "NOT_FOUND", "");
    let r = gw
        .get_with(&market_path(&condition_id(2), ""), &[("x-language", "cn")])
        .await;
    assert_eq!(r.body["rules"], market_body(2)["rules"], "{keys:?}");
}

#[tokio::test]
async fn text_with_a_nul_is_refused_naming_the_field() {
    text_with_a_nul_is_refused(Db::sqlite()).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn text_with_a_nul_is_refused_naming_the_field_on_postgres() {
    let db = Db::postgres().await;
    text_with_a_nul_is_refused(db).await;
}
