//! What a signed order is made of, shared by the gateway and the bot client: EIP-712 hashing and signer recovery, the signed-amount formulas and the `cancelOrder` calldata.
//!
//! No database, no async runtime and no features: the bot client signs with exactly the code
//! the gateway verifies with, and builds nothing else of the server.

pub mod amounts;
pub mod calldata;
pub mod eip712;

pub use amounts::{signed_amounts, AmountError, SignedAmounts};
pub use eip712::{order_digest, recover_signer, DomainCache, Order, SignatureError};
