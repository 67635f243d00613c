//! The tier guard: a middleware each route is wrapped in where it is registered, naming the
//! route's [`Access`]. It reads the credentials, authenticates, enforces the tier table, and
//! hands the handler the caller (a [`Caller`] extractor around the [`Principal`]).
//!
//! When both a JWT and a key pair are sent, the key pair is used (and so is refused on L1).

use std::future::{ready, Ready};
use std::rc::Rc;

use actix_web::body::BoxBody;
use actix_web::dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{HeaderMap, AUTHORIZATION};
use actix_web::{web, Error, FromRequest, HttpMessage, HttpRequest};
use auth::authenticator::Presented;
use auth::{Access, AuthError, Authenticator, Principal};
use futures_util::future::LocalBoxFuture;

use crate::error::{ApiError, HttpError};

pub const API_KEY_HEADER: &str = "fs-api-key";
pub const API_SECRET_HEADER: &str = "fs-api-secret";
pub const ID_TOKEN_HEADER: &str = "privy-id-token";
pub const ID_TOKEN_COOKIE: &str = "privy-id-token";

/// Wraps a route: `web::get().to(handler).wrap(require(Access::L2(Permission::Read)))`.
pub fn require(access: Access) -> Require {
    Require(access)
}

#[derive(Clone, Copy)]
pub struct Require(Access);

impl<S, B> Transform<S, ServiceRequest> for Require
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: actix_web::body::MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = RequireService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireService {
            service: Rc::new(service),
            access: self.0,
        }))
    }
}

pub struct RequireService<S> {
    service: Rc<S>,
    access: Access,
}

impl<S, B> Service<ServiceRequest> for RequireService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: actix_web::body::MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let access = self.access;
        Box::pin(async move {
            let Some(auth) = req.app_data::<web::Data<Authenticator>>().cloned() else {
                return Ok(req.error_response(ApiError::from(HttpError::Unwired("Authenticator"))));
            };
            let ip = crate::client_ip::client_ip(req.request()).map(crate::client_ip::limit_key);
            let outcome = match presented(req.request()) {
                Ok(p) => auth.authorize(p, ip, access).await,
                Err(e) => Err(e),
            };
            match outcome {
                Ok(principal) => {
                    req.extensions_mut().insert(principal);
                    service
                        .call(req)
                        .await
                        .map(ServiceResponse::map_into_boxed_body)
                }
                Err(e) => Ok(req.error_response(ApiError::from(e))),
            }
        })
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, AuthError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(|s| Some(s.trim()))
            .map_err(|_| AuthError::MalformedHeaders("Credential headers must be ASCII")),
    }
}

/// Reads the request's credentials. Borrowing from the request keeps tokens out of copies.
fn presented(req: &HttpRequest) -> Result<Presented<'_>, AuthError> {
    let headers = req.headers();
    let key_id = header(headers, API_KEY_HEADER)?;
    let secret = header(headers, API_SECRET_HEADER)?;
    match (key_id, secret) {
        (Some(key_id), Some(secret)) => return Ok(Presented::KeyPair { key_id, secret }),
        (None, None) => {}
        _ => {
            return Err(AuthError::MalformedHeaders(
                "Send both fs-api-key and fs-api-secret",
            ))
        }
    }
    let Some(authorization) = header(headers, AUTHORIZATION.as_str())? else {
        return Ok(Presented::None);
    };
    let bearer = authorization
        .get(..7)
        .filter(|scheme| scheme.eq_ignore_ascii_case("bearer "))
        .and_then(|_| authorization.get(7..))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(AuthError::MalformedHeaders(
            "Authorization must be Bearer <jwt>",
        ))?;
    let id_token = match header(headers, ID_TOKEN_HEADER)? {
        Some(t) => Some(t),
        None => id_token_cookie(headers),
    };
    Ok(Presented::Jwt { bearer, id_token })
}

/// The `privy-id-token` cookie, read straight from the header so the value stays borrowed.
fn id_token_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(actix_web::http::header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == ID_TOKEN_COOKIE)
        .map(|(_, value)| value.trim().trim_matches('"'))
        .filter(|v| !v.is_empty())
}

/// The caller the route's guard authenticated, for its handler.
pub struct Caller(pub Principal);

impl FromRequest for Caller {
    type Error = Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.extensions().get::<Principal>() {
            Some(p) => Ok(Caller(p.clone())),
            None => {
                tracing::error!(
                    path = req.path(),
                    "handler needs a Principal but its route has no guard"
                );
                Err(ApiError::from(HttpError::Unwired("Principal")).into())
            }
        })
    }
}
