//! What can be wrong with one order (an inline refusal in a batch result), with the acceptance
//! of a request's orders or with a whole order request, each with its contract code; and the
//! batch limits the messages state.

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;
use store::StoreError;
use types::balance::COLLATERAL_DECIMALS;
use types::{
    ChainId, ContractError, ErrorCode, InvalidField, MarketKey, MarketStatus, OrderStatus, Outcome,
    Size, TokenId, Wallet, Wei,
};

use signing::eip712::SignatureError;

/// At most this many orders in one `POST /v1/orders`.
pub const MAX_ORDERS_PER_REQUEST: usize = 15;
/// At most this many hashes in one `POST /v1/orders/cancel`.
pub const MAX_CANCEL_HASHES: usize = 100;

/// Why an order was refused, one variant per rule of docs/api.md 6.2, in pipeline order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// A malformed or disallowed field; the message starts with the field's name.
    #[error("{field}: {reason}")]
    Invalid {
        field: Cow<'static, str>,
        reason: Cow<'static, str>,
    },
    #[error("No market with this condition_id on chain {0}")]
    MarketNotFound(ChainId),
    #[error("Market is {0}; only OPEN markets accept orders")]
    MarketNotActive(MarketStatus),
    #[error("price: must be between 0.01 and 1.00")]
    PriceOutOfRange,
    #[error("price: must be a multiple of the 0.01 tick (at most 2 decimals)")]
    InvalidTick,
    #[error("size: must be at least {0} shares")]
    SizeTooSmall(Size),
    #[error("Drifted signed amounts")]
    DriftedAmounts,
    #[error("expiration: is not in the future")]
    Expired,
    #[error("signature: {0}")]
    BadSignature(SignatureError),
    #[error("signature: was not made by signer {0} over this order")]
    NotSignedBySigner(Wallet),
    #[error("maker must equal signer")]
    MakerIsNotSigner,
    #[error("signer must be the authenticated wallet {0}")]
    SignerIsNotCaller(Wallet),
    #[error("An order with this hash was already submitted")]
    DuplicateOrder,
    #[error("Insufficient balance: {0}")]
    InsufficientBalance(Shortfall),
}

/// What an order refused for its balance needed and what its wallet could spend of the asset
/// it reserves: `needs 5.50 collateral (5500000000000000000 base units); available 3.20`, or
/// `needs 10.00 YES tokens (10000000000000000000 base units of token_id 1001); available 0.00`.
///
/// Both amounts are shown exactly in whole units (see [`Wei::in_whole_units`]); the need also
/// in base units, the number the order signed as `maker_amount`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    pub asset: ReservedAsset,
    pub needs: Wei,
    pub available: Wei,
}

/// The asset an order reserves, as a refusal names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReservedAsset {
    /// A BUY reserves collateral ([`COLLATERAL_DECIMALS`]).
    Collateral,
    /// A SELL reserves the outcome tokens it sells.
    Tokens {
        outcome: Outcome,
        token_id: TokenId,
        decimals: u8,
    },
}

impl fmt::Display for Shortfall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (needs, available) = (self.needs, self.available);
        match self.asset {
            ReservedAsset::Collateral => write!(
                f,
                "needs {} collateral ({needs} base units); available {}",
                needs.in_whole_units(COLLATERAL_DECIMALS),
                available.in_whole_units(COLLATERAL_DECIMALS),
            ),
            ReservedAsset::Tokens {
                outcome,
                token_id,
                decimals,
            } => {
                let name = match outcome {
                    Outcome::Yes => "YES",
                    Outcome::No => "NO",
                };
                write!(
                    f,
                    "needs {} {name} tokens ({needs} base units of token_id {token_id}); \
                     available {}",
                    needs.in_whole_units(decimals),
                    available.in_whole_units(decimals),
                )
            }
        }
    }
}

impl OrderError {
    pub fn invalid(
        field: impl Into<Cow<'static, str>>,
        reason: impl Into<Cow<'static, str>>,
    ) -> OrderError {
        OrderError::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The contract's code for this refusal.
    pub fn code(&self) -> ErrorCode {
        match self {
            OrderError::Invalid { .. } => ErrorCode::ValidationError,
            OrderError::MarketNotFound(_) => ErrorCode::MarketNotFound,
            OrderError::MarketNotActive(_) => ErrorCode::MarketNotActive,
            OrderError::PriceOutOfRange => ErrorCode::PriceOutOfRange,
            OrderError::InvalidTick => ErrorCode::InvalidTick,
            OrderError::SizeTooSmall(_) => ErrorCode::SizeTooSmall,
            OrderError::DriftedAmounts => ErrorCode::DriftedAmounts,
            OrderError::Expired => ErrorCode::OrderExpired,
            OrderError::BadSignature(_) | OrderError::NotSignedBySigner(_) => {
                ErrorCode::InvalidSignature
            }
            OrderError::MakerIsNotSigner | OrderError::SignerIsNotCaller(_) => {
                ErrorCode::WalletMismatch
            }
            OrderError::DuplicateOrder => ErrorCode::DuplicateOrder,
            OrderError::InsufficientBalance(_) => ErrorCode::InsufficientBalance,
        }
    }
}

/// `{"code","message"}`: an order's refusal inside a batch result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InlineError {
    pub code: ErrorCode,
    pub message: String,
}

impl From<&OrderError> for InlineError {
    fn from(e: &OrderError) -> InlineError {
        InlineError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl ContractError for OrderError {
    fn code(&self) -> ErrorCode {
        OrderError::code(self)
    }
}

/// Why a request got no results: nothing of it was accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AcceptError {
    #[error("The database is unavailable; retry shortly")]
    Unavailable,
    /// The balance source (`crate::ledger`) could not say what the wallets hold.
    #[error("Balances cannot be read right now; retry shortly")]
    BalancesUnavailable,
    #[error("The orders could not be stored")]
    Internal,
    #[error("The gateway is shutting down; retry shortly")]
    Stopped,
}

/// Why a group of requests could not be committed: nothing of it is stored.
#[derive(Debug, thiserror::Error)]
pub enum GroupCommitError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The response to keep for an idempotency key could not be rendered (never expected).
    #[error("idempotent response could not be rendered: {0}")]
    Render(String),
}

impl GroupCommitError {
    /// True when the database could not be reached (as opposed to a failed statement).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, GroupCommitError::Store(e) if e.is_unavailable())
    }
}

/// Why an order request failed as a whole (not one item of a batch).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Invalid(#[from] InvalidField),
    #[error("orders: at most {MAX_ORDERS_PER_REQUEST} orders per request")]
    TooManyOrders,
    #[error("order_hashes: at most {MAX_CANCEL_HASHES} hashes per request")]
    TooManyHashes,
    /// Unknown, or another wallet's: the two are never told apart.
    #[error("No order with this hash")]
    OrderNotFound,
    #[error("The order is {0}; a filled order can no longer be cancelled")]
    OrderAlreadyFilled(OrderStatus),
    #[error("This idempotency key was already used with another request body")]
    IdempotencyConflict,
    #[error("A request with this idempotency key is still being processed; retry shortly")]
    IdempotencyInFlight,
    #[error("cursor: is not a cursor this API returned")]
    InvalidCursor,
    #[error(transparent)]
    Accept(#[from] AcceptError),
    /// An order names a market the catalog no longer has (never expected).
    #[error("no market {0:?} for a stored order")]
    MarketMissing(MarketKey),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A market's matcher could not carry out a cancel.
    #[error(transparent)]
    Engine(#[from] engine::EngineError),
}

impl ContractError for ServiceError {
    fn code(&self) -> ErrorCode {
        match self {
            ServiceError::Invalid(e) => e.code(),
            ServiceError::TooManyOrders | ServiceError::TooManyHashes => {
                ErrorCode::BatchSizeExceeded
            }
            ServiceError::OrderNotFound => ErrorCode::OrderNotFound,
            ServiceError::OrderAlreadyFilled(_) => ErrorCode::OrderAlreadyFilled,
            ServiceError::IdempotencyConflict | ServiceError::IdempotencyInFlight => {
                ErrorCode::IdempotencyConflict
            }
            ServiceError::InvalidCursor => ErrorCode::ValidationError,
            ServiceError::Accept(AcceptError::Internal) | ServiceError::MarketMissing(_) => {
                ErrorCode::InternalError
            }
            ServiceError::Accept(
                AcceptError::Unavailable | AcceptError::BalancesUnavailable | AcceptError::Stopped,
            ) => ErrorCode::ServiceDegraded,
            ServiceError::Store(e) => e.code(),
            ServiceError::Engine(
                engine::EngineError::Unavailable | engine::EngineError::Stopped,
            ) => ErrorCode::ServiceDegraded,
            ServiceError::Engine(_) => ErrorCode::InternalError,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::U256;

    #[test]
    fn drifted_amounts_message_is_exactly_the_contracts() {
        let inline = InlineError::from(&OrderError::DriftedAmounts);
        assert_eq!(inline.code, ErrorCode::DriftedAmounts);
        assert_eq!(inline.message, "Drifted signed amounts");
        assert_eq!(
            serde_json::to_value(&inline).unwrap(),
            serde_json::json!({"code": "DRIFTED_AMOUNTS", "message": "Drifted signed amounts"})
        );
    }

    #[test]
    fn insufficient_balance_names_the_need_and_what_is_available_in_whole_units() {
        let buy = OrderError::InsufficientBalance(Shortfall {
            asset: ReservedAsset::Collateral,
            needs: Wei(U256::from(5_500_000_000_000_000_000u64)),
            available: Wei(U256::from(3_200_000_000_000_000_000u64)),
        });
        assert_eq!(buy.code(), ErrorCode::InsufficientBalance);
        assert_eq!(
            buy.to_string(),
            "Insufficient balance: needs 5.50 collateral (5500000000000000000 base units); \
             available 3.20"
        );
        let sell = OrderError::InsufficientBalance(Shortfall {
            asset: ReservedAsset::Tokens {
                outcome: Outcome::No,
                token_id: TokenId(U256::from(1000u64)),
                decimals: 6,
            },
            needs: Wei(U256::from(10_000_001u64)),
            available: Wei::ZERO,
        });
        assert_eq!(
            sell.to_string(),
            "Insufficient balance: needs 10.000001 NO tokens (10000001 base units of token_id \
             1000); available 0.00"
        );
    }

    #[test]
    fn validation_messages_start_with_the_field() {
        let e = OrderError::invalid("fee_rate_bps", "must be 0, the market's fee rate");
        assert_eq!(e.code(), ErrorCode::ValidationError);
        assert!(e.to_string().starts_with("fee_rate_bps: "));
    }
}
