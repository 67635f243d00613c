//! The operators' bearer token (`FS_ADMIN_TOKEN`), compared in constant time. Wrong tokens are
//! failed attempts of their source IP, in the authenticator's throttle: past its limit, the
//! address is refused before its token is compared.

use std::future::{ready, Ready};

use actix_web::http::header::AUTHORIZATION;
use actix_web::{web, FromRequest, HttpRequest};
use auth::throttle::Subject;
use auth::Authenticator;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use types::{ContractError, ErrorCode, Secret};

use crate::error::ApiError;

/// The operators' bearer token, as app data. Kept as its SHA-256, so that a presented token of
/// any length is compared as 32 bytes: the comparison reveals neither content nor length.
pub struct AdminToken {
    digest: [u8; 32],
}

impl AdminToken {
    pub fn new(token: &Secret<String>) -> AdminToken {
        AdminToken {
            digest: Sha256::digest(token.expose().as_bytes()).into(),
        }
    }

    fn matches(&self, presented: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        presented.ct_eq(&self.digest).into()
    }
}

/// Why a request may not use the admin routes.
#[derive(Debug, thiserror::Error)]
pub enum AdminAuthError {
    /// The gateway has no admin token: its admin routes do not exist.
    #[error("Not found")]
    Disabled,
    #[error("Authorization: Bearer <admin token> is required")]
    Missing,
    #[error("Invalid admin token")]
    Invalid,
    #[error("Too many failed authentication attempts; retry later")]
    Throttled { retry_after_secs: u64 },
}

impl ContractError for AdminAuthError {
    fn code(&self) -> ErrorCode {
        match self {
            AdminAuthError::Disabled => ErrorCode::NotFound,
            AdminAuthError::Missing => ErrorCode::AuthMissing,
            AdminAuthError::Invalid => ErrorCode::AuthInvalid,
            AdminAuthError::Throttled { .. } => ErrorCode::RateLimited,
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            AdminAuthError::Throttled { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }
}

/// Proof that the request carried the admin token.
pub struct Admin;

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Ready<Result<Admin, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(check_admin(req).map_err(ApiError::from))
    }
}

fn check_admin(req: &HttpRequest) -> Result<Admin, AdminAuthError> {
    let expected = req
        .app_data::<web::Data<AdminToken>>()
        .ok_or(AdminAuthError::Disabled)?;
    let throttle = req
        .app_data::<web::Data<Authenticator>>()
        .zip(crate::client_ip::client_ip(req).map(crate::client_ip::limit_key))
        .map(|(auth, ip)| (auth, [Subject::Ip(ip)]));
    if let Some((auth, subjects)) = &throttle {
        if let Err(retry_after_secs) = auth.failed_attempts().check(subjects) {
            return Err(AdminAuthError::Throttled { retry_after_secs });
        }
    }
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .ok_or(AdminAuthError::Missing)?;
    // The scheme name is case-insensitive (RFC 9110 11.1).
    let presented = header
        .to_str()
        .ok()
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .unwrap_or("");
    if presented.is_empty() || !expected.matches(presented) {
        if let Some((auth, subjects)) = &throttle {
            auth.failed_attempts().record_failure(subjects);
        }
        return Err(AdminAuthError::Invalid);
    }
    Ok(Admin)
}
