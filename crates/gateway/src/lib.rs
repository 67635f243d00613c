//! The gateway: configuration, HTTP routes and extractors, the error envelope, wiring, health, metrics and shutdown.
//!
//! The only crate that knows actix-web. The `gateway` binary (`main.rs`) loads the
//! configuration and runs [`app::http_server`]; the library exists so that tests and
//! benchmarks can build the same routes in-process.

pub mod app;
pub mod body_read;
pub mod catalog_markets;
pub mod client_ip;
pub mod config;
pub mod connection_cap;
pub mod dev_seed;
pub mod error;
pub mod extractors;
pub mod metrics;
pub mod middleware;
pub mod open_files;
pub mod priority;
pub mod redis_probe;
pub mod routes;
pub mod telemetry;
