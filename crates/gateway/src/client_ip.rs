//! The address a request is attributed to, for throttles and connection limits.

use std::net::IpAddr;

use actix_web::HttpRequest;

/// The client's IP: the TCP peer's address.
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    req.peer_addr().map(|a| a.ip())
}
