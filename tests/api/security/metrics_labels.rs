//! Metrics: no client can grow the set of exported series.
