//! Logging: `tracing` to stderr, text or JSON, filtered by `RUST_LOG` (default `info`).
//!
//! No layer logs request headers or bodies, so credentials cannot reach the log; values that
//! hold secrets are `Secret`s, which print `***`.
//!
//! Connections the HTTP/1 layer gives up on (a request it cannot parse, a head over its limits,
//! a client that vanished) are each an ERROR event of actix-http's dispatcher. Any client can
//! cause them without logging in, so they are counted ([`ConnectionErrors`], served as
//! `http_connection_errors_total`) and kept out of the log unless `RUST_LOG` names actix-http.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Where actix-http reports each connection it ends on an error ("stream error: ...").
const DISPATCHER_TARGET: &str = "actix_http::h1::dispatcher";

/// Counts the HTTP layer's connection errors by kind; the kinds are a fixed set.
#[derive(Clone, Default)]
pub struct ConnectionErrors(Arc<[AtomicU64; ConnectionErrorKind::ALL.len()]>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionErrorKind {
    /// A request line or header the parser refused (400).
    Malformed,
    /// A request head over the parser's limits: too many or too large headers (431).
    HeadTooLarge,
    /// The connection failed under the server (a reset, a broken pipe).
    Io,
    /// The client did not close within the disconnect timeout.
    Timeout,
    Other,
}

impl ConnectionErrorKind {
    pub const ALL: [ConnectionErrorKind; 5] = [
        ConnectionErrorKind::Malformed,
        ConnectionErrorKind::HeadTooLarge,
        ConnectionErrorKind::Io,
        ConnectionErrorKind::Timeout,
        ConnectionErrorKind::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ConnectionErrorKind::Malformed => "malformed_request",
            ConnectionErrorKind::HeadTooLarge => "head_too_large",
            ConnectionErrorKind::Io => "io",
            ConnectionErrorKind::Timeout => "timeout",
            ConnectionErrorKind::Other => "other",
        }
    }

    /// From the text of actix-http's `DispatchError` (`stream error: request parse error: ...`).
    fn of_message(message: &str) -> ConnectionErrorKind {
        let detail = message.strip_prefix("stream error: ").unwrap_or(message);
        if detail.contains("message head is too large") {
            ConnectionErrorKind::HeadTooLarge
        } else if detail.starts_with("request parse error") {
            ConnectionErrorKind::Malformed
        } else if detail.starts_with("I/O error") {
            ConnectionErrorKind::Io
        } else if detail.contains("timeout") {
            ConnectionErrorKind::Timeout
        } else {
            ConnectionErrorKind::Other
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl ConnectionErrors {
    pub fn get(&self, kind: ConnectionErrorKind) -> u64 {
        self.0[kind.index()].load(Ordering::Relaxed)
    }

    fn count(&self, kind: ConnectionErrorKind) {
        self.0[kind.index()].fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts the dispatcher's ERROR events (its per-layer filter lets only those through).
struct CountConnectionErrors(ConnectionErrors);

impl<S: Subscriber> Layer<S> for CountConnectionErrors {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut message = MessageText(String::new());
        event.record(&mut message);
        self.0.count(ConnectionErrorKind::of_message(&message.0));
    }
}

struct MessageText(String);

impl Visit for MessageText {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

/// The log filter: `RUST_LOG` (default `info`), with the dispatcher's per-connection errors off
/// unless `RUST_LOG` says something about actix-http itself.
fn log_filter(rust_log: Option<&str>) -> EnvFilter {
    let mut filter = rust_log
        .and_then(|v| EnvFilter::try_new(v).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    if !rust_log.is_some_and(|v| v.contains("actix_http")) {
        filter = filter.add_directive(
            format!("{DISPATCHER_TARGET}=off")
                .parse()
                .expect("a valid directive"),
        );
    }
    filter
}

/// Installs the subscriber; returns the counter of connection errors for `/metrics`.
pub fn init(format: LogFormat) -> ConnectionErrors {
    let rust_log = std::env::var("RUST_LOG").ok();
    let filter = log_filter(rust_log.as_deref());
    let errors = ConnectionErrors::default();
    let counter = CountConnectionErrors(errors.clone())
        .with_filter(Targets::new().with_target(DISPATCHER_TARGET, Level::ERROR));
    let registry = tracing_subscriber::registry().with(counter);
    let _ = match format {
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_writer(std::io::stderr)
                    .with_filter(filter),
            )
            .try_init(),
        LogFormat::Text => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(std::io::stderr)
                    .with_filter(filter),
            )
            .try_init(),
    };
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatcher_messages_map_to_their_kind() {
        for (message, kind) in [
            (
                "stream error: request parse error: invalid Header provided",
                ConnectionErrorKind::Malformed,
            ),
            (
                "stream error: request parse error: message head is too large",
                ConnectionErrorKind::HeadTooLarge,
            ),
            (
                "stream error: I/O error: Connection reset by peer (os error 104)",
                ConnectionErrorKind::Io,
            ),
            (
                "stream error: connection shutdown timeout",
                ConnectionErrorKind::Timeout,
            ),
            ("write zero; closing", ConnectionErrorKind::Other),
        ] {
            assert_eq!(ConnectionErrorKind::of_message(message), kind, "{message}");
        }
    }

    #[test]
    fn the_kinds_are_listed_in_index_order() {
        for (i, kind) in ConnectionErrorKind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), i);
        }
    }
}
