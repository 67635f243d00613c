//! Trading wallets for the benches that place orders: deterministic keys, the demo market as
//! orders are signed for it, an API key per client and credits through the admin API.

use std::process::Command;

use client::{Market, MarketInfo, PrivateKey};
use serde_json::{json, Value};
use types::{Outcome, Side};

use crate::common::{gateway_setting, GatewayProcess, DEMO_CONDITION_ID};

/// The admin token the gateway is started with (`FS_ADMIN_TOKEN`), to credit wallets.
pub const ADMIN_TOKEN: &str = "bench-admin-token-0123456789abcdef";
/// What each wallet is credited of an asset, in base units: far more than it can reserve.
pub const CREDIT: &str = "1000000000000000000000000000000000000";

/// A deterministic key per wallet: distinct wallets, stable across runs.
pub fn wallet_key(i: usize) -> PrivateKey {
    let mut bytes = [0x5a; 32];
    bytes[0] = 0x1b;
    bytes[31] = i as u8 + 1;
    PrivateKey::from_bytes(bytes).expect("a valid secp256k1 key")
}

/// An API key pair with `read` + `trade`.
pub struct ApiKey {
    pub key_id: String,
    pub secret: String,
}

impl ApiKey {
    /// Its request headers, each line ending in CRLF.
    pub fn headers(&self) -> String {
        format!(
            "fs-api-key: {}\r\nfs-api-secret: {}\r\n",
            self.key_id, self.secret
        )
    }
}

/// The demo market, as orders are signed for it.
pub async fn fetch_market(http: &reqwest::Client, base: &str) -> Result<MarketInfo, String> {
    let url = format!("{base}/v1/markets/{DEMO_CONDITION_ID}?chain_id=56");
    let response = http.get(&url).send().await.map_err(|e| e.to_string())?;
    if response.status() != 200 {
        return Err(format!("GET {url}: {}", response.status()));
    }
    let market: Market = response.json().await.map_err(|e| e.to_string())?;
    Ok(market.info())
}

/// A new API key of the wallet (`name`), which is credited with what its YES orders on `side`
/// reserve: collateral for BUYs, YES tokens for SELLs.
pub async fn trader(
    http: &reqwest::Client,
    gateway: &GatewayProcess,
    market: &MarketInfo,
    key: &PrivateKey,
    side: Side,
    name: &str,
) -> Result<ApiKey, String> {
    let base = format!("http://{}", gateway.addr);
    let asset = match side {
        Side::Buy => "collateral".to_owned(),
        Side::Sell => market
            .token(Outcome::Yes)
            .ok_or("the demo market has no YES token")?
            .token_id
            .to_string(),
    };
    let api_key = api_key(http, &base, gateway, key, name)
        .await
        .map_err(|e| format!("an API key for {name}: {e}"))?;
    credit(http, &base, key, &asset)
        .await
        .map_err(|e| format!("crediting {name}'s wallet: {e}"))?;
    Ok(api_key)
}

/// A new API key of the wallet with `read` + `trade`, made with a JWT from `gateway dev-token`.
async fn api_key(
    http: &reqwest::Client,
    base: &str,
    gateway: &GatewayProcess,
    key: &PrivateKey,
    name: &str,
) -> Result<ApiKey, String> {
    let wallet = key.wallet().to_string();
    let mut command = Command::new(env!("CARGO_BIN_EXE_gateway"));
    for (setting, _) in std::env::vars() {
        if gateway_setting(&setting) {
            command.env_remove(setting);
        }
    }
    let out = command
        .args(["dev-token", "--wallet", &wallet])
        .current_dir(gateway.dir.path())
        .env("FS_DEV_MODE", "true")
        .output()
        .map_err(|e| format!("gateway dev-token: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "gateway dev-token: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let key_pair = post(
        http.post(format!("{base}/v1/auth/api-keys"))
            .bearer_auth(&token)
            .json(&json!({"permissions": ["read", "trade"], "name": name})),
        201,
    )
    .await?;
    let field = |k: &str| {
        key_pair[k]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no {k} in {key_pair}"))
    };
    Ok(ApiKey {
        key_id: field("key_id")?,
        secret: field("secret")?,
    })
}

/// Credits the wallet with `CREDIT` base units of `asset` (`collateral` or a token id).
async fn credit(
    http: &reqwest::Client,
    base: &str,
    key: &PrivateKey,
    asset: &str,
) -> Result<(), String> {
    let wallet = key.wallet().to_string();
    post(
        http.post(format!("{base}/admin/v1/balances"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"wallet": wallet, "asset": asset, "amount": CREDIT})),
        200,
    )
    .await
    .map(drop)
}

async fn post(request: reqwest::RequestBuilder, status: u16) -> Result<Value, String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    let got = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if got != status {
        return Err(format!("status {got}, not {status}: {body}"));
    }
    Ok(body)
}
