//! Signed orders, built with the gateway's own amount formulas and EIP-712 hashing
//! (`signing::amounts`, `signing::eip712`), so that what a bot signs is what the gateway checks.

use alloy_primitives::{hex, U256};
use rand::rngs::OsRng;
use rand::TryRngCore;
use serde::{Serialize, Serializer};
use signing::amounts::signed_amounts;
use signing::eip712::{domain_separator, order_digest, Order, SIGNATURE_TYPE_EOA};
use types::{
    ChainId, ConditionId, OrderHash, OrderType, Outcome, Side, Size, Ticks, TokenId, Wallet, Wei,
};

use crate::credentials::PrivateKey;
use crate::error::ClientError;
use crate::market::MarketInfo;

/// What to trade: the caller's choices, before salt, amounts and signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderSpec {
    pub outcome: Outcome,
    pub side: Side,
    pub price: Ticks,
    pub size: Size,
    pub order_type: OrderType,
    /// Unix seconds; 0 = none. Required (non-zero, in the future) for `GTD`.
    pub expiration: u64,
}

impl OrderSpec {
    /// A `LIMIT` order without expiration.
    pub fn limit(outcome: Outcome, side: Side, price: Ticks, size: Size) -> OrderSpec {
        OrderSpec {
            outcome,
            side,
            price,
            size,
            order_type: OrderType::Limit,
            expiration: 0,
        }
    }
}

/// Builds and signs orders for one wallet on one market. It fetches nothing.
///
/// Defaults, as the contract's usual client sends them: `nonce` 0, `taker` the zero address
/// (an open order), `signature_type` 0 (EOA), `maker` = `signer` = the key's wallet.
#[derive(Debug)]
pub struct OrderBuilder<'a> {
    key: &'a PrivateKey,
    market: &'a MarketInfo,
    nonce: U256,
}

impl<'a> OrderBuilder<'a> {
    pub fn new(key: &'a PrivateKey, market: &'a MarketInfo) -> OrderBuilder<'a> {
        OrderBuilder {
            key,
            market,
            nonce: U256::ZERO,
        }
    }

    /// The exchange nonce to sign (orders signed with a nonce the wallet has since
    /// incremented on-chain are void).
    pub fn nonce(mut self, nonce: U256) -> OrderBuilder<'a> {
        self.nonce = nonce;
        self
    }

    /// Signs a new order with a salt of 256 random bits from the operating system.
    pub fn build(&self, spec: &OrderSpec) -> Result<SignedOrder, ClientError> {
        let mut salt = [0u8; 32];
        OsRng
            .try_fill_bytes(&mut salt)
            .map_err(|e| ClientError::Rng(e.to_string()))?;
        self.build_with_salt(spec, U256::from_be_bytes(salt))
    }

    /// Signs with the given salt. Two orders with the same fields and salt have the same hash,
    /// and the gateway refuses the second as `DUPLICATE_ORDER`: use [`OrderBuilder::build`]
    /// unless the salt must be reproducible.
    pub fn build_with_salt(
        &self,
        spec: &OrderSpec,
        salt: U256,
    ) -> Result<SignedOrder, ClientError> {
        let market = self.market;
        let token = market.token(spec.outcome).ok_or_else(|| {
            ClientError::invalid(
                "outcome",
                format!(
                    "market {} has no token for outcome {}",
                    market.condition_id,
                    spec.outcome.as_u8()
                ),
            )
        })?;
        if spec.order_type == OrderType::Gtd && spec.expiration == 0 {
            return Err(ClientError::invalid(
                "expiration",
                "a GTD order needs a non-zero expiration (Unix seconds)",
            ));
        }
        let amounts = signed_amounts(spec.side, spec.price, spec.size, token.decimals)
            .map_err(|e| ClientError::invalid("size", e.to_string()))?;
        let wallet = self.key.wallet();
        let signed = Order {
            salt,
            maker: wallet.address(),
            signer: wallet.address(),
            taker: Wallet::ZERO.address(),
            tokenId: token.token_id.0,
            makerAmount: amounts.maker,
            takerAmount: amounts.taker,
            expiration: U256::from(spec.expiration),
            nonce: self.nonce,
            feeRateBps: U256::from(market.fee_rate_bps),
            side: spec.side.as_u8(),
            signatureType: SIGNATURE_TYPE_EOA,
        };
        let separator = domain_separator(market.chain_id, market.ctf_exchange_address);
        let hash = order_digest(separator, &signed);
        let signature = self.key.sign_digest(&hash.0)?;
        Ok(SignedOrder {
            hash,
            condition_id: market.condition_id,
            chain_id: market.chain_id,
            token_id: token.token_id,
            side: spec.side,
            price: spec.price,
            size: spec.size,
            order_type: spec.order_type,
            salt,
            maker: wallet,
            signer: wallet,
            taker: Wallet::ZERO,
            maker_amount: Wei(amounts.maker),
            taker_amount: Wei(amounts.taker),
            expiration: U256::from(spec.expiration),
            nonce: self.nonce,
            fee_rate_bps: market.fee_rate_bps,
            signature_type: SIGNATURE_TYPE_EOA,
            signature: format!("0x{}", hex::encode(signature)),
        })
    }
}

/// One signed item of `POST /v1/orders`, serialized exactly as docs/api.md 6.1 describes it:
/// uint256 values as decimal strings, price and size as decimal strings, side `BUY`/`SELL`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignedOrder {
    /// The order hash (EIP-712 digest) the gateway will report; not sent.
    #[serde(skip)]
    pub hash: OrderHash,
    pub condition_id: ConditionId,
    pub chain_id: ChainId,
    pub token_id: TokenId,
    pub side: Side,
    pub price: Ticks,
    pub size: Size,
    pub order_type: OrderType,
    #[serde(serialize_with = "decimal")]
    pub salt: U256,
    pub maker: Wallet,
    pub signer: Wallet,
    pub taker: Wallet,
    pub maker_amount: Wei,
    pub taker_amount: Wei,
    #[serde(serialize_with = "decimal")]
    pub expiration: U256,
    #[serde(serialize_with = "decimal")]
    pub nonce: U256,
    pub fee_rate_bps: u32,
    pub signature_type: u8,
    /// `0x` + 130 hex: `r ‖ s ‖ v`.
    pub signature: String,
}

/// A uint256 as a decimal string (alloy's own serde writes hex).
fn decimal<S: Serializer>(v: &U256, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}
