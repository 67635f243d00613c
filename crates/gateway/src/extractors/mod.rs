//! What handlers take from a request besides its path and query: the caller's identity under
//! a tier ([`auth`]), the operators' token ([`admin`]), a strict JSON body ([`json`]).

pub mod admin;
pub mod auth;
pub mod json;
