//! Attacks from the hostile probe, each performed against the real binary, each test asserting
//! the defence (docs/SECURITY.md lists every threat with its test).

mod browsers;
mod capacity;
mod leaks;
mod lockout;
mod metrics_labels;
mod parser_errors;
mod raw_http;
mod slow_clients;
mod stored_input;
mod strict_json;
