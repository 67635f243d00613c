//! Every route of the API, one module per part of the contract; each registers its routes
//! with their tiers and keeps its handlers thin (read the request, call one domain function,
//! render).

pub mod admin;
pub mod auth;
pub mod markets;
pub mod ops;
pub mod orders;
pub mod portfolio;

use actix_web::{guard, web, Route};

/// A read route: `GET`, and `HEAD` by the same handler, whose body the server leaves out
/// (RFC 9110 9.3.2: HEAD answers what GET would, without the content).
pub fn get_or_head() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}
