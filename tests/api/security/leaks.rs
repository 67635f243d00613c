//! Consistency and leaks: wallet rebinding, equal timing for unknown and foreign orders, private orders, revoked keys listed.
