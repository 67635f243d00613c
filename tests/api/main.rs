//! End-to-end tests: each starts the real `gateway` binary on a free port and speaks HTTP to it.
