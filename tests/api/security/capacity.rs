//! Shared capacity: live ws tokens per wallet, the idempotency sweep, stored responses per wallet.
