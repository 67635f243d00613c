//! Every route of the API, one module per part of the contract; each registers its routes
//! with their tiers and keeps its handlers thin (read the request, call one domain function,
//! render).

pub mod admin;
pub mod auth;
pub mod markets;
pub mod ops;
pub mod orders;
