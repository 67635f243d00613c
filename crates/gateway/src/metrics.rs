//! Prometheus metrics: requests by route, method and status, latency histograms, the
//! acceptance writers' group commits, and the connections the HTTP layer ended on an error.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use actix_web::http::Method;
use orders::AcceptanceHandle;

use crate::telemetry::{ConnectionErrorKind, ConnectionErrors};
use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};

/// The `route` label of a request no route pattern matched.
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The `method` label: the methods the API serves or a client commonly sends, else `other`.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
}

/// Sub-millisecond buckets: most requests here finish in microseconds.
const LATENCY_BUCKETS: &[f64] = &[
    0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

impl Metrics {
    pub fn new(acceptance: AcceptanceHandle, connection_errors: ConnectionErrors) -> Metrics {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route pattern, method and status",
            ),
            &["route", "method", "status"],
        )
        .expect("valid metric definition");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route pattern and method",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["route", "method"],
        )
        .expect("valid metric definition");
        registry
            .register(Box::new(requests.clone()))
            .expect("metric registers once");
        registry
            .register(Box::new(latency.clone()))
            .expect("metric registers once");
        registry
            .register(Box::new(AcceptanceMetrics::new(acceptance)))
            .expect("metric registers once");
        registry
            .register(Box::new(ConnectionErrorMetrics::new(connection_errors)))
            .expect("metric registers once");
        Metrics {
            registry,
            requests,
            latency,
        }
    }

    /// Every label comes from a fixed set, so no client can grow the series: `route` is the
    /// matched pattern (`/v1/markets/{condition_id}`, never the raw path) or [`UNMATCHED_ROUTE`],
    /// the method is one of HTTP's usual seven or `other` (any token is a valid method), and
    /// the status is one the gateway answers with.
    pub fn observe(&self, route: Option<&str>, method: &Method, status: u16, elapsed: Duration) {
        let route = route.unwrap_or(UNMATCHED_ROUTE);
        let method = method_label(method);
        self.requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.latency
            .with_label_values(&[route, method])
            .observe(elapsed.as_secs_f64());
    }

    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Text encoding into a Vec cannot fail for well-formed metrics.
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// The acceptance writers' figures, read from their handle when `/metrics` is scraped: the
/// average group is `acceptance_orders_total / acceptance_groups_total`.
struct AcceptanceMetrics {
    handle: AcceptanceHandle,
    /// Set from the handle's totals at each scrape; the lock keeps two scrapes from
    /// interleaving their resets and increments.
    counters: Mutex<[IntCounter; 3]>,
    queued: IntGauge,
    descs: Vec<Desc>,
}

impl AcceptanceMetrics {
    fn new(handle: AcceptanceHandle) -> AcceptanceMetrics {
        let counter = |name: &str, help: &str| {
            IntCounter::with_opts(Opts::new(name, help)).expect("valid metric definition")
        };
        let counters = [
            counter(
                "acceptance_groups_total",
                "Group commits of POST /v1/orders, committed or rolled back",
            ),
            counter("acceptance_requests_total", "Requests in those groups"),
            counter(
                "acceptance_orders_total",
                "Orders in those groups that passed the stateless checks",
            ),
        ];
        let queued = IntGauge::with_opts(Opts::new(
            "acceptance_queued_requests",
            "Requests waiting for an acceptance writer",
        ))
        .expect("valid metric definition");
        let descs = counters
            .iter()
            .flat_map(|c| c.desc())
            .chain(queued.desc())
            .cloned()
            .collect();
        AcceptanceMetrics {
            handle,
            counters: Mutex::new(counters),
            queued,
            descs,
        }
    }
}

impl Collector for AcceptanceMetrics {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let stats = self.handle.stats();
        // The counters are overwritten whole, so a scrape that panicked left nothing to fix.
        let counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        let mut families = Vec::new();
        for (counter, total) in counters
            .iter()
            .zip([stats.groups, stats.requests, stats.orders])
        {
            counter.reset();
            counter.inc_by(total);
            families.extend(counter.collect());
        }
        self.queued
            .set(i64::try_from(self.handle.queued()).unwrap_or(i64::MAX));
        families.extend(self.queued.collect());
        families
    }
}

/// `http_connection_errors_total{kind}`, read from the log layer's counters at each scrape.
/// Every kind is present from the start, so the series never change.
struct ConnectionErrorMetrics {
    errors: ConnectionErrors,
    /// Overwritten whole at each scrape (as the acceptance counters are).
    counters: Mutex<IntCounterVec>,
    descs: Vec<Desc>,
}

impl ConnectionErrorMetrics {
    fn new(errors: ConnectionErrors) -> ConnectionErrorMetrics {
        let counters = IntCounterVec::new(
            Opts::new(
                "http_connection_errors_total",
                "Connections the HTTP layer ended on an error (a request it could not parse, a \
                 head over its limits, a broken connection), by kind",
            ),
            &["kind"],
        )
        .expect("valid metric definition");
        for kind in ConnectionErrorKind::ALL {
            counters.with_label_values(&[kind.label()]);
        }
        let descs = counters.desc().into_iter().cloned().collect();
        ConnectionErrorMetrics {
            errors,
            counters: Mutex::new(counters),
            descs,
        }
    }
}

impl Collector for ConnectionErrorMetrics {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        for kind in ConnectionErrorKind::ALL {
            let counter = counters.with_label_values(&[kind.label()]);
            counter.reset();
            counter.inc_by(self.errors.get(kind));
        }
        counters.collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        for name in ["PROPFIND", "X1", "get", "BREW"] {
            let method = Method::from_bytes(name.as_bytes()).unwrap();
            assert_eq!(method_label(&method), "other", "{name}");
        }
    }
}
