//! The address a request is attributed to, for throttles and connection limits.
//!
//! The TCP peer, unless the peer is a trusted proxy (`FS_TRUSTED_PROXIES`): then the right-most
//! address of `X-Forwarded-For` that is not a trusted proxy. Each proxy appends the address it
//! was connected from, so the entries right of that one were written by proxies we trust and
//! the entry itself by the last of them; everything further left came from the client and may
//! be forged. With no trusted proxies the header is never read, so a client cannot pick the
//! address it is throttled under.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::HeaderMap;
use actix_web::HttpRequest;
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed, as addresses and networks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of IP addresses and CIDR networks (`10.0.0.1, 10.1.0.0/16`);
    /// the error names the entry that is neither.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let net = match entry.parse::<IpNet>() {
                Ok(net) => net.trunc(),
                Err(_) => match entry.parse::<IpAddr>() {
                    Ok(ip) => IpNet::from(ip.to_canonical()),
                    Err(_) => {
                        return Err(format!(
                            "{entry:?} is not an IP address or a CIDR network such as 10.0.0.0/8"
                        ))
                    }
                },
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer` (see the module's rule).
    pub fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        // Header lines are one list, in order; each proxy appends to the last.
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let mut nearest = peer;
        for entry in entries.iter().rev() {
            // An entry a trusted proxy wrote that is not an address: nothing further left can be
            // attributed, so the request stays with the nearest hop.
            let Some(ip) = forwarded_ip(entry) else {
                return nearest;
            };
            if !self.contains(ip) {
                return ip;
            }
            nearest = ip;
        }
        nearest
    }
}

/// The list as configured (`10.0.0.0/8, 192.0.2.1/32`), empty when there is none.
impl std::fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, net) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{net}")?;
        }
        Ok(())
    }
}

/// An `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:80`, `[::1]:80`).
fn forwarded_ip(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

/// The client's IP: the TCP peer's address, or behind a trusted proxy the address it forwarded.
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    Some(match req.app_data::<TrustedProxies>() {
        Some(proxies) if !proxies.is_empty() => proxies.client_of(peer, req.headers()),
        _ => peer.to_canonical(),
    })
}

/// What limits count against for a client at `ip`: an IPv4 address, or the /64 network of an
/// IPv6 one. One subscriber usually holds a whole /64, so counting single IPv6 addresses would
/// give one client 2^64 budgets, and let it push everyone else's windows out of the throttle.
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(network))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn request(peer: &str, forwarded: &[&str], proxies: &str) -> HttpRequest {
        let mut req = TestRequest::default()
            .peer_addr(SocketAddr::new(ip(peer), 40_000))
            .app_data(TrustedProxies::parse(proxies).unwrap());
        for value in forwarded {
            req = req.append_header(("x-forwarded-for", *value));
        }
        req.to_http_request()
    }

    #[test]
    fn limits_count_ipv6_by_its_64_network_and_ipv4_by_address() {
        assert_eq!(
            limit_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:2:ffff::"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(limit_key(ip("198.51.100.7")), ip("198.51.100.7"));
        assert_eq!(limit_key(ip("::ffff:198.51.100.7")), ip("198.51.100.7"));
    }

    #[test]
    fn without_trusted_proxies_the_header_is_ignored() {
        let req = request("203.0.113.9", &["198.51.100.1"], "");
        assert_eq!(client_ip(&req), Some(ip("203.0.113.9")));
    }

    #[test]
    fn an_untrusted_peer_cannot_forward_for_anyone() {
        let req = request("203.0.113.9", &["198.51.100.1"], "10.0.0.0/8");
        assert_eq!(client_ip(&req), Some(ip("203.0.113.9")));
    }

    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_entry_is_the_client() {
        // The client forged the first entry; the proxies appended the rest.
        let req = request(
            "10.0.0.2",
            &["1.1.1.1, 198.51.100.7", "10.0.0.1"],
            "10.0.0.0/8",
        );
        assert_eq!(client_ip(&req), Some(ip("198.51.100.7")));
        let req = request("10.0.0.2", &["198.51.100.7:5123"], "10.0.0.2");
        assert_eq!(client_ip(&req), Some(ip("198.51.100.7")));
        let req = request("::ffff:10.0.0.2", &["[2001:db8::1]:80"], "10.0.0.2");
        assert_eq!(client_ip(&req), Some(ip("2001:db8::1")));
    }

    #[test]
    fn a_trusted_peer_without_a_usable_entry_is_the_client() {
        let req = request("10.0.0.2", &[], "10.0.0.2");
        assert_eq!(client_ip(&req), Some(ip("10.0.0.2")));
        let req = request("10.0.0.2", &["10.0.0.1"], "10.0.0.0/8");
        assert_eq!(client_ip(&req), Some(ip("10.0.0.1")));
        let req = request("10.0.0.2", &["198.51.100.7, junk, 10.0.0.1"], "10.0.0.0/8");
        assert_eq!(client_ip(&req), Some(ip("10.0.0.1")));
    }

    #[test]
    fn the_list_takes_addresses_and_networks_and_names_a_bad_entry() {
        let p = TrustedProxies::parse(" 10.0.0.1, 192.168.0.0/16 ,2001:db8::/32,").unwrap();
        assert!(p.contains(ip("10.0.0.1")) && !p.contains(ip("10.0.0.2")));
        assert!(p.contains(ip("192.168.7.7")) && p.contains(ip("::ffff:192.168.7.7")));
        assert!(p.contains(ip("2001:db8::5")));
        assert_eq!(p.to_string(), "10.0.0.1/32, 192.168.0.0/16, 2001:db8::/32");
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        let e = TrustedProxies::parse("10.0.0.1, proxy.local").unwrap_err();
        assert!(e.contains("\"proxy.local\""), "{e}");
    }
}
