//! What the order tests share: a dev-mode gateway with the admin API, traders (a deterministic
//! private key, a dev JWT for its wallet and an API key pair), collateral credits, signed order
//! items as JSON, re-signing after a field is altered, and the check of an inline error.

use std::process::Command;

use alloy_primitives::{hex, keccak256, Address, U256};
use client::{Client, Credentials, MarketInfo, OrderBuilder, OrderSpec, PrivateKey, SignedOrder};
use reqwest::Method;
use serde_json::{json, Value};
use signing::eip712::{domain_separator, order_digest, Order};
use types::{ChainId, ConditionId, OrderHash, OrderType, Outcome, Side, Size, Ticks};

use crate::harness::{Gateway, Resp, ADMIN_TOKEN, DEMO_CONDITION_ID};

/// Dev mode (the demo market, `gateway dev-token`, a local pepper) and the admin API.
pub const DEV_ENV: [(&str, &str); 2] = [("FS_DEV_MODE", "true"), ("FS_ADMIN_TOKEN", ADMIN_TOKEN)];
/// The demo market's exchange, YES and NO tokens.
pub const DEMO_EXCHANGE: &str = "0x00000000000000000000000000000000000de301";
pub const DEMO_YES: &str = "1001";
pub const DEMO_NO: &str = "1000";
/// secp256k1's group order n.
const SECP256K1_N: U256 = alloy_primitives::uint!(
    0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141_U256
);

/// A dev-mode gateway with the admin API, in a fresh directory.
pub async fn dev_gateway() -> Gateway {
    Gateway::start(&DEV_ENV).await
}

/// A deterministic test private key: the same label gives the same wallet in every run.
pub fn test_key(label: &str) -> PrivateKey {
    PrivateKey::from_bytes(keccak256(format!("orders-e2e-test-key:{label}")).0)
        .expect("a valid secp256k1 key")
}

/// `gateway dev-token --wallet <wallet>` in the gateway's working directory (its dev key).
pub fn dev_token(gw: &Gateway, env: &[(&str, &str)], wallet: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_gateway"))
        .args(["dev-token", "--wallet", wallet])
        .current_dir(gw.dir())
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("run gateway dev-token");
    assert!(
        out.status.success(),
        "dev-token failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).expect("a UTF-8 token");
    token.trim().to_owned()
}

/// The market as the SDK reads it (L0), reduced to what signing needs.
pub async fn market_info(gw: &Gateway, condition_id: &str) -> MarketInfo {
    let public = Client::new(&gw.base_url, Credentials::none()).expect("a client");
    public
        .market(parse_condition(condition_id), ChainId(56))
        .await
        .expect("GET the market")
        .info()
}

pub fn parse_condition(condition_id: &str) -> ConditionId {
    condition_id.parse().expect("a condition id")
}

pub fn hash_of(text: &str) -> OrderHash {
    text.parse().expect("an order hash")
}

/// A wallet with its private key, a dev JWT, an API key pair and an SDK client on that key.
pub struct Trader {
    pub key: PrivateKey,
    /// Lower-case `0x` + 40 hex.
    pub wallet: String,
    pub jwt: String,
    pub key_id: String,
    pub secret: String,
    pub api: Client,
}

impl Trader {
    /// A trader whose API key has `read` and `trade`.
    pub async fn new(gw: &Gateway, label: &str) -> Trader {
        Trader::with_permissions(gw, &DEV_ENV, label, &["read", "trade"]).await
    }

    /// A trader whose API key has exactly `permissions`; `env` is the gateway's (for dev-token).
    pub async fn with_permissions(
        gw: &Gateway,
        env: &[(&str, &str)],
        label: &str,
        permissions: &[&str],
    ) -> Trader {
        let key = test_key(label);
        let wallet = key.wallet().to_string();
        let jwt = dev_token(gw, env, &wallet);
        let r = gw
            .send(
                gw.request(Method::POST, "/v1/auth/api-keys")
                    .bearer_auth(&jwt)
                    .json(&json!({"permissions": permissions, "name": label})),
            )
            .await;
        assert_eq!(r.status, 201, "create an API key: {}", r.text);
        assert_eq!(r.body["wallet"], wallet.as_str(), "{}", r.text);
        let key_id = r.body["key_id"].as_str().expect("key_id").to_owned();
        let secret = r.body["secret"].as_str().expect("secret").to_owned();
        let api = Client::new(&gw.base_url, Credentials::api_key(&key_id, &secret))
            .expect("an SDK client");
        Trader {
            key,
            wallet,
            jwt,
            key_id,
            secret,
            api,
        }
    }

    /// The request with this trader's key pair.
    pub fn keyed(&self, rb: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        rb.header("fs-api-key", &self.key_id)
            .header("fs-api-secret", &self.secret)
    }

    /// Credits `amount` base units of collateral (admin API).
    pub async fn credit(&self, gw: &Gateway, amount: U256) {
        self.credit_asset(gw, "collateral", amount).await;
    }

    /// Credits `amount` base units of `asset` (`collateral` or a token id).
    pub async fn credit_asset(&self, gw: &Gateway, asset: &str, amount: U256) {
        let r = gw
            .admin_post(
                "/admin/v1/balances",
                &json!({"wallet": self.wallet, "asset": asset, "amount": amount.to_string()}),
            )
            .await;
        assert_eq!(r.status, 200, "credit a balance: {}", r.text);
    }

    /// Signs a `LIMIT` order (random salt) on `market`.
    pub fn sign(&self, market: &MarketInfo, spec: &OrderSpec) -> SignedOrder {
        OrderBuilder::new(&self.key, market)
            .build(spec)
            .expect("the SDK signs the order")
    }

    /// `POST /v1/orders` with `{"orders": items}`, raw.
    pub async fn post_orders(&self, gw: &Gateway, items: &[Value]) -> Resp {
        self.post_orders_keyed(gw, items, None).await
    }

    /// `POST /v1/orders` with an optional `fs-idempotency-key`.
    pub async fn post_orders_keyed(
        &self,
        gw: &Gateway,
        items: &[Value],
        idempotency_key: Option<&str>,
    ) -> Resp {
        self.post_raw(gw, &json!({ "orders": items }).to_string(), idempotency_key)
            .await
    }

    /// `POST /v1/orders` with exactly these body bytes.
    pub async fn post_raw(&self, gw: &Gateway, body: &str, idempotency_key: Option<&str>) -> Resp {
        let mut rb = self
            .keyed(gw.request(Method::POST, "/v1/orders"))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(k) = idempotency_key {
            rb = rb.header("fs-idempotency-key", k);
        }
        gw.send(rb).await
    }

    /// `GET path` with this trader's key pair.
    pub async fn get(&self, gw: &Gateway, path: &str) -> Resp {
        gw.send(self.keyed(gw.request(Method::GET, path))).await
    }

    /// `POST path` with `body` and this trader's key pair.
    pub async fn post(&self, gw: &Gateway, path: &str, body: &Value) -> Resp {
        gw.send(self.keyed(gw.request(Method::POST, path)).json(body))
            .await
    }

    /// This trader's API keys as listed by `GET /v1/auth/api-keys` (an L1 route: the JWT).
    pub async fn api_keys(&self, gw: &Gateway) -> Vec<Value> {
        let r = gw
            .send(
                gw.request(Method::GET, "/v1/auth/api-keys")
                    .bearer_auth(&self.jwt),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["data"].as_array().expect("data").clone()
    }
}

/// A `LIMIT` order spec from a price in ticks and a size in hundredths of a share.
pub fn limit(outcome: Outcome, side: Side, ticks: u8, hundredths: u64) -> OrderSpec {
    OrderSpec::limit(
        outcome,
        side,
        Ticks::new(ticks).expect("1..=100 ticks"),
        Size::from_hundredths(hundredths),
    )
}

/// A `GTD` order spec expiring at `expiration` (Unix seconds).
pub fn gtd(outcome: Outcome, side: Side, ticks: u8, hundredths: u64, expiration: u64) -> OrderSpec {
    OrderSpec {
        order_type: OrderType::Gtd,
        expiration,
        ..limit(outcome, side, ticks, hundredths)
    }
}

/// The JSON item the SDK sends for `order`.
pub fn item(order: &SignedOrder) -> Value {
    serde_json::to_value(order).expect("a JSON item")
}

fn u256_field(item: &Value, field: &str) -> U256 {
    let text = item[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is not a string in {item}"));
    U256::from_str_radix(text, 10).unwrap_or_else(|e| panic!("{field}: {e}"))
}

fn address_field(item: &Value, field: &str) -> Address {
    item[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is not a string in {item}"))
        .parse()
        .unwrap_or_else(|e| panic!("{field}: {e}"))
}

/// The EIP-712 struct the item describes, field by field as the gateway reads it.
pub fn signed_struct(item: &Value) -> Order {
    let signer = address_field(item, "signer");
    Order {
        salt: u256_field(item, "salt"),
        maker: match item.get("maker") {
            Some(Value::String(_)) => address_field(item, "maker"),
            _ => signer,
        },
        signer,
        taker: address_field(item, "taker"),
        tokenId: u256_field(item, "token_id"),
        makerAmount: u256_field(item, "maker_amount"),
        takerAmount: u256_field(item, "taker_amount"),
        expiration: u256_field(item, "expiration"),
        nonce: u256_field(item, "nonce"),
        feeRateBps: U256::from(item["fee_rate_bps"].as_u64().expect("fee_rate_bps")),
        side: match item["side"].as_str() {
            Some("BUY") => 0,
            Some("SELL") => 1,
            other => panic!("side {other:?}"),
        },
        signatureType: 0,
    }
}

/// Signs the item again with `key` after a field was altered, so that the signature is valid
/// for the altered fields and only the rule under test fails. Returns the new order hash.
pub fn resign(item: &mut Value, key: &PrivateKey, market: &MarketInfo) -> OrderHash {
    let separator = domain_separator(market.chain_id, market.ctf_exchange_address);
    let hash = order_digest(separator, &signed_struct(item));
    let signature = key.sign_digest(&hash.0).expect("sign the digest");
    item["signature"] = Value::String(format!("0x{}", hex::encode(signature)));
    hash
}

/// The same signature with `s` replaced by `n - s` (and `v` flipped): it recovers to the same
/// signer, but is the malleable high-s twin the contract refuses.
pub fn high_s_twin(signature: &str) -> String {
    let mut bytes = hex::decode(signature.trim_start_matches("0x")).expect("hex signature");
    assert_eq!(bytes.len(), 65);
    let s = U256::from_be_slice(&bytes[32..64]);
    let high = SECP256K1_N - s;
    bytes[32..64].copy_from_slice(&high.to_be_bytes::<32>());
    bytes[64] = if bytes[64] == 27 { 28 } else { 27 };
    format!("0x{}", hex::encode(bytes))
}

/// Checks one inline batch result: exactly `{"error": {"code", "message"}}`, the code, and a
/// message containing `message_contains`.
#[track_caller]
pub fn assert_inline(result: &Value, code: &str, message_contains: &str) {
    let obj = result
        .as_object()
        .unwrap_or_else(|| panic!("a result is not an object: {result}"));
    assert_eq!(
        obj.keys().map(String::as_str).collect::<Vec<_>>(),
        ["error"],
        "an inline error has only `error`: {result}"
    );
    let error = result["error"]
        .as_object()
        .unwrap_or_else(|| panic!("`error` is not an object: {result}"));
    let mut keys: Vec<&str> = error.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["code", "message"], "inline error fields of {result}");
    assert_eq!(result["error"]["code"], code, "code of {result}");
    let message = result["error"]["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "empty message in {result}");
    assert!(
        message.contains(message_contains),
        "message {message:?} does not contain {message_contains:?}"
    );
}

/// Checks an accepted batch result against the signed order.
#[track_caller]
pub fn assert_accepted(result: &Value, order: &SignedOrder) {
    let obj = result
        .as_object()
        .unwrap_or_else(|| panic!("a result is not an object: {result}"));
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "book_added_at",
            "chain_id",
            "condition_id",
            "created_at",
            "fills",
            "order_hash",
            "price",
            "remaining_size",
            "size",
            "status"
        ],
        "fields of an accepted order: {result}"
    );
    assert_eq!(result["order_hash"], order.hash.to_string(), "{result}");
    assert_eq!(
        result["condition_id"],
        order.condition_id.to_string(),
        "{result}"
    );
    assert_eq!(result["chain_id"], order.chain_id.0, "{result}");
    assert_eq!(result["status"], "OPEN", "{result}");
    assert_eq!(result["price"], order.price.to_string(), "{result}");
    assert_eq!(result["size"], order.size.to_string(), "{result}");
    assert_eq!(result["remaining_size"], order.size.to_string(), "{result}");
    assert_eq!(result["fills"], json!([]), "{result}");
    assert!(result["created_at"].is_string(), "{result}");
}

/// The demo market's condition id, parsed.
pub fn demo() -> ConditionId {
    parse_condition(DEMO_CONDITION_ID)
}
