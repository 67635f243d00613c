//! Logging: `tracing` to stderr, text or JSON, filtered by `RUST_LOG` (default `info`).
//!
//! No layer logs request headers or bodies, so credentials cannot reach the log; values that
//! hold secrets are `Secret`s, which print `***`.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.with_ansi(false).try_init(),
    };
}
