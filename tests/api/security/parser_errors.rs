//! Requests the HTTP parser rejects: an envelope where possible, never an ERROR log line.
