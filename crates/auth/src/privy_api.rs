//! Privy's server API, the last resort to learn a user's wallet:
//! `GET {base}/api/v1/users/{sub}` with the app id and secret.

use serde_json::Value;
use types::{Secret, Wallet};

use crate::error::AuthError;
use crate::identity::wallet_from_linked_accounts;

pub struct PrivyApi {
    base: String,
    app_id: String,
    app_secret: Secret<String>,
    http: reqwest::Client,
}

impl PrivyApi {
    pub fn new(base: &str, app_id: &str, app_secret: Secret<String>) -> Result<PrivyApi, String> {
        Ok(PrivyApi {
            base: base.trim_end_matches('/').to_owned(),
            app_id: app_id.to_owned(),
            app_secret,
            http: crate::jwt::http_client()?,
        })
    }

    /// The user's wallet; `None` when Privy knows no such user or it has no Ethereum wallet.
    pub async fn linked_wallet(&self, sub: &str) -> Result<Option<Wallet>, AuthError> {
        if sub.is_empty()
            || !sub
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b":-_.".contains(&b))
        {
            return Ok(None);
        }
        let url = format!("{}/api/v1/users/{sub}", self.base);
        let res = self
            .http
            .get(&url)
            .basic_auth(&self.app_id, Some(self.app_secret.expose()))
            .header("privy-app-id", &self.app_id)
            .send()
            .await
            .map_err(|e| AuthError::PrivyApi(e.without_url().to_string()))?;
        if res.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !res.status().is_success() {
            return Err(AuthError::PrivyApi(format!("answered {}", res.status())));
        }
        let body: Value = res
            .json()
            .await
            .map_err(|e| AuthError::PrivyApi(e.without_url().to_string()))?;
        Ok(body
            .get("linked_accounts")
            .and_then(wallet_from_linked_accounts))
    }
}
