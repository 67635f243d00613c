//! The L1 routes of docs/api.md 4, `/v1/auth/api-keys`, and `/v1/auth/ws-token` (docs/api.md
//! 5): parse, call the key lifecycle, render.

use actix_web::{web, HttpResponse};
use auth::keys::{key_expiry, key_name, key_permissions, IssuedKey, KeyInfo, NewKey};
use auth::{Access, Authenticator, Permissions};
use serde::{Deserialize, Serialize};
use types::json::non_null;
use types::{Timestamp, Wallet};

use crate::error::ApiError;
use crate::extractors::auth::{require, Caller};
use crate::extractors::json::ValidJson;

/// Registers the routes, each with its tier.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/v1/auth/api-keys")
            .route(web::post().to(create).wrap(require(Access::L1)))
            .route(super::get_or_head().to(list).wrap(require(Access::L1))),
    )
    .service(
        web::resource("/v1/auth/api-keys/{key_id}")
            .route(web::patch().to(update).wrap(require(Access::L1)))
            .route(web::delete().to(revoke).wrap(require(Access::L1))),
    )
    .service(
        web::resource("/v1/auth/api-keys/{key_id}/regenerate")
            .route(web::post().to(regenerate).wrap(require(Access::L1))),
    )
    .service(
        web::resource("/v1/auth/ws-token")
            .route(web::post().to(ws_token).wrap(require(Access::L2Any))),
    );
}

/// `POST /v1/auth/ws-token` (L2, either permission) → 201 `{"token", "expires_in": 60}`.
async fn ws_token(
    Caller(principal): Caller,
    auth: web::Data<Authenticator>,
) -> Result<HttpResponse, ApiError> {
    let token = auth.ws_tokens().issue(principal.wallet).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({
        "token": token.expose(),
        "expires_in": auth::ws_token::TTL.as_secs(),
    })))
}

#[derive(Serialize)]
struct KeyView<'a> {
    key_id: &'a str,
    name: Option<&'a str>,
    permissions: Vec<&'static str>,
    wallet: Wallet,
    created_at: Timestamp,
    last_used_at: Option<Timestamp>,
    expires_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
}

impl<'a> From<&'a KeyInfo> for KeyView<'a> {
    fn from(k: &'a KeyInfo) -> Self {
        KeyView {
            key_id: &k.key_id,
            name: k.name.as_deref(),
            permissions: k.permissions.names(),
            wallet: k.wallet,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            expires_at: k.expires_at,
            revoked_at: k.revoked_at,
        }
    }
}

#[derive(Serialize)]
struct IssuedView<'a> {
    key_id: &'a str,
    secret: &'a str,
    name: Option<&'a str>,
    permissions: Vec<&'static str>,
    wallet: Wallet,
    created_at: Timestamp,
    last_used_at: Option<Timestamp>,
    expires_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
}

fn issued(k: &IssuedKey) -> IssuedView<'_> {
    let i = &k.info;
    IssuedView {
        key_id: &i.key_id,
        secret: k.secret.expose(),
        name: i.name.as_deref(),
        permissions: i.permissions.names(),
        wallet: i.wallet,
        created_at: i.created_at,
        last_used_at: i.last_used_at,
        expires_at: i.expires_at,
        revoked_at: i.revoked_at,
    }
}

/// Every field optional, none `null` (docs/api.md 1.3), none unknown: a misspelt field would
/// otherwise be a key with defaults the client did not ask for.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    #[serde(default, deserialize_with = "non_null")]
    permissions: Option<Vec<String>>,
    #[serde(default, deserialize_with = "non_null")]
    name: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    expires_at: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    #[serde(default, deserialize_with = "non_null")]
    permissions: Option<Vec<String>>,
    #[serde(default, deserialize_with = "non_null")]
    name: Option<String>,
}

async fn create(
    Caller(principal): Caller,
    auth: web::Data<Authenticator>,
    body: ValidJson<CreateBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let expires_at = key_expiry(body.expires_at.as_deref(), Timestamp::now())?;
    let new = NewKey {
        name: key_name(body.name)?,
        permissions: key_permissions(body.permissions)?.unwrap_or(Permissions::DEFAULT),
        expires_at,
    };
    let key = auth.create_key(principal.wallet, new).await?;
    Ok(HttpResponse::Created().json(issued(&key)))
}

async fn list(
    Caller(principal): Caller,
    auth: web::Data<Authenticator>,
) -> Result<HttpResponse, ApiError> {
    let keys = auth.list_keys(principal.wallet).await?;
    let data: Vec<KeyView<'_>> = keys.iter().map(KeyView::from).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": data })))
}

async fn update(
    Caller(principal): Caller,
    auth: web::Data<Authenticator>,
    path: web::Path<String>,
    body: ValidJson<UpdateBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let key = auth
        .update_key(
            principal.wallet,
            &path,
            key_name(body.name)?,
            key_permissions(body.permissions)?,
        )
        .await?;
    Ok(HttpResponse::Ok().json(KeyView::from(&key)))
}

async fn regenerate(
    Caller(principal): Caller,
    auth: web::Data<Authenticator>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let key = auth.regenerate_key(principal.wallet, &path).await?;
    Ok(HttpResponse::Ok().json(issued(&key)))
}

async fn revoke(
    Caller(principal): Caller,
    auth: web::Data<Authenticator>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    auth.revoke_key(principal.wallet, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}
