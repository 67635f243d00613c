//! At most `FS_MAX_CONNECTIONS_PER_IP` open connections per source IP (an IPv6 source counts by
//! its /64 network, [`crate::client_ip::limit_key`]).
//!
//! actix accepts every connection before any code of ours runs, so the cap cannot refuse at
//! accept. Instead each connection takes a [`Slot`] when it opens (`HttpServer::on_connect`),
//! which knows whether it was within the cap, and gives it back when the connection's data is
//! dropped at close. A request on a connection over the cap is answered at once with 429
//! `RATE_LIMITED` and `Connection: close`, its body never read. `/health` and `/ready` are
//! answered on any connection, so a monitor keeps working while one address is at its cap.
//! Connections from a trusted proxy (`FS_TRUSTED_PROXIES`) carry many clients and are not
//! capped.

use std::any::Any;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Extensions, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::Error;

use crate::body_read::close_after;
use crate::client_ip::TrustedProxies;
use crate::error::{ApiError, HttpError};

/// The routes answered on a connection over the cap.
const EXEMPT_PATHS: [&str; 2] = ["/health", "/ready"];

/// Open connections by source IP, shared by the workers.
pub struct ConnectionCap {
    limit: usize,
    trusted: TrustedProxies,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection's place in the count; dropping it gives the place back.
pub struct Slot {
    cap: Arc<ConnectionCap>,
    ip: IpAddr,
    over_cap: bool,
}

impl ConnectionCap {
    pub fn new(limit: usize, trusted: TrustedProxies) -> Arc<ConnectionCap> {
        Arc::new(ConnectionCap {
            limit,
            trusted,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// Counts a new connection from `ip`; `None` for a trusted proxy, which is not counted.
    pub fn open(self: &Arc<Self>, ip: IpAddr) -> Option<Slot> {
        let ip = ip.to_canonical();
        if self.trusted.contains(ip) {
            return None;
        }
        let ip = crate::client_ip::limit_key(ip);
        // A panic while the lock is held cannot leave the map half-updated: each change is one
        // insert or removal.
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let count = open.entry(ip).or_insert(0);
        *count += 1;
        Some(Slot {
            cap: self.clone(),
            ip,
            over_cap: *count > self.limit,
        })
    }

    /// Connections open from `ip` now.
    pub fn open_from(&self, ip: IpAddr) -> usize {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.get(&crate::client_ip::limit_key(ip))
            .copied()
            .unwrap_or(0)
    }

    fn close(&self, ip: IpAddr) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = open.get_mut(&ip) {
            *count -= 1;
            // Addresses with no connection leave the map, so it holds only live connections.
            if *count == 0 {
                open.remove(&ip);
            }
        }
    }

    /// `HttpServer::on_connect`: gives the connection its slot.
    pub fn on_connect(self: &Arc<Self>, connection: &dyn Any, data: &mut Extensions) {
        let peer = connection
            .downcast_ref::<actix_web::rt::net::TcpStream>()
            .and_then(|stream| stream.peer_addr().ok());
        if let Some(slot) = peer.and_then(|peer| self.open(peer.ip())) {
            data.insert(slot);
        }
    }
}

impl Slot {
    pub fn over_cap(&self) -> bool {
        self.over_cap
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.cap.close(self.ip);
    }
}

/// Answers any request but `/health` and `/ready` on a connection over the cap with 429, and
/// closes the connection.
pub async fn refuse_over_cap(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let over = req.conn_data::<Slot>().filter(|slot| slot.over_cap);
    match over {
        Some(slot) if !EXEMPT_PATHS.contains(&req.path()) => {
            let limit = slot.cap.limit;
            Ok(close_after(
                req,
                ApiError::from(HttpError::TooManyConnections(limit)),
            ))
        }
        _ => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn connections_beyond_the_limit_are_over_and_closing_gives_the_place_back() {
        let cap = ConnectionCap::new(2, TrustedProxies::default());
        let a = cap.open(ip("192.0.2.1")).unwrap();
        let b = cap.open(ip("::ffff:192.0.2.1")).unwrap();
        let c = cap.open(ip("192.0.2.1")).unwrap();
        let other = cap.open(ip("192.0.2.2")).unwrap();
        assert!(!a.over_cap() && !b.over_cap() && c.over_cap() && !other.over_cap());
        assert_eq!(cap.open_from(ip("192.0.2.1")), 3);
        drop((a, c));
        assert_eq!(cap.open_from(ip("192.0.2.1")), 1);
        assert!(!cap.open(ip("192.0.2.1")).unwrap().over_cap());
        drop((b, other));
        assert!(cap.open.lock().unwrap().is_empty());
    }

    #[test]
    fn trusted_proxies_are_not_counted() {
        let cap = ConnectionCap::new(1, TrustedProxies::parse("10.0.0.0/8").unwrap());
        assert!(cap.open(ip("10.1.2.3")).is_none());
        assert_eq!(cap.open_from(ip("10.1.2.3")), 0);
    }
}
